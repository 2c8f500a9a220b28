"""latentroom hooks for the inverters plugin: ``projector``, ``encoder``, ``hybrid``.

Imported whenever plugins load (the torch-free apply path included), so the
factories import the torch modules only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from latentroom.engine import hookimpl

if TYPE_CHECKING:
    from latentroom.plugins.inverters.encoder import EncoderInverter
    from latentroom.plugins.inverters.hybrid import HybridInverter
    from latentroom.plugins.inverters.projector import Projector


def make_projector(generator: Any, device: str = "cpu", **options: Any) -> "Projector":
    """``projector``: optimisation in W or W+ (``space``), default 300 steps."""
    from latentroom.plugins.inverters.projector import Projector

    return Projector(generator, device, **options)


def make_encoder(generator: Any, device: str = "cpu", **options: Any) -> "EncoderInverter":
    """``encoder``: trained e4e-style CNN (``weights=PATH``; default: the file for
    this generator's weights hash under plugins/inverters/weights)."""
    from latentroom.plugins.inverters.common import check_options
    from latentroom.plugins.inverters.encoder import EncoderInverter

    check_options("encoder", options, EncoderInverter.OPTIONS)
    return EncoderInverter(generator, device, **options)


def make_hybrid(generator: Any, device: str = "cpu", **options: Any) -> "HybridInverter":
    """``hybrid``: encoder estimate refined by a short projector run (default 32 steps)."""
    from latentroom.plugins.inverters.hybrid import HybridInverter

    return HybridInverter(generator, device, **options)


@hookimpl
def register_inverters(register: Callable[..., None]) -> None:
    register("projector", make_projector,
             description="Optimise W or W+ and noise maps per image (space=w|w+, steps=300, features=...)")
    register("encoder", make_encoder,
             description="e4e-style CNN, one forward pass (weights=PATH; trained per generator)")
    register("hybrid", make_hybrid,
             description="Encoder estimate refined by a few projector steps (steps=32)")
