"""``e4e``: inversion with an e4e or pSp encoder checkpoint, as their authors release them.

File format (written by both projects' training coach)::

    {"state_dict": {"encoder.*": ..., "decoder.*": ...},  # the whole pSp module
     "opts": vars(training options),                      # a plain dict
     "latent_avg": [n_styles, 512] or [512],              # when start_from_latent_avg
     ...}                                                  # e4e may add training state

``opts["encoder_type"]`` names the architecture: ``Encoder4Editing`` (e4e) or
``GradualStyleEncoder`` (pSp); both are in :mod:`latentroom.plugins.inverters.style_encoders`.
Other pSp encoder types (``BackboneEncoderUsingLastLayerIntoW[Plus]``) are refused by
name. Widths, depths and the number of W+ rows are read from the tensors, so any
size of the same architecture loads.

Loading is ``torch.load(weights_only=True)`` through the StyleGAN2 plugin's reader:
nothing but tensors, containers, numbers, strings and ``argparse.Namespace`` is
unpickled. The released files store ``opts`` as a dict; a file whose ``opts`` is a
pickled ``argparse.Namespace`` (a common local variant) loads too and is read with
``vars()``. Any other class refuses the file.

The ``decoder.*`` tensors are the StyleGAN2 generator the encoder was trained with:
``--generator stylegan2:FILE`` loads it from the same file (see
:mod:`latentroom.plugins.stylegan2.checkpoint`), and this inverter then takes its
weights from that file without ``-O weights=``. Given another generator, the
inverter refuses unless that generator's tensors equal the file's decoder
(``allow_mismatch=true`` overrides).

Inputs are resized to 256x256, the size both projects train and infer at
(``transforms.Resize((256, 256))``), bilinear with antialiasing as PIL does.
When ``start_from_latent_avg`` is set and the file lacks ``latent_avg``, the
generator's own :meth:`mean_latent` stands in (the originals estimate it the same
way, from 10^4 samples instead of our 4096).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch
from torch.nn import functional as F

from latentroom.engine.errors import CheckpointError
from latentroom.plugins.inverters.common import invert_in_chunks
from latentroom.plugins.inverters.style_encoders import ARCHITECTURES, PyramidStyleEncoder
from latentroom.plugins.stylegan2.checkpoint import read_checkpoint, sha256_file

INPUT_SIZE = 256
PathLike = str | os.PathLike[str]


@dataclass
class CommunityCheckpoint:
    """The parts of an e4e/pSp file this inverter uses."""

    path: Path
    architecture: str
    encoder_state: dict[str, torch.Tensor]
    decoder_state: dict[str, torch.Tensor]
    latent_avg: torch.Tensor | None
    start_from_latent_avg: bool


def prefixed(state: Mapping[str, Any], prefix: str) -> dict[str, torch.Tensor]:
    """The entries under ``prefix.`` with the prefix removed (``get_keys`` in the originals)."""
    cut = len(prefix) + 1
    return {key[cut:]: value for key, value in state.items()
            if isinstance(key, str) and key.startswith(prefix + ".") and isinstance(value, torch.Tensor)}


def read_opts(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    opts = data.get("opts")
    if isinstance(opts, argparse.Namespace):
        return vars(opts)
    if isinstance(opts, Mapping):
        return dict(opts)
    raise CheckpointError(f"{path}: not an e4e/pSp checkpoint: no 'opts' (the training options)")


def read_architecture(opts: Mapping[str, Any], path: Path) -> str:
    name = opts.get("encoder_type")
    if name not in ARCHITECTURES:
        known = ", ".join(ARCHITECTURES)
        raise CheckpointError(f"{path}: encoder_type {name!r} is not supported (supported: {known})")
    return str(name)


def read_community_checkpoint(path: PathLike) -> CommunityCheckpoint:
    """Read and check an e4e/pSp file; :class:`CheckpointError` naming the file and the problem."""
    path = Path(path)
    data = read_checkpoint(path, expected="an e4e/pSp checkpoint: a dict with 'state_dict' and 'opts'")
    state = data.get("state_dict")
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{path}: not an e4e/pSp checkpoint: no 'state_dict'")
    encoder_state = prefixed(state, "encoder")
    if not encoder_state:
        raise CheckpointError(f"{path}: its state_dict holds no encoder.* tensors")
    opts = read_opts(data, path)
    latent_avg = data.get("latent_avg")
    return CommunityCheckpoint(
        path=path,
        architecture=read_architecture(opts, path),
        encoder_state=encoder_state,
        decoder_state=prefixed(state, "decoder"),
        latent_avg=latent_avg.float() if isinstance(latent_avg, torch.Tensor) else None,
        start_from_latent_avg=bool(opts.get("start_from_latent_avg", latent_avg is not None)),
    )


def count_indexed(state: Mapping[str, torch.Tensor], prefix: str, suffix: str) -> int:
    """How many consecutive ``prefix{i}suffix`` keys exist from ``i = 0``."""
    n = 0
    while f"{prefix}{n}{suffix}" in state:
        n += 1
    return n


def infer_encoder_config(state: Mapping[str, torch.Tensor], path: Path) -> dict[str, Any]:
    """Constructor arguments of :class:`PyramidStyleEncoder` from tensor shapes. A new
    stage starts where the width changes: IR-SE's four stages always widen (after the
    first, which keeps the input layer's width), and a stage's stride leaves no tensor."""
    try:
        n_units = count_indexed(state, "body.", ".res_layer.1.weight")
        outs = [int(state[f"body.{i}.res_layer.1.weight"].shape[0]) for i in range(n_units)]
        strides_at = [i for i in range(n_units) if i == 0 or outs[i] != outs[i - 1]]
        units = [b - a for a, b in zip(strides_at, strides_at[1:] + [n_units])]
        widths = [outs[i] for i in strides_at]
        return {
            "n_styles": count_indexed(state, "styles.", ".linear.weight"),
            "style_dim": int(state["styles.0.linear.weight"].shape[0]),
            "units": units,
            "widths": widths,
            "input_channels": int(state["input_layer.0.weight"].shape[1]),
            "squeeze_excite": "body.0.res_layer.5.fc1.weight" in state,
        }
    except (KeyError, IndexError) as exc:
        raise CheckpointError(f"{path}: encoder is not an IR-SE pyramid encoder (missing {exc})") from None


def build_encoder(checkpoint: CommunityCheckpoint) -> PyramidStyleEncoder:
    """The architecture the file names, sized from its tensors, weights loaded (strict)."""
    path = checkpoint.path
    config = infer_encoder_config(checkpoint.encoder_state, path)
    if config["input_channels"] != 3:
        raise CheckpointError(f"{path}: encoder takes {config['input_channels']}-channel inputs "
                              "(a pSp model for labels or sketches), not RGB images")
    try:
        model = ARCHITECTURES[checkpoint.architecture](**config)
        model.load_state_dict(checkpoint.encoder_state, strict=True)
    except (ValueError, RuntimeError) as exc:
        detail = "; ".join(str(exc).splitlines()[:3])
        raise CheckpointError(f"{path}: encoder does not match the {checkpoint.architecture} layout: "
                              f"{detail}") from None
    return model.eval()


# ------------------------------------------------------------------------- inverter


def same_tensors(generator: Any, decoder_state: Mapping[str, torch.Tensor]) -> bool:
    """Whether the generator's state equals the file's decoder, key for key."""
    own = generator.state_dict() if hasattr(generator, "state_dict") else {}
    if set(own) != set(decoder_state):
        return False
    return all(torch.equal(own[k].detach().cpu().float(), decoder_state[k].float()) for k in own)


class CommunityEncoderInverter:
    """Satisfies :class:`latentroom.engine.protocols.Inverter` with one e4e/pSp forward pass.

    Options: ``weights`` (the e4e/pSp file; default the generator's own file when
    that is one), ``batch_size`` (default 16), ``allow_mismatch`` (use with a
    generator whose tensors differ from the file's decoder).
    """

    OPTIONS: tuple[str, ...] = ("weights", "batch_size", "allow_mismatch")

    def __init__(self, generator: Any, device: str | torch.device = "cpu", weights: str | None = None,
                 batch_size: int = 16, allow_mismatch: bool = False) -> None:
        self.generator = generator
        self.device = torch.device(device)
        self.batch_size = int(batch_size)
        checkpoint = self.read_weights(weights)
        self.model = build_encoder(checkpoint).to(self.device)
        self.check_generator(checkpoint, allow_mismatch)
        self.offset = self.latent_offset(checkpoint)
        self.last_noise: list[torch.Tensor] | None = None

    def read_weights(self, weights: str | None) -> CommunityCheckpoint:
        """The file named by ``weights``, else the generator's own; when the latter is
        no e4e/pSp file the error says to name one."""
        path = self.weights_path(weights)
        try:
            return read_community_checkpoint(path)
        except CheckpointError as exc:
            if weights:
                raise
            exc.message += " (it is the generator's own file; pass the encoder with -O weights=PATH)"
            raise

    def weights_path(self, weights: str | None) -> Path:
        if weights:
            return Path(weights)
        own = getattr(self.generator, "weights_path", None)
        if own is None:
            raise CheckpointError("inverter 'e4e' needs the e4e/pSp file: -O weights=PATH "
                                  "(or load the generator from that file: --generator stylegan2:PATH)")
        return Path(own)

    def check_generator(self, checkpoint: CommunityCheckpoint, allow_mismatch: bool) -> None:
        path, g = checkpoint.path, self.generator
        n_styles, style_dim = self.model.n_styles, self.model.style_dim
        if (n_styles, style_dim) != (int(g.n_latent), int(g.style_dim)):
            raise CheckpointError(f"{path}: encoder outputs [{n_styles}, {style_dim}] but the generator "
                                  f"takes [{g.n_latent}, {g.style_dim}]")
        if allow_mismatch or not checkpoint.decoder_state:
            return
        if getattr(g, "weights_sha256", None) == sha256_file(path):
            return  # the generator was loaded from this very file
        if not same_tensors(g, checkpoint.decoder_state):
            raise CheckpointError(f"{path}: the generator is not this file's decoder (load it with "
                                  f"--generator stylegan2:{path}, or pass allow_mismatch=true)")

    def latent_offset(self, checkpoint: CommunityCheckpoint) -> torch.Tensor:
        """What is added to the encoder's output: ``latent_avg`` (``[n, D]`` or ``[D]``), or zero."""
        if not checkpoint.start_from_latent_avg:
            return torch.zeros(1, self.generator.style_dim, device=self.device)
        avg = checkpoint.latent_avg
        if avg is None:
            avg = self.generator.mean_latent().detach().float()
        n, d = int(self.generator.n_latent), int(self.generator.style_dim)
        if avg.shape not in ((d,), (1, d), (n, d)):
            raise CheckpointError(f"{checkpoint.path}: latent_avg has shape {list(avg.shape)}, "
                                  f"expected [{d}] or [{n}, {d}]")
        return avg.reshape(-1, d).to(self.device)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False, antialias=True)
        return self.model(x) + self.offset

    def invert(self, images: torch.Tensor) -> torch.Tensor:
        self.last_noise = None
        return invert_in_chunks(images, self.batch_size, self.device, self.encode)
