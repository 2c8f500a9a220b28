"""Session 29's beard_adv_head.py (session 27's CPU-bank protocol, the head from HEAD)
with the discriminator judging a blurred pair: a 5-tap binomial blur (sigma about 1 px)
on the image and on the edited image before the patch discriminator sees them. The
hatched speckle the device's full-head student drew under the adversarial term
(session 30, call 1) has a period of 2-3 px; blurred, such a pattern is nearly
invisible to the discriminator, so it earns the student nothing, while which mouth
is drawn and whether the beard is solid (structures of several pixels) are still
judged. argv and environment as beard_adv.py's."""
import runpy
from pathlib import Path

import torch
from torch.nn import functional as F

from latentroom.plugins.distill import discriminator

TAPS = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
KERNEL = (TAPS[:, None] * TAPS[None, :]).expand(3, 1, 5, 5).contiguous()
judged = discriminator.PatchDiscriminator.forward


def blurred(image: torch.Tensor) -> torch.Tensor:
    return F.conv2d(F.pad(image, (2, 2, 2, 2), mode="replicate"), KERNEL.to(image), groups=3)


def forward(self, image, edited):
    return judged(self, blurred(image), blurred(edited))


discriminator.PatchDiscriminator.forward = forward
runpy.run_path(str(Path(__file__).resolve().parents[2] / "session29-device-2026-12-05/scripts/beard_adv_head.py"),
               run_name="__main__")
