"""The toyfaces attribute classifier's stage outputs as a registered feature network
(``toyfaces-classifier``), for the projector, the encoder trainer and distillation.

Multi-scale maps (64² ... 4²) rather than only the pooled penultimate vector: the
pooled vector throws away *where* things are, and a projector that only matches it
can put the mouth in the wrong place. Trained on renders, the network knows what
matters in the toyfaces world (attribute-bearing shapes, not pixel noise) and
nothing about other images, so it declares the toyfaces ``domain``.
"""

from __future__ import annotations

import torch
from torch import nn

from latentroom.engine.errors import LatentroomError
from latentroom.plugins.toyfaces.scorer import DOMAIN, NAME


class ClassifierFeatures(nn.Module):
    """Outputs of each resolution stage of the toyfaces attribute classifier."""

    domain = DOMAIN

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        # Frozen and put in eval mode by load_feature_net, like every feature network.
        self.classifier = classifier

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        from latentroom.plugins.toyfaces.classifier import images_to_tensor

        x = images_to_tensor(images, images.device)
        body = getattr(self.classifier, "body", None)
        if not isinstance(body, nn.Sequential):  # a classifier without stages: pooled features
            return [self.classifier.features(x)]
        feats = []
        for i, layer in enumerate(body):
            x = layer(x)
            # Stage ends: the first (stride-2) conv, then every (stride-2, stride-1) pair.
            if i % 2 == 0:
                feats.append(x)
        return feats


def make_features(argument: str | None, device: str = "cpu") -> ClassifierFeatures:
    """Factory for ``--features toyfaces-classifier`` (``register_feature_networks``)."""
    from latentroom.plugins.toyfaces import classifier

    if argument:
        raise LatentroomError(f"feature network '{NAME}' takes no argument (got {argument!r})")
    return ClassifierFeatures(classifier.load(device))
