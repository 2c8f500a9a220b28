"""What every direction source shares: the common parameters (:mod:`latentroom.plugins.directions.sources`),
the find context, the base class that samples, fits, conditions and records a direction, and the
helpers several sources use (group splits, projections, layer choice, response normals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np
import torch

from latentroom.engine.direction import (DEFAULT_STRENGTH_RANGE, Direction, Provenance, format_layers,
                                         layer_groups, parse_layers)
from latentroom.engine.direction_correction import Correction
from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator
from latentroom.plugins.directions.edit import edit_latents, to_wplus
from latentroom.plugins.directions.sampling import (DEFAULT_BATCH, SampleBank, draw_bank, render_and_score,
                                                    sample_w, std_along)
from latentroom.plugins.directions.scoring import (BINARY_TEMPERATURE, ScorerError, scorer_name, scorer_record,
                                                  target_parts, training_scores)


COMMON_DEFAULTS: dict[str, Any] = {
    "samples": 2000,
    "seed": 0,
    "truncation": 1.0,
    "batch_size": DEFAULT_BATCH,
    "layers": "all",
    "strength_range": DEFAULT_STRENGTH_RANGE,
    "condition_on": (),
}


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
    # A per-face correction the source fitted (inverted-truth with correction=K).
    correction: Correction | None = None

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
    composes_attributes: ClassVar[bool] = False  # raises each part of an ``A+B`` itself
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

    def _check_composed(self, attribute: str, scorer: Any, bank: SampleBank | None) -> None:
        """A composed ``A+B`` (two scorer columns) only for a source that raises each part."""
        known = getattr(scorer, "attributes", None) or (list(bank.scores) if bank is not None else None)
        if self.composes_attributes or known is None or len(target_parts(attribute, known)) == 1:
            return
        raise LatentroomError(f"direction source '{self.name}' follows one scorer column, and {attribute!r} "
                              "names two: only 'optimized' raises each part of a composed attribute (or give "
                              "the text scorer one column that sums them, e.g. 'both=an old face + a smiling face')")

    def find(self, generator: Generator, attribute: str, **params: Any) -> Direction:
        self._check(params)
        merged = {**COMMON_DEFAULTS, **self.defaults, **self.options, **params}
        scorer = merged.pop("scorer", None)
        bank = merged.pop("bank", None)
        if scorer is None and bank is None and self._labels_samples(merged):
            raise ScorerError(f"direction source '{self.name}' needs an attribute scorer to label samples: "
                              f"pass --scorer{self.without_scorer}")
        spec = merged.pop("generator_spec", None)
        self._check_composed(attribute, scorer, bank)
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
        recorded["scorer"] = None if scorer is None else scorer_record(scorer)
        if ctx._bank is not None:  # what was really sampled (a passed bank overrides)
            recorded.update(ctx._bank.describe())
        provenance = Provenance(source=self.name, attribute=attribute, parameters=recorded,
                                generator=spec, weights_sha256=generator.weights_sha256,
                                details=ctx.details)
        low, high = merged["strength_range"]
        return Direction.from_vector(vector, generator.n_latent, provenance, layers, scale, (low, high),
                                     ctx.correction)

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


def response_normals(generator: Generator, scorer: Any, ws: np.ndarray, attributes: Sequence[str],
                     layers: Sequence[int], temperature: float = BINARY_TEMPERATURE,
                     batch_size: int = DEFAULT_BATCH) -> dict[str, np.ndarray]:
    """For each attribute, the unit direction in W along which the generator's images
    change it fastest on average: the mean over ``ws`` of the gradient of its training
    score (:func:`~plugins.directions.scoring.training_scores`) with respect to a shift
    of ``w`` on ``layers``."""
    require_differentiable(scorer, "response conditioning")
    names = list(scorer.attributes)
    columns = [names.index(a) for a in attributes]
    device = torch.device(generator.device)
    mask = layer_mask(generator.n_latent, layers, device)
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


def require_differentiable(scorer: Any, what: str) -> None:
    if getattr(scorer, "torch_scores", None) is None:
        raise LatentroomError(f"{what} needs a differentiable scorer (one with torch_scores); "
                              f"{scorer_name(scorer)} has none")


def layer_mask(n_latent: int, layers: Sequence[int], device: torch.device) -> torch.Tensor:
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
