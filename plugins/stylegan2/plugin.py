"""latentroom hooks for the StyleGAN2 plugin.

This module is imported whenever plugins are loaded, including on the torch-free
apply path, so it imports nothing heavy: the model loads inside the factory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from latentroom.engine import hookimpl

if TYPE_CHECKING:
    from latentroom.plugins.stylegan2.model import Generator


def load_stylegan2(argument: str | None, device: str = "cpu") -> "Generator":
    """Factory for ``stylegan2:PATH``: a community-format checkpoint on ``device``."""
    from latentroom.engine.errors import CheckpointError

    if not argument:
        raise CheckpointError("stylegan2 needs a weights file: use --generator stylegan2:PATH.pt")
    from latentroom.plugins.stylegan2.checkpoint import load_generator

    return load_generator(argument, device=device)


@hookimpl
def register_generators(register: Callable[..., None]) -> None:
    register(
        "stylegan2",
        load_stylegan2,
        description="StyleGAN2 in the rosinality/e4e/pSp checkpoint format (stylegan2:PATH.pt)",
    )


@hookimpl
def register_commands(cli: Any) -> None:
    from latentroom.plugins.stylegan2.commands import generate_command

    cli.add_command(generate_command)
