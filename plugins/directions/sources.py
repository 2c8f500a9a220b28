"""The five built-in direction sources.

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

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np
import torch

from latentroom.engine.direction import (DEFAULT_STRENGTH_RANGE, Direction, Provenance, format_layers, layer_groups,
                              parse_layers)
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.sampling import DEFAULT_BATCH, SampleBank, draw_bank, render_and_score, sample_w, std_along
from latentroom.plugins.directions.scoring import (BINARY_TEMPERATURE, ScorerError, binary_attributes, scorer_name,
                                                   training_scores)

COMMON_DEFAULTS: dict[str, Any] = {
    "samples": 2000,
    "seed": 0,
    "truncation": 1.0,
    "batch_size": DEFAULT_BATCH,
    "layers": "all",
    "strength_range": DEFAULT_STRENGTH_RANGE,
    "condition_on": (),
}
# Smallest gain the optimized source takes a log of (scores are on a 0-1 scale).
GAIN_FLOOR = 1e-4
# Bank samples whose mean gradient gives a response normal (condition_by="response").
RESPONSE_SAMPLES = 512
# Objects, not settings: used but not recorded in the provenance parameters.
_RUNTIME = ("scorer", "bank", "generator_spec")


@dataclass
class FindContext:
    """What one ``find`` call works with; the sample bank is drawn on first use."""

    generator: Generator
    attribute: str
    params: dict[str, Any]
    scorer: Callable[..., Any]
    _bank: SampleBank | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # W+ layers the source chose itself (stylespace); None: from the layers parameter.
    layers: tuple[int, ...] | None = None

    def bank(self) -> SampleBank:
        if self._bank is None:
            p = self.params
            self._bank = draw_bank(self.generator, self.scorer, int(p["samples"]), int(p["seed"]),
                                   float(p["truncation"]), int(p["batch_size"]))
        return self._bank


class DirectionSourceBase:
    """Shared ``find``: parameter checks, conditioning, layer choice, scale, provenance.

    Subclasses set ``name`` and ``defaults`` and implement :meth:`vector`.
    """

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    supports_conditioning: ClassVar[bool] = False
    without_scorer: ClassVar[str] = ""  # how to use the source without one, for the error

    def needs_scorer(self, params: Mapping[str, Any]) -> bool:
        """Whether ``find`` with ``params`` labels samples (so needs a scorer); a
        parameter the source does not take is refused here already."""
        self._check(params)
        return self._labels_samples({**COMMON_DEFAULTS, **self.defaults, **self.options, **params})

    def _labels_samples(self, merged: Mapping[str, Any]) -> bool:
        return True

    def __init__(self, **options: Any) -> None:
        # Factory options become this instance's defaults (``factory(**options)``).
        self._check(options)
        self.options = options

    def _check(self, params: Mapping[str, Any]) -> None:
        allowed = set(COMMON_DEFAULTS) | set(self.defaults) | set(_RUNTIME)
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise LatentroomError(f"direction source '{self.name}' has no parameter {', '.join(unknown)} "
                                  f"(it takes {', '.join(sorted(allowed))})")

    def find(self, generator: Generator, attribute: str, **params: Any) -> Direction:
        self._check(params)
        merged = {**COMMON_DEFAULTS, **self.defaults, **self.options, **params}
        scorer = merged.pop("scorer", None)
        bank = merged.pop("bank", None)
        if scorer is None and bank is None and self._labels_samples(merged):
            raise ScorerError(f"direction source '{self.name}' needs an attribute scorer to label samples: "
                              f"pass --scorer{self.without_scorer}")
        spec = merged.pop("generator_spec", None)
        condition_on = _names(merged["condition_on"])
        if attribute in condition_on:
            raise LatentroomError(f"cannot condition '{attribute}' on itself")
        if merged.get("condition_by", "boundary") not in ("boundary", "response"):
            raise LatentroomError(f"condition_by must be 'boundary' or 'response', got {merged['condition_by']!r}")
        if condition_on and not self.supports_conditioning:
            raise LatentroomError(f"direction source '{self.name}' does not support condition_on "
                                  "(use mean-difference or linear-boundary)")
        layer_spec = merged["layers"]
        if layer_spec != "auto":
            parse_layers(layer_spec, generator.n_latent)  # fail before any sampling
        ctx = FindContext(generator, attribute, merged, scorer, bank)
        vector = self.vector(ctx)
        if condition_on:
            vector = self._condition(ctx, vector, condition_on)
        vector = vector / np.linalg.norm(vector)  # the scale is the sd along the *unit* vector
        scale = std_along(generator, vector)
        if ctx.layers is not None:
            layers = ctx.layers
        elif layer_spec == "auto":
            layers, table = suggest_layers(generator, scorer, vector, scale, attribute,
                                           batch_size=int(merged["batch_size"]))
            ctx.details["layer_choice"] = table
        else:
            layers = parse_layers(layer_spec, generator.n_latent)
        recorded = {k: _jsonable(v) for k, v in merged.items()}
        recorded["condition_on"] = list(condition_on)
        recorded["scorer"] = None if scorer is None else scorer_name(scorer)
        if ctx._bank is not None:  # what was really sampled (a passed bank overrides)
            recorded.update(ctx._bank.describe())
        provenance = Provenance(source=self.name, attribute=attribute, parameters=recorded,
                                generator=spec, weights_sha256=generator.weights_sha256,
                                details=ctx.details)
        low, high = merged["strength_range"]
        return Direction.from_vector(vector, generator.n_latent, provenance, layers, scale, (low, high))

    def vector(self, ctx: FindContext) -> np.ndarray:
        """The (not necessarily normalised) direction for ``ctx.attribute``, pointing
        the way the attribute increases."""
        raise NotImplementedError

    def _condition(self, ctx: FindContext, vector: np.ndarray, others: Sequence[str]) -> np.ndarray:
        mode = ctx.params.get("condition_by", "boundary")
        if mode == "boundary":
            normals = {name: self.normal(ctx.bank(), name, ctx.params, ctx.details) for name in others}
        else:  # "response"; find() refused anything else
            bank, layer_spec, n_latent = ctx.bank(), ctx.params["layers"], ctx.generator.n_latent
            for name in others:
                bank.attribute(name)  # unknown attributes fail with the known ones listed
            layers = range(n_latent) if layer_spec == "auto" else parse_layers(layer_spec, n_latent)
            normals = response_normals(ctx.generator, ctx.scorer, bank.ws[:RESPONSE_SAMPLES], others, layers,
                                       batch_size=int(ctx.params["batch_size"]))
        target = vector / np.linalg.norm(vector)
        conditioned = project_out(target, list(normals.values()))
        ctx.details["conditioned_on"] = {
            name: {"cosine_before": float(target @ n), "cosine_after": float(conditioned @ n)}
            for name, n in normals.items()
        }
        return conditioned

    def normal(self, bank: SampleBank, attribute: str, params: Mapping[str, Any] | None = None,
               details: dict[str, Any] | None = None) -> np.ndarray:
        """Unit direction for ``attribute`` from labelled samples (sampling sources);
        choices made while fitting go into ``details`` (the provenance details)."""
        raise NotImplementedError


# ------------------------------------------------------------------ sampling sources


def split_groups(bank: SampleBank, attribute: str, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (high, low): binary attributes split at probability 0.5,
    continuous ones take the top and bottom ``fraction`` of the ranking."""
    scores = bank.attribute(attribute)
    if attribute in bank.binary:
        high, low = scores > 0.5, scores <= 0.5
    else:
        if not 0 < fraction <= 0.5:
            raise LatentroomError(f"fraction must be in (0, 0.5], got {fraction}")
        k = max(1, int(round(fraction * len(scores))))
        order = np.argsort(scores, kind="stable")
        low = np.zeros(len(scores), dtype=bool)
        high = np.zeros(len(scores), dtype=bool)
        low[order[:k]] = True
        high[order[-k:]] = True
    if high.sum() < 2 or low.sum() < 2:
        raise LatentroomError(f"'{attribute}': too few samples on one side ({int(high.sum())} high, "
                              f"{int(low.sum())} low of {len(scores)}); draw more samples")
    return high, low


