"""Scorer ``text``: a text-image model reads images against texts, so every
classifier-based direction source (mean-difference, linear-boundary, optimized, ...)
finds a direction for anything a text can describe.

An image's score for a text is ``cos(E(image), E(text)) - cos(E(image), E(neutral))``:
how much nearer the text it sits than the same description without the edit
(``neutral``, default "a face"). The plain cosine with the text also rewards what the
two texts share ("a face"), which every face has. A sum of texts (``A + B``) scores
the sum of their scores, so a direction found with it must raise each.

The scorer argument is a ``;``-separated list (``--scorer "text:..."``):

* ``NAME=TEXT``: the attribute ``NAME`` is the score of ``TEXT`` (``old=an old face``);
* a bare ``TEXT``: the attribute is named by the text itself;
* ``TEXT`` may be ``TEXT + TEXT + ...``: one attribute, the sum of their scores;
* a text may name its own neutral, ``FROM -> TO`` (``beard=a clean-shaven face -> a
  face with a beard``): scored ``cos(E(image), E(TO)) - cos(E(image), E(FROM))``. An
  opposite as the neutral cancels what the two texts share beyond "a face" (a mouth
  to read a smile off, hair to read a length off), which the plain neutral leaves in;
* the text-image model's settings, named as the ``text`` direction source names them:
  ``model`` (``auto``, the default: the generator's ``default_text_image_model``; an
  error for a generator naming none), ``neutral``, ``vocab`` and ``activation``
  (``openclip``'s BPE file and MLP activation).

The whole argument is recorded as the scorer's name in a direction's provenance, so
``direction evaluate`` and ``author`` rebuild the same scorer from the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator, TextImageModel

SETTINGS = ("model", "neutral", "vocab", "activation")
MODEL_OPTIONS = ("vocab", "activation")
DEFAULT_NEUTRAL = "a face"
EXAMPLE = "--scorer 'text:old=an old face'"


class Contrast(NamedTuple):
    """One scored text: toward ``text``, away from ``neutral`` (``None``: the spec's neutral)."""

    text: str
    neutral: str | None = None


@dataclass(frozen=True)
class TextScorerSpec:
    """What a ``text:...`` argument asks for: attribute -> the contrasts whose scores it
    sums, and the model settings."""

    attributes: dict[str, tuple[Contrast, ...]]
    settings: dict[str, str]

    @classmethod
    def parse(cls, argument: str | None) -> "TextScorerSpec":
        attributes: dict[str, tuple[Contrast, ...]] = {}
        settings: dict[str, str] = {}
        for entry in (argument or "").split(";"):
            if not entry.strip():
                continue
            key, eq, value = (part.strip() for part in entry.partition("="))
            if eq and key in SETTINGS:
                if not value:
                    raise LatentroomError(f"scorer text: {key}= needs a value")
                settings[key] = value
                continue
            name, texts = (key, value) if eq else (key, key)
            attributes[_checked_name(name, attributes)] = _summed_texts(name, texts)
        if not attributes:
            raise LatentroomError(f"scorer text: give the text to score images against, e.g. {EXAMPLE} "
                                  "(several: 'text:old=an old face;smile=a smiling face')")
        return cls(attributes, settings)

    @property
    def neutral(self) -> str:
        return self.settings.get("neutral", DEFAULT_NEUTRAL)

    def model_options(self) -> dict[str, str]:
        return {k: self.settings[k] for k in MODEL_OPTIONS if k in self.settings}


def _checked_name(name: str, known: dict[str, Any]) -> str:
    if not name:
        raise LatentroomError(f"scorer text: an attribute name before '=' is empty, e.g. {EXAMPLE}")
    if name in known:
        raise LatentroomError(f"scorer text: attribute {name!r} is given twice")
    return name


def _summed_texts(name: str, value: str) -> tuple[Contrast, ...]:
    return tuple(_contrast(name, part) for part in value.split("+"))


def _contrast(name: str, part: str) -> Contrast:
    pieces = [piece.strip() for piece in part.split("->")]
    if not all(pieces):
        raise LatentroomError(f"scorer text: attribute {name!r} has an empty text, e.g. {EXAMPLE}")
    if len(pieces) > 2:
        raise LatentroomError(f"scorer text: attribute {name!r}: one '->' per text (FROM -> TO), got {part.strip()!r}")
    return Contrast(pieces[-1], pieces[0] if len(pieces) == 2 else None)


class TextScorer:
    """Scores images against the texts of a :class:`TextScorerSpec` (module docstring).

    The model is built when the generator is known (:meth:`fit_generator`, called by
    ``resolve_scorer`` before any sampling), since ``auto`` means the generator's own.
    """

    binary: tuple[str, ...] = ()
    domain = None  # the model, chosen for the generator, decides what it understands
    size = None  # text-image models resize

    def __init__(self, spec: TextScorerSpec, device: str) -> None:
        self.spec, self.device = spec, device
        self.attributes = tuple(spec.attributes)
        self.model: TextImageModel | None = None
        self._directions: torch.Tensor | None = None

    def fit_generator(self, generator: Generator, flag: str = "--scorer") -> None:
        """Build the model for ``generator`` and embed every text, so an unknown model or
        word fails here, before anything is rendered."""
        from latentroom.plugins.textimage.model_choice import resolve_for_generator

        hint = f"{flag} 'text:...;model=NAME'"
        self.model = resolve_for_generator(generator, self.spec.settings.get("model"), self.device, hint,
                                           **self.spec.model_options())
        self._directions = self._text_directions(self.model)

    def _text_directions(self, model: TextImageModel) -> torch.Tensor:
        """``[embed_dim, A]``: per attribute, the sum over its contrasts of ``E(text) -
        E(neutral)`` (an image embedding times it is the attribute's score)."""
        from latentroom.plugins.textimage.global_directions import embedding_delta

        columns = [sum(embedding_delta(model, c.text, c.neutral or self.spec.neutral) for c in contrasts)
                   for contrasts in self.spec.attributes.values()]
        return torch.from_numpy(np.stack(columns, 1)).float()

    def torch_scores(self, images: torch.Tensor) -> torch.Tensor:
        """Differentiable scores ``[B, A]`` in ``attributes`` order."""
        if self.model is None or self._directions is None:
            raise LatentroomError("scorer text: no text-image model yet (resolve_scorer builds it for the generator)")
        embedding = self.model.encode_images(images.to(self.model.device)).float()
        return embedding @ self._directions.to(embedding.device)

    def __call__(self, images: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return self.torch_scores(torch.as_tensor(images).float()).double().cpu().numpy()


def build_text_scorer(argument: str | None, device: str) -> TextScorer:
    """The ``register_scorers`` factory: ``text:ARGUMENT``."""
    return TextScorer(TextScorerSpec.parse(argument), device)
