"""Fitting a direction's per-face correction to paired examples
(:mod:`latentroom.engine.direction_correction` says what it is).

Each example is a face's latent before an edit and its offset to the latent after
it. The correction predicts an offset's departure from the mean offset by ridge
regression on the input latent's leading principal components; the penalty is the
one of :data:`PENALTIES` that predicts a held-out fifth of the examples best, and the
fit is then repeated on all of them. The held-out R² of every penalty is reported, so
a correction that predicts nothing (R² near 0) is visible as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from latentroom.engine.direction_correction import Correction
from latentroom.engine.errors import LatentroomError

PENALTIES = (0.1, 1.0, 10.0, 100.0, 1000.0)
HELD_OUT_SHARE = 0.2
MIN_EXAMPLES = 10


def fit_correction(inputs: np.ndarray, residuals: np.ndarray, components: int, truth_strength: float,
                   seed: int = 0, reads: str | None = None,
                   residuals_down: np.ndarray | None = None) -> tuple[Correction, dict[str, Any]]:
    """A :class:`Correction` from ``inputs [N, D]`` (the layers' mean input latents,
    read through the inverter ``reads`` when they were) and ``residuals [N, L, D]``
    (each offset minus the mean offset), with the fit's report (examples, components,
    chosen penalty, held-out R² per penalty). ``residuals_down`` (each negative edit's
    offset plus the mean offset) adds the side for negative strengths, its penalty
    chosen on its own (reported under ``down``)."""
    x = np.asarray(inputs, np.float64)
    if len(x) < MIN_EXAMPLES:
        raise LatentroomError(f"a per-face correction needs at least {MIN_EXAMPLES} examples, got {len(x)}")
    if not 1 <= components <= min(x.shape):
        raise LatentroomError(f"correction: {components} components, expected 1 to {min(x.shape)} "
                              f"(examples and latent size)")
    mean = x.mean(0)
    basis = np.linalg.svd(x - mean, full_matrices=False)[2][:components].T  # [D, K]
    z = (x - mean) @ basis
    order = np.random.default_rng(seed).permutation(len(x))
    cut = max(1, int(len(x) * HELD_OUT_SHARE))
    held, fit = order[:cut], order[cut:]
    weights, intercept, report = _fit_side(z, residuals, held, fit)
    report = {"examples": int(len(x)), "components": int(components), **report}
    down: dict[str, np.ndarray] = {}
    if residuals_down is not None:
        down["weights_down"], down["intercept_down"], report["down"] = _fit_side(z, residuals_down, held, fit)
    return Correction(mean, basis, weights, intercept, truth_strength, reads, **down), report


def _fit_side(z: np.ndarray, residuals: np.ndarray, held: np.ndarray,
              fit: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Ridge weights and intercept for one side, with the penalty that predicts the
    held-out examples best, refitted on all of them."""
    y = np.asarray(residuals, np.float64).reshape(len(residuals), -1)
    scores = {penalty: _held_out_r2(z[fit], y[fit], z[held], y[held], penalty) for penalty in PENALTIES}
    penalty = max(scores, key=scores.get)
    weights, intercept = _ridge(z, y, penalty)
    return weights, intercept, {"penalty": penalty, "held_out_r2": {f"{p:g}": round(v, 4) for p, v in scores.items()}}


def _ridge(z: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    z_mean, y_mean = z.mean(0), y.mean(0)
    centred = z - z_mean
    weights = np.linalg.solve(centred.T @ centred + penalty * np.eye(z.shape[1]), centred.T @ (y - y_mean))
    return weights, y_mean - z_mean @ weights


def _held_out_r2(z_fit: np.ndarray, y_fit: np.ndarray, z_held: np.ndarray, y_held: np.ndarray,
                 penalty: float) -> float:
    weights, intercept = _ridge(z_fit, y_fit, penalty)
    error = ((y_held - (z_held @ weights + intercept)) ** 2).sum()
    return float(1.0 - error / max(((y_held - y_held.mean(0)) ** 2).sum(), 1e-12))


__all__ = ["PENALTIES", "fit_correction"]
