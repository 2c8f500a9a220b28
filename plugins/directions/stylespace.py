"""StyleSpace: an edit that moves a few per-channel style coordinates.

Wu, Lischinski and Shechtman (2021), "StyleSpace Analysis": the styles
``s_l = A_l(w_l)`` that the modulated convolutions read (one coordinate per input
channel) are far more disentangled than W, and moving one attribute-specific channel
gives the most localised StyleGAN2 edits (mouth, eyes, hair).

Finding the channels (StyleSpace's relevance): for every conv channel, over labelled
samples, ``(mean s over the high group - mean s over all) / std s`` (the high group as
the other sources split it: a continuous attribute's top ``fraction``, a binary one's
positives); the ``channels`` strongest are kept, each signed by its difference. With
``region=MASK.png`` only *locally active* channels count: a channel's perturbation
``|G(s + d e_c) - G(s)|``, summed over colours and averaged over a few samples, must
fall at least ``locality`` inside the mask.

Making it a :class:`latentroom.engine.direction.Direction`: a style step ``ds`` on one W+ layer
``l`` is realised exactly by a W offset on that layer when the layer's conv
modulation ``A`` (``[C_in, style_dim]``) has full row rank: ``dw = pinv(A) ds``. The
same W+ index also feeds a to-RGB modulation ``R`` (to-RGB ``k`` shares its index with
the next block's first conv), which the offset moves too; of all exact solutions the
one kept also minimises ``|R dw|`` (and, among those, ``|dw|``), so the sibling style
stays as fixed as the rank allows. What is left is reported as ``rgb_leak``. The
direction is applied to that one layer only; the layer is the one whose strongest
``channels`` relevances sum highest, and the channels are that layer's strongest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from latentroom.engine.direction import parse_layers
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.sampling import SampleBank, std_along
from latentroom.plugins.directions.modulations import StyleInput, style_inputs
from latentroom.plugins.directions.source_base import DirectionSourceBase, FindContext, split_groups

# Style steps (in channel standard deviations) used to see where a channel acts: large
# enough to stand out of float noise, small enough to stay on the image manifold.
LOCALITY_STEP = 5.0
# A realised style step may miss its target by this much (relative) before the layer
# is reported as not realisable (its modulation lacks full row rank).
REALISE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Channel:
    """A conv style channel with its relevance for an attribute."""

    layer: int  # W+ index
    module: str
    index: int  # input channel of the module
    relevance: float  # signed: (mean high - mean all) / std
    std: float  # of the style over the samples
    locality: float | None = None  # share of its effect inside the region

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "module": self.module, "channel": self.index,
                "relevance": self.relevance, "std": self.std, "locality": self.locality}


class StyleSpace(DirectionSourceBase):
    """StyleSpace channels realised as a one-layer W+ offset (module docstring).

    Extra parameters: ``channels`` (1): how many channels of the chosen layer move;
    ``fraction`` (0.3): the high group of a continuous attribute; ``region`` (none): a
    grayscale PNG in the generator's frame (resized to it if needed), white where the
    edit belongs; ``locality`` (0.5): the share of a channel's effect that must fall
    inside ``region``; ``region_samples`` (8) and ``region_candidates`` (24): how many
    samples show each channel's effect and how many channels are tried against the
    region (the most relevant of each searched layer in turn, :func:`spread_over_layers`). ``layers`` restricts the W+ layers searched (``auto`` is
    all of them).
    """

    name = "stylespace"
    defaults = {"channels": 1, "fraction": 0.3, "region": None, "locality": 0.5,
                "region_samples": 8, "region_candidates": 24}

    def vector(self, ctx: FindContext) -> np.ndarray:
        p, generator = ctx.params, ctx.generator
        count = _positive_int(p["channels"], "channels")
        locality = float(p["locality"])
        if not 0.0 < locality <= 1.0:
            raise LatentroomError(f"stylespace: locality must be in (0, 1], got {p['locality']!r}")
        inputs = style_inputs(generator)
        spec = None if p["layers"] == "auto" else p["layers"]
        searched = parse_layers(spec, generator.n_latent)
        mask = load_region(p["region"], generator.size) if p["region"] is not None else None
        ranked = rank_channels(ctx.bank(), ctx.attribute, inputs, searched, float(p["fraction"]))
        if mask is not None:
            tried = spread_over_layers(ranked, _positive_int(p["region_candidates"], "region_candidates"))
            samples = torch.from_numpy(ctx.bank().ws[: _positive_int(p["region_samples"], "region_samples")]).float()
            ranked = local_channels(generator, inputs, tried, mask, samples, locality)
        layer, chosen = choose_layer(ranked, count)
        step = np.zeros(_conv(inputs[layer]).weight.shape[0])
        for channel in chosen:
            step[channel.index] = np.sign(channel.relevance) * channel.std
        dw, report = realise(inputs[layer], step)
        # What one unit of the direction's strength (one sd of w along it) does to
        # each chosen channel, in that channel's sds: the StyleSpace reading of a strength.
        unit = dw / np.linalg.norm(dw)
        per_strength = std_along(generator, unit) * (_conv(inputs[layer]).weight @ unit)
        ctx.layers = (layer,)
        ctx.details.update({"layer": layer, "channels": [c.to_json() for c in chosen],
                            "channel_sd_per_strength": [abs(float(per_strength[c.index])) / c.std for c in chosen],
                            "candidates": [c.to_json() for c in ranked[: max(2 * count, 8)]], **report})
        return dw


# ------------------------------------------------------------------------- channels


def style_values(ws: np.ndarray, module: StyleInput) -> np.ndarray:
    """Styles ``[N, C_in]`` of ``ws`` ``[N, style_dim]`` without the bias (which the
    relevance and the step do not depend on)."""
    return ws @ module.weight.T


def rank_channels(bank: SampleBank, attribute: str, inputs: Sequence[Sequence[StyleInput]],
                  layers: Sequence[int], fraction: float) -> list[Channel]:
    """Every conv channel of ``layers``, most relevant first (StyleSpace's relevance)."""
    high, _ = split_groups(bank, attribute, fraction)
    channels: list[Channel] = []
    for layer in layers:
        conv = _conv_or_none(inputs[layer])
        if conv is None:
            continue
        s = style_values(bank.ws, conv)
        std = s.std(0)
        relevance = (s[high].mean(0) - s.mean(0)) / np.maximum(std, 1e-12)
        channels += [Channel(layer, conv.name, c, float(relevance[c]), float(std[c])) for c in range(s.shape[1])]
    if not channels:
        raise LatentroomError(f"stylespace: layers {list(layers)} feed no styled convolution "
                              "(only to-RGB layers); choose other layers")
    return sorted(channels, key=lambda c: -abs(c.relevance))


def spread_over_layers(ranked: Sequence[Channel], count: int) -> list[Channel]:
    """``count`` channels taken in turn from each layer, the most relevant of each
    first: the most relevant channels overall sit on a few coarse layers whose effect
    is global, so a region search among them alone would never try the finer layers
    where local channels are."""
    by_layer: dict[int, list[Channel]] = {}
    for channel in ranked:
        by_layer.setdefault(channel.layer, []).append(channel)
    spread = [c for row in zip_longest(*by_layer.values()) for c in row if c is not None]
    return sorted(spread[:count], key=lambda c: -abs(c.relevance))


def choose_layer(ranked: Sequence[Channel], count: int) -> tuple[int, list[Channel]]:
    """The layer whose ``count`` strongest channels have the largest summed |relevance|,
    with those channels."""
    by_layer: dict[int, list[Channel]] = {}
    for channel in ranked:  # most relevant first, so each list is too
        by_layer.setdefault(channel.layer, []).append(channel)
    layer = max(by_layer, key=lambda l: sum(abs(c.relevance) for c in by_layer[l][:count]))
    return layer, by_layer[layer][:count]


# ------------------------------------------------------------------------ realising


def realise(modulations: Sequence[StyleInput], step: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """The W offset ``dw`` on one layer whose conv style moves by ``step`` exactly, with
    the layer's to-RGB style moving as little as the null space of the conv modulation
    allows; and a report of the to-RGB leak with and without that constraint.

    ``dw = dw0 + N z``: ``dw0 = pinv(A) step`` lies in A's row space and ``N`` spans its
    null space, so ``A dw = step`` for any ``z`` and ``|dw|^2 = |dw0|^2 + |z|^2``; the
    minimum-norm least-squares ``z`` for ``R N z = -R dw0`` keeps the to-RGB style
    fixed when the rank allows and the offset smallest."""
    conv = _conv(modulations)
    a = conv.weight
    u, sigma, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((sigma > sigma.max() * 1e-10).sum())
    dw0 = vt[:rank].T @ ((u[:, :rank].T @ step) / sigma[:rank])
    missed = np.linalg.norm(a @ dw0 - step) / max(np.linalg.norm(step), 1e-12)
    if missed > REALISE_TOLERANCE:
        raise LatentroomError(f"stylespace: the style step on {conv.name} cannot be realised in W "
                              f"(its modulation has rank {rank} < {a.shape[0]} channels; missed by {missed:.2g})")
    null = vt[rank:].T  # [D, D - rank]
    siblings = [m.weight for m in modulations if m.kind == "rgb"]
    if not siblings or null.shape[1] == 0:
        return dw0, {"rgb_leak": _leak(siblings, dw0, step), "rgb_leak_pinv": _leak(siblings, dw0, step)}
    r = np.concatenate(siblings)
    z, *_ = np.linalg.lstsq(r @ null, -(r @ dw0), rcond=None)
    dw = dw0 + null @ z
    return dw, {"rgb_leak": _leak(siblings, dw, step), "rgb_leak_pinv": _leak(siblings, dw0, step)}


def _leak(siblings: Sequence[np.ndarray], dw: np.ndarray, step: np.ndarray) -> float:
    """How far the to-RGB styles move, relative to the conv style step (norms)."""
    if not siblings:
        return 0.0
    return float(np.linalg.norm(np.concatenate(siblings) @ dw) / max(np.linalg.norm(step), 1e-12))


# -------------------------------------------------------------------------- regions


def load_region(path: str | os.PathLike[str], size: int) -> np.ndarray:
    """A region mask float ``[size, size]`` in 0-1 from a grayscale (or any) image."""
    from PIL import Image, UnidentifiedImageError

    where = Path(path)
    try:
        with Image.open(where) as img:
            gray = img.convert("L")
            if gray.size != (size, size):
                gray = gray.resize((size, size), Image.Resampling.BILINEAR)
            mask = np.asarray(gray, dtype=np.float64) / 255.0
    except FileNotFoundError:
        raise LatentroomError(f"{where}: region mask not found") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise LatentroomError(f"{where}: not a readable image for a region mask ({exc})") from None
    if mask.max() <= 0.0:
        raise LatentroomError(f"{where}: region mask is empty (all black)")
    return mask


@torch.no_grad()
def effect_maps(generator: Generator, inputs: Sequence[Sequence[StyleInput]], channels: Sequence[Channel],
                samples: torch.Tensor, step: float = LOCALITY_STEP) -> np.ndarray:
    """Per channel, ``|G(s + step * std * e_c) - G(s)|`` summed over colours and averaged
    over ``samples`` (``[N, style_dim]``), as the realised W+ offset makes it:
    ``[len(channels), H, W]``."""
    device = torch.device(generator.device)
    base = samples.to(device).unsqueeze(1).repeat(1, generator.n_latent, 1)
    reference = generator.synthesis(base, noise_mode="const").float()
    maps = []
    for channel in channels:
        delta = np.zeros(_conv(inputs[channel.layer]).weight.shape[0])
        delta[channel.index] = step * channel.std
        dw, _ = realise(inputs[channel.layer], delta)
        moved = base.clone()
        moved[:, channel.layer] += torch.from_numpy(dw).to(device=device, dtype=moved.dtype)
        change = (generator.synthesis(moved, noise_mode="const").float() - reference).abs().sum(1).mean(0)
        maps.append(change.cpu().double().numpy())
    return np.stack(maps)


def local_channels(generator: Generator, inputs: Sequence[Sequence[StyleInput]], candidates: Sequence[Channel],
                   mask: np.ndarray, samples: torch.Tensor, locality: float) -> list[Channel]:
    """The ``candidates`` whose effect falls at least ``locality`` inside ``mask``, in
    their order, each with its measured locality."""
    maps = effect_maps(generator, inputs, candidates, samples)
    if maps.shape[1:] != mask.shape:
        raise LatentroomError(f"stylespace: region mask is {mask.shape[1]}x{mask.shape[0]} but the generator "
                              f"makes {maps.shape[2]}x{maps.shape[1]} images")
    inside = (maps * mask).sum((1, 2)) / np.maximum(maps.sum((1, 2)), 1e-12)
    kept = [Channel(c.layer, c.module, c.index, c.relevance, c.std, float(share))
            for c, share in zip(candidates, inside) if share >= locality]
    if not kept:
        best = int(np.argmax(inside))
        raise LatentroomError(
            f"stylespace: none of the {len(candidates)} channels tried acts inside the region "
            f"(best: {candidates[best].module} channel {candidates[best].index} with {inside[best]:.0%} of its "
            f"effect inside, locality asks {locality:.0%}); lower locality or try more region_candidates")
    return kept


# -------------------------------------------------------------------------- helpers


def _conv_or_none(modulations: Sequence[StyleInput]) -> StyleInput | None:
    return next((m for m in modulations if m.kind == "conv"), None)


def _conv(modulations: Sequence[StyleInput]) -> StyleInput:
    conv = _conv_or_none(modulations)
    if conv is None:
        raise LatentroomError("stylespace: this W+ layer feeds no styled convolution")
    return conv


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 1:
        raise LatentroomError(f"stylespace: {name} must be a positive integer, got {value!r}")
    return int(value)
