"""Measuring a direction: how much it moves its attribute and every other one.

For ``samples`` held-out latents (a seed the finders do not use by default), the
images at strengths ``-1, 0, +1`` are scored, and the per-sample least-squares slope
of each attribute against strength is averaged: with those three strengths that is
exactly the central finite difference ``(s(+1) - s(-1)) / 2``. Other strengths (for
example ``-2..2``) give a regression slope instead.

The report also answers the acceptance question for a direction: does a strength
inside its suggested range move the attribute from its data 10th to its 90th
percentile, and one inside it back (:func:`spans_percentiles`), while every other
attribute moves less than ``ISOLATION`` (25 %) as much?
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch

from latentroom.engine.direction import Direction
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.edit import CorrectionReader, edit_latents, to_wplus
from latentroom.plugins.directions.sampling import DEFAULT_BATCH, render_and_score, sample_w
from latentroom.plugins.directions.scoring import Scores, target_parts

EVAL_SEED = 1_000_003  # differs from find's default seed: evaluation is on held-out samples
DEFAULT_STRENGTHS: tuple[float, ...] = (-1.0, 0.0, 1.0)
STRIP_STRENGTHS: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0)
ISOLATION = 0.25


def evaluate_directions(generator: Generator, directions: Sequence[Direction], scorer: Callable[..., Any],
                        samples: int = 1000, seed: int = EVAL_SEED,
                        strengths: Sequence[float] = DEFAULT_STRENGTHS, truncation: float = 1.0,
                        batch_size: int = DEFAULT_BATCH, baseline: Scores | None = None) -> list[dict[str, Any]]:
    """One report per direction (see :func:`report`). The unedited images are rendered
    and scored once for all directions; pass ``baseline`` (the scores of the same
    ``samples``, ``seed`` and ``truncation``, e.g. from an earlier call of
    :func:`baseline_scores`) to skip even that."""
    strengths = [float(s) for s in strengths]
    if len(set(strengths)) < 2:
        raise ValueError("need at least two distinct strengths to measure a slope")
    ws = to_wplus(sample_w(generator, samples, seed, truncation), generator.n_latent)
    if baseline is None:
        baseline = render_and_score(generator, scorer, ws, batch_size)
    for direction in directions:
        if not set(target_parts(direction.attribute, list(baseline))) <= set(baseline):
            known = ", ".join(sorted(baseline))
            raise LatentroomError(f"the scorer does not report '{direction.attribute}', the direction's "
                                  f"attribute (it reports {known}); pass the scorer it was found with")
    reports = []
    for direction in directions:
        read = CorrectionReader(generator, direction).of_rendering(_renderer(generator), ws, batch_size)
        scored: list[Scores] = []
        for s in strengths:
            if s == 0.0:
                scored.append(baseline)
            else:
                scored.append(render_and_score(generator, scorer, edit_latents(ws, direction, s, read), batch_size))
        reports.append(report(direction, strengths, scored, baseline, samples, seed))
    return reports


def _renderer(generator: Generator) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda ws: generator.synthesis(ws.to(generator.device), noise_mode="const")


def baseline_scores(generator: Generator, scorer: Callable[..., Any], samples: int = 1000, seed: int = EVAL_SEED,
                    truncation: float = 1.0, batch_size: int = DEFAULT_BATCH) -> Scores:
    """Scores of the unedited held-out samples that :func:`evaluate_directions` uses."""
    return render_and_score(generator, scorer, sample_w(generator, samples, seed, truncation), batch_size)


def slopes(strengths: Sequence[float], scored: Sequence[Scores]) -> dict[str, float]:
    """Least-squares slope of each attribute's mean against strength (equal to the mean
    of the per-sample slopes, since every sample is edited at the same strengths)."""
    x = np.asarray(strengths, dtype=np.float64)
    x = x - x.mean()
    out = {}
    for name in scored[0]:
        means = np.array([s[name].mean() for s in scored])
        out[name] = float((x @ (means - means.mean())) / (x @ x))
    return out


def spans_percentiles(needed: float, strength_range: Sequence[float]) -> bool:
    """Whether ``strength_range`` holds the strength ``needed`` to move a face from the
    10th to the 90th percentile on both sides: the linear estimate needs the same size
    up and down, and a range such as ``(-2, 4)`` may reach one way only."""
    return bool(needed <= min(-strength_range[0], strength_range[1]))


def report(direction: Direction, strengths: Sequence[float], scored: Sequence[Scores], baseline: Scores,
           samples: int, seed: int) -> dict[str, Any]:
    """The evaluation of one direction: ``change`` per unit strength for every attribute,
    the entanglement of the others and the 10th-to-90th-percentile check."""
    change = slopes(strengths, scored)
    target = direction.attribute
    parts = target_parts(target, list(baseline))
    others = {name: v for name, v in change.items() if name not in parts}
    # A composed attribute moves as far as its slowest part, and needs the strength
    # that takes every part from its 10th to its 90th percentile.
    slowest = min(parts, key=lambda part: change.get(part, float("nan")))
    slope = change.get(slowest, float("nan"))
    p10, p90 = _percentile_span(baseline, slowest)
    needed = max(_strength_across_span(baseline, change, part) for part in parts)
    worst = max(others, key=lambda n: abs(others[n])) if others else None
    max_other = abs(others[worst]) if worst else 0.0
    within = spans_percentiles(needed, direction.strength_range)
    isolated = bool(abs(slope) > 0 and max_other < ISOLATION * abs(slope))
    return {
        "attribute": target,
        "source": direction.provenance.source,
        "layers": direction.layer_spec,
        "samples": samples,
        "seed": seed,
        "strengths": list(strengths),
        "change": change,
        "target_change": slope,
        "others_mean_abs": float(np.mean([abs(v) for v in others.values()])) if others else 0.0,
        "others_max_abs": max_other,
        "others_max_attribute": worst,
        "p10": p10,
        "p90": p90,
        "strength_p10_to_p90": needed,
        "strength_range": list(direction.strength_range),
        "within_range": within,
        "isolated": isolated,
        "meets_criterion": within and isolated,
    }


def _percentile_span(baseline: Scores, name: str) -> tuple[float, float]:
    """The 10th and 90th percentiles of ``name`` over the unedited samples (NaN if unscored)."""
    if name not in baseline:
        return np.nan, np.nan
    return float(np.percentile(baseline[name], 10)), float(np.percentile(baseline[name], 90))


def _strength_across_span(baseline: Scores, change: dict[str, float], name: str) -> float:
    """The strength that moves ``name`` from its 10th to its 90th percentile (inf when
    the direction does not raise it)."""
    p10, p90 = _percentile_span(baseline, name)
    slope = change.get(name, float("nan"))
    return (p90 - p10) / slope if slope > 0 else float("inf")


@torch.no_grad()
def render_strip(generator: Generator, direction: Direction, rows: int = 4, seed: int = EVAL_SEED,
                 strengths: Sequence[float] = STRIP_STRENGTHS, truncation: float = 1.0) -> torch.Tensor:
    """Images ``[rows * len(strengths), 3, H, W]``: each row one sample, left to right
    the strengths (row-major, for a grid with ``len(strengths)`` columns)."""
    ws = to_wplus(sample_w(generator, rows, seed, truncation), generator.n_latent).to(generator.device)
    read = CorrectionReader(generator, direction).of_rendering(_renderer(generator), ws)
    edited = torch.stack([edit_latents(ws, direction, s, read) for s in strengths], dim=1)  # [rows, S, L, D]
    flat = edited.reshape(-1, *edited.shape[2:])
    return generator.synthesis(flat, noise_mode="const").float().cpu()
