"""Whether a scorer or feature network fits a generator, checked before any work.

A part that understands one kind of images (its ``domain``, e.g. the toyfaces
classifier) or takes one resolution (its ``size``) would happily score another
generator's images and return numbers that mean nothing, so commands refuse the
mismatch at the start with a message naming what to pass instead.
"""

from __future__ import annotations

from typing import Any

from latentroom.engine.errors import LatentroomError


def check_fits(part: Any, label: str, generator: Any, generator_label: str, flag: str, choices: str) -> None:
    """Raise :class:`LatentroomError` when ``part`` (described as ``label``, e.g.
    ``scorer 'toyfaces-classifier'``) declares a ``domain`` other than the generator's
    (described as ``generator_label``) or a ``size`` other than its resolution;
    ``flag`` and ``choices`` say what to pass."""
    domain = getattr(part, "domain", None)
    made = getattr(generator, "domain", None)
    if domain is not None and domain != made:
        raise LatentroomError(
            f"{label} understands {domain} images only, and {generator_label} makes "
            f"{f'{made} images' if made else 'other images'}: pass {flag} with one that fits ({choices})")
    size = getattr(part, "size", None)
    if size is not None and int(size) != int(generator.size):
        raise LatentroomError(
            f"{label} takes {size}x{size} images, and {generator_label} makes "
            f"{generator.size}x{generator.size}: pass {flag} with one that fits ({choices})")
