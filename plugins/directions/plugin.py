"""latentroom hooks for the built-in direction sources, the ``onnx`` scorer and the
``direction`` command.

Imported whenever plugins load (the torch-free apply path included), so the sources
module, which needs torch, is imported inside the factories only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from latentroom.engine import hookimpl

if TYPE_CHECKING:
    from latentroom.plugins.directions.source_base import DirectionSourceBase

DESCRIPTIONS: dict[str, str] = {
    "mean-difference": "mean w of high-scoring samples minus low-scoring ones",
    "linear-boundary": "InterFaceGAN: normal of a linear boundary in W; condition_on projects other attributes out",
    "ganspace": "GANSpace: principal component of W most correlated with the attribute",
    "sefa": "SeFa: closed-form eigenvector of the modulation weights most correlated with the attribute",
    "optimized": "trained through the generator and a differentiable scorer: target change up, others' change down",
    "stylespace": "StyleSpace: the most attribute-relevant style channels (optionally inside a region), "
                  "moved on one layer",
}


def _factory(name: str) -> Callable[..., "DirectionSourceBase"]:
    def build(**options: Any) -> "DirectionSourceBase":
        from latentroom.plugins.directions.sources import SOURCES
        from latentroom.plugins.directions.stylespace import StyleSpace

        return {**SOURCES, StyleSpace.name: StyleSpace}[name](**options)

    build.__name__ = build.__qualname__ = f"build_{name.replace('-', '_')}"
    return build


@hookimpl
def register_direction_sources(register: Callable[..., None]) -> None:
    for name, description in DESCRIPTIONS.items():
        register(name, _factory(name), description=description)


def make_onnx_scorer(argument: str | None, device: str = "cpu") -> Any:
    from latentroom.plugins.directions.onnx_scorer import load_onnx_scorer

    return load_onnx_scorer(argument)


@hookimpl
def register_scorers(register: Callable[..., None]) -> None:
    register("onnx", make_onnx_scorer,
             description="any ONNX attribute model: onnx:MODEL.onnx, attribute names from MODEL.json")


@hookimpl
def register_commands(cli: Any) -> None:
    from latentroom.plugins.directions.commands import direction_group

    cli.add_command(direction_group)
