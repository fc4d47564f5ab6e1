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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harvest-connect", description="Secure, named connections to the Harvest API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    key = sub.add_parser("key", help="master keys").add_subparsers(dest="key_command", required=True,
                                                                   parser_class=_Parser)
    gen = key.add_parser("generate", help="generate a new master key")
    gen.add_argument("--output", metavar="FILE", help="write it to a new key file (0600) instead of stdout")
    gen.set_defaults(func=_cmd_key_generate)
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
