"""The commands that call Harvest (or the local emulator): ``test``, ``get``, ``demo``,
``emulator``."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any, Dict, List, Tuple

from .. import _core
from .._terminal import json_text, plain
from ..errors import HarvestConnectError, ValidationError
from . import exit_codes
from .exit_codes import AuthorizeAgain, BadInput
from .progress import ProgressBar
from .store import open_store


def add_ca_file_option(p: argparse.ArgumentParser) -> None:
    """``--ca-file`` for every command that talks to Harvest (or to a test server)."""
    p.add_argument("--ca-file", metavar="FILE",
                   help="also trust the CAs in this PEM file (e.g. a company's TLS-inspecting proxy, or the "
                        "emulator's CA); proxies are taken from HTTPS_PROXY / NO_PROXY")


def _params(pairs: List[str]) -> List[Tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValidationError(f"--param: expected NAME=VALUE, got {pair!r}")
        out.append((name, value))
    return out


def _must_authorize(store: _core.Store, name: str) -> bool:
    """Whether the connection waits for an authorization (never authorized, or its tokens were
    forgotten): the connection's status says it."""
    try:
        return store.connection(name).status == "not_authorized"
    except HarvestConnectError:
        return False


def _test(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        result = store.connection(args.name).test(ca_file=args.ca_file)
        authorize_again = not result.ok and (result.kind == exit_codes.AUTHORIZATION_REQUIRED
                                             or _must_authorize(store, args.name))
    message = plain(result.message)
    doc: Dict[str, Any] = {"name": args.name, "online": bool(result.ok), "status_code": result.status_code,
                           "user": result.user, "message": message}
    if result.ok:
        args.out.result(doc, f"{args.name}: online — {message} (HTTP {result.status_code})")
        return exit_codes.OK
    if authorize_again:
        raise AuthorizeAgain(f"{args.name}: {message} (run: harvest-connect authorize {args.name})")
    if args.out.json:
        args.out.result(doc, None)
    else:
        status = f"HTTP {result.status_code}" if result.status_code else "no answer"
        print(f"{args.name}: offline — {message} ({status})", file=sys.stderr)
    return exit_codes.FAILURE


def _get(args: argparse.Namespace) -> int:
    params = _params(args.param)
    with open_store(args) as store:
        try:
            return _get_with(store, args, params)
        except HarvestConnectError as exc:
            if exit_codes.for_error(exc)[0] != exit_codes.AUTHORIZE_AGAIN and _must_authorize(store, args.name):
                raise AuthorizeAgain(f"{exc} (run: harvest-connect authorize {args.name})") from exc
            raise


def _check_format(args: argparse.Namespace) -> None:
    """csv and parquet are tables of every page, written to a file (never half of one)."""
    if args.format == "jsonl":
        return
    if not args.output:
        raise BadInput(f"--format {args.format} writes a file: give --output FILE")
    from .. import tables

    try:  # before any request: a missing library is an install step, not a failed call
        tables.require_writer(args.format)
    except ImportError as exc:
        raise BadInput(str(exc)) from exc


def _get_with(store: _core.Store, args: argparse.Namespace, params: List[Tuple[str, str]]) -> int:
    _check_format(args)
    api = store.connection(args.name).api(ca_file=args.ca_file)
    out = args.out
    if args.format != "jsonl":
        from .. import tables

        progress = ProgressBar(sys.stderr)
        try:
            count = tables.write_table(api.arrow(args.path, params), args.output, args.format, progress)
        finally:
            progress.close()
        out.result({"output": args.output, "records": count, "format": args.format}, None)
        if not out.json:
            print(f"wrote {count:,} records to {args.output} ({args.format})", file=sys.stderr)
        return exit_codes.OK
    if not args.all:
        answer = api.get(args.path, params)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(json_text(answer, indent=2) + "\n")
            out.result({"output": args.output}, None)
        else:
            out.result(answer, json_text(answer, indent=2))
        return exit_codes.OK
    progress = ProgressBar(sys.stderr)
    try:
        if args.output:
            # The fast path: the engine writes each record's bytes as Harvest sent them.
            count = api.export_jsonl(args.path, args.output, params, progress)
        elif out.json:
            # One JSON document even if a page fails half-way: the records are kept until the
            # last page came (JSON Lines, without --json, streams instead).
            records = []
            for record in api.paginate(args.path, params):
                records.append(record)
                if len(records) % 2000 == 0:
                    progress(len(records), None)
            count = len(records)
        else:
            count = 0
            write = out.stdout.write
            for record in api.paginate(args.path, params):
                write(json_text(record))
                write("\n")
                count += 1
                if count % 2000 == 0:
                    progress(count, None)
    finally:
        progress.close()
    if args.output:
        out.result({"output": args.output, "records": count}, None)
        if not out.json:
            print(f"wrote {count:,} records to {args.output}", file=sys.stderr)
    elif out.json:
        out.result(records, None)
    return exit_codes.OK


def _demo(args: argparse.Namespace) -> int:
    from ..demo import run

    # With --json the story goes to stderr and stdout holds only the outcome.
    code = run(keep=args.keep, entries=args.entries, out=sys.stderr if args.out.json else sys.stdout)
    if args.out.json:
        args.out.result({"ok": code == 0}, None)
    return code


# What stops `harvest-connect emulator`: Ctrl-C, or `kill` (SIGTERM) for one started in the
# background. Both are blocked before the emulator's threads start (they inherit the mask)
# and taken with sigwait() by the main thread: a process-wide signal could otherwise be
# handled on an emulator thread, where Python only notes it, and the main thread would sleep
# on. Even a SIGINT that the process inherited as ignored (a background job of a shell
# without job control) stops it: Linux keeps a blocked signal pending for sigwait() whatever
# its disposition.
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _emulator(args: argparse.Namespace) -> int:
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        return _serve_emulator(args)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _serve_emulator(args: argparse.Namespace) -> int:
    from ..testing import HarvestEmulator

    with HarvestEmulator(entries=args.entries, port=args.port, tls=not args.http, seed=args.seed,
                         rate_limits=not args.no_rate_limits,
                         cursor_pagination=args.cursor_pagination) as harvest:
        app = harvest.register_app("Emulator app", args.redirect_url, multi_account=args.multi_account)
        user = harvest.default_user()
        entries = harvest.time_entry_count()
        doc = {
            "id_url": harvest.id_url, "api_url": harvest.api_url, "authorize_url": harvest.authorize_url,
            "token_url": harvest.token_url, "ca_file": harvest.ca_file or None, "account_id": harvest.account_id,
            "time_entries": entries, "user": {"email": user["email"], "password": user["password"]},
            "app": {"name": app.name, "redirect_url": app.redirect_url, "client_id": app.client_id,
                    "client_secret": app.client_secret},
        }
        lines = [
            "Harvest emulator running (Ctrl-C to stop)",
            f"  ID service   {harvest.id_url}   (stands for https://id.getharvest.com)",
            f"  API          {harvest.api_url}   (stands for https://api.harvestapp.com/v2)",
            f"  authorize    {harvest.authorize_url}",
            f"  token        {harvest.token_url}",
            f"  CA file      {harvest.ca_file}" if harvest.ca_file else "  CA file      (plain HTTP)",
            f"  account id   {harvest.account_id}   ({entries} time entries)",
            f"  sign in as   {user['email']} / {user['password']}",
            "OAuth app (the secret is shown once, as on Harvest's developer page; it is an emulator secret):",
            f"  name          {app.name}",
            f"  redirect URL  {app.redirect_url}",
            f"  client id     {app.client_id}",
            f"  client secret {app.client_secret}",
        ]
        # A Ctrl-C that comes right after the URLs appear waits, blocked, for sigwait(): a
        # clean stop (exit 0), not an interrupted command.
        args.out.result(doc, "\n".join(lines))
        signal.sigwait(_STOP_SIGNALS)
        print("harvest-connect: emulator stopped", file=sys.stderr)
    return exit_codes.OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("test", help="test a connection (GET /v2/users/me); records it online or offline")
    p.add_argument("name")
    add_ca_file_option(p)
    p.set_defaults(func=_test)

    p = sub.add_parser("get", help="call the Harvest API with a connection and print the JSON answer")
    p.add_argument("name", help="the connection")
    p.add_argument("path", help="a path relative to the API URL, e.g. /users/me or /time_entries")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a query parameter (repeatable)")
    p.add_argument("--all", action="store_true", help="follow every page and write one JSON record per line "
                                                      "(with --json: one array)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (with --all: JSON Lines) instead of stdout")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl",
                   help="jsonl (default): the records as Harvest sent them; csv or parquet: every page as one "
                        "table with typed, flattened columns (project.id, ...), written to --output "
                        "(needs harvest-connect[arrow])")
    add_ca_file_option(p)
    p.set_defaults(func=_get)

    p = sub.add_parser("demo", help="the whole journey against a local Harvest emulator, in seconds")
    p.add_argument("--keep", action="store_true", help="keep the temporary store and key and print where")
    p.add_argument("--entries", type=int, default=5000, help="time entries the emulator holds (default 5000)")
    p.set_defaults(func=_demo)

    emu = sub.add_parser("emulator", help="run a local Harvest (ID service + API v2 subset) until Ctrl-C")
    emu.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)")
    emu.add_argument("--entries", type=int, default=2000, help="seeded time entries (default 2000)")
    emu.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS with a generated CA")
    emu.add_argument("--seed", type=int, default=42, help="seed of the generated data (default 42)")
    emu.add_argument("--redirect-url", default="http://127.0.0.1:8765/callback",
                     help="Redirect URL of the ready-made OAuth app")
    emu.add_argument("--multi-account", action="store_true", help="the app asks for all accounts (harvest:all)")
    emu.add_argument("--no-rate-limits", action="store_true", help="never answer 429 (benchmarks)")
    emu.add_argument("--cursor-pagination", action="store_true", help="time entries page by cursor")
    emu.set_defaults(func=_emulator)
