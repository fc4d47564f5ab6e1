"""What a command prints: prose and tables for people, or one JSON document (``--json``).

With ``--json`` stdout holds exactly one JSON document, whatever happens: the command's
result, or ``{"error": {"kind", "message", "exit_code"}}``. Everything else a command says
(progress, links to open, prompts) goes to stderr. docs/cli.md documents each shape.
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Optional, Sequence, TextIO

from .._terminal import json_text, plain


class Output:
    """Where a command's result goes; ``stdout`` is the real stdout even while a ``--json``
    command runs with ``sys.stdout`` pointed at stderr."""

    def __init__(self, *, json: bool, stdout: TextIO) -> None:
        self.json = json
        self.stdout = stdout

    def result(self, value: Any, text: Optional[str]) -> None:
        """The command's one result: ``value`` as JSON, or ``text`` (None: nothing) for people."""
        if self.json:
            self.stdout.write(json_text(value, indent=2) + "\n")
            self.stdout.flush()
        elif text is not None:
            print(text, file=self.stdout, flush=True)

    def error(self, kind: str, message: str, exit_code: int) -> None:
        """An error that ended the command. ``message`` holds no secret (the engine scrubs
        what servers wrote; the CLI never puts one in); control characters are removed."""
        write_error(json=self.json, stdout=self.stdout, kind=kind, message=message, exit_code=exit_code)


def write_error(*, json: bool, stdout: TextIO, kind: str, message: str, exit_code: int) -> None:
    message = plain(message)
    if json:
        document = {"error": {"kind": kind, "message": message, "exit_code": exit_code}}
        stdout.write(json_text(document, indent=2) + "\n")
        stdout.flush()
    else:
        print(f"harvest-connect: {message}", file=sys.stderr, flush=True)


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    cells = [list(headers)] + [[plain(str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def when(dt: Any) -> Optional[str]:
    return dt.isoformat() if dt is not None else None


def removed(what: str, name: str) -> Dict[str, Any]:
    return {"removed": {"type": what, "name": name}}
