"""Attribute scorers: images in ``[-1, 1]`` -> one number per attribute per image.

A scorer is any callable ``scorer(images) -> scores`` where ``images`` is a float
tensor ``[B, 3, H, W]`` in ``[-1, 1]`` and ``scores`` is either

* a mapping ``{attribute: array [B]}``, or
* an array ``[B, A]`` with the scorer's ``attributes`` attribute (a sequence of ``A``
  names) giving the column order.

Optional attributes: ``name`` (recorded in provenance), ``binary`` (names of
yes/no attributes, scored as probabilities: sources then split samples at 0.5 instead
of taking the top and bottom of the ranking), ``torch_scores(images) -> Tensor
[B, A]``, the same scores as a differentiable tensor in ``attributes`` order (the
``optimized`` source and response conditioning train through it), and
``torch_logits(images)``, the same with the binary columns as logits, and
``fit_generator(generator, flag)``, called by :func:`resolve_scorer` before anything
else for a scorer whose parts depend on the generator (the ``text`` scorer builds the
generator's own text-image model there).

A classifier's probability is flat far from its decision boundary (the toyfaces
classifier's beard logits sit near +-10, where the probability's gradient is 1e-4 of
its value at the boundary), so gradients of probabilities vanish for almost every
sample. :func:`training_scores` therefore softens binary columns to
``sigmoid(logit / temperature)`` when the scorer offers logits.

Scorers are registered by plugins (``register_scorers``) and named on the command
line as ``--scorer NAME[:ARGUMENT]``: ``toyfaces-classifier``, ``onnx:MODEL.onnx`` (any
ONNX attribute model, :mod:`latentroom.plugins.directions.onnx_scorer`), ``text:TEXT``
(a text-image model, :mod:`latentroom.plugins.textimage.text_scorer`), or a third
party's. ``--scorer`` given more than once joins the scorers into one (the first
to name an attribute reads it; :mod:`latentroom.plugins.directions.joined_scorer`).
Without ``--scorer`` a command uses the generator's ``default_scorer``, and a
generator that names none gets an error asking for one, never a scorer of another
world. ``--scorer module:factory`` (``factory(device)`` returns a scorer) still works
for scorers that live in a script or a test rather than a plugin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from latentroom.engine.errors import LatentroomError
from latentroom.engine.fitting import check_fits

if TYPE_CHECKING:
    import torch

Scores = dict[str, np.ndarray]
# How a command names its scorer: one registered name, several to join, or None.
ScorerSpec = str | Sequence[str] | None
# Softening of binary logits for training: the toyfaces classifier's sit near +-10,
# which this maps to sigmoid(+-2), where the gradient is still 0.42 of its peak.
BINARY_TEMPERATURE = 5.0


class ScorerError(LatentroomError):
    """An attribute scorer cannot be found or returned something unusable."""


def scorer_name(scorer: Any) -> str:
    """What provenance records for ``scorer``."""
    return str(getattr(scorer, "name", None) or getattr(scorer, "__qualname__", None) or type(scorer).__name__)


def binary_attributes(scorer: Any) -> frozenset[str]:
    return frozenset(getattr(scorer, "binary", ()) or ())


def training_scores(scorer: Any, images: "torch.Tensor", temperature: float) -> "torch.Tensor":
    """Differentiable scores ``[B, A]`` in ``scorer.attributes`` order to train through:
    continuous columns as ``torch_scores`` gives them; binary columns, when the scorer
    has ``torch_logits``, as ``sigmoid(logit / temperature)`` (else its probabilities)."""
    logits = getattr(scorer, "torch_logits", None)
    if logits is None or not binary_attributes(scorer):
        return scorer.torch_scores(images)
    return binary_columns_as_probabilities(scorer, logits(images), temperature)


def binary_columns_as_probabilities(scorer: Any, raw: "torch.Tensor", temperature: float = 1.0) -> "torch.Tensor":
    """``raw [B, A]`` (in ``scorer.attributes`` order) with the scorer's binary columns,
    logits there, turned into ``sigmoid(logit / temperature)``."""
    import torch

    binary = binary_attributes(scorer)
    is_binary = torch.tensor([name in binary for name in scorer.attributes], device=raw.device)
    return torch.where(is_binary, torch.sigmoid(raw / temperature), raw)


def score_images(scorer: Callable[..., Any], images: "torch.Tensor") -> Scores:
    """Run ``scorer`` and normalise its output to ``{attribute: float64 [B]}``."""
    out = scorer(images)
    batch = int(images.shape[0])
    if isinstance(out, Mapping):
        scores = {str(k): _as_numpy(v).reshape(-1) for k, v in out.items()}
    else:
        array = _as_numpy(out)
        names = getattr(scorer, "attributes", None)
        if names is None:
            raise ScorerError(f"scorer {scorer_name(scorer)} returned an array but has no `attributes` "
                              "naming its columns (return a dict or add `attributes`)")
        if array.ndim != 2 or array.shape[1] != len(names):
            raise ScorerError(f"scorer {scorer_name(scorer)} returned shape {list(array.shape)}, "
                              f"expected [{batch}, {len(names)}]")
        scores = {str(name): array[:, i] for i, name in enumerate(names)}
    for name, values in scores.items():
        if values.shape != (batch,):
            raise ScorerError(f"scorer {scorer_name(scorer)}: '{name}' has {values.size} values for {batch} images")
    return scores


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor; avoids importing torch here
        value = value.detach().float().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def resolve_scorer(spec: ScorerSpec, device: str, generator: Any, generator_spec: str,
                   attributes: Sequence[str] = (), flag: str = "--scorer") -> Any:
    """The scorer ``spec`` names (``None`` or empty: the generator's ``default_scorer``;
    several names: those scorers joined, :mod:`latentroom.plugins.directions.joined_scorer`),
    checked before any sampling: each fits the generator (domain, size) and together
    they score every name in ``attributes``. Every problem is a :class:`ScorerError`
    that says what to pass."""
    specs = list(spec) if isinstance(spec, (list, tuple)) else [] if spec is None else [spec]
    if not specs:
        specs = [getattr(generator, "default_scorer", None)]
    if specs[0] is None:
        raise ScorerError(f"generator {generator_spec} names no default scorer: pass {flag} "
                          f"({scorer_choices()})")
    # A direction file's recorded scorer arrives here too: it is untrusted.
    unusable = [one for one in specs if not isinstance(one, str) or not one]
    if unusable:
        raise ScorerError(f"scorer names must be non-empty text, got {unusable[0]!r}: pass {flag}")
    parts = [_fitted_scorer(one, device, generator, generator_spec, flag) for one in specs]
    if len(parts) == 1:
        scorer = parts[0]
    else:
        from latentroom.plugins.directions.joined_scorer import JoinedScorer

        scorer = JoinedScorer(parts)
    check_attributes(scorer, attributes, flag)
    return scorer


def scorer_record(scorer: Any) -> str | list[str]:
    """What provenance records so that :func:`resolve_scorer` finds ``scorer`` again:
    its name, or its parts' names for a joined scorer."""
    parts = getattr(scorer, "parts", None)
    return [scorer_name(part) for part in parts] if parts else scorer_name(scorer)


