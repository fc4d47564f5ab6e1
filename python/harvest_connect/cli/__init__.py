"""The ``harvest-connect`` command line (also ``python -m harvest_connect.cli``).

Secrets are never taken from argv: they come from a hidden prompt, stdin or a file
(:mod:`.secret_input`). Every command prints text for people or, with ``--json``, one JSON
document (:mod:`.output`); exit codes are in :mod:`.exit_codes`. The commands:
:mod:`.records` (clients, connections), :mod:`.keys` (key, doctor), :mod:`.authorize`
(authorize, disconnect), :mod:`.api` (test, get, demo, emulator).
"""

from __future__ import annotations

from .parser import build_parser, main
from .secret_input import REFUSED_SECRET_OPTIONS as _REFUSED_SECRET_OPTIONS

__all__ = ["build_parser", "main"]
