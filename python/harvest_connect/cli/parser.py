"""The ``harvest-connect`` parser and ``main``: global options, ``--json``, ``--version``,
and the one place where an error becomes a message and an exit code."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, Callable, List, NoReturn, Optional, Sequence

from .._terminal import json_text
from ..errors import HarvestConnectError
from . import api, authorize, exit_codes, keys, records, secret_input, store_copy
from .exit_codes import AuthorizeAgain, BadInput
from .output import Output, write_error

# argparse quotes what it did not understand ("unrecognized arguments: ..."); a mistyped
# option may have been followed by a secret, so only option names are repeated.
_QUOTED_VALUE_MESSAGES = ("unrecognized arguments:", "ignored explicit argument", "invalid choice:",
                          "invalid int value:", "invalid float value:")

JSON_HELP = "print one JSON document on stdout: the result, or {\"error\": {...}} (docs/cli.md)"


def _scrub_usage_error(message: str) -> str:
    if message.startswith("unrecognized arguments:"):
        shown = [a.split("=", 1)[0] if a.startswith("-") else "…" for a in message.split(":", 1)[1].split()]
        return "unrecognized arguments: " + " ".join(shown) + " (values not shown: they may be secrets)"
    for marker in _QUOTED_VALUE_MESSAGES[1:]:
        at = message.find(marker)
        if at >= 0:
            return message[:at + len(marker)].rstrip(":") + " (the value is not shown: it may be a secret)"
    return message


class _Parser(argparse.ArgumentParser):
    #: whether usage errors are reported as a JSON document (--json anywhere on the line)
    json_output = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # "--account" must not mean "--account-id-stdin"
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # argparse exits 2 on bad usage, which is our "bad input" code too.
        message = _scrub_usage_error(message)
        if self.json_output:
            write_error(json=True, stdout=sys.stdout, kind="usage", message=f"{self.prog}: {message}",
                        exit_code=exit_codes.BAD_INPUT)
            self.exit(exit_codes.BAD_INPUT)
        self.print_usage(sys.stderr)
        self.exit(exit_codes.BAD_INPUT, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: Optional[str] = None) -> None:  # noqa: A002 - argparse's name
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        from .. import __version__

        if isinstance(parser, _Parser) and parser.json_output:
            print(json_text({"version": __version__}, indent=2))
        else:
            print(f"harvest-connect {__version__}")
        parser.exit(exit_codes.OK)


class _JsonParser(_Parser):
    json_output = True


def _wants_json(argv: Sequence[str]) -> bool:
    """--json anywhere among the options (not after "--"): usage errors are JSON then too."""
    options = argv[:list(argv).index("--")] if "--" in argv else argv
    return "--json" in options


def _add_json_everywhere(parser: argparse.ArgumentParser) -> None:
    """--json after the command too. SUPPRESS: a command's default must not undo a --json
    given before the command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=JSON_HELP)
                _add_json_everywhere(sub)


def _walk(parser: argparse.ArgumentParser) -> List[argparse.ArgumentParser]:
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                parsers.extend(_walk(sub))
    return parsers


def join_dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> List[str]:
    """``--client-id -lqVU…`` as ``--client-id=-lqVU…``.

    argparse takes a value that begins with "-" for an option and fails ("expected one
    argument"), yet Harvest's client IDs are random URL-safe base64, so one in 64 begins with
    "-". A value that is not itself one of our option names is joined to the option that
    expects it; "--" still ends the options."""
    options = {s for p in _walk(parser) for a in p._actions for s in a.option_strings}
    takes_value = {s for p in _walk(parser) for a in p._actions if a.nargs is None for s in a.option_strings}
    out: List[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        following = argv[i + 1] if i + 1 < len(argv) else None
        if (arg in takes_value and following is not None and following.startswith("-") and following != "--"
                and following.split("=", 1)[0] not in options):
            out.append(f"{arg}={following}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def build_parser(*, json_output: bool = False) -> argparse.ArgumentParser:
    parser_class = _JsonParser if json_output else _Parser
    parser = parser_class(prog="harvest-connect", description="Secure, named connections to the Harvest API.")
    parser.add_argument("--version", action=_Version, help="print harvest-connect's version and exit")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument("--store", metavar="PATH_OR_URL",
                        help="the store: a file, or a PostgreSQL URL postgresql://user@host/db (the password from "
                        "~/.pgpass, PGPASSFILE or PGPASSWORD) (default: HARVEST_CONNECT_STORE, else "
                        "HARVEST_CONNECT_HOME/store.db or $XDG_DATA_HOME/harvest-connect/store.db)")
    parser.add_argument("--key-file", metavar="FILE", help="the master key file (default: HARVEST_CONNECT_KEY, "
                        "HARVEST_CONNECT_KEY_FILE, then $XDG_CONFIG_HOME/harvest-connect/master.key)")
    pw = parser.add_mutually_exclusive_group()
    pw.add_argument("--passphrase-stdin", action="store_true", help="read the store passphrase from stdin's first line")
    pw.add_argument("--ask-passphrase", action="store_true", help="prompt for the store passphrase")
    secret_input.refuse_secret_options(parser, "--passphrase", "--key")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=parser_class)

    records.add_commands(sub, parser_class)
    keys.add_commands(sub, parser_class)
    authorize.add_commands(sub)
    api.add_commands(sub)
    store_copy.add_commands(sub, parser_class)

    _add_json_everywhere(parser)
    secret_input.refuse_secret_options_everywhere(parser)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    json_output = _wants_json(argv)
    stdout = sys.stdout
    try:
        parser = build_parser(json_output=json_output)
        args = parser.parse_args(join_dash_values(parser, argv))
        json_output = bool(args.json)
        args.out = Output(json=json_output, stdout=stdout)
        func: Callable[[argparse.Namespace], int] = args.func
        if args.passphrase_stdin:
            # The passphrase is stdin's first line, before any secret a command reads.
            args.passphrase_value = secret_input.stdin.line("passphrase")
        if not json_output:
            return func(args)
        # Whatever else the command says (links to open, prompts, progress) goes to stderr:
        # stdout holds one JSON document.
        with contextlib.redirect_stdout(sys.stderr):
            return func(args)
    except (BadInput, AuthorizeAgain, HarvestConnectError, OSError, KeyboardInterrupt) as exc:
        code, kind = exit_codes.for_error(exc)
        message = "interrupted; nothing was changed" if isinstance(exc, KeyboardInterrupt) else str(exc)
        write_error(json=json_output, stdout=stdout, kind=kind, message=message, exit_code=code)
        return code
