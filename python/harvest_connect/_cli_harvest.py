"""The CLI commands that use a connection: ``test``, ``get`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable, List, Optional, TextIO, Tuple

from ._terminal import json_text, plain
from .errors import ValidationError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _params(pairs: List[str]) -> List[Tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValidationError(f"--param: expected NAME=VALUE, got {pair!r}")
        out.append((name, value))
    return out


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


def add_ca_file_option(p: argparse.ArgumentParser) -> None:
    """``--ca-file`` for every command that talks to Harvest (or to a test server)."""
    p.add_argument("--ca-file", metavar="FILE",
                   help="also trust the CAs in this PEM file (e.g. a company's TLS-inspecting proxy, or the "
                        "emulator's CA); proxies are taken from HTTPS_PROXY / NO_PROXY")


def _cmd_test(args: argparse.Namespace) -> int:
    with args.open_store(args) as store:
        result = store.connection(args.name).test(ca_file=args.ca_file)
    if result.ok:
        print(f"{args.name}: online — {plain(result.message)} (HTTP {result.status_code})")
        return EXIT_OK
    status = f"HTTP {result.status_code}" if result.status_code else "no answer"
    print(f"{args.name}: offline — {plain(result.message)} ({status})", file=sys.stderr)
    return EXIT_FAILURE


def _cmd_get(args: argparse.Namespace) -> int:
    params = _params(args.param)
    with args.open_store(args) as store:
        api = store.connection(args.name).api(ca_file=args.ca_file)
        if not args.all:
            answer = api.get(args.path, params)
            text = json_text(answer, indent=2) + "\n"
            if args.output:
                with open(args.output, "w", encoding="utf-8") as f:
                    f.write(text)
            else:
                sys.stdout.write(text)
            return EXIT_OK
        progress = ProgressBar(sys.stderr)
        try:
            if args.output:
                # The fast path: the engine writes each record's bytes as Harvest sent them.
                count = api.export_jsonl(args.path, args.output, params, progress)
            else:
                count = 0
                write = sys.stdout.write
                for record in api.paginate(args.path, params):
                    write(json_text(record))
                    write("\n")
                    count += 1
                    if count % 2000 == 0:
                        progress(count, None)
        finally:
            progress.close()
        if args.output:
            print(f"wrote {count:,} records to {args.output}", file=sys.stderr)
        return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(keep=args.keep, entries=args.entries)


def add_commands(sub: Any, open_store: Callable[[argparse.Namespace], Any]) -> None:
    p = sub.add_parser("test", help="test a connection (GET /v2/users/me); records it online or offline")
    p.add_argument("name")
    add_ca_file_option(p)
    p.set_defaults(func=_cmd_test, open_store=open_store)

    p = sub.add_parser("get", help="call the Harvest API with a connection and print the JSON answer")
    p.add_argument("name", help="the connection")
    p.add_argument("path", help="a path relative to the API URL, e.g. /users/me or /time_entries")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a query parameter (repeatable)")
    p.add_argument("--all", action="store_true", help="follow every page and write one JSON record per line")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (with --all: JSON Lines) instead of stdout")
    add_ca_file_option(p)
    p.set_defaults(func=_cmd_get, open_store=open_store)

    p = sub.add_parser("demo", help="the whole journey against a local Harvest emulator, in seconds")
    p.add_argument("--keep", action="store_true", help="keep the temporary store and key and print where")
    p.add_argument("--entries", type=int, default=5000, help="time entries the emulator holds (default 5000)")
    p.set_defaults(func=_cmd_demo)