def project_out(vector: np.ndarray, normals: Sequence[np.ndarray]) -> np.ndarray:
    """``vector`` with its components along ``normals`` removed, renormalised.

    The normals are orthonormalised first (modified Gram-Schmidt), so the result is
    orthogonal to every one of them even when they are correlated with each other.
    """
    basis: list[np.ndarray] = []
    for n in normals:
        u = np.asarray(n, dtype=np.float64).copy()
        for b in basis:
            u -= (u @ b) * b
        norm = np.linalg.norm(u)
        if norm > 1e-8:  # a normal already spanned by the others adds nothing
            basis.append(u / norm)
    v = np.asarray(vector, dtype=np.float64).copy()
    for b in basis:
        v -= (v @ b) * b
    norm = np.linalg.norm(v)
    if norm < 1e-6:
        raise LatentroomError("the direction lies in the span of the conditioned attributes' normals: "
                              "nothing is left after projecting them out")
    return v / norm


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


# -------------------------------------------------------------- component sources


def correlations(bank: SampleBank, basis: np.ndarray, center: np.ndarray) -> dict[str, np.ndarray]:
    """Pearson correlation of each component's coordinate ``(w - center) @ basis[k]``
    with each attribute over the bank: ``{attribute: [K]}``."""
    coords = (bank.ws - center) @ basis.T  # [N, K]
    coords = coords - coords.mean(0)
    coords /= np.maximum(np.linalg.norm(coords, axis=0), 1e-12)
    out = {}
    for name, scores in bank.scores.items():
        s = scores - scores.mean()
        norm = np.linalg.norm(s)
        out[name] = (coords.T @ s) / norm if norm > 0 else np.zeros(basis.shape[0])
    return out


