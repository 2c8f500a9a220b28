"""Feature networks for perceptual losses: ``FeatureNet`` and the built-in choices.

A *feature net* is any callable ``images [B, 3, H, W] in [-1, 1] -> list of feature
maps`` (``[B, C, h, w]`` or ``[B, C]``). The projector and the encoder trainer compare
a target and a reconstruction through it with :func:`perceptual_distance`, so what
"looks the same" is decided by the network the user picks:

* ``"classifier"``: the toyfaces attribute classifier (its stage outputs), which
  knows what matters in this world: attribute-bearing shapes, not pixel noise;
* ``"discriminator:PATH"``: the residual blocks of a StyleGAN2 discriminator stored
  in a training checkpoint;
* ``"module:callable"``: any importable factory, called as ``factory(device)``, that
  returns a torch feature network (an ``nn.Module`` or callable); a single tensor
  output is treated as a one-element list;
* ``"none"``: no perceptual term (pixel loss only);
* ``"auto"``: the classifier when its weights are installed, else ``"none"``.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from latentroom.engine.errors import LatentroomError


class FeatureNet(Protocol):
    """Images ``[B, 3, H, W]`` in ``[-1, 1]`` -> feature maps (any shapes, batch first)."""

    def __call__(self, images: torch.Tensor) -> list[torch.Tensor]: ...


class _Wrapped(nn.Module):
    """Frozen, eval-mode wrapper: normalises the output to a list of tensors."""

    def __init__(self, net: Callable[[torch.Tensor], object], name: str) -> None:
        super().__init__()
        self.net = net
        self.name = name
        if isinstance(net, nn.Module):
            net.eval()
            for p in net.parameters():
                # The projector differentiates w.r.t. the images only; no grads kept
                # for the feature net's weights saves memory and time.
                p.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        out = self.net(images)
        if isinstance(out, torch.Tensor):
            return [out]
        if isinstance(out, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in out):
            return list(out)
        raise LatentroomError(f"feature net {self.name!r} returned {type(out).__name__}, "
                              "expected a tensor or a list of tensors")


class ClassifierFeatures(nn.Module):
    """Outputs of each resolution stage of the toyfaces attribute classifier.

    Multi-scale maps (64² ... 4²) rather than only the pooled penultimate vector: the
    pooled vector throws away *where* things are, and a projector that only matches
    it can put the mouth in the wrong place.
    """

    def __init__(self, classifier: nn.Module, input_size: int = 128) -> None:
        super().__init__()
        self.classifier = classifier.eval()
        for p in self.classifier.parameters():
            p.requires_grad_(False)
        self.input_size = input_size

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = resize(images, self.input_size)
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


class DiscriminatorFeatures(nn.Module):
    """Outputs of each residual block of a StyleGAN2 discriminator."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.d = discriminator.eval()
        for p in self.d.parameters():
            p.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = resize(images, self.d.size)
        feats = []
        for block in self.d.convs:
            x = block(x)
            feats.append(x)
        return feats[1:]  # skip the 1x1 from-RGB layer: it is nearly the pixels again


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Square-resize ``[B, 3, H, W]`` to ``size`` (antialiased when shrinking)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    shrink = images.shape[-1] > size or images.shape[-2] > size
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=shrink)


def perceptual_distance(net: FeatureNet | None, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image distance ``[B]`` between images ``a`` and ``b`` through ``net``
    (zeros when ``net`` is ``None``); see :func:`feature_distance`."""
    if net is None:
        return a.new_zeros(a.shape[0], dtype=torch.float32)
    return feature_distance(net(a), net(b))


def feature_distance(fa: Sequence[torch.Tensor], fb: Sequence[torch.Tensor]) -> torch.Tensor:
    """Per-image ``[B]``: mean over layers of the squared difference of
    channel-normalised features (LPIPS without learned weights). Channel
    normalisation makes every layer count alike whatever its activation scale."""
    total = fa[0].new_zeros(fa[0].shape[0], dtype=torch.float32)
    for x, y in zip(fa, fb):
        x, y = x.float(), y.float()
        x = x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-6)
        y = y / (y.pow(2).sum(1, keepdim=True).sqrt() + 1e-6)
        diff = (x - y).pow(2).sum(1)  # squared distance per position
        total = total + diff.reshape(diff.shape[0], -1).mean(1)
    return total / max(len(fa), 1)


def _classifier(device: str | torch.device) -> nn.Module:
    try:
        from latentroom.plugins.toyfaces import classifier as toy_classifier
    except ImportError as exc:
        raise LatentroomError(f"features 'classifier': the toyfaces classifier is not available ({exc})") from None
    return ClassifierFeatures(toy_classifier.load(device))


def classifier_available() -> bool:
    """Whether the toyfaces classifier's weights are installed (``auto`` uses them)."""
    try:
        from latentroom.plugins.toyfaces import classifier as toy_classifier
    except Exception:
        return False
    return toy_classifier.WEIGHTS_PATH.is_file()


def load_feature_net(spec: str | Callable | None, device: str | torch.device = "cpu") -> nn.Module | None:
    """Build the feature net named by ``spec`` (see the module docstring), frozen, on
    ``device``; ``None`` for ``"none"``. A callable is used as the network itself."""
    if spec is None or spec == "none":
        return None
    if callable(spec):
        net = spec.to(device) if isinstance(spec, nn.Module) else spec
        return _Wrapped(net, getattr(spec, "__name__", type(spec).__name__))
    if not isinstance(spec, str):
        raise LatentroomError(f"features must be a string or a callable, got {type(spec).__name__}")
    if spec == "auto":
        return _classifier(device) if classifier_available() else None
    if spec == "classifier":
        return _classifier(device)
    if spec.startswith("discriminator:"):
        from latentroom.plugins.stylegan2.checkpoint import load_discriminator

        return DiscriminatorFeatures(load_discriminator(spec.partition(":")[2], device))
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise LatentroomError(f"features {spec!r}: expected auto, none, classifier, "
                              "discriminator:PATH or module:callable")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise LatentroomError(f"features {spec!r}: cannot import it ({type(exc).__name__}: {exc})") from None
    net = factory(device)
    if not callable(net):
        raise LatentroomError(f"features {spec!r}: factory returned {type(net).__name__}, which is not callable")
    if isinstance(net, nn.Module):
        net = net.to(device)
    return _Wrapped(net, spec)


def describe(spec: str | Callable | None, net: nn.Module | None) -> str:
    """What was used, for metadata: ``auto`` is resolved to the concrete choice."""
    if net is None:
        return "none"
    if isinstance(net, ClassifierFeatures):
        return "classifier"
    if isinstance(spec, str):
        return spec
    return getattr(spec, "__name__", type(spec).__name__)


__all__: Sequence[str] = ["FeatureNet", "ClassifierFeatures", "DiscriminatorFeatures", "resize",
                          "perceptual_distance", "feature_distance", "load_feature_net", "classifier_available", "describe"]
