"""Parsing untrusted JSON text with bounded cost.

``json.loads`` recurses once per nesting level (a few thousand ``[`` raise
``RecursionError``) and turns a 4300-digit literal into a ``ValueError``, neither of
which is a message for a user: both become :class:`JsonBeyondBounds`, and data that
parses is held to the nesting and number limits of :mod:`latentroom.engine.limits`.
Preset manifests, direction files and the records beside weights and latent pairs
are parsed this way; whoever reads the bytes bounds their size while reading.
"""

from __future__ import annotations

import json
from typing import Any

from latentroom.engine import limits


class JsonBeyondBounds(ValueError):
    """Text that is JSON but nests too deep or spells a number too long; the message
    completes "FILE ..." (e.g. "nests arrays and objects deeper than 32 levels")."""


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
            raise JsonBeyondBounds(f"has a number of {len(literal)} characters "
                                   f"(the limit is {limits.MAX_JSON_NUMBER_CHARS})")
        return convert(literal)

    return parse


def loads_bounded(text: str | bytes) -> Any:
    """``json.loads(text)`` within the limits; :class:`json.JSONDecodeError` when the
    text is not JSON, :class:`JsonBeyondBounds` when it is beyond them."""
    too_deep = f"nests arrays and objects deeper than {limits.MAX_JSON_DEPTH} levels"
    try:
        data = json.loads(text, parse_int=_bounded(int), parse_float=_bounded(float))
    except RecursionError:
        raise JsonBeyondBounds(too_deep) from None
    if _nesting_depth(data) > limits.MAX_JSON_DEPTH:
        raise JsonBeyondBounds(too_deep)
    return data


__all__ = ["JsonBeyondBounds", "loads_bounded"]
