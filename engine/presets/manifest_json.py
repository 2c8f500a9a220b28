"""Turning untrusted ``preset.json`` bytes into Python data, with bounded cost.

``json.loads`` recurses once per nesting level (a few thousand ``[`` raise
``RecursionError``) and turns a 4300-digit literal into a ``ValueError``, neither
of which is a message for a user; both become :class:`PresetError`, and data that
parses is held to the nesting and number limits of :mod:`latentroom.engine.limits`. The size limit is applied by whoever reads the bytes, while
reading (see :mod:`latentroom.engine.presets.bundle`).
"""

from __future__ import annotations

import json
from typing import Any

from latentroom.engine import limits
from latentroom.engine.errors import PresetError

class _NumberTooLong(ValueError):
    pass


def _nesting_depth(data: Any) -> int:
    """Levels of arrays and objects in parsed JSON (iterative: no recursion to exhaust)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _bounded(convert: type) -> Any:
    def parse(literal: str) -> Any:
        if len(literal) > limits.MAX_JSON_NUMBER_CHARS:
            raise _NumberTooLong(f"a number of {len(literal)} characters (the limit is {limits.MAX_JSON_NUMBER_CHARS})")
        return convert(literal)

    return parse


def parse_manifest_json(raw: bytes, where: str) -> Any:
    """Decode and parse ``preset.json`` bytes; :class:`PresetError` naming ``where`` if not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PresetError(f"{where}: preset.json is not UTF-8 text ({e.reason} at byte {e.start})") from None
    too_deep = f"{where}: preset.json nests arrays and objects deeper than {limits.MAX_JSON_DEPTH} levels"
    try:
        data = json.loads(text, parse_int=_bounded(int), parse_float=_bounded(float))
    except RecursionError:
        raise PresetError(too_deep) from None
    except json.JSONDecodeError as e:
        raise PresetError(
            f"{where}: preset.json is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from None
    except _NumberTooLong as e:
        raise PresetError(f"{where}: preset.json has {e}") from None
    if _nesting_depth(data) > limits.MAX_JSON_DEPTH:
        raise PresetError(too_deep)
    return data
