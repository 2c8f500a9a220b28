"""The ``latentroom`` command line.

Core commands live in ``latentroom.engine.commands`` and are imported only when used, so
``latentroom --help`` stays fast and imports no plugin code. Commands contributed by
plugins (``register_commands``) are looked up on first use of a name the core does
not know.
"""

from __future__ import annotations

import importlib

import click

from latentroom.engine import __version__

# name -> "module:attribute"; modules must not import torch or onnxruntime at import time.
CORE_COMMANDS: dict[str, str] = {
    "apply": "latentroom.engine.commands.apply:apply_command",
    "preset": "latentroom.engine.commands.preset:preset_group",
    "plugins": "latentroom.engine.commands.plugins:plugins_command",
    "generate": "latentroom.engine.commands.generate:generate_command",
    "direction": "latentroom.engine.commands.direction:direction_group",
    "invert": "latentroom.engine.commands.invert:invert_command",
    "edit": "latentroom.engine.commands.edit:edit_command",
}


class LatentroomGroup(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OSError as e:
            # A folder that cannot be written, a full disk: a message, not a traceback.
            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(f"{where}{e.strerror or e}") from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(CORE_COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in CORE_COMMANDS:
            module_name, attribute = CORE_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        if name not in self.commands:
            from latentroom.engine.plugins import load_plugin_commands

            load_plugin_commands(self)
        return self.commands.get(name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            if args[0].startswith("-"):
                raise
            from latentroom.engine.plugins import filtered_command_hint

            # A plugin filtered out by the environment is the likely reason.
            hint = filtered_command_hint(args[0])
            if hint is None:
                raise
            raise click.UsageError(f"{exc.format_message()} {hint}", ctx) from None


@click.group(
    cls=LatentroomGroup,
    epilog="Plugins can add more commands; `latentroom plugins` lists them.",
)
@click.version_option(__version__, prog_name="latentroom")
def cli() -> None:
    """Apply and author GAN image-edit presets."""


def main() -> None:
    cli(prog_name="latentroom")
