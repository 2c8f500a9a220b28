"""Which text-image model reads a generator's images: ``auto`` or a registered spec.

A text-image model only means something on images like the ones it was trained on
(toyfaces-clip knows toyfaces renders, nothing else), so nothing here assumes one.
``auto`` is the generator's own choice, its optional ``default_text_image_model``
attribute (the ``toyfaces`` generator names ``toyfaces-clip``); a generator that
names none is an error before anything is rendered, asking for a model by name.
"""

from __future__ import annotations

from typing import Any

from latentroom.engine.errors import LatentroomError
from latentroom.engine.protocols import Generator, TextImageModel

AUTO = "auto"


def model_spec_for(generator: Generator, spec: str | None, flag: str) -> str:
    """The model spec to build: ``spec`` itself, or for ``auto``/``None`` the
    generator's ``default_text_image_model``; ``flag`` is what the error tells the
    user to pass."""
    if spec and spec != AUTO:
        return spec
    chosen = getattr(generator, "default_text_image_model", None)
    if not chosen:
        from latentroom.engine.plugins import registry

        names = ", ".join(sorted(registry().text_image_models)) or "none registered"
        raise LatentroomError(f"this generator names no text-image model of its own: pass {flag} with one that "
                              f"knows its images (registered: {names}; e.g. openclip:CHECKPOINT.pt)")
    return str(chosen)


def resolve_for_generator(generator: Generator, spec: str | None, device: str, flag: str,
                          **options: Any) -> TextImageModel:
    """Build the text-image model ``spec`` (``auto``: the generator's) on ``device``."""
    from latentroom.engine.plugins import resolve_text_image_model

    return resolve_text_image_model(model_spec_for(generator, spec, flag), device, **options)
