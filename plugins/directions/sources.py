"""The five built-in sampling and component sources, one module each, by name.

Each is a class whose ``find(generator, attribute, **params)`` returns an
:class:`latentroom.engine.direction.Direction` (the :class:`latentroom.engine.protocols.DirectionSource`
protocol). Parameters every source takes:

``scorer``
    attribute scorer (see :mod:`latentroom.plugins.directions.scoring`), required by every
    source except a component source given ``component``. Recorded in provenance by name.
``bank``
    a :class:`~plugins.directions.sampling.SampleBank` to reuse instead of sampling
    (``samples``, ``seed`` and ``truncation`` then come from the bank).
``samples`` (2000), ``seed`` (0), ``truncation`` (1.0), ``batch_size`` (32)
    how labelled samples are drawn.
``layers`` ("all")
    W+ layers the direction applies to: a spec for :func:`latentroom.engine.direction.parse_layers`
    or ``"auto"`` (try coarse/middle/fine/all, keep the most selective; see
    :func:`suggest_layers`).
``strength_range`` ((-3, 3))
    the suggested range written into the direction.
``generator_spec``
    the spec the generator was built from, for provenance.

Source-specific parameters are listed on each class.
"""

from __future__ import annotations

from latentroom.plugins.directions.ganspace import GANSpace
from latentroom.plugins.directions.linear_boundary import LinearBoundary
from latentroom.plugins.directions.mean_difference import MeanDifference
from latentroom.plugins.directions.optimized import Optimized
from latentroom.plugins.directions.sefa import SeFa
from latentroom.plugins.directions.source_base import DirectionSourceBase

SOURCES: dict[str, type[DirectionSourceBase]] = {
    cls.name: cls for cls in (MeanDifference, LinearBoundary, GANSpace, SeFa, Optimized)
}