def _fitted_scorer(spec: str, device: str, generator: Any, generator_spec: str, flag: str) -> Any:
    scorer = build_scorer(spec, device, flag)
    fit_generator = getattr(scorer, "fit_generator", None)
    if fit_generator is not None:
        fit_generator(generator, flag)
    check_fits(scorer, f"scorer '{scorer_name(scorer)}'", generator, f"generator {generator_spec}", flag,
               scorer_choices())
    return scorer


def scorer_choices() -> str:
    from latentroom.engine.plugins import registry

    names = sorted(registry().scorers)
    return f"registered: {', '.join(names) or 'none'}; any ONNX attribute model: onnx:MODEL.onnx"


def build_scorer(spec: str, device: str, flag: str = "--scorer") -> Any:
    """``NAME[:ARGUMENT]`` of a registered scorer -> ``factory(argument, device)``;
    else ``module:factory`` -> ``factory(device)``."""
    from latentroom.engine.plugins import registry

    name, colon, argument = spec.partition(":")
    contribution = registry().scorers.get(name)
    if contribution is not None:
        scorer = contribution.value(argument if colon else None, device)
    elif colon and argument:
        scorer = _imported_scorer(spec, device, flag)
    else:
        raise ScorerError(f"{flag} {spec!r}: unknown scorer ({scorer_choices()})")
    if not callable(scorer):
        raise ScorerError(f"{flag} {spec!r}: factory returned a {type(scorer).__name__}, not a callable scorer")
    if getattr(scorer, "name", None) is None:
        try:
            scorer.name = spec  # so provenance records how to get it again
        except AttributeError:
            pass
    return scorer


def target_parts(attribute: str, known: Sequence[str]) -> list[str]:
    """The scorer columns ``attribute`` names: itself, or the parts of a composed ``A+B``
    where the scorer has no column of that name (``age+smile`` with columns age and
    smile; the ``optimized`` source raises each part)."""
    parts = attribute.split("+")
    if attribute in known or len(parts) == 1 or not all(parts):
        return [attribute]
    return parts


def check_attributes(scorer: Any, attributes: Sequence[str], flag: str = "--scorer") -> None:
    """Every name in ``attributes`` is one the scorer declares, or a composed ``A+B`` of
    such names (a scorer that returns a mapping without declaring ``attributes`` is
    checked on its first batch instead)."""
    known = getattr(scorer, "attributes", None)
    if known is None:
        return
    missing = [name for name in attributes if not set(target_parts(name, known)) <= set(known)]
    if missing:
        raise ScorerError(f"unknown attribute {', '.join(map(repr, missing))} for scorer {scorer_name(scorer)} "
                          f"(known: {', '.join(known)}); pick one of those or pass another {flag}")


def _imported_scorer(spec: str, device: str, flag: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScorerError(f"{flag} {spec!r}: not a registered scorer and cannot import {module_name} ({exc}); "
                          f"{scorer_choices()}") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ScorerError(f"{flag} {spec!r}: {module_name} has no callable {attribute!r}")
    return factory(device)
