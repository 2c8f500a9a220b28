"""Direction source ``mean-difference``."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from latentroom.plugins.directions.sampling import SampleBank
from latentroom.plugins.directions.source_base import DirectionSourceBase, FindContext, split_groups


class MeanDifference(DirectionSourceBase):
    """Mean ``w`` of the high group minus that of the low group, normalised.

    Extra parameters: ``fraction`` (0.3): top and bottom share taken for continuous
    attributes; ``condition_by`` as for the linear boundary.
    """

    name = "mean-difference"
    defaults = {"fraction": 0.3, "condition_by": "boundary"}
    supports_conditioning = True

    def vector(self, ctx: FindContext) -> np.ndarray:
        return self.normal(ctx.bank(), ctx.attribute, ctx.params)

    def normal(self, bank: SampleBank, attribute: str, params: Mapping[str, Any] | None = None,
               details: dict[str, Any] | None = None) -> np.ndarray:
        fraction = float({**self.defaults, **self.options, **(params or {})}["fraction"])
        high, low = split_groups(bank, attribute, fraction)
        diff = bank.ws[high].mean(0) - bank.ws[low].mean(0)
        return diff / np.linalg.norm(diff)
