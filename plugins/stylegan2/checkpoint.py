"""Reading and writing StyleGAN2 checkpoints in the community layout.

Files seen in the wild:

* converted from NVIDIA's releases: ``{"g_ema": state_dict, "latent_avg": w}``;
* written by rosinality's train.py: ``{"g", "d", "g_ema", "g_optim", "d_optim",
  "args": argparse.Namespace, "ada_aug_p"}``;
* e4e and pSp encoder files: ``{"state_dict": {"encoder.*", "decoder.*"}, "opts",
  "latent_avg"}``; the generator is the ``decoder.*`` part (the ``e4e`` inverter
  reads the encoder part);
* ours (:func:`save_checkpoint`): the same keys plus ``"config"``, a plain dict of
  constructor arguments (``size``, ``style_dim``, ``n_mlp``, ``channel_multiplier``,
  ``channel_cap``), which the community files lack and which ``channel_cap`` needs.

Nothing but tensors, containers, numbers, strings and ``argparse.Namespace`` is ever
unpickled: ``torch.load(weights_only=True)`` refuses anything else.
"""

from __future__ import annotations

import argparse
import os
import pickle
from pathlib import Path
from typing import Any, Mapping

import torch

from latentroom.engine.atomic import atomic_write
from latentroom.engine.errors import CheckpointError
from latentroom.engine.regular_files import sha256_regular
from latentroom.plugins.stylegan2.model import Discriminator, Generator, channel_table

PathLike = str | os.PathLike[str]

_REQUIRED_G_KEYS = ("style.1.weight", "input.input", "conv1.conv.weight", "to_rgb1.conv.weight")
# Buffers fixed by the architecture; a file may omit them (we keep our own values).
_OPTIONAL_SUFFIXES = ("blur.kernel", "upsample.kernel")


MAX_CHECKPOINT_BYTES = 4 * 1024**3
"""A checkpoint file: room for any StyleGAN2 or e4e checkpoint, training state included,
while a path to some huge file is refused before torch reads it."""


def sha256_file(path: PathLike) -> str:
    """The checkpoint's sha256, read in chunks; errors name the file."""
    try:
        return sha256_regular(path, MAX_CHECKPOINT_BYTES)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read checkpoint ({exc})") from None


def read_checkpoint(path: PathLike, expected: str = "a StyleGAN2 checkpoint: a dict with 'g_ema'") -> dict[str, Any]:
    """Load a checkpoint file safely (weights only) and return its top-level dict;
    ``expected`` says what it should have been, for the error when it is no dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: {size} bytes, more than any checkpoint this loader reads "
                              f"({MAX_CHECKPOINT_BYTES})")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refuses any class outside the allow-list: that is the point.
        # Quote only the line naming the offending global: torch's preamble suggests
        # weights_only=False, which is exactly what we must not tell users to do.
        lines = [ln.strip() for ln in str(exc).splitlines() if "GLOBAL" in ln or "Unsupported" in ln]
        detail = f" ({lines[0]})" if lines else ""
        raise CheckpointError(
            f"{path}: refused to load: it holds objects other than tensors and plain data{detail}"
        ) from None
    except Exception as exc:  # not a torch file at all, truncated zip, ...
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: holds a {type(data).__name__}, expected {expected}")
    return data


def _generator_state(data: Mapping[str, Any], path: PathLike, key: str) -> Mapping[str, torch.Tensor]:
    state = data.get("state_dict")
    if key in data and isinstance(data[key], Mapping):
        sd = data[key]
    elif isinstance(state, Mapping) and "decoder.style.1.weight" in state:  # e4e / pSp
        sd = {k[len("decoder."):]: v for k, v in state.items() if isinstance(k, str) and k.startswith("decoder.")}
    elif "style.1.weight" in data:  # a bare generator state_dict
        sd = data
    else:
        keys = ", ".join(sorted(map(str, data))[:8]) or "nothing"
        raise CheckpointError(f"{path}: not a StyleGAN2 generator checkpoint: no '{key}' entry (it has {keys})")
    missing = [k for k in _REQUIRED_G_KEYS if k not in sd]
    if missing:
        raise CheckpointError(f"{path}: '{key}' is not a StyleGAN2 generator: missing {', '.join(missing)}")
    return sd


def _hints(data: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor hints from our ``config`` dict or a training file's ``args``."""
    hints: dict[str, Any] = {}
    args = data.get("args")
    if isinstance(args, argparse.Namespace):
        if getattr(args, "channel_multiplier", None) is not None:
            hints["channel_multiplier"] = int(args.channel_multiplier)
    config = data.get("config")
    if isinstance(config, Mapping):
        hints.update({k: v for k, v in config.items() if k in ("channel_multiplier", "channel_cap")})
    return hints


def _fit_channels(observed: dict[int, int], hints: Mapping[str, Any], what: str, path: PathLike) -> tuple[int, int | None]:
    """Find (channel_multiplier, channel_cap) reproducing the observed widths."""
    cms = [hints.get("channel_multiplier"), 2, 1, 4, 3, 8, 5, 6, 7]
    c4 = observed[4]
    caps = [hints.get("channel_cap", "absent"), None, c4]
    for cm in cms:
        if cm is None:
            continue
        for cap in caps:
            if cap == "absent":
                continue
            table = channel_table(int(cm), cap)
            if all(table[r] == c for r, c in observed.items()):
                return int(cm), cap
    raise CheckpointError(f"{path}: {what} channel widths {observed} match no channel_multiplier/channel_cap")


