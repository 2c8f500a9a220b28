"""latentroom hooks of the textimage plugin (entry point ``textimage`` in setup.cfg):
the text-image models, the ``text`` scorer, the ``text`` direction source and the
``text-edit`` command.

Imported whenever plugins load, the torch-free apply path included, so every module
that needs torch is imported inside a factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from latentroom.engine import hookimpl

if TYPE_CHECKING:
    from latentroom.engine.protocols import TextImageModel
    from latentroom.plugins.directions.source_base import DirectionSourceBase


def load_toyfaces_clip(argument: str | None, device: str, **options: Any) -> "TextImageModel":
    from latentroom.engine.errors import LatentroomError
    from latentroom.plugins.textimage.toyclip import load

    if options:
        raise LatentroomError(f"toyfaces-clip takes no options, got {', '.join(sorted(options))}")
    return load(argument, device)


def load_openclip(argument: str | None, device: str, **options: Any) -> "TextImageModel":
    from latentroom.plugins.textimage.openclip import load_checkpoint

    return load_checkpoint(argument, device, **options)


def build_text_scorer(argument: str | None, device: str) -> Any:
    from latentroom.plugins.textimage.text_scorer import build_text_scorer as build

    return build(argument, device)


def build_text_source(**options: Any) -> "DirectionSourceBase":
    from latentroom.plugins.textimage.global_directions import TextDirections

    return TextDirections(**options)


@hookimpl
def register_text_image_models(register: Callable[..., None]) -> None:
    register("toyfaces-clip", load_toyfaces_clip,
             description="small dual encoder trained on toyfaces renders and their captions (shipped)")
    register("openclip", load_openclip,
             description="open_clip or OpenAI CLIP (ViT) checkpoint: openclip:PATH, options vocab=BPE_FILE")


@hookimpl
def register_scorers(register: Callable[..., None]) -> None:
    register("text", build_text_scorer,
             description="a text-image model's reading: text:NAME=TEXT[;NAME=TEXT + TEXT][;model=SPEC;neutral=TEXT], "
                         "score cos(image, text) - cos(image, neutral)")


@hookimpl
def register_direction_sources(register: Callable[..., None]) -> None:
    register("text", build_text_source,
             description="StyleCLIP global directions: style channels whose image-embedding change follows "
                         "the text's (param text=..., neutral=..., beta=...)")


@hookimpl
def register_commands(cli: Any) -> None:
    from latentroom.plugins.textimage.commands import text_edit_command

    cli.add_command(text_edit_command)
