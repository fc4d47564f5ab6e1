"""``store copy --from PATH_OR_URL --to PATH_OR_URL``: the whole store moved to a new place
(another file, another backend) under the same key, verified, the source left as it was."""

from __future__ import annotations

import argparse
from typing import Any

from .. import _core
from . import exit_codes
from .exit_codes import BadInput
from .secret_input import read_passphrase
from .store import refuse_password_in_url

#: how each table's rows are named in the text output (the JSON output gives table names)
_ROWS = {
    "meta": None,  # the store id, wrapped data key, KDF parameters: not records
    "oauth_clients": "OAuth client(s)",
    "connections": "connection(s)",
    "pending_authorizations": "pending authorization(s)",
    "pull_states": "pull state(s)",
    "rate_budgets": "rate budget(s)",
    "rate_leases": "rate lease(s)",
}


def _store_copy(args: argparse.Namespace) -> int:
    if args.store:
        raise BadInput("store copy takes the source and the target as --from and --to; --store does not apply")
    refuse_password_in_url("--from", args.from_)
    refuse_password_in_url("--to", args.to)
    # The same key opens both sides: the copy keeps the store id and the wrapped data key.
    report = _core.copy_store(args.from_, args.to, key_file=args.key_file, passphrase=read_passphrase(args))
    tables = dict(report.tables)
    counts = ", ".join(f"{rows} {_ROWS.get(table) or table}" for table, rows in report.tables
                       if _ROWS.get(table, table) is not None)
    text = (f"copied store {report.store_id} (schema {report.schema_version}, key id {report.key_id}) "
            f"from {report.source} to {report.target}: {counts}. The copy opens with the same key and verifies; "
            f"the source is unchanged (point --store or HARVEST_CONNECT_STORE at the copy to use it)")
    args.out.result({"copied": {"from": report.source, "to": report.target, "store_id": report.store_id,
                                "key_id": report.key_id, "schema_version": report.schema_version,
                                "tables": tables, "verified": True}}, text)
    return exit_codes.OK


def add_commands(sub: Any, parser_class: Any) -> None:
    store = sub.add_parser("store", help="the store as a whole").add_subparsers(
        dest="store_command", required=True, parser_class=parser_class)
    cp = store.add_parser("copy", help="copy the store to a new file or database (same key), verified",
                          description="Copy every table of the store at --from to --to, which must be new or "
                          "empty, under the same master key (the key options open both), then verify the copy. "
                          "The source is only read.")
    cp.add_argument("--from", dest="from_", metavar="PATH_OR_URL", required=True, help="the store to copy")
    cp.add_argument("--to", metavar="PATH_OR_URL", required=True, help="where the copy goes (new or empty)")
    cp.set_defaults(func=_store_copy)
