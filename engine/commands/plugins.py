"""``latentroom plugins``: what each plugin contributes, and why any failed to load."""

from __future__ import annotations

import json
from typing import Any

import click

CONTRIBUTION_KINDS = ("generators", "inverters", "direction_sources", "presets", "aligners", "scorers",
                      "feature_networks", "text_image_models", "commands")


@click.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per plugin.")
@click.pass_context
def plugins_command(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List installed plugins: version, hooks, contributions and load errors.

    Shows third-party plugins and any plugin that failed to load; --all adds the
    built-in ones that loaded cleanly. Errors do not change the exit status.
    """
    from latentroom.engine.plugins import load_plugin_commands, registry

    root = ctx.find_root().command
    if isinstance(root, click.Group):
        load_plugin_commands(root)  # so plugin commands are listed too
    reg = registry()
    records = [
        _record(info, reg)
        for info in reg.plugins
        if show_all or not info.builtin or reg.errors_for(info.name)
    ]
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    if not records:
        click.echo("No third-party plugins installed; `latentroom plugins --all` adds built-ins.")
    for record in records:
        version = record["version"] or "unpackaged"
        origin = f"{version}, built-in" if record["builtin"] else version
        click.echo(f"{record['name']} ({origin}) module {record['module']}")
        click.echo(f"  hooks: {', '.join(record['hooks']) or '-'}")
        for kind, names in record["contributions"].items():
            if names:
                click.echo(f"  {kind.replace('_', ' ')}: {', '.join(names)}")
        for error in record["errors"]:
            click.echo(f"  error in {error['stage']}: {error['message']}")


def _record(info: Any, reg: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "version": info.version,
        "module": info.module,
        "builtin": info.builtin,
        "hooks": list(info.hooks),
        "contributions": {
            kind: list(info.contributions.get(kind, [])) for kind in CONTRIBUTION_KINDS
        },
        "errors": [{"stage": e.stage, "message": e.message} for e in reg.errors_for(info.name)],
    }
