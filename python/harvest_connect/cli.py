"""The harvest-connect command line.

Secrets are never taken from argv: they come from a hidden prompt, stdin or a file.
Exit codes: 0 ok, 2 bad input, 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, List, NoReturn, Optional

from . import _core
from .errors import HarvestConnectError, ValidationError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse exits 2 on bad usage, which is our "bad input" code too.
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _cmd_key_generate(args: argparse.Namespace) -> int:
    key = _core.Key.generate()
    if args.output:
        _core._write_key_file(args.output, key)
        print(f"wrote a new key (id {key.id}) to {args.output} (mode 0600); back it up somewhere safe")
    else:
        # On purpose only: the user asked for the key on stdout (e.g. to pipe into a vault).
        sys.stdout.write(key.to_base64() + "\n")
        print(f"key id {key.id}", file=sys.stderr)
    return EXIT_OK


def _cmd_emulator(args: argparse.Namespace) -> int:
    import time

    from .testing import HarvestEmulator

    with HarvestEmulator(entries=args.entries, port=args.port, tls=not args.http, seed=args.seed,
                         rate_limits=not args.no_rate_limits,
                         cursor_pagination=args.cursor_pagination) as harvest:
        app = harvest.register_app("Emulator app", args.redirect_url, multi_account=args.multi_account)
        user = harvest.default_user()
        lines = [
            "Harvest emulator running (Ctrl-C to stop)",
            f"  ID service   {harvest.id_url}   (stands for https://id.getharvest.com)",
            f"  API          {harvest.api_url}   (stands for https://api.harvestapp.com/v2)",
            f"  authorize    {harvest.authorize_url}",
            f"  token        {harvest.token_url}",
            f"  CA file      {harvest.ca_file}" if harvest.ca_file else "  CA file      (plain HTTP)",
            f"  account id   {harvest.account_id}   ({harvest.time_entry_count()} time entries)",
            f"  sign in as   {user['email']} / {user['password']}",
            "OAuth app (the secret is shown once, as on Harvest's developer page; it is an emulator secret):",
            f"  name          {app.name}",
            f"  redirect URL  {app.redirect_url}",
            f"  client id     {app.client_id}",
            f"  client secret {app.client_secret}",
        ]
        print("\n".join(lines), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("harvest-connect: emulator stopped", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harvest-connect", description="Secure, named connections to the Harvest API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    key = sub.add_parser("key", help="master keys").add_subparsers(dest="key_command", required=True,
                                                                   parser_class=_Parser)
    gen = key.add_parser("generate", help="generate a new master key")
    gen.add_argument("--output", metavar="FILE", help="write it to a new key file (0600) instead of stdout")
    gen.set_defaults(func=_cmd_key_generate)

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
    emu.set_defaults(func=_cmd_emulator)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ValidationError as exc:
        print(f"harvest-connect: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except HarvestConnectError as exc:
        print(f"harvest-connect: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("harvest-connect: interrupted; nothing was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