class ComponentSource(DirectionSourceBase):
    """A source that offers a basis of components and picks the one most correlated
    with the attribute (sign aligned so positive strength increases it)."""

    defaults = {"components": 20, "component": None}
    without_scorer = " or pick a component by index with --component K (see `latentroom direction components`)"

    def _labels_samples(self, merged: Mapping[str, Any]) -> bool:
        # A chosen component needs no labels unless layers or conditioning are to be
        # chosen by their effect on attributes.
        return merged["component"] is None or merged["layers"] == "auto" or bool(merged["condition_on"])

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(components [K, D] unit rows, strengths [K] (variance or eigenvalue),
        center [D])``, strongest first."""
        raise NotImplementedError

    def components(self, generator: Generator, count: int | None = None, suggest: bool = False,
                   **params: Any) -> list[dict[str, Any]]:
        """The first ``count`` components, each labelled with the attribute it
        correlates with most; ``suggest=True`` also tries each on coarse/middle/fine/all
        layers (renders images) and adds ``suggested_layers``."""
        self._check(params)
        merged = {**COMMON_DEFAULTS, **self.defaults, **self.options, **params}
        scorer = merged.get("scorer")
        if scorer is None and merged.get("bank") is None:
            raise ScorerError(f"labelling {self.name} components needs an attribute scorer: pass --scorer")
        ctx = FindContext(generator, "", merged, scorer, merged.get("bank"))
        basis, strengths, center = self.basis(generator, merged)
        k = min(int(count or merged["components"]), basis.shape[0])
        corr = correlations(ctx.bank(), basis[:k], center)
        rows = []
        for i in range(k):
            label = max(corr, key=lambda name: abs(corr[name][i]))
            row: dict[str, Any] = {"index": i, "strength": float(strengths[i]), "label": label,
                                   "correlation": float(corr[label][i]),
                                   "correlations": {name: float(values[i]) for name, values in corr.items()}}
            if suggest:
                vector = basis[i] * np.sign(corr[label][i] or 1.0)
                layers, _ = suggest_layers(generator, scorer, vector, std_along(generator, vector), label,
                                           batch_size=int(merged["batch_size"]))
                row["suggested_layers"] = layers
            rows.append(row)
        return rows

    def vector(self, ctx: FindContext) -> np.ndarray:
        basis, strengths, center = self.basis(ctx.generator, ctx.params)
        if ctx.params.get("component") is not None:
            return self._chosen(ctx, basis, strengths)
        k = min(int(ctx.params["components"]), basis.shape[0])
        corr = correlations(ctx.bank(), basis[:k], center)
        values = corr.get(ctx.attribute)
        if values is None:
            ctx.bank().attribute(ctx.attribute)  # raises the unknown-attribute error
        best = int(np.argmax(np.abs(values)))
        sign = 1.0 if values[best] >= 0 else -1.0
        ctx.details.update({
            "component": best,
            "component_strength": float(strengths[best]),
            "correlation": float(values[best]),
            "correlations": {name: float(v[best]) for name, v in corr.items()},
        })
        return sign * basis[best]


    def _chosen(self, ctx: FindContext, basis: np.ndarray, strengths: np.ndarray) -> np.ndarray:
        """Component ``component`` as it is (the user names what it does): no labels."""
        index = ctx.params["component"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < basis.shape[0]:
            raise LatentroomError(f"{self.name}: component must be an index 0..{basis.shape[0] - 1}, got {index!r}")
        ctx.details.update({"component": index, "component_strength": float(strengths[index]),
                            "chosen_by": "index"})
        return basis[index]


class GANSpace(ComponentSource):
    """GANSpace: principal components of sampled ``w`` (mapping only, cheap).

    Extra parameters: ``components`` (20): how many leading components to consider;
    ``component`` (None): take this one by index, unlabelled (no scorer needed);
    ``pca_samples`` (20000).
    """

    name = "ganspace"
    defaults = {"components": 20, "component": None, "pca_samples": 20000}

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ws = sample_w(generator, int(params["pca_samples"]), int(params["seed"]) + 1,
                      float(params["truncation"])).double().numpy()
        center = ws.mean(0)
        cov = np.cov(ws - center, rowvar=False)
        values, vectors = np.linalg.eigh(cov)
        order = np.argsort(values)[::-1]
        ratio = values[order] / max(values.sum(), 1e-12)
        return vectors[:, order].T, ratio, center


class SeFa(ComponentSource):
    """SeFa: closed-form factorisation. The eigenvectors of ``A^T A``, where ``A``
    stacks the style-modulation weight rows (each normalised to unit length, as in
    the SeFa paper) of the chosen layers' modulated convolutions. No sampling is needed
    for the eigenvectors; labelled samples only name them.

    Extra parameters: ``components`` (20); ``component`` (None, as for GANSpace);
    ``include_torgb`` (False): also stack the to-RGB layers' modulations (the paper uses
    the convolutions only).
    ``layers`` chooses both which weights are factorised and where the result applies
    (``auto`` factorises all layers, then picks where to apply it).
    """

    name = "sefa"
    defaults = {"components": 20, "component": None, "include_torgb": False}

    def basis(self, generator: Generator, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        spec = params["layers"]
        layers = parse_layers(None if spec == "auto" else spec, generator.n_latent)
        a = stacked_modulations(generator, layers, bool(params["include_torgb"]))
        values, vectors = np.linalg.eigh(a.T @ a)
        order = np.argsort(values)[::-1]
        # Eigenvectors in W need no centre; the labels use the mean w as the origin.
        center = sample_w(generator, 4096, int(params["seed"]) + 1).double().numpy().mean(0)
        return vectors[:, order].T, values[order], center


@dataclass(frozen=True)
class StyleInput:
    """One modulation that reads a W+ layer: ``kind`` is ``"conv"`` (a styled
    convolution) or ``"rgb"`` (a to-RGB layer), ``name`` the module's name and
    ``weight`` its effective matrix ``[C_in, style_dim]`` (the run-time scale applied:
    the style is ``weight @ w + bias``)."""

    kind: str
    name: str
    weight: np.ndarray


def style_inputs(generator: Generator) -> list[list[StyleInput]]:
    """Per W+ layer, the modulations of the StyleGAN2 layout (``conv1``, ``convs``,
    ``to_rgb1``, ``to_rgbs``, each with ``.conv.modulation``) that read it."""
    if not all(hasattr(generator, n) for n in ("conv1", "convs", "to_rgb1", "to_rgbs")):
        raise LatentroomError(f"{type(generator).__name__} does not have the StyleGAN2 layout "
                              "(conv1, convs, to_rgb1, to_rgbs): its style modulations cannot be read")

    def read(kind: str, name: str, layer: Any) -> StyleInput:
        mod = layer.conv.modulation
        return StyleInput(kind, name, (mod.weight.detach().double() * mod.scale).cpu().numpy())

    per_layer: list[list[StyleInput]] = [[] for _ in range(generator.n_latent)]
    per_layer[0].append(read("conv", "conv1", generator.conv1))
    per_layer[1].append(read("rgb", "to_rgb1", generator.to_rgb1))
    # Block k's two convs read W+ layers 2k+1 and 2k+2; its to-RGB reads 2k+3.
    for k in range(len(generator.convs) // 2):
        per_layer[2 * k + 1].append(read("conv", f"convs.{2 * k}", generator.convs[2 * k]))
        per_layer[2 * k + 2].append(read("conv", f"convs.{2 * k + 1}", generator.convs[2 * k + 1]))
        per_layer[2 * k + 3].append(read("rgb", f"to_rgbs.{k}", generator.to_rgbs[k]))
    return per_layer


def modulation_weights(generator: Generator, include_torgb: bool = False) -> list[list[np.ndarray]]:
    """Per W+ layer, the modulation weight matrices ``[C_in, style_dim]`` that read it.

    A generator may provide ``style_modulations(include_torgb)`` returning that list
    itself; otherwise the StyleGAN2 layout is read (:func:`style_inputs`).
    """
    own = getattr(generator, "style_modulations", None)
    if callable(own):
        return [[np.asarray(m, dtype=np.float64) for m in layer] for layer in own(include_torgb)]
    if not all(hasattr(generator, n) for n in ("conv1", "convs", "to_rgb1", "to_rgbs")):
        raise LatentroomError(f"sefa needs the generator's style modulation weights: {type(generator).__name__} "
                              "has neither the StyleGAN2 layout nor a style_modulations() method")
    return [[m.weight for m in layer if include_torgb or m.kind == "conv"] for layer in style_inputs(generator)]


def stacked_modulations(generator: Generator, layers: Sequence[int], include_torgb: bool = False) -> np.ndarray:
    """``A``: the chosen layers' modulation rows, each normalised, ``[sum C_in, style_dim]``."""
    per_layer = modulation_weights(generator, include_torgb)
    mats = [m for i in layers for m in per_layer[i]]
    if not mats:
        raise LatentroomError(f"sefa: layers {list(layers)} have no modulated convolutions "
                              "(add include_torgb=True or choose other layers)")
    a = np.concatenate(mats, axis=0)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


