"""latentroom plugin module for toyfaces (entry point ``toyfaces`` in setup.cfg).

Phase 1 registers nothing: the ``toyfaces`` generator is registered once the
StyleGAN2 plugin and our trained weights exist. Importing this module must stay
cheap and torch-free (the engine imports every plugin to discover hooks), so the
renderer and classifier are reached through ``plugins.toyfaces.load_classifier``
and friends, which import lazily.
"""

from __future__ import annotations

from typing import Callable

from engine import hookimpl


@hookimpl
def register_generators(register: Callable[..., None]) -> None:
    # Deliberately empty until the trained toyfaces generator ships (phase 2).
    return None
