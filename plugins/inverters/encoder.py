"""An e4e-style encoder: one CNN forward pass from a 128x128 image to W+.

Architecture (about 4-5 M parameters at 128x128 / style_dim 256 / 12 layers, so
that a batch of 64 costs well under a millisecond per image on a current GPU):

* a ResNet-ish backbone, 128² -> 4² in five stride-2 stages (32..256 channels);
* a small feature pyramid (4², 8², 16², top-down as in pSp): coarse style layers
  read the most global map, fine layers the most detailed;
* one *map2style* head per layer group (coarse = layers 0-3, middle = 4-7,
  fine = 8 and up: the split of :func:`latentroom.engine.direction.layer_groups`), each a
  couple of strided convs down to 4x4 and a linear layer emitting all of its
  group's W+ rows at once.

Output (e4e): W+ row 0 is a *base* ``w``; every other row is that base plus a
per-layer *delta*. In units of W's per-dimension spread ``std``::

    ws[:, 0] = w_mean + std * base
    ws[:, i] = w_mean + std * (base + delta_i)      (i >= 1)

Training (``latentroom.plugins.inverters.train_encoder``) penalises ``mean(delta^2)`` with
weight ``delta_weight``: the editability knob. At 0 the encoder uses all of W+
(better reconstructions of images the generator cannot make exactly, worse edits:
directions are found in W and W+ codes far from W respond to them less); large
values force W (every row equal), the most editable and least faithful.

Weights files (see :func:`save_encoder`) are a plain dict of tensors, strings and
numbers, loaded with ``torch.load(weights_only=True)``; float tensors are stored in
fp16 (half the bytes; the rounding moves outputs by ~1e-3 std).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from latentroom.engine.atomic import atomic_write
from latentroom.engine.errors import CheckpointError
from latentroom.plugins.inverters.common import invert_in_chunks

FORMAT = "latentroom-encoder"
VERSION = 1
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


def layer_group_ranges(n_latent: int) -> list[tuple[int, int]]:
    """``[(start, stop)]`` for the coarse/middle/fine groups (empty groups dropped);
    the same split as :func:`latentroom.engine.direction.layer_groups` for ``n_latent >= 10``."""
    bounds = [(0, min(4, n_latent)), (4, min(8, n_latent)), (8, n_latent)]
    return [(a, b) for a, b in bounds if b > a]


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class BasicBlock(nn.Module):
    """Residual block, stride 2: conv-bn-act-conv-bn + strided 1x1 skip."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, 2, bias=False), nn.BatchNorm2d(cout))
        self.act = _act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act(out + self.skip(x))


class Map2Style(nn.Module):
    """Feature map -> ``rows`` W+ rows: strided convs to 4x4, then one linear layer.
    Flattening the 4x4 map (not pooling it) keeps *where* things are, which pose and
    face shape need."""

    def __init__(self, cin: int, size: int, rows: int, style_dim: int, channels: int = 64,
                 out_channels: int = 48) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = cin
        while size > 4:
            layers += [nn.Conv2d(c, channels, 3, 2, 1), _act()]
            c, size = channels, size // 2
        layers += [nn.Conv2d(c, out_channels, 3, 1, 1), _act()]
        self.convs = nn.Sequential(*layers)
        self.rows, self.style_dim = rows, style_dim
        self.linear = nn.Linear(out_channels * 16, rows * style_dim)
        # Zero start: the untrained encoder outputs the mean latent, a sane image.
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.convs(x).flatten(1)).view(-1, self.rows, self.style_dim)


DEFAULT_WIDTHS: tuple[int, ...] = (32, 64, 128, 192, 256)


class Encoder(nn.Module):
    """Image ``[B, 3, H, W]`` in ``[-1, 1]`` -> ``(ws [B, n_latent, style_dim], deltas
    [B, n_latent - 1, style_dim])`` (deltas in std units, for the regulariser)."""

    def __init__(self, n_latent: int, style_dim: int, input_size: int = 128,
                 widths: Sequence[int] = DEFAULT_WIDTHS, fpn_channels: int = 128) -> None:
        super().__init__()
        if len(widths) < 4 or input_size != 2 ** (len(widths) + 2):
            raise ValueError(f"input_size {input_size} needs {input_size.bit_length() - 3} stages, "
                             f"got {len(widths)} widths")
        self.config = {"n_latent": int(n_latent), "style_dim": int(style_dim), "input_size": int(input_size),
                       "widths": [int(w) for w in widths], "fpn_channels": int(fpn_channels)}
        self.n_latent, self.style_dim, self.input_size = int(n_latent), int(style_dim), int(input_size)
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]), _act())
        self.stages = nn.ModuleList(BasicBlock(a, b) for a, b in zip(widths[:-1], widths[1:]))
        # Pyramid over the last three stages: 16², 8², 4² at input 128.
        self.laterals = nn.ModuleList(nn.Conv2d(c, fpn_channels, 1) for c in widths[-3:])
        groups = layer_group_ranges(self.n_latent)
        sizes = [4, 8, 16]  # coarse reads 4², middle 8², fine 16²
        self.groups = groups
        self.heads = nn.ModuleList(Map2Style(fpn_channels, sizes[i], b - a, self.style_dim)
                                   for i, (a, b) in enumerate(groups))
        # W statistics of the generator it was trained for, saved with the weights so
        # the file is self-contained.
        self.register_buffer("w_mean", torch.zeros(self.style_dim))
        self.register_buffer("w_std", torch.ones(self.style_dim))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = images
        if x.shape[-1] != self.input_size or x.shape[-2] != self.input_size:
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                              align_corners=False, antialias=x.shape[-1] > self.input_size)
        x = self.stem(x)
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        c16, c8, c4 = feats[-3:]
        p4 = self.laterals[2](c4)
        p8 = self.laterals[1](c8) + F.interpolate(p4, scale_factor=2.0, mode="nearest")
        p16 = self.laterals[0](c16) + F.interpolate(p8, scale_factor=2.0, mode="nearest")
        pyramid = [p4, p8, p16]
        raw = torch.cat([head(pyramid[i]) for i, head in enumerate(self.heads)], dim=1).float()
        base, deltas = raw[:, :1], raw[:, 1:]
        u = torch.cat([base, base + deltas], dim=1)
        ws = self.w_mean + u * self.w_std
        return ws, deltas


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------- files


