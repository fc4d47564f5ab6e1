"""``key generate``, ``key rotate`` and ``doctor``: the master key and the store's health."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from .. import _core
from . import exit_codes
from .exit_codes import BadInput
from .secret_input import add_secret_source, read_secret
from .store import open_store


def _key_generate(args: argparse.Namespace) -> int:
    key = _core.Key.generate()
    if args.output:
        _core._write_key_file(args.output, key)
        args.out.result({"key_id": key.id, "key_file": args.output},
                        f"wrote a new key (id {key.id}) to {args.output} (mode 0600); back it up somewhere safe")
    else:
        # On purpose only: the user asked for the key on stdout (e.g. to pipe into a vault).
        args.out.result({"key_id": key.id, "key": key.to_base64()}, key.to_base64())
        if not args.out.json:
            print(f"key id {key.id}", file=sys.stderr)
    return exit_codes.OK


def _current_key_file(args: argparse.Namespace) -> Optional[Path]:
    """The key file the store is opened with, or None (environment key or passphrase)."""
    if args.key_file:
        return Path(args.key_file)
    if args.passphrase_stdin or args.ask_passphrase or os.environ.get("HARVEST_CONNECT_KEY"):
        return None
    if os.environ.get("HARVEST_CONNECT_KEY_FILE"):
        return Path(os.environ["HARVEST_CONNECT_KEY_FILE"])
    return Path(_core.default_key_file_path())


def _sync_directory(path: Path) -> None:
    """fsync the directory holding `path`: a rename is durable only once its directory is."""
    fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _key_rotate(args: argparse.Namespace) -> int:
    # A fresh data key by default (one transaction with the rewrap): the old master key and
    # an old copy of the wrapped data key then open nothing current.
    keep = bool(args.keep_data_key)
    result: Dict[str, Any] = {"data_key": "kept" if keep else "new"}
    if args.new_passphrase or args.new_passphrase_stdin or args.new_passphrase_file:
        new_pass = read_secret(args, "new_passphrase", "new passphrase", confirm=True)
        with open_store(args) as store:
            store.rotate_key(passphrase=new_pass, keep_data_key=keep)
        args.out.result({**result, "opens_with": "passphrase"}, "the store now opens with the new passphrase only")
        return exit_codes.OK
    current = _current_key_file(args)
    target = Path(args.new_key_file) if args.new_key_file else current
    if target is None:
        raise BadInput("the store is opened with HARVEST_CONNECT_KEY or a passphrase: give --new-key-file FILE "
                       "for the new key (or --new-passphrase)")
    # Replacing the current key file: 1. the new key beside the old one (FILE.new); 2. rotate
    # (one transaction); 3. swap the files, keeping the old key as FILE.old. Interrupted
    # anywhere, one of FILE, FILE.new, FILE.old holds the key the store opens with.
    # Another file: the new key is written there and the current key file is left alone.
    replacing = target == current
    staged = target.with_name(target.name + ".new") if replacing else target
    old = target.with_name(target.name + ".old") if replacing else None
    if replacing:
        for p in (staged, old):
            if p is not None and p.exists():
                raise BadInput(f"{p} exists (left by an earlier rotation?); check it and move it away first")
    new_key = _core.Key.generate()
    _core._write_key_file(str(staged), new_key)
    try:
        with open_store(args) as store:
            # One transaction: if it fails (a field does not open, a row was tampered with)
            # the store is still under the current key, so removing the new key file loses
            # nothing.
            store.rotate_key(new_key, keep_data_key=keep)
    except BaseException:
        staged.unlink()
        raise
    result.update(opens_with="key_file", key_id=new_key.id, key_file=str(target),
                  old_key_file=str(old) if old is not None else None)
    if old is not None:
        os.replace(target, old)
        os.replace(staged, target)
        _sync_directory(target)
        text = (f"rotated the master key: {target} now holds the new key (id {new_key.id}); "
                f"the old key is kept in {old} — stores and backups made before now need it. "
                "Delete it once your backups are rotated too.")
    else:
        text = (f"rotated the master key: the store now opens with {target} (id {new_key.id}) only; "
                "point --key-file or HARVEST_CONNECT_KEY_FILE at it")
    args.out.result(result, text)
    return exit_codes.OK


def _mode_problem(path: Path, allowed: int, what: str) -> Optional[Dict[str, Any]]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & ~allowed:
        return {"type": "file_mode", "path": str(path), "mode": f"{mode:o}", "allowed": f"{allowed:o}",
                "message": f"{what} {path} has mode {mode:o}: others may read it. Run: chmod {allowed:o} {path}"}
    return None


def _doctor(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        problems = store.verify()
        file = store.path  # None for a PostgreSQL store: no file modes to check
        location = store.location
        key_id, version = store.key_id, store.schema_version
    findings: List[Dict[str, Any]] = [
        {"type": "record", "table": p.table, "record": p.record, "field": p.field, "reason": p.reason,
         "message": f"{p.table} '{p.record}' field {p.field}: {p.reason}"} for p in problems]
    if file is not None:
        path = Path(file)
        for p, allowed, what in ((path, 0o600, "store file"), (path.parent, 0o700, "store directory")):
            found = _mode_problem(p, allowed, what)
            if found:
                findings.append(found)
    lines = [f"store {location} (schema {version}, key id {key_id})"]
    lines += [f"problem: {f['message']}" for f in findings]
    if not findings:
        lines.append("all sealed fields open; file modes are private; nothing to do" if file is not None
                     else "all sealed fields open; nothing to do")
    args.out.result({"store": location, "schema_version": version, "key_id": key_id, "ok": not findings,
                     "problems": findings}, "\n".join(lines))
    return exit_codes.FAILURE if findings else exit_codes.OK


def add_commands(sub: Any, parser_class: Any) -> None:
    key = sub.add_parser("key", help="master keys").add_subparsers(dest="key_command", required=True,
                                                                   parser_class=parser_class)
    gen = key.add_parser("generate", help="generate a new master key")
    gen.add_argument("--output", metavar="FILE", help="write it to a new key file (0600) instead of stdout")
    gen.set_defaults(func=_key_generate)
    rot = key.add_parser("rotate", help="move the store to a new master key (old key kept as FILE.old)")
    rot.add_argument("--new-key-file", metavar="FILE",
                     help="write the new key here instead of replacing the current key file")
    rot.add_argument("--new-passphrase", action="store_true", help="move to a passphrase (prompted twice)")
    data_key = rot.add_mutually_exclusive_group()
    data_key.add_argument("--keep-data-key", action="store_true",
                          help="only rewrap the current data key (by default every field is re-sealed under a "
                               "new data key)")
    # The default since the data key is rotated with the master key; still accepted.
    data_key.add_argument("--data-key", action="store_true", help=argparse.SUPPRESS)
    add_secret_source(rot, "new_passphrase", "new passphrase")
    rot.set_defaults(func=_key_rotate)

    doc = sub.add_parser("doctor", help="check the store: every sealed field opens, files are private")
    doc.set_defaults(func=_doctor)
