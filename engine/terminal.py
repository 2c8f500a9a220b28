"""Showing untrusted text (manifest fields, file names) on a terminal.

A preset's title or description could carry escape sequences that move the cursor,
rewrite earlier lines or set the window title; printed raw they would make a
terminal show what the preset's author chose. Control characters are shown escaped
instead, the way Python's ``repr`` writes them.
"""

from __future__ import annotations

import re

# C0 controls, DEL and the C1 range (U+0080-U+009F: some terminals act on them too).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every control character replaced by ``\\xNN``/``\\n``-style escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
