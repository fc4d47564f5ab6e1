"""What the CLI prints of text a server wrote: nothing in it may drive the terminal.

The engine already scrubs server text (secrets and control characters, ``model/scrubber.hpp``)
before it reaches an exception or the store; this is the CLI's own last step for everything
it prints, including data that Harvest returned and rows an older version stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_text", "plain"]

# json.dumps escapes C0 itself; with ensure_ascii=False it leaves DEL, the C1 controls (0x9B
# is CSI on many terminals) and the bidirectional overrides raw. They can only appear inside
# JSON strings, where a \\u escape is the same value.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Whole sequences (ECMA-48): CSI, the control strings OSC/DCS/SOS/PM/APC up to BEL or ST
# (or the end), and the other ESC sequences; then every single control character left.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]?",
    re.S,
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_text(value: Any, **kwargs: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **kwargs)`` that a terminal shows as text."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    if _RAW_IN_JSON.search(text) is None:
        return text
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def plain(text: str) -> str:
    """One line of text without escape sequences or control characters (newlines and tabs
    become spaces)."""
    return _CONTROL.sub("", _SEQUENCE.sub("", text.replace("\n", " ").replace("\t", " ")))
