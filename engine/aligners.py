"""What an aligner is, and which one an aligned preset uses.

An aligner finds every face in an RGB image and returns its five landmarks (eyes,
nose tip, mouth corners; see :data:`latentroom.engine.alignment.LANDMARK_NAMES`) with a
confidence. Aligners are plugins (``register_aligners``); the engine picks one in
this order:

1. the name the caller gives (``--aligner NAME``, ``Preset.apply(..., aligner=NAME)``);
2. the aligner the preset's manifest names (``alignment.aligner``);
3. :data:`DEFAULT_PHOTO_ALIGNER`, the real-photo aligner, when it is registered.

With none of these there is no silent fallback: the error says what to pass or
install. Aligners are built once per process and shared (they are stateless).

The aligner a preset names is made for the pictures the preset was made for (the
bundled presets name ``toyfaces``), and it is used even on photographs, where it may
find no face or false ones; so when it is not the photo aligner and the photo aligner
is installed, :func:`photo_hint` gives the option that switches, which ``apply`` shows
on its first line and beside every photo it found no face in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from latentroom.engine.errors import LatentroomError

DEFAULT_PHOTO_ALIGNER = "mtcnn"
PHOTO_EXTRA_HINT = "pip install 'latentroom[photo]'"


@dataclass(frozen=True)
class Face:
    """One detected face, in the coordinates of the image it was found in."""

    landmarks: np.ndarray
    """``[5, 2]`` float ``(x, y)`` pixel positions, origin at the top-left corner."""
    confidence: float
    """The detector's score in ``[0, 1]``."""


@runtime_checkable
class Aligner(Protocol):
    """Finds faces. Must be safe to call from several threads at once."""

    def detect(self, rgb: np.ndarray) -> list[Face]:
        """Every face in ``rgb`` (``uint8`` ``[H, W, 3]``), best first."""


_built: dict[object, Aligner] = {}
_lock = threading.Lock()


def build_aligner(name: str) -> Aligner:
    """The registered aligner ``name``, built on first use."""
    from latentroom.engine.plugins import get_aligner

    contribution = get_aligner(name)
    with _lock:
        if contribution not in _built:
            aligner = contribution.value()
            if not isinstance(aligner, Aligner):
                raise LatentroomError(
                    f"aligner '{name}' from plugin '{contribution.plugin}' returned a "
                    f"{type(aligner).__name__}, which has no detect(rgb) method"
                )
            _built[contribution] = aligner
        return _built[contribution]


def choose_aligner(requested: str | None, preset_hint: str | None, preset_name: str) -> str:
    """The aligner name to use for an aligned preset (see the module docstring)."""
    from latentroom.engine.plugins import get_aligner, registry

    if requested:
        return requested
    if preset_hint:
        return preset_hint
    try:
        get_aligner(DEFAULT_PHOTO_ALIGNER)  # loads plugins only until one has it
        return DEFAULT_PHOTO_ALIGNER
    except LatentroomError:
        pass
    listed = ", ".join(sorted(registry().aligners)) or "none"
    raise LatentroomError(
        f"preset {preset_name!r} is made for aligned faces, and no aligner was chosen "
        f"(installed: {listed}): pass --aligner NAME, install the photo aligner with "
        f"{PHOTO_EXTRA_HINT}, or apply to the whole frame with --no-align"
    )


def photo_hint(used: str, requested: str | None) -> str | None:
    """``--aligner mtcnn`` when the aligner in use came from the preset (not from the
    caller), is not the photo aligner, and the photo aligner is registered; else ``None``."""
    from latentroom.engine.plugins import get_aligner

    if requested or used == DEFAULT_PHOTO_ALIGNER:
        return None
    try:
        get_aligner(DEFAULT_PHOTO_ALIGNER)
    except LatentroomError:
        return None
    return f"--aligner {DEFAULT_PHOTO_ALIGNER}"
