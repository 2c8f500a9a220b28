"""Attribute classifier for toyfaces renders: a small CNN with every attribute as a head.

It predicts all :data:`latentroom.plugins.toyfaces.renderer.ATTRIBUTES` at once: continuous ones
as a regression on their 0-1 scale (sigmoid output), binary ones as logits. Its
penultimate features (global-average-pooled, :data:`FEATURE_DIM` wide) are exposed
so generator quality can later be measured as a Fréchet distance in a space that
knows what a toyface looks like.

Torch is imported at module import: import this module only in authoring code
(``latentroom.plugins.toyfaces.load_classifier`` does so lazily). The torch-free path is
:mod:`latentroom.plugins.toyfaces.classifier_onnx`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from latentroom.engine.atomic import atomic_write
from latentroom.plugins.toyfaces import WEIGHTS_DIR
from latentroom.plugins.toyfaces.classifier_onnx import INPUT_SIZE, ONNX_PATH, check_uint8_images
from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, ATTRIBUTES, BINARY, CONTINUOUS

__all__ = [
    "AttributeClassifier",
    "FEATURE_DIM",
    "INPUT_SIZE",
    "WEIGHTS_PATH",
    "JUDGE_WEIGHTS_PATH",
    "ARCHITECTURES",
    "ONNX_PATH",
    "CONTINUOUS_IDX",
    "BINARY_IDX",
    "images_to_tensor",
    "load",
    "save_weights",
    "export_onnx",
    "evaluate",
]

_WIDTHS = (32, 64, 96, 128, 192)
FEATURE_DIM = _WIDTHS[-1]
WEIGHTS_PATH = WEIGHTS_DIR / "classifier.pt"
ARCHITECTURES = ("classifier", "judge")
"""``classifier``: the network directions, inverters and distillation use. ``judge``:
an independent second network (other widths, max-pool downsampling, SiLU, trained
from another seed) that only evaluation uses, so no loss ever trained against it."""
_JUDGE_WIDTHS = (16, 32, 64, 128, 256)
JUDGE_WEIGHTS_PATH = WEIGHTS_DIR / "judge.pt"
CONTINUOUS_IDX = [ATTRIBUTE_NAMES.index(a) for a in CONTINUOUS]
BINARY_IDX = [ATTRIBUTE_NAMES.index(a) for a in BINARY]


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _classifier_body() -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = [_conv(3, _WIDTHS[0], 2)]  # 64x64
    for cin, cout in zip(_WIDTHS[:-1], _WIDTHS[1:]):  # 32, 16, 8, 4
        layers += [_conv(cin, cout, 2), _conv(cout, cout, 1)]
    return nn.Sequential(*layers), _WIDTHS[-1]


def _judge_body() -> tuple[nn.Sequential, int]:
    # SiLU convs (one in the first stage, two after), each stage ending in a 2x
    # max-pool: 128 -> 4 over five stages.
    layers: list[nn.Module] = []
    cin = 3
    for stage, cout in enumerate(_JUDGE_WIDTHS):
        for i in range(1 if stage == 0 else 2):
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU()]
        layers.append(nn.MaxPool2d(2))
        cin = cout
    return nn.Sequential(*layers), _JUDGE_WIDTHS[-1]


class AttributeClassifier(nn.Module):
    """Input ``[B, 3, 128, 128]`` RGB in ``[-1, 1]`` (the project's image convention).

    ``forward`` returns ``[B, n_attributes]`` in ATTRIBUTES order: continuous columns
    in 0-1, binary columns as logits. ``features`` returns ``[B, FEATURE_DIM]``.
    """

    def __init__(self, arch: str = "classifier") -> None:
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
        self.arch = arch
        self.body, self.feature_dim = _judge_body() if arch == "judge" else _classifier_body()
        self.head = nn.Linear(self.feature_dim, len(ATTRIBUTES))
        # Which output columns get a sigmoid: a buffer so it travels with .to().
        cont = torch.zeros(len(ATTRIBUTES), dtype=torch.bool)
        cont[CONTINUOUS_IDX] = True
        self.register_buffer("is_continuous", cont, persistent=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mean(dim=(2, 3))

    def head_outputs(self, feats: torch.Tensor) -> torch.Tensor:
        raw = self.head(feats)
        return torch.where(self.is_continuous, torch.sigmoid(raw), raw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head_outputs(self.features(x))

    def to_scores(self, outputs: torch.Tensor) -> torch.Tensor:
        """``forward``'s outputs with the binary logits turned into probabilities:
        every column on the 0-1 scale (differentiable)."""
        return torch.where(self.is_continuous, outputs, torch.sigmoid(outputs))

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.features(x)
        return self.head_outputs(f), f

    @torch.no_grad()
    def predict(self, images: np.ndarray | torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """Attribute estimates ``[N, n_attributes]`` on the 0-1 scale (binary ones as
        probabilities). ``images``: uint8 ``[N, H, W, 3]`` or a float tensor
        ``[N, 3, H, W]`` in ``[-1, 1]``; resized to 128 if needed."""
        return self.predict_with_features(images, batch_size)[0]

    @torch.no_grad()
    def predict_features(self, images: np.ndarray | torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """Penultimate features ``[N, FEATURE_DIM]`` (for Fréchet distances)."""
        return self.predict_with_features(images, batch_size)[1]

    @torch.no_grad()
    def predict_with_features(self, images: np.ndarray | torch.Tensor,
                              batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(images), predict_features(images))`` from one pass of the network."""
        was_training = self.training
        self.eval()
        dev = next(self.parameters()).device
        preds, feats = [], []
        for i in range(0, len(images), batch_size):
            x = images_to_tensor(images[i : i + batch_size], dev)
            p, f = self.forward_with_features(x)
            p = self.to_scores(p)
            preds.append(p.float().cpu().numpy())
            feats.append(f.float().cpu().numpy())
        self.train(was_training)
        return np.concatenate(preds), np.concatenate(feats)


def images_to_tensor(images: np.ndarray | torch.Tensor, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 ``[N, H, W, 3]`` (or float ``[N, 3, H, W]`` in [-1, 1]) -> float
    ``[N, 3, 128, 128]`` in [-1, 1] on ``device``."""
    if isinstance(images, np.ndarray):
        check_uint8_images(images)
        x = torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float()
        x = x / 127.5 - 1.0
    else:
        x = images.to(device).float()
    if x.shape[-1] != INPUT_SIZE or x.shape[-2] != INPUT_SIZE:
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x


def save_weights(model: AttributeClassifier, path: str | Path) -> None:
    """Save a plain state dict of float16 tensors (half the size; the rounding does
    not move the metrics), written atomically (:func:`latentroom.engine.atomic.atomic_write`)."""
    sd = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()) for k, v in model.state_dict().items()}
    atomic_write(path, lambda f: torch.save(sd, f))


def load(device: str | torch.device = "cpu", path: str | Path | None = None,
         arch: str = "classifier") -> AttributeClassifier:
    """Load the classifier (shipped weights by default), in eval mode, on ``device``;
    ``arch="judge"`` loads the independent judge (:data:`JUDGE_WEIGHTS_PATH`).

    Loads with ``weights_only=True``: nothing is unpickled.
    """
    path = Path(path) if path is not None else JUDGE_WEIGHTS_PATH if arch == "judge" else WEIGHTS_PATH
    if not path.is_file():
        from latentroom.engine.errors import CheckpointError

        raise CheckpointError(f"{path}: classifier weights not found")
    sd = torch.load(path, map_location="cpu", weights_only=True)
    model = AttributeClassifier(arch)
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()})
    except RuntimeError as e:
        from latentroom.engine.errors import CheckpointError

        raise CheckpointError(f"{path}: not a toyfaces {arch} state dict ({e})") from None
    return model.to(device).eval()


def export_onnx(model: AttributeClassifier, path: str | Path) -> None:
    """Export to ONNX with outputs ``preds`` (as ``forward``) and ``features``, a
    dynamic batch axis and input ``images`` ``[B, 3, 128, 128]`` in [-1, 1]."""
    path = Path(path)
    model = model.to("cpu").eval()
    dummy = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)

    class _Both(nn.Module):
        def __init__(self, m: AttributeClassifier) -> None:
            super().__init__()
            self.m = m

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.m.forward_with_features(x)

    tmp = path.with_name(path.name + ".tmp")
    # The dynamo exporter at opset 18 (its native opset): asking torch 2.13 for
    # opset 17 went through the ONNX version converter and silently produced a
    # wrong graph. external_data=False keeps the weights inside the one file.
    torch.onnx.export(
        _Both(model),
        (dummy,),
        str(tmp),
        input_names=["images"],
        output_names=["preds", "features"],
        dynamic_shapes=({0: torch.export.Dim("batch")},),
        opset_version=18,
        dynamo=True,
        external_data=False,
        verbose=False,
    )
    tmp.replace(path)


def metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Per-attribute MAE (continuous) or accuracy at 0.5 (binary); ``pred`` binary
    columns are probabilities."""
    out: dict[str, float] = {}
    for i, a in enumerate(ATTRIBUTES):
        if a.kind == "continuous":
            out[f"{a.name}_mae"] = float(np.mean(np.abs(pred[:, i] - target[:, i])))
        else:
            out[f"{a.name}_acc"] = float(np.mean((pred[:, i] > 0.5) == (target[:, i] > 0.5)))
    return out


def evaluate(model: AttributeClassifier, seed: int, n: int, batch_size: int = 256) -> dict[str, float]:
    """Metrics on ``n`` fresh renders drawn from ``seed`` (use a seed training never saw)."""
    from latentroom.plugins.toyfaces.renderer import attribute_matrix, render, sample_params

    params = sample_params(np.random.default_rng(seed), n)
    return metrics(model.predict(render(params), batch_size), attribute_matrix(params))