# ------------------------------------------------------------------------ layer choice


@torch.no_grad()
def suggest_layers(generator: Generator, scorer: Callable[..., Any], vector: np.ndarray, scale: float,
                   attribute: str, samples: int = 64, strength: float = 2.0, seed: int = 777,
                   batch_size: int = DEFAULT_BATCH) -> tuple[str, dict[str, Any]]:
    """Try the edit on coarse, middle, fine and all layers (``samples`` images at
    ``+-strength``); keep the candidate with the best selectivity
    ``|d target| / (|d target| + max |d other|)`` among those moving the target at
    least half as much as the best one. Returns ``(layer spec, per-candidate table)``."""
    groups = layer_groups(generator.n_latent)
    provenance = Provenance(source="suggest", attribute=attribute)
    base = sample_w(generator, samples, seed)
    table: dict[str, Any] = {}
    seen: set[tuple[int, ...]] = set()
    for name in ("coarse", "middle", "fine", "all"):
        if groups[name] in seen:
            continue
        seen.add(groups[name])
        direction = Direction.from_vector(vector, generator.n_latent, provenance, groups[name], scale)
        plus = render_and_score(generator, scorer, edit_latents(base, direction, strength), batch_size)
        minus = render_and_score(generator, scorer, edit_latents(base, direction, -strength), batch_size)
        change = {a: float(np.mean(plus[a] - minus[a]) / (2 * strength)) for a in plus}
        target = abs(change[attribute])
        other = max((abs(v) for a, v in change.items() if a != attribute), default=0.0)
        table[name] = {"target": target, "max_other": other,
                       "selectivity": target / (target + other) if target + other > 0 else 0.0}
    best_target = max(row["target"] for row in table.values())
    eligible = [n for n, row in table.items() if row["target"] >= 0.5 * best_target]
    choice = max(eligible, key=lambda n: table[n]["selectivity"])
    return choice, table


