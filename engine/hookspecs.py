"""The hooks a latentroom plugin can implement.

Every hook is a register-callback: the engine calls it once, with a ``register``
function (or the click group), and the plugin calls ``register`` once per item it
contributes. The engine records which plugin contributed each item, so duplicate
names are reported with both plugins named, and ``latentroom plugins`` can list
what every plugin added.

A plugin module implements hooks with ``@engine.hookimpl``::

    from latentroom.engine import hookimpl

    @hookimpl
    def register_generators(register):
        register("mygan", load_mygan, description="My GAN, 256x256")

docs/plugins.md documents every hook here with its exact signature; a test keeps the
two in step.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("latentroom")


@hookspec
def register_generators(register: Callable[..., None]) -> None:
    """Contribute generators.

    Call ``register(name, factory, description="")`` once per generator. ``factory``
    is called as ``factory(argument, device)`` where ``argument`` is the text after
    ``NAME:`` in a generator spec (``stylegan2:weights.pt`` gives ``"weights.pt"``;
    plain ``NAME`` gives ``None``) and ``device`` is a torch device string such as
    ``"cpu"`` or ``"cuda"``. It returns an object satisfying
    :class:`latentroom.engine.protocols.Generator`.
    """


@hookspec
def register_inverters(register: Callable[..., None]) -> None:
    """Contribute inverters (image to latent code).

    Call ``register(name, factory, description="")`` once per inverter. ``factory``
    is called as ``factory(generator, device, **options)`` and returns an object
    satisfying :class:`latentroom.engine.protocols.Inverter`.
    """


@hookspec
def register_direction_sources(register: Callable[..., None]) -> None:
    """Contribute direction sources (ways to find an attribute's latent direction).

    Call ``register(name, factory, description="")`` once per source. ``factory`` is
    called as ``factory(**options)`` and returns an object satisfying
    :class:`latentroom.engine.protocols.DirectionSource`.
    """


@hookspec
def register_presets(register: Callable[..., None]) -> None:
    """Contribute preset bundles shipped inside the plugin.

    Call ``register(path)`` once per bundle, with the path of a bundle directory or
    of a packed ``.lrpreset`` file. Bundles are verified when loaded, not when
    registered, so registering is cheap.
    """


@hookspec
def register_aligners(register: Callable[..., None]) -> None:
    """Contribute face aligners (find every face in a photo and its five landmarks).

    Call ``register(name, factory, description="")`` once per aligner. ``factory`` is
    called with no arguments when an aligner is first needed and returns an object
    satisfying :class:`latentroom.engine.aligners.Aligner`; it raises
    :class:`latentroom.engine.errors.LatentroomError` saying what to install when the aligner's
    model is not available. Aligners run on the apply path, so they must not import
    torch (ONNX Runtime, NumPy and Pillow are there).
    """


@hookspec
def register_scorers(register: Callable[..., None]) -> None:
    """Contribute attribute scorers (images to one number per attribute).

    Call ``register(name, factory, description="")`` once per scorer. ``factory`` is
    called as ``factory(argument, device)`` like a generator's (``--scorer onnx:m.onnx``
    gives ``"m.onnx"``, plain ``NAME`` gives ``None``) and returns a callable
    ``scorer(images [B, 3, H, W] in [-1, 1]) -> [B, A] array or {attribute: [B]}`` with
    ``attributes`` (the A names), and optionally ``binary`` (yes/no attributes, scored
    as probabilities), ``ranges`` (``{attribute: (low, high)}``), ``domain`` (the kind
    of images it understands, e.g. ``"toyfaces"``; ``None``: any), ``size`` (the only
    resolution it takes; ``None``: it resizes) and ``torch_scores`` (differentiable
    scores). A scorer whose domain or size does not fit the generator is refused
    before any sampling. A scorer that needs the generator to finish building (the
    ``text`` scorer's ``auto`` model is the generator's own) may define
    ``fit_generator(generator, flag)``: it is called first.
    """


@hookspec
def register_feature_networks(register: Callable[..., None]) -> None:
    """Contribute feature networks (perceptual features for inverters and distillation).

    Call ``register(name, factory, description="")`` once per network. ``factory`` is
    called as ``factory(argument, device)`` (``--features NAME[:ARGUMENT]``) and returns
    a torch callable ``images [B, 3, H, W] in [-1, 1] -> list of feature maps``,
    optionally with ``domain`` (as for scorers: ``None`` fits any generator).
    """


@hookspec
def register_text_image_models(register: Callable[..., None]) -> None:
    """Contribute text-image models (CLIP-like: images and texts embedded in one space),
    which the ``text`` direction source scores images against a text with.

    Call ``register(name, factory, description="")`` once per model. ``factory`` is
    called as ``factory(argument, device, **options)``, where ``argument`` is the text
    after ``NAME:`` in a model spec (``openclip:ViT-B-32.pt`` gives ``"ViT-B-32.pt"``;
    plain ``NAME`` gives ``None``), ``device`` a torch device string and ``options``
    model-specific settings (e.g. ``vocab=PATH``). It returns an object satisfying
    :class:`latentroom.engine.protocols.TextImageModel`.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``latentroom`` command line.

    ``cli`` is the root :class:`click.Group`; decorate functions with
    ``@cli.command()`` or ``@cli.group()``. ``latentroom --help`` lists plugin commands
    in their own section, so the module defining them must import only click and the
    engine at the top (torch inside the command bodies).
    """


HOOK_NAMES: tuple[str, ...] = (
    "register_generators",
    "register_inverters",
    "register_direction_sources",
    "register_presets",
    "register_aligners",
    "register_scorers",
    "register_feature_networks",
    "register_text_image_models",
    "register_commands",
)
