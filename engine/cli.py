"""The ``latentroom`` command line.

Core commands (applying and managing presets) live in ``latentroom.engine.commands`` and
are imported only when used. Every authoring command comes from the plugin that owns
its code (``register_commands``): plugin commands load on first use of a name the core
does not know, and ``latentroom --help`` lists them in their own section. Plugin hook
and command modules import only click and the engine at the top, so neither path
imports torch.
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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Core commands, then every plugin's commands in a section of their own."""
        from latentroom.engine.plugins import load_plugin_commands

        load_plugin_commands(self)
        for title, names in (("Commands", sorted(CORE_COMMANDS)),
                             ("Plugin commands", sorted(set(self.commands) - set(CORE_COMMANDS)))):
            commands = [(name, command) for name in names
                        if (command := self.get_command(ctx, name)) is not None and not command.hidden]
            if commands:
                # As click's own listing: short help cut to what fits beside the widest name.
                limit = formatter.width - 6 - max(len(name) for name, _ in commands)
                with formatter.section(title):
                    formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])

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
    epilog="`latentroom plugins` lists what each plugin adds; `latentroom COMMAND --help` explains a command.",
)
@click.version_option(__version__, prog_name="latentroom")
def cli() -> None:
    """Apply and author GAN image-edit presets."""


def main() -> None:
    cli(prog_name="latentroom")
