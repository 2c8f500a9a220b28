"""A conditional patch discriminator for distillation (pix2pix's PatchGAN shape).

An L1-trained student predicts the conditional mean of its targets: where the
teacher's edit is not one consistent function of the input image, that mean is a
double exposure. A discriminator that sees ``(input, edited)`` pairs and judges each
~30-pixel patch as teacher-made or student-made penalises such averages, because no
teacher pair looks like one.

Spectral normalisation on every conv keeps it from overpowering the small student
(no gradient penalty needed); the output is a grid of patch logits. It also makes the
network 1-Lipschitz, so its logits move little for a small change of a few pixels,
which is what a ghost is: it sees the edit's residual scaled by ``RESIDUAL_GAIN``.
Given ``(input, edited)`` as they are it told a glasses teacher's pairs from a
student's no better than chance, on an H200 for 899 steps and on the CPU for 150
(they differ by 0.02 a pixel); given the residual times 10 it separated them in 150
steps (docs/measurements/session26-h200-2026-12-05, ``d_probe.py``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

DEFAULT_WIDTHS: tuple[int, ...] = (64, 128, 256)
RESIDUAL_GAIN = 10.0


class PatchDiscriminator(nn.Module):
    """``forward(image, edited)`` (both ``[N, 3, R, R]`` in ``[-1, 1]``) -> logits ``[N, 1, R/8, R/8]``,
    judged on the image and ``residual_gain`` times the edit's residual."""

    def __init__(self, widths: tuple[int, ...] = DEFAULT_WIDTHS, residual_gain: float = RESIDUAL_GAIN) -> None:
        super().__init__()
        self.residual_gain = residual_gain
        layers: list[nn.Module] = []
        cin = 6
        for width in widths:
            layers += [spectral_norm(nn.Conv2d(cin, width, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin = width
        layers.append(spectral_norm(nn.Conv2d(cin, 1, 3, 1, 1)))
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, edited: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([image, self.residual_gain * (edited - image)], dim=1))


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating GAN loss of the discriminator: teacher pairs real, student pairs fake."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The student's side: make its pairs look like the teacher's."""
    return F.softplus(-fake_logits).mean()


__all__ = ["PatchDiscriminator", "RESIDUAL_GAIN", "adversarial_loss", "discriminator_loss"]
