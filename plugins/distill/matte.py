"""The matte target (``author --matte``): a teacher pair recast as a colour laid over
the input.

A generator's edit redraws its region: a beard comes with the mouth turned, the skin's
shading moved and a texture that depends on the latent. A student cannot learn that
redraw across faces and draws its average: a see-through beard over stacked mouths
(docs/distillation.md, sessions 24-31). It does learn a simple change, the renderer's
own: a shape painted in one colour, with the face's lines drawn over it. The matte
recasts each teacher pair as such a change:

* **coverage**: where the teacher changed the image, from nothing below ``floor`` to
  whole at ``full`` (the mean absolute change over the channels, in the model's
  ``[-1, 1]`` units);
* **colour**: the teacher's image low-passed over ``radius`` pixels inside the
  coverage, a second pass leaving out what differs from the first by more than
  ``outlier`` (a redrawn mouth, a stray strand), so the colour is the edit's material
  and not its drawing;
* **lines kept**: the input's own thin lines (its mouth, the creases round it) stay
  over the colour, as the renderer draws a mouth over a beard. Only dark lines: what a
  morphological closing fills in, so the face's outline, or the edge of a beard being
  taken off, is not kept.

The target is ``x + coverage * (1 - lines) * (colour - x)``. Pixels the teacher left
as they were stay the input's, and so does every change fainter than ``floor``. An
edit made of lines (glasses frames) is not one to recast: the colour leaves its lines
out, and a removal would keep the input's.
Lengths are in pixels of a 128-pixel image and scale with the resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.nn import functional as F

_EPSILON = 1e-4


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Each channel of ``images [B, C, H, W]`` blurred by a Gaussian of ``sigma`` pixels
    (separable, edges reflected)."""
    half = max(1, int(round(3 * sigma)))
    offsets = torch.arange(-half, half + 1, device=images.device, dtype=images.dtype)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    channels = images.shape[1]
    rows = kernel.reshape(1, 1, 1, -1).expand(channels, 1, 1, -1)
    columns = kernel.reshape(1, 1, -1, 1).expand(channels, 1, -1, 1)
    out = F.conv2d(F.pad(images, (half, half, 0, 0), mode="reflect"), rows, groups=channels)
    return F.conv2d(F.pad(out, (0, 0, half, half), mode="reflect"), columns, groups=channels)


def _dilate(images: torch.Tensor, size: int) -> torch.Tensor:
    return F.max_pool2d(F.pad(images, (size // 2,) * 4, mode="replicate"), size, stride=1)


def _closing(images: torch.Tensor, size: int) -> torch.Tensor:
    return -_dilate(-_dilate(images, size), size)


def _ramp(values: torch.Tensor, low: float, high: float) -> torch.Tensor:
    return ((values - low) / (high - low)).clamp(0, 1)


@dataclass(frozen=True)
class Matte:
    """The recast (module docstring); :meth:`target` maps a batch of pairs to targets."""

    floor: float = 0.015
    full: float = 0.04
    radius: float = 3.0
    outlier: float = 0.1
    line_low: float = 0.25
    line_high: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.floor < self.full:
            raise ValueError(f"matte floor {self.floor} must be at least 0 and below full {self.full}")
        if not 0 <= self.line_low < self.line_high:
            raise ValueError(f"matte line_low {self.line_low} must be at least 0 and below line_high "
                             f"{self.line_high}")
        if self.radius <= 0 or self.outlier <= 0:
            raise ValueError(f"matte radius {self.radius} and outlier {self.outlier} must be positive")

    def describe(self) -> dict[str, Any]:
        return asdict(self)

    def coverage(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # Pixel by pixel: a mouth the teacher left where it was keeps its own pixels.
        return _ramp((y - x).abs().mean(1, keepdim=True), self.floor, self.full)

    def colour(self, y: torch.Tensor, coverage: torch.Tensor, scale: float) -> torch.Tensor:
        sigma = self.radius * scale

        def weighted_mean(weights: torch.Tensor) -> torch.Tensor:
            return gaussian_blur(weights * y, sigma) / gaussian_blur(weights, sigma).clamp(min=_EPSILON)

        first = weighted_mean(coverage)
        typical = torch.exp(-0.5 * ((y - first).pow(2).mean(1, keepdim=True) / self.outlier ** 2))
        return weighted_mean(coverage * typical)

    def lines(self, x: torch.Tensor, scale: float) -> torch.Tensor:
        # The black top-hat: what a closing fills in is darker than its surroundings in
        # some channel (a red mouth on dark skin is darker in green) and thinner than the
        # element. An edge survives a closing, so the face's outline, or the edge of a
        # beard being taken off, is not a line; nor is the skin between a mouth and a crease.
        size = 2 * max(1, round(2 * scale)) + 1
        dark = (_closing(x, size) - x).amax(1, keepdim=True)
        return _ramp(dark, self.line_low, self.line_high)

    def target(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Targets ``[B, 3, R, R]`` for inputs ``x`` and teacher targets ``y``."""
        scale = x.shape[-1] / 128
        coverage = self.coverage(x, y)
        opacity = coverage * (1 - self.lines(x, scale))
        return x + opacity * (self.colour(y, coverage, scale) - x)


__all__ = ["Matte", "gaussian_blur"]
