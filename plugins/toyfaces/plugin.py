"""latentroom plugin module for toyfaces (entry point ``toyfaces`` in setup.cfg).

Registers the ``toyfaces`` generator (the default generator, see
``latentroom.engine.plugins.DEFAULT_GENERATOR``), the ``toyfaces`` aligner, the
``toyfaces-classifier`` scorer and feature network (the generator names them as its
defaults; they fit no other generator), the ``inverted-truth`` direction source, and the
``train-gan`` and ``toyfaces`` (region, evaluate, evaluate-direction) commands. Importing this
module must stay cheap and torch-free (the engine imports every plugin to discover
hooks): ``latentroom.plugins.toyfaces.generator`` imports torch only inside its loader, and the
training command's module is imported only when the CLI asks for plugin commands.
"""

from __future__ import annotations

from typing import Any, Callable

from latentroom.engine import hookimpl
from latentroom.plugins.toyfaces.generator import load_toyfaces


@hookimpl
def register_generators(register: Callable[..., None]) -> None:
    register(
        "toyfaces",
        load_toyfaces,
        description="StyleGAN2 trained on toyfaces renders, 128x128 (toyfaces:PATH.pt for another snapshot)",
    )


def _load_aligner() -> object:
    from latentroom.plugins.toyfaces.aligner import ToyfacesAligner

    return ToyfacesAligner()


@hookimpl
def register_aligners(register: Callable[..., None]) -> None:
    register("toyfaces", _load_aligner, description="finds toyfaces in pictures (two small ONNX nets, shipped)")


def _make_scorer(argument: str | None, device: str = "cpu") -> Any:
    from latentroom.plugins.toyfaces.scorer import make_scorer

    return make_scorer(argument, device)


def _make_features(argument: str | None, device: str = "cpu") -> Any:
    from latentroom.plugins.toyfaces.features import make_features

    return make_features(argument, device)


@hookimpl
def register_scorers(register: Callable[..., None]) -> None:
    register("toyfaces-classifier", _make_scorer,
             description="the toyfaces attribute classifier: smile, age, ... on 0-1 (toyfaces images only)")


@hookimpl
def register_feature_networks(register: Callable[..., None]) -> None:
    register("toyfaces-classifier", _make_features,
             description="stage outputs of the toyfaces attribute classifier (toyfaces images only)")


def _inverted_truth(**options: Any) -> object:
    from latentroom.plugins.toyfaces.truth_direction import InvertedTruth

    return InvertedTruth(**options)


@hookimpl
def register_direction_sources(register: Callable[..., None]) -> None:
    register("inverted-truth", _inverted_truth,
             description="toyfaces: mean W+ offset from inverted renders to their inverted true edits")


@hookimpl
def register_commands(cli: Any) -> None:
    # Imported here, not at module top: plugin commands load only on first use of an
    # unknown command name, so `latentroom --help` and the apply path never pay for it.
    from latentroom.plugins.toyfaces.commands import toyfaces_group
    from latentroom.plugins.toyfaces.train_gan import train_gan_command

    cli.add_command(train_gan_command)
    cli.add_command(toyfaces_group)
