"""The toyfaces attribute classifier as a registered scorer (``toyfaces-classifier``).

It scores every toyfaces attribute on its 0-1 scale, binary ones as probabilities,
and understands toyfaces renders only (``domain``), so commands refuse it for other
generators. Torch loads when the factory is called, not when the plugin is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from latentroom.engine.errors import LatentroomError

if TYPE_CHECKING:
    import torch

NAME = "toyfaces-classifier"
DOMAIN = "toyfaces"


class ToyfacesScorer:
    """Every toyfaces attribute on its 0-1 scale, binary ones as probabilities."""

    name = NAME
    domain = DOMAIN
    size = None  # resizes to its 128x128 input itself

    def __init__(self, device: str = "cpu") -> None:
        from latentroom.plugins.toyfaces import load_classifier
        from latentroom.plugins.toyfaces.renderer import ATTRIBUTE_NAMES, BINARY

        self.attributes: tuple[str, ...] = ATTRIBUTE_NAMES
        self.binary: frozenset[str] = frozenset(BINARY)
        self.ranges: dict[str, tuple[float, float]] = {name: (0.0, 1.0) for name in ATTRIBUTE_NAMES}
        self.model = load_classifier(device=device)

    def __call__(self, images: "torch.Tensor") -> np.ndarray:
        return self.model.predict(images)

    def torch_scores(self, images: "torch.Tensor") -> "torch.Tensor":
        return self.model.to_scores(self.torch_logits(images))

    def torch_logits(self, images: "torch.Tensor") -> "torch.Tensor":
        from latentroom.plugins.toyfaces.classifier import images_to_tensor

        self.model.eval()  # the classifier's own outputs: binary columns are logits
        return self.model(images_to_tensor(images, next(self.model.parameters()).device))


def make_scorer(argument: str | None, device: str = "cpu") -> ToyfacesScorer:
    """Factory for ``--scorer toyfaces-classifier`` (``register_scorers``)."""
    if argument:
        raise LatentroomError(f"scorer '{NAME}' takes no argument (got {argument!r})")
    return ToyfacesScorer(device)
