"""latentroom hooks for the inverters plugin: the ``projector``, ``encoder``, ``hybrid`` and
``e4e`` inverters, the ``discriminator:PATH`` feature network, and the ``invert``, ``edit`` and
``train-encoder`` commands.

Imported whenever plugins load (the torch-free apply path included), so the
factories import the torch modules only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from latentroom.engine import hookimpl

if TYPE_CHECKING:
    from latentroom.plugins.inverters.community_encoder import CommunityEncoderInverter
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


def make_e4e(generator: Any, device: str = "cpu", **options: Any) -> "CommunityEncoderInverter":
    """``e4e``: a released e4e or pSp encoder checkpoint (``weights=PATH``; default the
    generator's own file when it was loaded from one)."""
    from latentroom.plugins.inverters.common import check_options
    from latentroom.plugins.inverters.community_encoder import CommunityEncoderInverter

    check_options("e4e", options, CommunityEncoderInverter.OPTIONS)
    return CommunityEncoderInverter(generator, device, **options)


@hookimpl
def register_inverters(register: Callable[..., None]) -> None:
    register("projector", make_projector,
             description="Optimise W or W+ and noise maps per image (space=w|w+, steps=300, features=...)")
    register("encoder", make_encoder,
             description="e4e-style CNN, one forward pass (weights=PATH; trained per generator)")
    register("hybrid", make_hybrid,
             description="Encoder estimate refined by a few projector steps (steps=32)")
    register("e4e", make_e4e,
             description="e4e/pSp-format encoder checkpoint, one forward pass (weights=PATH; "
                         "default: the generator's file)")


def make_discriminator_features(argument: str | None, device: str = "cpu") -> Any:
    """``discriminator:PATH``: the residual blocks of the StyleGAN2 discriminator in a
    training checkpoint (any domain: it was trained on the generator's own images)."""
    from latentroom.engine.errors import LatentroomError
    from latentroom.plugins.inverters.features import DiscriminatorFeatures
    from latentroom.plugins.stylegan2.checkpoint import load_discriminator

    if not argument:
        raise LatentroomError("feature network 'discriminator' needs a checkpoint: discriminator:PATH.pt")
    return DiscriminatorFeatures(load_discriminator(argument, device))


@hookimpl
def register_feature_networks(register: Callable[..., None]) -> None:
    register("discriminator", make_discriminator_features,
             description="residual blocks of a StyleGAN2 discriminator (discriminator:CHECKPOINT.pt)")


@hookimpl
def register_commands(cli: Any) -> None:
    from latentroom.plugins.inverters.commands import edit_command, invert_command, train_encoder_command

    for command in (invert_command, edit_command, train_encoder_command):
        cli.add_command(command)