def default_weights_path(generator_sha256: str | None) -> Path:
    """Where ``encoder``/``hybrid`` look when no ``weights=`` option is given: one
    file per generator, named by its weights hash, under ``plugins/inverters/weights``."""
    key = (generator_sha256 or "untrained")[:16]
    return WEIGHTS_DIR / f"encoder-{key}.pt"


def save_encoder(model: Encoder, path: str | os.PathLike[str], *, generator_sha256: str | None,
                 generator_spec: str | None = None, train: dict[str, Any] | None = None) -> Path:
    """Write the inference file (fp16 state dict + config + provenance) atomically."""
    path = Path(path)
    state = {k: (v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu())
             for k, v in model.state_dict().items()}
    # w statistics stay fp32: they set the output's centre and scale.
    for key in ("w_mean", "w_std"):
        state[key] = model.state_dict()[key].detach().cpu().float()
    data = {"format": FORMAT, "version": VERSION, "config": dict(model.config), "state_dict": state,
            "generator_sha256": generator_sha256, "generator_spec": generator_spec, "train": dict(train or {})}
    atomic_write(path, lambda f: torch.save(data, f))
    return path


def read_encoder_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw dict of an encoder file, validated; ``CheckpointError`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such encoder weights file "
                              "(train one with latentroom train-encoder --generator SPEC --out DIR, "
                              "then pass -O weights=DIR/encoder.pt, or use --inverter projector)")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable encoder file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a latentroom encoder file (format != {FORMAT!r})")
    if data.get("version") != VERSION:
        raise CheckpointError(f"{path}: encoder file version {data.get('version')} is not supported")
    return data


def load_encoder(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> tuple[Encoder, dict[str, Any]]:
    """``(encoder in eval mode on device, file dict without the state)``."""
    data = read_encoder_file(path)
    try:
        model = Encoder(**data["config"])
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in data["state_dict"].items()})
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: encoder weights do not match its config ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0]})") from None
    meta = {k: v for k, v in data.items() if k != "state_dict"}
    return model.to(device).eval(), meta


# ------------------------------------------------------------------------- inverter


class EncoderInverter:
    """Satisfies :class:`latentroom.engine.protocols.Inverter` with one encoder forward pass.

    Options: ``weights`` (path; default :func:`default_weights_path` of the
    generator), ``batch_size`` (chunking for large inputs, default 64),
    ``allow_mismatch`` (use weights trained for a different generator file).
    """

    OPTIONS: tuple[str, ...] = ("weights", "batch_size", "allow_mismatch")

    def __init__(self, generator: Any, device: str | torch.device = "cpu", weights: str | None = None,
                 batch_size: int = 64, allow_mismatch: bool = False) -> None:
        self.generator = generator
        self.device = torch.device(device)
        path = Path(weights) if weights else default_weights_path(getattr(generator, "weights_sha256", None))
        self.weights_path = path
        self.model, self.meta = load_encoder(path, self.device)
        if self.model.n_latent != generator.n_latent or self.model.style_dim != generator.style_dim:
            raise CheckpointError(f"{path}: encoder outputs [{self.model.n_latent}, {self.model.style_dim}] "
                                  f"but the generator takes [{generator.n_latent}, {generator.style_dim}]")
        trained_for = self.meta.get("generator_sha256")
        actual = getattr(generator, "weights_sha256", None)
        if trained_for and actual and trained_for != actual and not allow_mismatch:
            raise CheckpointError(f"{path}: encoder was trained for generator weights {trained_for[:12]}..., "
                                  f"this generator is {actual[:12]}... (retrain, or pass allow_mismatch=true)")
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.batch_size = int(batch_size)
        self.last_noise: list[torch.Tensor] | None = None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, torch.bfloat16, enabled=self.device.type == "cuda"):
            ws, _ = self.model(x)
        return ws.float()

    def invert(self, images: torch.Tensor) -> torch.Tensor:
        self.last_noise = None
        return invert_in_chunks(images, self.batch_size, self.device, self.encode)
