"""Several attribute scorers read as one: ``--scorer A --scorer B``.

A text-image model says well what "long hair" is and less well whether glasses,
a beard or the skin changed on the way; an attribute classifier reads those and
knows no texts. Joined, the first scorer names the target (``text:hair_length=...``)
and the second holds every other attribute still as it reads them (the ``optimized``
source keeps every column but the target's). That is StyleCLIP's recipe, a text for
the edit and another network for what must stay, with any scorers.

The joined scorer's columns are the first scorer's, then each later scorer's that no
earlier one has: where two scorers name the same attribute the earlier one reads it,
so the order of ``--scorer`` says which network speaks for which attribute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from latentroom.plugins.directions.scoring import ScorerError, binary_attributes, score_images, scorer_name

if TYPE_CHECKING:
    import torch

# Probabilities are clamped this far from 0 and 1 before turning them into logits.
_PROBABILITY_EPS = 1e-6


class JoinedScorer:
    """The columns of ``parts`` in order, each attribute read by the first part that has
    it (module docstring). Differentiable when every part is (``torch_scores``); its
    ``torch_logits`` gives each part's logits, or the logit of a part's probability for
    a binary column of a part without logits."""

    def __init__(self, parts: Sequence[Any]) -> None:
        if len(parts) < 2:
            raise ScorerError("a joined scorer needs at least two scorers")
        self.parts = tuple(parts)
        self.name = " & ".join(scorer_name(part) for part in self.parts)
        self._columns = _first_readers(self.parts)
        self.attributes = tuple(name for name, _, _ in self._columns)
        self.binary = frozenset(name for name, index, _ in self._columns
                                if name in binary_attributes(self.parts[index]))
        if all(getattr(part, "torch_scores", None) is not None for part in self.parts):
            self.torch_scores = self._torch_scores
            self.torch_logits = self._torch_logits

    def __call__(self, images: "torch.Tensor") -> dict[str, np.ndarray]:
        read = [score_images(part, images) for part in self.parts]
        return {name: read[index][name] for name, index, _ in self._columns}

    def _torch_scores(self, images: "torch.Tensor") -> "torch.Tensor":
        return self._gather([part.torch_scores(images) for part in self.parts])

    def _torch_logits(self, images: "torch.Tensor") -> "torch.Tensor":
        return self._gather([_logits(part, images) for part in self.parts])

    def _gather(self, tables: list["torch.Tensor"]) -> "torch.Tensor":
        import torch

        return torch.stack([tables[index][:, column].float() for _, index, column in self._columns], dim=1)


def _first_readers(parts: Sequence[Any]) -> list[tuple[str, int, int]]:
    """``(attribute, part index, column in that part)`` for each attribute, read by the
    first part that declares it. Every part must declare its ``attributes``: a join
    has to know its columns before it scores anything."""
    columns: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for index, part in enumerate(parts):
        names = getattr(part, "attributes", None)
        if names is None:
            raise ScorerError(f"scorer {scorer_name(part)} does not declare its attributes, so it cannot be "
                              "joined with another (pass it alone)")
        for column, name in enumerate(names):
            if name not in seen:
                seen.add(str(name))
                columns.append((str(name), index, column))
    return columns


def _logits(part: Any, images: "torch.Tensor") -> "torch.Tensor":
    """``part``'s scores with its binary columns as logits."""
    import torch

    logits = getattr(part, "torch_logits", None)
    if logits is not None:
        return logits(images)
    scores = part.torch_scores(images)
    binary = binary_attributes(part)
    if not binary:
        return scores
    is_binary = torch.tensor([name in binary for name in part.attributes], device=scores.device)
    return torch.where(is_binary, torch.logit(scores.clamp(_PROBABILITY_EPS, 1 - _PROBABILITY_EPS)), scores)


__all__ = ["JoinedScorer"]
