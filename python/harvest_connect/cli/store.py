"""The store every record command works on, opened with the key or passphrase given."""

from __future__ import annotations

import argparse
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

from .. import _core
from .exit_codes import BadInput
from .secret_input import read_passphrase


def refuse_password_in_url(option: str, location: Optional[str]) -> None:
    """A database password in a store location given on the command line (--store, --from,
    --to) would be visible in ps and shell history: as every other secret, it never comes from
    argv. Refused before anything is opened; the message does not repeat it."""
    if not location or not _core.is_database_url(location):
        return
    parts = urlsplit(location)
    if parts.password is not None or any(k.lower() == "password" for k, _ in parse_qsl(parts.query)):
        raise BadInput(f"{option}: the database URL holds a password, which the command line shows to other users "
                       "(ps, shell history); put it in ~/.pgpass or a PGPASSFILE (or PGPASSWORD, or "
                       "HARVEST_CONNECT_STORE) and give the URL without it")


def open_store(args: argparse.Namespace) -> _core.Store:
    refuse_password_in_url("--store", args.store)
    return _core.Store.open(args.store, key_file=args.key_file, passphrase=read_passphrase(args))
