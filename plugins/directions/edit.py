"""Applying a :class:`latentroom.engine.direction.Direction` to W+ latents (torch)."""

from __future__ import annotations

import torch

from latentroom.engine.direction import Direction, DirectionError
from latentroom.engine.direction_correction import Correction


def to_wplus(ws: torch.Tensor, n_latent: int) -> torch.Tensor:
    """``[B, D]`` -> ``[B, n_latent, D]`` (a copy); W+ input is returned unchanged."""
    if ws.ndim == 2:
        return ws.unsqueeze(1).repeat(1, n_latent, 1)
    return ws


def edit_latents(ws: torch.Tensor, direction: Direction, strength: float | torch.Tensor) -> torch.Tensor:
    """Return ``ws`` moved by ``strength`` along ``direction`` on its layers only.

    ``ws``: W+ ``[B, n_latent, D]`` or ``w`` ``[B, D]`` (broadcast to every layer first,
    since a layer-restricted edit makes the layers differ). ``strength``: a number or a
    ``[B]`` tensor (one strength per sample). Layers outside the direction's mask are
    returned bit-for-bit unchanged. A direction with a per-face correction
    (:mod:`latentroom.engine.direction_correction`) also adds ``strength /
    truth_strength`` of the residual it predicts from each latent's layers.
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
        residual = correction_residual(direction.correction, ws[:, layers].mean(1))
        out[:, layers] += (amount / direction.correction.truth_strength) * residual
    return out


def correction_residual(correction: Correction, w: torch.Tensor) -> torch.Tensor:
    """``correction``'s per-face residual ``[B, L, D]`` for the layers' mean latents
    ``w [B, D]``, in ``w``'s dtype and on its device (differentiable in ``w``)."""
    def tensor(array):
        return torch.tensor(array, device=w.device, dtype=w.dtype)  # a copy: the arrays are read-only

    flat = ((w - tensor(correction.mean)) @ tensor(correction.basis)) @ tensor(correction.weights)
    flat = flat + tensor(correction.intercept)
    return flat.reshape(len(w), correction.layer_count, correction.style_dim)
