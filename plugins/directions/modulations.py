"""Where W+ layers enter a StyleGAN2's synthesis: the style inputs of each layer and their
modulation weights, for sources that work in style space (SeFa, StyleSpace, text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator


@dataclass(frozen=True)
class StyleInput:
    """One modulation that reads a W+ layer: ``kind`` is ``"conv"`` (a styled
    convolution) or ``"rgb"`` (a to-RGB layer), ``name`` the module's name and
    ``weight`` its effective matrix ``[C_in, style_dim]`` (the run-time scale applied:
    the style is ``weight @ w + bias``)."""

    kind: str
    name: str
    weight: np.ndarray


def style_inputs(generator: Generator) -> list[list[StyleInput]]:
    """Per W+ layer, the modulations of the StyleGAN2 layout (``conv1``, ``convs``,
    ``to_rgb1``, ``to_rgbs``, each with ``.conv.modulation``) that read it."""
    if not all(hasattr(generator, n) for n in ("conv1", "convs", "to_rgb1", "to_rgbs")):
        raise LatentroomError(f"{type(generator).__name__} does not have the StyleGAN2 layout "
                              "(conv1, convs, to_rgb1, to_rgbs): its style modulations cannot be read")

    def read(kind: str, name: str, layer: Any) -> StyleInput:
        mod = layer.conv.modulation
        return StyleInput(kind, name, (mod.weight.detach().double() * mod.scale).cpu().numpy())

    per_layer: list[list[StyleInput]] = [[] for _ in range(generator.n_latent)]
    per_layer[0].append(read("conv", "conv1", generator.conv1))
    per_layer[1].append(read("rgb", "to_rgb1", generator.to_rgb1))
    # Block k's two convs read W+ layers 2k+1 and 2k+2; its to-RGB reads 2k+3.
    for k in range(len(generator.convs) // 2):
        per_layer[2 * k + 1].append(read("conv", f"convs.{2 * k}", generator.convs[2 * k]))
        per_layer[2 * k + 2].append(read("conv", f"convs.{2 * k + 1}", generator.convs[2 * k + 1]))
        per_layer[2 * k + 3].append(read("rgb", f"to_rgbs.{k}", generator.to_rgbs[k]))
    return per_layer


def modulation_weights(generator: Generator, include_torgb: bool = False) -> list[list[np.ndarray]]:
    """Per W+ layer, the modulation weight matrices ``[C_in, style_dim]`` that read it.

    A generator may provide ``style_modulations(include_torgb)`` returning that list
    itself; otherwise the StyleGAN2 layout is read (:func:`style_inputs`).
    """
    own = getattr(generator, "style_modulations", None)
    if callable(own):
        return [[np.asarray(m, dtype=np.float64) for m in layer] for layer in own(include_torgb)]
    if not all(hasattr(generator, n) for n in ("conv1", "convs", "to_rgb1", "to_rgbs")):
        raise LatentroomError(f"sefa needs the generator's style modulation weights: {type(generator).__name__} "
                              "has neither the StyleGAN2 layout nor a style_modulations() method")
    return [[m.weight for m in layer if include_torgb or m.kind == "conv"] for layer in style_inputs(generator)]


def stacked_modulations(generator: Generator, layers: Sequence[int], include_torgb: bool = False) -> np.ndarray:
    """``A``: the chosen layers' modulation rows, each normalised, ``[sum C_in, style_dim]``."""
    per_layer = modulation_weights(generator, include_torgb)
    mats = [m for i in layers for m in per_layer[i]]
    if not mats:
        raise LatentroomError(f"sefa: layers {list(layers)} have no modulated convolutions "
                              "(add include_torgb=True or choose other layers)")
    a = np.concatenate(mats, axis=0)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
