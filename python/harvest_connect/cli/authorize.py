"""``authorize NAME`` (Save and authorize) and ``disconnect NAME``."""

from __future__ import annotations

import argparse
from typing import Any

from . import exit_codes
from .api import add_ca_file_option
from .store import open_store


def _authorize(args: argparse.Namespace) -> int:
    from .. import authorization  # also attaches Connection.authorize

    with open_store(args) as store:
        conn = store.connection(args.name)
        if args.paste:
            # No receiver on this computer: the browser may run anywhere. The address is read
            # with input(), so it never appears on argv.
            authorization.authorize_by_paste(conn, ca_file=args.ca_file)
        else:
            conn.authorize(open_browser=not args.no_browser, port=args.port, timeout=args.timeout,
                           ca_file=args.ca_file)
        args.out.result({"name": conn.name, "status": conn.status}, f"connection {conn.name!r} is authorized")
    return exit_codes.OK


def _disconnect(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        conn = store.connection(args.name)
        revoked = conn.disconnect(ca_file=args.ca_file)
        args.out.result({"name": conn.name, "status": conn.status, "revoked": bool(revoked)},
                        f"connection {conn.name!r} is disconnected: its tokens were forgotten"
                        + (" and revoked" if revoked else ""))
    return exit_codes.OK


def add_commands(sub: Any) -> None:
    p = sub.add_parser("authorize", help="save and authorize: sign in at Harvest in the browser")
    p.add_argument("name", help="the connection's name")
    p.add_argument("--no-browser", action="store_true",
                   help="print the address to open instead of opening a browser (e.g. over SSH); you can then "
                        "paste the address the browser ends up on")
    p.add_argument("--paste", action="store_true",
                   help="for a terminal whose browser is on another computer: print the address to open, then "
                        "read the address the browser ends up on (no local receiver; valid 10 minutes)")
    p.add_argument("--port", type=int, metavar="P",
                   help="the loopback port to listen on (default: the redirect URI's, else a free one)")
    p.add_argument("--timeout", type=float, default=300, metavar="SECONDS",
                   help="how long to wait for the browser (default 300)")
    add_ca_file_option(p)
    p.set_defaults(func=_authorize)
    p = sub.add_parser("disconnect", help="forget a connection's tokens (revoking them where supported)")
    p.add_argument("name", help="the connection's name")
    add_ca_file_option(p)
    p.set_defaults(func=_disconnect)
