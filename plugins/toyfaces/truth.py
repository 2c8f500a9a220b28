"""How far a GAN edit is from the true edit: the renderer knows what "more smile" is.

A direction is judged so far by the classifier's scores: how much the target moves
and how much the others do. Scores miss what the classifier does not score
(background, shirt, texture) and what breaks (blotches, melted faces): the strips in
docs/directions.md show mean-difference edits that pass as "more smile" on the
scores while the faces fall apart. The renderer gives a stricter reference. For a
population of generated faces edited at strength ``s``, render a population of real
faces with the *same* attribute changed by the same mean amount, and measure the
Fréchet distance between the two (classifier features): a clean, realistic edit
lands where the true edit lands; entanglement and artefacts both push it away.

The same mean amount is the classifier's: it does not read the renderer's 0-1 scale one
to one (on 48 renders age's true edit a little long, hair_length's a little short), so
the renders are moved by what it reads as the edit's change (:func:`read_matched_move`).

The result is reported relative to the generator's own distance from the renders
(the same Fréchet distance at strength 0): ``ratio`` 1 means the edit adds nothing to
the error the generator already has.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from latentroom.engine.direction import Direction
from latentroom.plugins.toyfaces.renderer import (ATTRIBUTE_NAMES, ATTRIBUTE_SPECS, DEFAULT_SIZE, Params, edit, render,
                                                  sample_params)

SEARCH_STEPS = 40  # bisection steps for a continuous amount: far below any score's noise
READ_TOLERANCE = 0.001  # scorer units: how close a matched truth's mean reading comes to the change
READS = 6  # truths read_matched_move may render and read; two or three reach the tolerance


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``[N, D]``.

    d = |mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr(sqrtm(C_a C_b)). The trace of the
    square root is the sum of the square roots of the eigenvalues of C_a C_b (real
    and >= 0 in exact arithmetic, as the product of two PSD matrices is similar to a
    PSD one), so no matrix square root (and no scipy) is needed; rounding can leave
    tiny negative or imaginary parts, which the real part of the principal root drops.
    """
    a, b = np.asarray(feats_a, np.float64), np.asarray(feats_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eig = np.linalg.eigvals(cov_a @ cov_b).astype(np.complex128)
    tr_sqrt = float(np.sqrt(eig).real.sum())
    d = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt)
    return max(d, 0.0)  # identical sets can round to -1e-12


def matched_truth_edit(params: Params, attribute: str, delta: float, seed: int = 0) -> Params:
    """The renderer's edit of ``params`` whose true mean change of ``attribute`` is ``delta``.

    Continuous attributes move every face by one amount (clipped to the 0-1 scale, so
    the amount is found by bisection on the clipped mean). Binary attributes cannot
    move by a fraction: a random subset of the faces without it gains it (with it,
    loses it for a negative ``delta``), as many as ``delta`` asks for.
    """
    spec = ATTRIBUTE_SPECS[attribute]
    values = params[attribute].astype(np.float64)
    if spec.kind == "binary":
        candidates = np.flatnonzero(values < 0.5) if delta > 0 else np.flatnonzero(values >= 0.5)
        count = min(len(candidates), int(round(abs(delta) * len(values))))
        chosen = np.random.default_rng(seed).choice(candidates, size=count, replace=False)
        amount = np.zeros(len(values), np.float32)
        amount[chosen] = 1.0 if delta > 0 else -1.0
        return edit(params, attribute, amount)
    lo, hi = spec.range
    low, high = -(hi - lo), hi - lo
    for _ in range(SEARCH_STEPS):
        mid = (low + high) / 2
        if (np.clip(values + mid, lo, hi) - values).mean() < delta:
            low = mid
        else:
            high = mid
    return edit(params, attribute, (low + high) / 2)


def read_matched_move(params: Params, attribute: str, change: float, scorer: Any, scorer_renders: np.ndarray,
                      size: int = DEFAULT_SIZE, batch_size: int = 256) -> float:
    """The renderer's mean move of a continuous ``attribute`` (:func:`matched_truth_edit`)
    whose true edit of ``params`` ``scorer`` reads, in the mean, as ``change``
    (``scorer_renders``: its scores of the unedited renders at ``size``).

    A scorer does not read the renderer's scale one to one (on evaluation's renders the
    judge reads hair_length's truth moved by 0.268 as 0.253, age's by 0.245 as 0.201), so
    a truth matched on the renderer's scale is weaker than the edit it is compared with,
    whose change the scorer read. A secant search on the reading, which grows with the
    move. Where the scorer cannot read ``change``, the move of the closest reading: the
    judge reads age lowered by at most 0.224 on evaluation's renders (its reading stops
    falling from a mean move of -0.40, of their mean age 0.51), and the age teacher at -3
    reaches 0.26."""
    column = ATTRIBUTE_NAMES.index(attribute)

    def reading(move: float) -> float:
        truths = render(matched_truth_edit(params, attribute, move), size)
        return float((scorer.predict(truths, batch_size)[:, column] - scorer_renders[:, column]).mean())

    tried = [(0.0, 0.0), (change, reading(change))]  # no move reads no change
    while len(tried) <= READS and abs(tried[-1][1] - change) > READ_TOLERANCE:
        (last_move, last_read), (move, read) = tried[-2:]
        slope = (read - last_read) / (move - last_move) if move != last_move else 0.0
        if slope <= 0:  # the readings no longer grow with the move: noise or the scorer's ceiling
            break
        move = float(np.clip(move + (change - read) / slope, -1.0, 1.0))
        tried.append((move, reading(move)))
    return min(tried[1:], key=lambda t: abs(t[1] - change))[0]