def infer_generator_config(sd: Mapping[str, torch.Tensor], hints: Mapping[str, Any] | None = None,
                           path: PathLike = "<state_dict>") -> dict[str, Any]:
    """Generator constructor arguments from tensor shapes alone (hints break ties)."""
    hints = hints or {}
    style_dim = int(sd["style.1.weight"].shape[1])
    n_mlp = 0
    while f"style.{n_mlp + 1}.weight" in sd:
        n_mlp += 1
    n_rgb = 0
    while f"to_rgbs.{n_rgb}.conv.weight" in sd:
        n_rgb += 1
    if n_rgb == 0:
        raise CheckpointError(f"{path}: StyleGAN2 generator has no to_rgbs layers")
    log_size = n_rgb + 2
    observed = {4: int(sd["input.input"].shape[1])}
    for i in range(3, log_size + 1):
        key = f"convs.{2 * (i - 3)}.conv.weight"
        if key not in sd:
            raise CheckpointError(f"{path}: StyleGAN2 generator is missing {key}")
        observed[2**i] = int(sd[key].shape[1])
    cm, cap = _fit_channels(observed, hints, "generator", path)
    return {"size": 2**log_size, "style_dim": style_dim, "n_mlp": n_mlp, "channel_multiplier": cm, "channel_cap": cap}


def _load_state(module: torch.nn.Module, sd: Mapping[str, torch.Tensor], path: PathLike, what: str) -> None:
    try:
        result = module.load_state_dict(dict(sd), strict=False)
    except RuntimeError as exc:  # shape mismatches
        lines = [ln.strip() for ln in str(exc).splitlines() if "size mismatch" in ln]
        detail = "; ".join(lines[:3]) or str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: {what} does not match the StyleGAN2 layout: {detail}") from None
    missing = [k for k in result.missing_keys if not k.endswith(_OPTIONAL_SUFFIXES)]
    if missing or result.unexpected_keys:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else ""))
        if result.unexpected_keys:
            extra = result.unexpected_keys
            parts.append("unexpected " + ", ".join(extra[:6]) + (" ..." if len(extra) > 6 else ""))
        raise CheckpointError(f"{path}: {what} does not match the StyleGAN2 layout: {'; '.join(parts)}")


def _latent_avg(data: Mapping[str, Any], style_dim: int) -> torch.Tensor | None:
    avg = data.get("latent_avg")
    if not isinstance(avg, torch.Tensor) or avg.numel() % style_dim != 0:
        return None
    # NVIDIA conversions store [style_dim]; pSp-style files a per-layer [n, style_dim].
    return avg.float().reshape(-1, style_dim).mean(0)


def load_generator(path: PathLike, device: str | torch.device = "cpu", key: str = "g_ema") -> Generator:
    """Load the generator ``key`` (default the EMA weights) from a checkpoint file.

    Architecture is inferred from the tensors; ``weights_sha256`` is the file's hash;
    ``latent_avg`` is kept when the file has one; ``weights_path`` is the file (the
    ``e4e`` inverter reads its encoder from there). The model is in eval mode.
    """
    data = read_checkpoint(path)
    sd = _generator_state(data, path, key)
    try:
        config = infer_generator_config(sd, _hints(data), path)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: malformed StyleGAN2 generator ({type(exc).__name__}: {exc})") from None
    g = Generator(**config)
    _load_state(g, sd, path, f"'{key}'")
    g.latent_avg = _latent_avg(data, config["style_dim"])
    g.weights_sha256 = sha256_file(path)
    g.weights_path = Path(path)
    return g.to(torch.device(device)).eval()


def load_discriminator(path: PathLike, device: str | torch.device = "cpu") -> Discriminator:
    """Load the discriminator ``d`` from a training checkpoint."""
    data = read_checkpoint(path)
    sd = data.get("d")
    if not isinstance(sd, Mapping) or "convs.0.0.weight" not in sd or "final_conv.0.weight" not in sd:
        raise CheckpointError(f"{path}: no StyleGAN2 discriminator: missing 'd' (with convs.*, final_conv.*)")
    n_blocks = 0
    while f"convs.{n_blocks + 1}.conv1.0.weight" in sd:
        n_blocks += 1
    size = 2 ** (n_blocks + 2)
    observed = {size: int(sd["convs.0.0.weight"].shape[0]), 4: int(sd["final_conv.0.weight"].shape[0])}
    for b in range(1, n_blocks + 1):
        observed[size >> b] = int(sd[f"convs.{b}.conv2.1.weight"].shape[0])
    cm, cap = _fit_channels(observed, _hints(data), "discriminator", path)
    d = Discriminator(size, channel_multiplier=cm, channel_cap=cap)
    _load_state(d, sd, path, "'d'")
    return d.to(torch.device(device))


def save_checkpoint(path: PathLike, g_ema: Generator, g: Generator | None = None,
                    d: Discriminator | None = None, latent_avg: torch.Tensor | None = None,
                    extra: Mapping[str, Any] | None = None) -> Path:
    """Write a checkpoint in the community layout (plus ``config``), atomically.

    ``extra`` adds more entries (optimizer state dicts, step counters, ...); they must
    be tensors or plain data so that the file loads with ``weights_only=True``.
    The file is written to a temporary name beside ``path`` and renamed into place.
    """
    path = Path(path)

    def cpu_state(m: torch.nn.Module) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().clone() for k, v in m.state_dict().items()}

    data: dict[str, Any] = {"g_ema": cpu_state(g_ema), "config": dict(g_ema.config)}
    if g is not None:
        data["g"] = cpu_state(g)
    if d is not None:
        data["d"] = cpu_state(d)
    avg = latent_avg if latent_avg is not None else g_ema.latent_avg
    if avg is not None:
        data["latent_avg"] = avg.detach().float().cpu().reshape(-1)
    if extra:
        data.update(extra)
    return atomic_write(path, lambda f: torch.save(data, f))
