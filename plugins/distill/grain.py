"""Grain jitter: a random share of each teacher pair's finest grain taken off both images.

The generator draws every image with a fine grain over its flat colours, which the
renders ``apply`` meets lack, and a student trained on the generator's images draws
less of its edit on a render than on the generator's own drawing of the same face: on
200 toyfaces renders read by the encoder, the bundled hair_length made 0.79 of its
teacher's change given the render against 0.89 given the generator's drawing, beard
0.59 against 0.66 (docs/distillation.md, session 39). ``author --grain-jitter SHARE``
takes a random share, from 0 to SHARE for each pair, of the input's grain (the input
less its 3x3 binomial blur) off the input and off the target alike, so the student
also sees inputs as clean as a render's with the same change to make, and a pixel the
edit leaves alone stays equal in both. On a CPU bank of hair_length pairs (two seeds,
3,000 steps each) students with SHARE 1 drew 0.05 more of their teacher's change on
renders and 0.03-0.05 more on the generator's drawings: more of the edit on both, not
the gap between them closed. On the device (session 40) the bundled hair_length row with
SHARE 1 drew no more than without it (0.79 of the true change beside the face against
0.81), so no bundled row uses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from latentroom.plugins.distill.student import BinomialBlur

_BLUR = BinomialBlur()


@dataclass(frozen=True)
class GrainJitter:
    """Shares of the grain drawn uniformly in ``[0, share]``, one for each pair."""

    share: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.share) and 0 <= self.share <= 1):
            raise ValueError(f"grain jitter needs a share in [0, 1], got {self.share}")

    @property
    def active(self) -> bool:
        return self.share > 0

    def to_json(self) -> dict[str, Any] | None:
        """What a manifest and a resumed run record: the share, or None when off."""
        return {"share": self.share} if self.active else None

    def apply(self, gen: torch.Generator, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, y)`` ``[B, C, R, R]`` less each pair's drawn share of ``x``'s grain."""
        shares = (torch.rand(len(x), generator=gen) * self.share).to(x).reshape(-1, 1, 1, 1)
        grain = shares * (x - _BLUR(x))
        return x - grain, y - grain


__all__ = ["GrainJitter"]
