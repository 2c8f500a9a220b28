"""Feature networks for perceptual losses: ``FeatureNet``, resolving a ``--features`` spec.

A *feature net* is any callable ``images [B, 3, H, W] in [-1, 1] -> list of feature
maps`` (``[B, C, h, w]`` or ``[B, C]``). The projector, the encoder trainer and
distillation compare a target and a reconstruction through it with
:func:`perceptual_distance`, so what "looks the same" is decided by the network the
user picks:

* ``"NAME[:ARGUMENT]"``: a registered feature network (``register_feature_networks``):
  ``toyfaces-classifier`` (toyfaces images only), ``discriminator:PATH`` (the residual
  blocks of a StyleGAN2 discriminator stored in a training checkpoint), a plugin's;
* ``"module:callable"``: any importable factory, called as ``factory(device)``, that
  returns a torch feature network (an ``nn.Module`` or callable); a single tensor
  output is treated as a one-element list (kept for networks in scripts and tests);
* ``"none"``: no perceptual term (pixel loss only);
* ``"auto"``: the generator's ``default_features`` when it names one, else ``"none"``.

A network whose ``domain`` is not the generator's is refused before any work.
"""

from __future__ import annotations

import importlib
from typing import Callable, Protocol, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from latentroom.engine.errors import LatentroomError
from latentroom.engine.fitting import check_fits


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


def load_feature_net(spec: str | Callable | None, device: str | torch.device = "cpu",
                     generator: object | None = None) -> nn.Module | None:
    """Build the feature net named by ``spec`` (see the module docstring), frozen, on
    ``device``; ``None`` for ``"none"``. A callable is used as the network itself.
    With ``generator``, ``auto`` means its ``default_features`` and a network made for
    another domain is refused."""
    if spec == "auto":
        spec = getattr(generator, "default_features", None)
    if spec is None or spec == "none":
        return None
    if callable(spec):
        net = spec.to(device) if isinstance(spec, nn.Module) else spec
        return _Wrapped(net, getattr(spec, "__name__", type(spec).__name__))
    if not isinstance(spec, str):
        raise LatentroomError(f"features must be a string or a callable, got {type(spec).__name__}")
    net = _build(spec, device)
    if generator is not None:
        check_fits(net, f"feature network '{spec}'", generator, "the generator", "--features", feature_choices())
    if isinstance(net, nn.Module):
        net = net.to(device)
    return _Wrapped(net, spec)


def feature_choices() -> str:
    from latentroom.engine.plugins import registry

    return f"registered: {', '.join(sorted(registry().feature_networks)) or 'none'}; or none"


def _build(spec: str, device: str | torch.device) -> object:
    """A registered network (``factory(argument, device)``), else ``module:callable``."""
    from latentroom.engine.plugins import registry

    name, colon, argument = spec.partition(":")
    contribution = registry().feature_networks.get(name)
    if contribution is not None:
        net = contribution.value(argument if colon else None, str(device))
    elif colon and name and argument:
        try:
            factory = getattr(importlib.import_module(name), argument)
        except (ImportError, AttributeError) as exc:
            raise LatentroomError(f"features {spec!r}: not a registered feature network and cannot import it "
                                  f"({type(exc).__name__}: {exc}); {feature_choices()}") from None
        net = factory(device)
    else:
        raise LatentroomError(f"features {spec!r}: unknown feature network ({feature_choices()}, auto)")
    if not callable(net):
        raise LatentroomError(f"features {spec!r}: factory returned {type(net).__name__}, which is not callable")
    return net


def describe(spec: str | Callable | None, net: nn.Module | None) -> str:
    """What was used, for metadata: ``auto`` is resolved to the concrete choice."""
    if net is None:
        return "none"
    return str(getattr(net, "name", None) or getattr(spec, "__name__", type(spec).__name__))


__all__: Sequence[str] = ["FeatureNet", "DiscriminatorFeatures", "resize", "perceptual_distance", "feature_distance",
                          "load_feature_net", "describe"]
