"""The store every record command works on, opened with the key or passphrase given."""

from __future__ import annotations

import argparse

from .. import _core
from .secret_input import read_passphrase


def open_store(args: argparse.Namespace) -> _core.Store:
    return _core.Store.open(args.store, key_file=args.key_file, passphrase=read_passphrase(args))
