"""A one-line progress bar on stderr while ``get --all`` pages (nothing when not a terminal)."""

from __future__ import annotations

import time
from typing import Optional, TextIO


class ProgressBar:
    """A one-line progress bar on a terminal (nothing at all when ``stream`` is not a TTY)."""

    def __init__(self, stream: TextIO, what: str = "records") -> None:
        self.stream = stream
        self.what = what
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: Optional[int]) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        if total:
            width = 30
            filled = min(width, int(width * done / total))
            bar = "#" * filled + "-" * (width - filled)
            line = f"\r[{bar}] {done:,}/{total:,} {self.what} ({rate:,.0f}/s)"
        else:
            line = f"\r{done:,} {self.what} ({rate:,.0f}/s)"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
