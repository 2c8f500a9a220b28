"""The painting head's training terms (``author --head paint``).

The painting student draws ``out = x + m (c - x)``: a coverage ``m`` and a colour ``c``
(:meth:`Student.combine`). Learnt from the image alone, a coverage falls to zero before
its colour is learnt (docs/distillation.md, session 33), and the squared error of the
whole image pulls a hard coverage's colour to the average of the teacher's drawings where
they differ (a see-through fill; session 40). So each is taught on its own:

* the coverage logit ``a`` by binary cross-entropy against the teacher's coverage, its
  change ramped from :data:`COVERAGE_LOW` to :data:`COVERAGE_HIGH` of the RGB distance
  (in 0-1 units). Where the teacher paints a pixel on some faces and not on others the
  logit learns that share, near 0 on a band, and the student's hardened coverage
  (``PAINT_HARDNESS``) paints all or nothing there;
* the colour by the squared error to the teacher's image, weighted by that coverage, so
  it learns the colour the teacher paints, not its average with what it leaves.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from latentroom.plugins.distill.student import Student, paint_colour, paint_over

COVERAGE_LOW = 0.06
COVERAGE_HIGH = 0.2


def teacher_coverage(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``[N, 1, H, W]`` in ``[0, 1]``: how surely the teacher painted each pixel, from the
    RGB distance of its change (images in ``[-1, 1]``)."""
    change = ((y - x) / 2).norm(dim=1, keepdim=True)
    return ((change - COVERAGE_LOW) / (COVERAGE_HIGH - COVERAGE_LOW)).clamp(0.0, 1.0)


def paint_terms(student: Student, x: torch.Tensor, y: torch.Tensor,
                strength: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The student's edited batch (hardened, as exported) and its two loss terms,
    ``coverage`` and ``colour``."""
    s_n = student.normalised_strength(strength, x.dtype)
    head_out = student.residual(x, s_n)
    target = teacher_coverage(x, y)
    coverage = F.binary_cross_entropy_with_logits(head_out[:, :1].float(), target)
    painted = paint_colour(x, head_out)
    colour = (target * (painted.float() - y).pow(2)).sum() / (3 * target.sum()).clamp(min=1.0)
    return paint_over(x, s_n, head_out, painted), {"coverage": coverage, "colour": colour}


__all__ = ["COVERAGE_HIGH", "COVERAGE_LOW", "paint_terms", "teacher_coverage"]
