"""Errors of the distillation plugin (torch-free, so the command module can import it)."""

from __future__ import annotations

from pathlib import Path

from latentroom.engine.errors import LatentroomError
from latentroom.engine.regular_files import open_regular


class DistillError(LatentroomError):
    """Authoring a preset failed: bad inputs, a failed export check, an oversized model."""


def read_option_file(flag: str, path: Path, limit: int, what: str = "") -> bytes:
    """The bytes of the file an option names, at most ``limit`` of them: errors name the
    option and the file (``what`` says what a larger file is not)."""
    try:
        with open_regular(path) as f:  # a FIFO would block the command
            data = f.read(limit + 1)
    except OSError as exc:
        raise DistillError(f"{flag} {path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise DistillError(f"{flag} {path}: larger than {limit} bytes" + (f"; not {what}" if what else ""))
    return data
