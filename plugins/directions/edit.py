"""Applying a :class:`latentroom.engine.direction.Direction` to W+ latents (torch)."""

from __future__ import annotations

from typing import Any, Callable

import torch

from latentroom.engine.direction import Direction, DirectionError
from latentroom.engine.direction_correction import Correction


def to_wplus(ws: torch.Tensor, n_latent: int) -> torch.Tensor:
    """``[B, D]`` -> ``[B, n_latent, D]`` (a copy); W+ input is returned unchanged."""
    if ws.ndim == 2:
        return ws.unsqueeze(1).repeat(1, n_latent, 1)
    return ws


def edit_latents(ws: torch.Tensor, direction: Direction, strength: float | torch.Tensor,
                 read: torch.Tensor | None = None) -> torch.Tensor:
    """Return ``ws`` moved by ``strength`` along ``direction`` on its layers only.

    ``ws``: W+ ``[B, n_latent, D]`` or ``w`` ``[B, D]`` (broadcast to every layer first,
    since a layer-restricted edit makes the layers differ). ``strength``: a number or a
    ``[B]`` tensor (one strength per sample). Layers outside the direction's mask are
    returned bit-for-bit unchanged. A direction with a per-face correction
    (:mod:`latentroom.engine.direction_correction`) also adds ``strength /
    truth_strength`` of the residual it predicts from each latent's layers (of its
    negative side's, at ``|strength|``, where the strength is negative and it has one): from
    ``read``, the latents :class:`CorrectionReader` gives for the images being edited,
    when the correction was fitted through an inverter (it is an error to leave it
    out then), else from ``ws`` itself.
    """
    ws = to_wplus(ws, direction.n_latent)
    if ws.ndim != 3 or ws.shape[1] != direction.n_latent or ws.shape[2] != direction.style_dim:
        raise DirectionError(
            f"direction for n_latent={direction.n_latent}, style_dim={direction.style_dim} "
            f"cannot edit latents of shape {list(ws.shape)}"
        )
    # Only the masked layers are written: the others keep their exact values (a
    # broadcast add of zeros could still turn -0.0 into 0.0 or NaN-propagate).
    step = torch.from_numpy(direction.offset(1.0)).to(device=ws.device, dtype=ws.dtype)  # [L, D]
    if isinstance(strength, torch.Tensor) and strength.ndim > 0:
        amount = strength.to(device=ws.device, dtype=ws.dtype).reshape(-1, 1, 1)
    else:
        amount = torch.as_tensor(float(strength), device=ws.device, dtype=ws.dtype)
    layers = torch.tensor(direction.layers, device=ws.device)
    out = ws.clone()
    out[:, layers] = ws[:, layers] + amount * step[layers]
    if direction.correction is not None:
        source = _correction_input(ws, direction, read)[:, layers].mean(1)
        out[:, layers] += _corrected_part(direction.correction, source, amount)
    return out


def _corrected_part(correction: Correction, w: torch.Tensor, amount: torch.Tensor) -> torch.Tensor:
    """``amount / truth_strength`` times the residual, from the negative side where
    ``amount < 0`` for a two-sided correction (``|amount|`` then: that side's residual
    is the whole offset of a negative edit)."""
    scale = amount / correction.truth_strength
    up = correction_residual(correction, w)
    if not correction.two_sided:
        return scale * up
    down = correction_residual(correction, w, negative=True)
    return torch.where(scale < 0, -scale * down, scale * up)


def _correction_input(ws: torch.Tensor, direction: Direction, read: torch.Tensor | None) -> torch.Tensor:
    reads = direction.correction.reads
    if reads is None:
        return ws
    if read is None:
        raise DirectionError(f"the {direction.attribute} direction's correction was fitted through the inverter "
                             f"{reads!r}: edit with that inverter's latents of the images (CorrectionReader)")
    read = to_wplus(read, direction.n_latent).to(device=ws.device, dtype=ws.dtype)
    if read.shape != ws.shape:
        raise DirectionError(f"read latents of shape {list(read.shape)} for latents of shape {list(ws.shape)}")
    return read


class CorrectionReader:
    """The latents a direction's correction reads (``Correction.reads``): the inverter
    it was fitted through, applied to the images an edit starts from (``[B, 3, R, R]``
    in ``[-1, 1]``, usually the generator's rendering of the latents being edited).
    Calling it returns None for a direction that needs no reading, so callers can
    always pass its answer to :func:`edit_latents`. The inverter is built once."""

    def __init__(self, generator: Any, direction: Direction) -> None:
        reads = None if direction.correction is None else direction.correction.reads
        self.inverter = None
        if reads is not None:
            from latentroom.engine.plugins import get_inverter

            self.inverter = get_inverter(reads).value(generator, torch.device(generator.device))

    @property
    def active(self) -> bool:
        return self.inverter is not None

    def __call__(self, images: torch.Tensor) -> torch.Tensor | None:
        if self.inverter is None:
            return None
        # An optimising inverter needs gradients even inside a caller's no_grad.
        with torch.enable_grad():
            return self.inverter.invert(images).detach().float()

    def of_rendering(self, render: Callable[[torch.Tensor], torch.Tensor], ws: torch.Tensor,
                     batch_size: int = 64) -> torch.Tensor | None:
        """What it reads of ``render(ws)`` (in chunks of ``batch_size``), rendered only
        when there is anything to read."""
        if self.inverter is None:
            return None
        parts = []
        for i in range(0, len(ws), batch_size):
            with torch.no_grad():
                images = render(ws[i:i + batch_size]).float().clamp(-1, 1)
            parts.append(self(images))
        return torch.cat(parts)


def correction_residual(correction: Correction, w: torch.Tensor, negative: bool = False) -> torch.Tensor:
    """``correction``'s per-face residual ``[B, L, D]`` for the layers' mean latents
    ``w [B, D]`` (its negative side's when ``negative`` and it has one), in ``w``'s
    dtype and on its device (differentiable in ``w``)."""
    def tensor(array):
        return torch.tensor(array, device=w.device, dtype=w.dtype)  # a copy: the arrays are read-only

    weights, intercept = correction.side(negative)
    flat = ((w - tensor(correction.mean)) @ tensor(correction.basis)) @ tensor(weights) + tensor(intercept)
    return flat.reshape(len(w), correction.layer_count, correction.style_dim)
