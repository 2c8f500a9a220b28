"""Direction source ``linear-boundary`` (InterFaceGAN): the normal of a regularised logistic
boundary between labelled samples."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from latentroom.plugins.directions.sampling import SampleBank
from latentroom.plugins.directions.source_base import DirectionSourceBase, FindContext, split_groups


class LinearBoundary(DirectionSourceBase):
    """InterFaceGAN: the unit normal of a linear boundary separating high from low
    samples in W (class-balanced, L2-regularised logistic regression fitted by Newton's
    method in NumPy).

    ``condition_on=[...]`` projects the other attributes' normals out (conditional
    manipulation), so moving along the result leaves those attributes unchanged to
    first order. With ``condition_by="boundary"`` (the default, InterFaceGAN's way)
    the normals are the other attributes' boundaries: their *linear read-out* from
    ``w`` stays put. With ``condition_by="response"`` they are the directions in which
    the generator's images change those attributes fastest (:func:`response_normals`,
    needs a differentiable scorer): what the scorer sees in the images stays put, to
    first order, even where the read-out and the generator's response differ.

    Extra parameters: ``fraction`` (0.3) as in mean-difference; ``l2`` ("cv"): ridge
    strength on standardised ``w``, a number or ``"cv"`` to pick it from
    :data:`L2_GRID` by 5-fold cross-validation on the bank (the choice is recorded in
    the direction's provenance details); ``condition_by`` ("boundary").
    """

    name = "linear-boundary"
    defaults = {"fraction": 0.3, "l2": "cv", "condition_by": "boundary"}
    supports_conditioning = True

    def vector(self, ctx: FindContext) -> np.ndarray:
        return self.normal(ctx.bank(), ctx.attribute, ctx.params, ctx.details)

    def normal(self, bank: SampleBank, attribute: str, params: Mapping[str, Any] | None = None,
               details: dict[str, Any] | None = None) -> np.ndarray:
        merged = {**self.defaults, **self.options, **(params or {})}
        high, low = split_groups(bank, attribute, float(merged["fraction"]))
        keep = high | low
        x = bank.ws[keep]
        y = high[keep].astype(np.float64)
        if merged["l2"] == "cv":
            l2, losses = choose_l2(x, y)
            if details is not None:
                details.setdefault("l2_cv", {})[attribute] = {"chosen": l2, "held_out_loss": losses}
        else:
            l2 = float(merged["l2"])
        beta, _ = fit_logistic(x, y, l2)
        return beta / np.linalg.norm(beta)


# Penalties tried by cross-validation. With 256-d W and a few thousand samples the
# unregularised normal follows noise in low-variance directions of W, which the
# generator barely responds to; strong penalties tend to the mean difference.
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def choose_l2(x: np.ndarray, y: np.ndarray, folds: int = 5, grid: Sequence[float] = L2_GRID,
              ) -> tuple[float, dict[str, float]]:
    """The penalty of ``grid`` with the lowest class-balanced held-out log-loss over
    ``folds`` interleaved folds, and each penalty's mean held-out loss."""
    fold_of = np.arange(len(y)) % folds
    losses: dict[str, float] = {}
    for l2 in grid:
        total = 0.0
        for k in range(folds):
            train, test = fold_of != k, fold_of == k
            beta, intercept = fit_logistic(x[train], y[train], l2)
            logits = np.clip(x[test] @ beta + intercept, -30, 30)
            p = 1.0 / (1.0 + np.exp(-logits))
            yt = y[test]
            eps = 1e-12
            total += 0.5 * float(-np.log(p[yt > 0.5] + eps).mean() - np.log(1 - p[yt <= 0.5] + eps).mean())
        losses[f"{l2:g}"] = total / folds
    best = min(grid, key=lambda l2: losses[f"{l2:g}"])
    return float(best), losses


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 50) -> tuple[np.ndarray, float]:
    """Weights ``w [D]`` and intercept ``b`` of a class-balanced logistic regression
    ``y ~ sigmoid(x @ w + b)`` with an L2 penalty, in the coordinates of ``x``.

    Features are centred and divided by one global standard deviation (not per
    coordinate: a per-coordinate rescaling would tilt the normal in W).
    """
    mean = x.mean(0)
    spread = float(x.std()) or 1.0
    xs = np.hstack([(x - mean) / spread, np.ones((len(x), 1))])
    positives = y.sum()
    # Balanced weights: the boundary is not pulled toward the rarer class.
    weights = np.where(y > 0.5, 0.5 / positives, 0.5 / (len(y) - positives))
    penalty = np.full(xs.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    beta = np.zeros(xs.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(xs @ beta, -30, 30)))
        grad = xs.T @ (weights * (p - y)) + penalty * beta
        hess = (xs * (weights * p * (1 - p))[:, None]).T @ xs + np.diag(penalty) + 1e-10 * np.eye(len(beta))
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    w = beta[:-1] / spread
    return w, float(beta[-1] - w @ mean)
