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
``torch_logits(images)``, the same with the binary columns as logits.

A classifier's probability is flat far from its decision boundary (the toyfaces
classifier's beard logits sit near +-10, where the probability's gradient is 1e-4 of
its value at the boundary), so gradients of probabilities vanish for almost every
sample. :func:`training_scores` therefore softens binary columns to
``sigmoid(logit / temperature)`` when the scorer offers logits.

The default scorer is the toyfaces attribute classifier. Anything else is named on
the command line as ``--scorer module:factory``, where ``factory(device)`` returns a
scorer; tests use that to plant attributes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from latentroom.engine.errors import LatentroomError

if TYPE_CHECKING:
    import torch

Scores = dict[str, np.ndarray]
DEFAULT_SCORER = "toyfaces-classifier"
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


class ToyfacesScorer:
    """The toyfaces attribute classifier as a scorer: every attribute on its 0-1
    scale, binary ones as probabilities."""

    name = DEFAULT_SCORER

    def __init__(self, device: str = "cpu") -> None:
        from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, BINARY

        self.attributes: tuple[str, ...] = ATTRIBUTE_NAMES
        self.binary: frozenset[str] = frozenset(BINARY)
        self.model = _load_toyfaces_classifier(device)

    def __call__(self, images: "torch.Tensor") -> np.ndarray:
        return self.model.predict(images)

    def torch_scores(self, images: "torch.Tensor") -> "torch.Tensor":
        return self.model.to_scores(self.torch_logits(images))

    def torch_logits(self, images: "torch.Tensor") -> "torch.Tensor":
        from latentroom.plugins.toyfaces.classifier import images_to_tensor

        self.model.eval()  # the classifier's own outputs: binary columns are logits
        return self.model(images_to_tensor(images, next(self.model.parameters()).device))


def _load_toyfaces_classifier(device: str) -> Any:
    from latentroom.plugins.toyfaces import load_classifier

    try:
        return load_classifier(device=device)
    except LatentroomError as exc:
        raise ScorerError(f"{exc.message}; the default scorer is the toyfaces classifier: train it, "
                          "or pass --scorer module:factory") from None


def resolve_scorer(spec: str | None, device: str = "cpu") -> Callable[..., Any]:
    """``None`` -> the toyfaces classifier; ``"module:factory"`` -> ``factory(device)``."""
    if spec is None or spec == DEFAULT_SCORER:
        return ToyfacesScorer(device)
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise ScorerError(f"--scorer {spec!r}: expected module:factory")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScorerError(f"--scorer {spec!r}: cannot import {module_name} ({exc})") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ScorerError(f"--scorer {spec!r}: {module_name} has no callable {attribute!r}")
    scorer = factory(device)
    if not callable(scorer):
        raise ScorerError(f"--scorer {spec!r}: factory returned a {type(scorer).__name__}, not a callable scorer")
    if getattr(scorer, "name", None) is None:
        try:
            scorer.name = spec  # so provenance records how to get it again
        except AttributeError:
            pass
    return scorer
