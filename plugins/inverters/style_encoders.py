"""pSp's ``GradualStyleEncoder`` and e4e's ``Encoder4Editing``, in their checkpoint layout.

Both are an IR-SE backbone (:mod:`latentroom.plugins.inverters.irse`) with a small
feature pyramid and one *map2style* head per W+ row; parameter names and shapes
match the ``encoder.*`` keys of the released pSp and e4e files, the code is our own.

Bottom up:

* :class:`Map2Style` (``GradualStyleBlock`` in the originals): strided 3x3 convs
  with LeakyReLU(0.01) down to one pixel, then an equalized-learning-rate linear
  layer: one ``style_dim`` row. A head has ``log2(spatial)`` convs, ``spatial``
  being 16, 32 or 64 for coarse, middle and fine rows (the sizes of its features
  at the originals' 256x256 input; extra strided convs on a 1x1 map keep it 1x1).
* :func:`upsample_add`: the pyramid's merge, bilinear with ``align_corners=True``.
* The pyramid: coarse features are the last stage ``c3``; middle ``p2 = up(c3) +
  latlayer1(c2)``; fine ``p1 = up(p2) + latlayer2(c1)``. W+ rows 0-2 read coarse,
  3-6 middle, 7 on fine.
* :class:`GradualStyleEncoder` (pSp): every row is its own head's output.
* :class:`Encoder4Editing` (e4e): row 0 is a base ``w``; row ``i`` is that base plus
  head ``i``'s output, a delta (e4e trains the deltas small, which keeps codes near
  W and editable). The progressive-training stage is always the final one
  (inference): every delta is applied.

Outputs are *offsets*: the checkpoint's ``latent_avg`` is added by the caller when
the file says ``start_from_latent_avg``.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from latentroom.plugins.inverters.irse import IRSE50_UNITS, IRSE_WIDTHS, IRSEBackbone
from latentroom.plugins.stylegan2.model import EqualLinear

# First W+ row of the middle and of the fine group (``coarse_ind``/``middle_ind``).
MIDDLE_START = 3
FINE_START = 7
HEAD_SPATIAL = {"coarse": 16, "middle": 32, "fine": 64}


def row_group(row: int) -> str:
    if row < MIDDLE_START:
        return "coarse"
    return "middle" if row < FINE_START else "fine"


class Map2Style(nn.Module):
    """Feature map ``[B, in_channels, h, w]`` -> one W+ row ``[B, style_dim]``."""

    def __init__(self, in_channels: int, style_dim: int, spatial: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(int(math.log2(spatial))):
            layers += [nn.Conv2d(channels, style_dim, 3, 2, 1), nn.LeakyReLU()]
            channels = style_dim
        self.convs = nn.Sequential(*layers)
        self.style_dim = style_dim
        self.linear = EqualLinear(style_dim, style_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)
        if x.shape[-2:] != (1, 1):
            raise ValueError(f"map2style head reached {tuple(x.shape[-2:])}, not 1x1: input too large")
        return self.linear(x.flatten(1))


def upsample_add(top: torch.Tensor, lateral: torch.Tensor) -> torch.Tensor:
    """The coarser map resized to the lateral one's size and added to it."""
    return F.interpolate(top, size=lateral.shape[-2:], mode="bilinear", align_corners=True) + lateral


class PyramidStyleEncoder(IRSEBackbone):
    """The parts pSp and e4e share: backbone, lateral convs, one head per W+ row."""

    def __init__(self, n_styles: int, style_dim: int = 512, units: Sequence[int] = IRSE50_UNITS,
                 widths: Sequence[int] = IRSE_WIDTHS, input_channels: int = 3, squeeze_excite: bool = True) -> None:
        super().__init__(units, widths, input_channels, squeeze_excite)
        self.n_styles, self.style_dim = int(n_styles), int(style_dim)
        top = widths[-1]
        self.styles = nn.ModuleList(Map2Style(top, self.style_dim, HEAD_SPATIAL[row_group(i)])
                                    for i in range(self.n_styles))
        self.latlayer1 = nn.Conv2d(widths[2], top, 1)
        self.latlayer2 = nn.Conv2d(widths[1], top, 1)

    def pyramid(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Backbone features by group: ``{"coarse", "middle", "fine"}``. Levels no row
        reads (generators with fewer than 4 or 8 W+ rows) are not computed."""
        c1, c2, c3 = super().forward(images)
        levels = {"coarse": c3}
        if self.n_styles > MIDDLE_START:
            levels["middle"] = upsample_add(c3, self.latlayer1(c2))
        if self.n_styles > FINE_START:
            levels["fine"] = upsample_add(levels["middle"], self.latlayer2(c1))
        return levels

    def head(self, row: int, levels: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.styles[row](levels[row_group(row)])


class GradualStyleEncoder(PyramidStyleEncoder):
    """pSp: images -> W+ offsets ``[B, n_styles, style_dim]``, each row from its head."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        levels = self.pyramid(images)
        return torch.stack([self.head(row, levels) for row in range(self.n_styles)], dim=1)


class Encoder4Editing(PyramidStyleEncoder):
    """e4e: images -> W+ offsets ``[B, n_styles, style_dim]`` = base row + per-row deltas."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        levels = self.pyramid(images)
        base = self.head(0, levels)
        rows = [base] + [base + self.head(row, levels) for row in range(1, self.n_styles)]
        return torch.stack(rows, dim=1)


ARCHITECTURES: dict[str, type[PyramidStyleEncoder]] = {
    "GradualStyleEncoder": GradualStyleEncoder,
    "Encoder4Editing": Encoder4Editing,
}
