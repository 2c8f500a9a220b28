"""Errors of the distillation plugin (torch-free, so the command module can import it)."""

from __future__ import annotations

from latentroom.engine.errors import LatentroomError


class DistillError(LatentroomError):
    """Authoring a preset failed: bad inputs, a failed export check, an oversized model."""