# ------------------------------------------------------------------ optimised source


class Optimized(DirectionSourceBase):
    """A unit direction trained through the generator and a differentiable scorer.

    Every step moves ``batch_size`` bank samples ``step`` standard deviations along
    ``d`` (on the direction's layers) and measures the target attribute's mean change
    (the gain) and every other attribute's mean absolute change (its leak). Adam on
    ``d`` minimises ``-log(gain) + others_weight * sum(relu(leak / gain - isolation))``:
    as much gain as possible while each leak stays below ``isolation`` times the gain.
    Both terms are ratios or logs, so shrinking the edit (moving ``d`` to where W
    hardly varies) does not lower the loss; a difference ``leak - gain`` is lowered
    by it, and when the start leaks more than it gains, an edit that does nothing
    wins.

    The sampling sources read the attribute *linearly* off ``w``; where the generator's
    W is entangled, what moves along such a direction is not what was read. This
    source scores the edit itself, so the other attributes' changes are penalised as
    the generator actually makes them. It starts from the mean difference.

    Needs a scorer with ``torch_scores(images) -> Tensor [B, A]`` (differentiable, in
    the order of its ``attributes``); the toyfaces classifier has one. Binary
    attributes are trained on ``sigmoid(logit / binary_temperature)`` when the scorer
    also has ``torch_logits`` (see :func:`latentroom.plugins.directions.scoring.training_scores`):
    a saturated probability has no gradient to follow.

    Extra parameters: ``steps`` (200), ``lr`` (0.01), ``step`` (2.0: edit size in
    standard deviations along ``d`` during training), ``isolation`` (0.15, below the
    acceptance criterion's 0.25), ``others_weight`` (10), ``binary_temperature``
    (5.0), ``fraction`` (0.3, for the mean-difference start). Samples come from the
    bank; ``batch_size`` latents per step.
    """

    name = "optimized"
    defaults = {"steps": 200, "lr": 0.01, "step": 2.0, "isolation": 0.15, "others_weight": 10.0,
                "binary_temperature": BINARY_TEMPERATURE, "fraction": 0.3}

    def vector(self, ctx: FindContext) -> np.ndarray:
        _require_differentiable(ctx.scorer, "direction source 'optimized'")
        bank = ctx.bank()
        bank.attribute(ctx.attribute)  # unknown attributes fail here, with the known ones listed
        names = list(ctx.scorer.attributes)
        target = names.index(ctx.attribute)
        others = [i for i in range(len(names)) if i != target]
        generator, p = ctx.generator, ctx.params
        n_latent = generator.n_latent
        layer_spec = p["layers"]
        layers = range(n_latent) if layer_spec == "auto" else parse_layers(layer_spec, n_latent)
        device = torch.device(generator.device)
        mask = _layer_mask(n_latent, layers, device)
        ws = torch.from_numpy(bank.ws).float()
        start = MeanDifference(fraction=p["fraction"]).normal(bank, ctx.attribute)
        d = torch.tensor(start, dtype=torch.float32, requires_grad=True)
        optimizer = torch.optim.Adam([d], lr=float(p["lr"]))
        batch = min(int(p["batch_size"]), len(ws))
        draw = torch.Generator().manual_seed(int(p["seed"]))
        temperature = float(p["binary_temperature"])
        history = []
        for _ in range(int(p["steps"])):
            unit = d / d.norm()
            offset = float(p["step"]) * (ws @ unit).std() * unit  # one sd of the bank along d
            base = to_wplus(ws[torch.randint(len(ws), (batch,), generator=draw)], n_latent).to(device)
            moved = base + mask * offset.to(device)
            scores = training_scores(ctx.scorer, generator.synthesis(torch.cat([base, moved])).float(), temperature)
            change = scores[batch:] - scores[:batch]
            gain = change[:, target].mean()
            leaks = change[:, others].abs().mean(0)
            excess = torch.relu(leaks / gain.clamp_min(GAIN_FLOOR) - float(p["isolation"])).sum()
            loss = float(p["others_weight"]) * excess - _log_gain(gain)
            leak = leaks.sum()
            # Gradients for d only: the generator's and scorer's parameters stay untouched.
            (grad,) = torch.autograd.grad(loss, [d])
            d.grad = grad
            optimizer.step()
            history.append((float(gain.detach()), float(leak.detach())))
        ctx.details["optimized"] = {
            "cosine_with_start": float(np.dot(start, (d / d.norm()).detach().numpy())),
            "first_gain_leak": list(history[0]) if history else None,
            "last_gain_leak": [float(v) for v in np.mean(history[-10:], axis=0)] if history else None,
            "binary_softened": hasattr(ctx.scorer, "torch_logits") and bool(binary_attributes(ctx.scorer)),
        }
        return (d / d.norm()).detach().double().numpy()


