"""The IR-SE backbone of the e4e and pSp encoders, in their checkpoint layout.

IR-SE is the ArcFace ResNet variant ("improved residual" units with
squeeze-and-excitation) that pSp and e4e start from. Parameter and buffer names and
shapes match their ``encoder.*`` keys (``input_layer.*``, ``body.N.*``), so those
files load with ``load_state_dict`` unchanged; the code is our own.

Bottom up:

* :class:`SqueezeExcite` re-weights channels by a gate computed from their means;
* :class:`BottleneckIR` is one unit: BN, conv 3x3, PReLU, conv 3x3 (strided), BN,
  optional squeeze-excite, plus a shortcut (a strided identity when the width does
  not change, else a strided 1x1 conv + BN);
* :class:`IRSEBackbone` is an input layer (conv 3x3 at full resolution, BN, PReLU)
  followed by four stages of units; each stage's first unit halves the resolution.
  It returns the outputs of the last three stages: the feature pyramid the
  style heads read.

``IRSE50_UNITS`` / ``IRSE_WIDTHS`` are the released models' sizes (every e4e and
pSp checkpoint uses the 50-layer IR-SE); the constructor takes others so that tests
can run the same code at a small size.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

IRSE50_UNITS: tuple[int, ...] = (3, 4, 14, 3)
IRSE_WIDTHS: tuple[int, ...] = (64, 128, 256, 512)
SE_REDUCTION = 16


class SqueezeExcite(nn.Module):
    """Channel gate: ``x * sigmoid(fc2(relu(fc1(mean over space of x))))``; 1x1 convs
    without bias (keys ``fc1.weight``, ``fc2.weight``)."""

    def __init__(self, channels: int, reduction: int = SE_REDUCTION) -> None:
        super().__init__()
        hidden = max(channels // reduction, 1)
        self.fc1 = nn.Conv2d(channels, hidden, 1, bias=False)
        self.fc2 = nn.Conv2d(hidden, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x.mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(gate))))
        return x * gate


class BottleneckIR(nn.Module):
    """One IR (``squeeze_excite=False``) or IR-SE unit; ``stride`` 2 halves the size.

    ``res_layer`` is a ``Sequential`` because the checkpoints name its parts by
    position: 0 BN, 1 conv, 2 PReLU, 3 conv (strided), 4 BN, 5 squeeze-excite.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, squeeze_excite: bool = True) -> None:
        super().__init__()
        if in_channels == out_channels:
            # A 1x1 max-pool with a stride is plain subsampling; no parameters.
            self.shortcut_layer: nn.Module = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                                nn.BatchNorm2d(out_channels))
        parts: list[nn.Module] = [
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False),
            nn.PReLU(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        if squeeze_excite:
            parts.append(SqueezeExcite(out_channels))
        self.res_layer = nn.Sequential(*parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


def stage_plan(units: Sequence[int], widths: Sequence[int]) -> list[tuple[int, int, int]]:
    """``[(in_channels, out_channels, stride)]`` per unit, in ``body`` order: the first
    unit of each stage changes the width (the first stage keeps the input layer's) and
    strides by 2, the others keep both."""
    plan: list[tuple[int, int, int]] = []
    previous = widths[0]
    for count, width in zip(units, widths):
        plan.append((previous, width, 2))
        plan.extend((width, width, 1) for _ in range(count - 1))
        previous = width
    return plan


class IRSEBackbone(nn.Module):
    """Image ``[B, C, H, W]`` -> ``(c1, c2, c3)``: the outputs of stages 2, 3 and 4
    (``H/4``, ``H/8``, ``H/16``; widths ``widths[1:]``).

    The originals tap ``body`` at fixed indices 6, 20 and 23: the last unit of stages
    2, 3 and 4 of IR-SE50. Taking stage ends is the same for that size and stays
    right at the small sizes tests use.
    """

    def __init__(self, units: Sequence[int] = IRSE50_UNITS, widths: Sequence[int] = IRSE_WIDTHS,
                 input_channels: int = 3, squeeze_excite: bool = True) -> None:
        super().__init__()
        if len(units) != 4 or len(widths) != 4 or min(units) < 1:
            raise ValueError(f"IR-SE needs four stages of at least one unit, got units={list(units)} "
                             f"widths={list(widths)}")
        self.input_layer = nn.Sequential(nn.Conv2d(input_channels, widths[0], 3, 1, 1, bias=False),
                                         nn.BatchNorm2d(widths[0]), nn.PReLU(widths[0]))
        self.body = nn.Sequential(*(BottleneckIR(cin, cout, stride, squeeze_excite)
                                    for cin, cout, stride in stage_plan(units, widths)))
        ends = [sum(units[: i + 1]) - 1 for i in range(4)]
        self.taps = tuple(ends[1:])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.input_layer(x)
        tapped: list[torch.Tensor] = []
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index in self.taps:
                tapped.append(x)
        c1, c2, c3 = tapped
        return c1, c2, c3
