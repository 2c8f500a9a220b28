"""Turning untrusted ``preset.json`` bytes into Python data, with bounded cost
(:mod:`latentroom.engine.bounded_json`: nesting and number literals bounded). The
size limit is applied by whoever reads the bytes, while reading (see
:mod:`latentroom.engine.presets.bundle`).
"""

from __future__ import annotations

import json
from typing import Any

from latentroom.engine.bounded_json import JsonBeyondBounds, loads_bounded
from latentroom.engine.errors import PresetError


def parse_manifest_json(raw: bytes, where: str) -> Any:
    """Decode and parse ``preset.json`` bytes; :class:`PresetError` naming ``where`` if not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PresetError(f"{where}: preset.json is not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        return loads_bounded(text)
    except json.JSONDecodeError as e:
        raise PresetError(
            f"{where}: preset.json is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from None
    except JsonBeyondBounds as e:
        raise PresetError(f"{where}: preset.json {e}") from None