def response_normals(generator: Generator, scorer: Any, ws: np.ndarray, attributes: Sequence[str],
                     layers: Sequence[int], temperature: float = BINARY_TEMPERATURE,
                     batch_size: int = DEFAULT_BATCH) -> dict[str, np.ndarray]:
    """For each attribute, the unit direction in W along which the generator's images
    change it fastest on average: the mean over ``ws`` of the gradient of its training
    score (:func:`~plugins.directions.scoring.training_scores`) with respect to a shift
    of ``w`` on ``layers``."""
    _require_differentiable(scorer, "response conditioning")
    names = list(scorer.attributes)
    columns = [names.index(a) for a in attributes]
    device = torch.device(generator.device)
    mask = _layer_mask(generator.n_latent, layers, device)
    total = torch.zeros(len(columns), generator.style_dim, dtype=torch.float64)
    latents = torch.from_numpy(np.asarray(ws)).float()
    for i in range(0, len(latents), batch_size):
        base = to_wplus(latents[i : i + batch_size], generator.n_latent).to(device)
        # The gradient with respect to one shift shared by the batch is the sum of the
        # per-sample gradients: one backward pass per attribute, not per sample.
        shift = torch.zeros(generator.style_dim, device=device, requires_grad=True)
        scores = training_scores(scorer, generator.synthesis(base + mask * shift).float(), temperature)
        for row, column in enumerate(columns):
            (grad,) = torch.autograd.grad(scores[:, column].sum(), [shift], retain_graph=row < len(columns) - 1)
            total[row] += grad.double().cpu()
    out = {}
    for row, name in enumerate(attributes):
        norm = float(total[row].norm())
        if norm < 1e-12:
            raise LatentroomError(f"'{name}' does not respond to any shift of w on layers "
                                  f"{format_layers(layers, generator.n_latent)}: nothing to condition on")
        out[name] = (total[row] / norm).numpy()
    return out


# ---------------------------------------------------------------------------- helpers


def _log_gain(gain: torch.Tensor) -> torch.Tensor:
    """``log(gain)``, continued below ``GAIN_FLOOR`` by its tangent there: a gain that
    went to zero or below has no log, yet must still be pushed back up."""
    tangent = math.log(GAIN_FLOOR) + (gain - GAIN_FLOOR) / GAIN_FLOOR
    return torch.where(gain > GAIN_FLOOR, torch.log(gain.clamp_min(GAIN_FLOOR)), tangent)


def _require_differentiable(scorer: Any, what: str) -> None:
    if getattr(scorer, "torch_scores", None) is None:
        raise LatentroomError(f"{what} needs a differentiable scorer (one with torch_scores); "
                              f"{scorer_name(scorer)} has none")


def _layer_mask(n_latent: int, layers: Sequence[int], device: torch.device) -> torch.Tensor:
    mask = torch.zeros(1, n_latent, 1, device=device)
    mask[:, list(layers)] = 1.0
    return mask


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v) for v in value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


SOURCES: dict[str, type[DirectionSourceBase]] = {
    cls.name: cls for cls in (MeanDifference, LinearBoundary, GANSpace, SeFa, Optimized)
}
