"""Pure PyTorch versions of StyleGAN2's two custom CUDA ops.

The community implementation compiles CUDA extensions for these on import; ours are
plain autograd-friendly torch code, so they run on any device and export to ONNX.
Formulas follow the reference exactly:

* ``upfirdn2d``: zero-insertion up-sampling by ``up``, padding (negative = crop),
  correlation with the *flipped* FIR kernel (i.e. a true convolution), then keeping
  every ``down``-th sample.
* ``fused_leaky_relu``: ``leaky_relu(x + bias, 0.2) * sqrt(2)``; the gain keeps the
  activation's second moment at one for unit-variance input.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

SQRT2 = math.sqrt(2.0)


def make_kernel(taps: Sequence[float]) -> torch.Tensor:
    """Separable FIR taps -> normalised 2-D kernel (sums to 1)."""
    k = torch.tensor(list(taps), dtype=torch.float32)
    if k.ndim == 1:
        k = k[None, :] * k[:, None]
    return k / k.sum()


def _pad4(pad: Sequence[int]) -> tuple[int, int, int, int]:
    if len(pad) == 2:
        return (int(pad[0]), int(pad[1]), int(pad[0]), int(pad[1]))
    if len(pad) == 4:
        return tuple(int(p) for p in pad)  # type: ignore[return-value]
    raise ValueError(f"pad must have 2 or 4 entries, got {pad!r}")


def upfirdn2d(
    x: torch.Tensor,
    kernel: torch.Tensor,
    up: int = 1,
    down: int = 1,
    pad: Sequence[int] = (0, 0),
) -> torch.Tensor:
    """Up-sample, FIR-filter and down-sample ``x`` ``[N, C, H, W]``.

    ``pad`` is ``(p0, p1)`` for both axes or ``(x0, x1, y0, y1)`` like the reference.
    The output has ``(H * up + y0 + y1 - kh) // down + 1`` rows.
    """
    px0, px1, py0, py1 = _pad4(pad)
    n, c, h, w = x.shape
    kh, kw = kernel.shape
    if up > 1:
        # Zero insertion: each sample is followed by up-1 zeros (as the reference).
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(n, c, h * up, w * up)
    if max(px0, px1, py0, py1) > 0:
        x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    if min(px0, px1, py0, py1) < 0:
        x = x[
            :,
            :,
            max(-py0, 0) : x.shape[2] - max(-py1, 0),
            max(-px0, 0) : x.shape[3] - max(-px1, 0),
        ]
    # conv2d is a correlation; flipping makes it the convolution the reference computes.
    weight = torch.flip(kernel, [0, 1]).to(x.dtype).reshape(1, 1, kh, kw).expand(c, 1, kh, kw)
    # Striding the convolution equals computing it fully and keeping every down-th
    # sample starting at 0, at a fraction of the cost.
    return F.conv2d(x, weight, stride=down, groups=c)


def fir_slices(x: torch.Tensor, taps: Sequence[Sequence[float]], pad: Sequence[int]) -> torch.Tensor:
    """``upfirdn2d(x, kernel, pad=pad)`` (no re-sampling) as a sum of shifted slices.

    Slower in eager mode, but under ``torch.compile`` the whole sum (and whatever
    element-wise work follows it: noise, bias, activation) fuses into one kernel
    instead of a separate depthwise convolution pass. Used by the fast path only.
    ``taps`` is the 2-D kernel as Python floats (a graph constant, not a tensor read).
    """
    px0, px1, py0, py1 = _pad4(pad)
    x = F.pad(x, [px0, px1, py0, py1])
    kh, kw = len(taps), len(taps[0])
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    flipped = [list(reversed(row)) for row in reversed(list(taps))]
    out = None
    for i in range(kh):
        for j in range(kw):
            term = x[:, :, i : i + oh, j : j + ow] * flipped[i][j]
            out = term if out is None else out + term
    assert out is not None
    return out


def fused_leaky_relu(
    x: torch.Tensor,
    bias: torch.Tensor | None = None,
    negative_slope: float = 0.2,
    scale: float = SQRT2,
) -> torch.Tensor:
    """``leaky_relu(x + bias) * scale`` with ``bias`` broadcast over dim 1."""
    if bias is not None:
        shape = [1, bias.shape[0]] + [1] * (x.ndim - 2)
        x = x + bias.to(x.dtype).reshape(shape)
    return F.leaky_relu(x, negative_slope) * scale


class FusedLeakyReLU(nn.Module):
    """Bias + leaky ReLU + gain; parameter ``bias`` as in the community layout."""

    def __init__(
        self, channel: int, bias: bool = True, negative_slope: float = 0.2, scale: float = SQRT2
    ) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel)) if bias else None
        self.negative_slope = negative_slope
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)