def classifier_matched_truth(params: Params, attribute: str, delta: float, classifier: Any,
                             classifier_renders: np.ndarray, seed: int = 0,
                             batch_size: int = 256) -> tuple[np.ndarray, float]:
    """The renders of ``params`` truly edited by the mean change ``delta`` of ``attribute``
    as ``classifier`` reads it (``classifier_renders``: its scores of the unedited
    renders), and that edit's mean move on the renderer's scale. A binary attribute flips
    as many faces as ``delta`` asks (:func:`matched_truth_edit`), a continuous one moves
    every face by :func:`read_matched_move`'s amount."""
    if ATTRIBUTE_SPECS[attribute].kind == "binary":
        edited = matched_truth_edit(params, attribute, delta, seed)
    else:
        move = read_matched_move(params, attribute, delta, classifier, classifier_renders, batch_size=batch_size)
        edited = matched_truth_edit(params, attribute, move)
    return render(edited), float((edited[attribute] - params[attribute]).mean())


@dataclass(frozen=True)
class TruthDistance:
    """One direction at one strength against the renderer's matched edit."""

    strength: float
    delta: float  # the edit's mean change of the target (classifier scores)
    truth_move: float  # the matched truth's mean move of the target on the renderer's scale
    fd_edit: float  # edited generated faces vs truly edited renders
    fd_generator: float  # unedited generated faces vs unedited renders (the same samples)
    samples: int

    @property
    def ratio(self) -> float:
        return self.fd_edit / self.fd_generator if self.fd_generator > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


class TruthReference:
    """Generated faces and renders drawn once, against which directions are measured.

    ``samples`` latents (seed ``seed``) for the generator and as many renderer
    parameter sets (renderer seed ``seed``); ``classifier`` is the toyfaces
    :class:`~plugins.toyfaces.classifier.AttributeClassifier` (scores and features
    from one pass). ``fd_generator``: the generator's own distance from the renders.
    """

    @torch.no_grad()
    def __init__(self, generator: Any, classifier: Any, samples: int = 1000, seed: int = 777,
                 batch_size: int = 256) -> None:
        from latentroom.plugins.directions.edit import to_wplus
        from latentroom.plugins.directions.sampling import sample_w

        self.generator, self.classifier = generator, classifier
        self.samples, self.seed, self.batch_size = int(samples), int(seed), int(batch_size)
        self.ws = to_wplus(sample_w(generator, self.samples, self.seed), generator.n_latent)
        self.params = sample_params(self.seed, self.samples)
        self.base_pred, base_feat = self._generated(None, 0.0)
        self.render_pred, render_feat = classifier.predict_with_features(render(self.params), self.batch_size)
        self.fd_generator = frechet_distance(base_feat, render_feat)

    def _generated(self, direction: Direction | None, strength: float) -> tuple[np.ndarray, np.ndarray]:
        from latentroom.plugins.directions.edit import CorrectionReader, edit_latents

        read = CorrectionReader(self.generator, direction) if direction is not None and strength else None
        preds, feats = [], []
        for i in range(0, self.samples, self.batch_size):
            chunk = self.ws[i : i + self.batch_size].to(self.generator.device)
            if read is not None:
                chunk = edit_latents(chunk, direction, strength, read.of_rendering(self.generator.synthesis, chunk))
            images = self.generator.synthesis(chunk).float().clamp(-1, 1)
            p, f = self.classifier.predict_with_features(images, self.batch_size)
            preds.append(p)
            feats.append(f)
        return np.concatenate(preds), np.concatenate(feats)

    @torch.no_grad()
    def measure(self, direction: Direction, strength: float) -> TruthDistance:
        """``direction`` at ``strength`` against the renders truly edited by the same mean
        amount, as the classifier reads both."""
        attribute = direction.attribute
        if attribute not in ATTRIBUTE_NAMES:
            raise ValueError(f"{attribute!r} is not a toyfaces attribute; known: {', '.join(ATTRIBUTE_NAMES)}")
        target = ATTRIBUTE_NAMES.index(attribute)
        pred, feat = self._generated(direction, float(strength))
        delta = float((pred[:, target] - self.base_pred[:, target]).mean())
        truth, move = classifier_matched_truth(self.params, attribute, delta, self.classifier, self.render_pred,
                                               self.seed, self.batch_size)
        _, truth_feat = self.classifier.predict_with_features(truth, self.batch_size)
        return TruthDistance(float(strength), delta, move, frechet_distance(feat, truth_feat), self.fd_generator,
                             self.samples)


__all__ = ["TruthDistance", "classifier_matched_truth", "frechet_distance", "matched_truth_edit", "read_matched_move",
           "TruthReference"]
