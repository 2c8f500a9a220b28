"""Pair jitter: one random similarity transform applied to both images of a teacher pair.

``latentroom apply`` edits each face in its aligned crop, which puts the face's eyes on
the face template's points, while the teacher's pairs sit in the generator's own frame.
On the toyfaces renders the crop moves the face by up to 13 pixels across and 4 down,
scales it by 0.89-1.14 and turns it by up to 3 degrees (1st-99th percentiles, 300
renders). Students that saw a fresh face at every step mostly hold their edit on such
crops (glasses and beard lose nothing), but not all: hair_length's judge ratio fell
from 0.94 to 0.80. One trained on a fixed set of faces (``--latent-pairs``: 1,800 of
them) learned where the edit goes in the generator's frame and drew glasses on 78% of
faces applied against 87% run alone. Moving, scaling and turning each pair at random
(``author --jitter-shift/--jitter-scale/--jitter-rotate``) shows the student the edit
wherever the crop puts the face: on an H200 it held hair_length at 0.92 applied and a
glasses student from pairs at 0.85 both ways (docs/distillation.md, sessions 20-21).

Both images get the same transform, with the border pixels repeated into what the move
uncovers, so a pixel the edit leaves alone stays equal in ``x`` and ``y``. The transform
is bicubic, as apply's face crop resamples, and clamped to the images' range (bicubic
overshoots at a hard edge). A bilinear one, as before session 43 (a jitter record without
``interpolation``), halves a one-pixel line at a half-pixel move, and the student learns
its teacher's thin lines (glasses' rings) that soft: on the renderer's own glasses pairs
students jittered bilinearly drew their rings 1.6-2.1 dB further from the truth over the
pixels the edit changes than ones jittered bicubically (two seeds; docs/distillation.md,
session 43).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.nn import functional as F

INTERPOLATION = "bicubic"


@dataclass(frozen=True)
class Jitter:
    """Uniform shifts in ``[-shift, shift]`` pixels on each axis, scales log-uniform in
    ``[1 / (1 + scale), 1 + scale]``, turns in ``[-rotate, rotate]`` degrees."""

    shift: float = 0.0
    scale: float = 0.0
    rotate: float = 0.0

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) and v >= 0 for v in (self.shift, self.scale, self.rotate)):
            raise ValueError(f"jitter needs finite amounts >= 0, got {self}")

    @property
    def active(self) -> bool:
        return bool(self.shift or self.scale or self.rotate)

    def to_json(self) -> dict[str, Any] | None:
        """What a manifest and a resumed run record: the amounts and the interpolation,
        or None when off."""
        return {**asdict(self), "interpolation": INTERPOLATION} if self.active else None

    def draw(self, n: int, gen: torch.Generator, resolution: int) -> torch.Tensor:
        """``[n, 2, 3]`` sampling matrices for :func:`torch.nn.functional.affine_grid`
        (output coordinates to input ones, both in ``[-1, 1]``)."""
        u = torch.rand(n, 4, generator=gen) * 2 - 1
        zoom = torch.exp(u[:, 0] * math.log1p(self.scale))
        turn = torch.deg2rad(u[:, 1] * self.rotate)
        cos, sin = torch.cos(turn) / zoom, torch.sin(turn) / zoom
        move = u[:, 2:] * self.shift * 2 / resolution
        return torch.stack([torch.stack([cos, -sin, move[:, 0]], 1), torch.stack([sin, cos, move[:, 1]], 1)], 1)

    def warp(self, theta: torch.Tensor, *images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Each ``[B, C, R, R]`` batch in ``[-1, 1]`` moved by its row's transform."""
        grid = F.affine_grid(theta.to(images[0]), list(images[0].shape), align_corners=False)
        return tuple(F.grid_sample(image, grid, mode=INTERPOLATION, padding_mode="border",
                                   align_corners=False).clamp(-1.0, 1.0)
                     for image in images)


__all__ = ["Jitter"]
