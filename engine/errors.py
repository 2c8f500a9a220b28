"""Errors meant for users: the message names the file and the problem."""

from __future__ import annotations

import click


class LatentroomError(click.ClickException):
    """A user-facing failure; the CLI prints the message without a traceback."""


class PresetError(LatentroomError):
    """A preset bundle is missing, malformed, or fails verification."""


class ImageError(LatentroomError):
    """An input image cannot be read or an output cannot be written."""


class PluginLoadError(LatentroomError):
    """A plugin failed to import, to run a hook, or to register an item."""


class CheckpointError(LatentroomError):
    """A weights file is not the checkpoint it was expected to be."""
