"""latentroom engine: plugin system, preset bundles and the torch-free apply path."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("latentroom")

if TYPE_CHECKING:
    from latentroom.engine.presets import Preset


def load_preset(name_or_path: str, provider: str = "auto") -> "Preset":
    """Load a preset by library name, bundle directory or packed file, verified."""
    from latentroom.engine.presets import load_preset as _load

    return _load(name_or_path, provider=provider)


__all__ = ["__version__", "hookimpl", "load_preset"]
