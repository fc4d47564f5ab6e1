"""How secrets reach the CLI: a hidden prompt, a line of stdin or a file — never argv.

Options that would put a secret on the command line (shell history, the process list) are
refused by every command, so no secret value is ever taken from argv.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

from .exit_codes import BadInput

# Each refused option, and what to use instead.
REFUSED_SECRET_OPTIONS = {
    "--client-secret": "--client-secret-stdin, --client-secret-file FILE or the prompt",
    "--account-id": "--account-id-stdin, --account-id-file FILE or the prompt",
    "--access-token": "--access-token-stdin, --access-token-file FILE or the prompt",
    "--token": "--access-token-stdin, --access-token-file FILE or the prompt",
    "--refresh-token": "'harvest-connect authorize NAME' (tokens come from the authorization, never from you)",
    "--passphrase": "--passphrase-stdin or --ask-passphrase",
    "--password": "--passphrase-stdin or --ask-passphrase",
    "--secret": "stdin, a file or the prompt",
    "--key": "--key-file FILE or HARVEST_CONNECT_KEY_FILE",
    "--new-key": "--new-key-file FILE",
    "--api-key": "--access-token-stdin, --access-token-file FILE or the prompt",
}


class _RefuseSecret(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        alt = REFUSED_SECRET_OPTIONS.get(option_string or "", "stdin, a file or the prompt")
        parser.error(f"{option_string} would put a secret on the command line (shell history, process list); "
                     f"it was not used. Use {alt}")


def refuse_secret_options(p: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        p.add_argument(name, nargs="?", action=_RefuseSecret, help=argparse.SUPPRESS)


def refuse_secret_options_everywhere(parser: argparse.ArgumentParser) -> None:
    """Every command refuses every secret-carrying option it does not define itself."""
    taken = set(parser._option_string_actions)
    refuse_secret_options(parser, *(n for n in REFUSED_SECRET_OPTIONS if n not in taken))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                refuse_secret_options_everywhere(sub)


class Stdin:
    """Lines of stdin, read on demand: several secrets may be fed one per line."""

    def __init__(self) -> None:
        self._lines: Optional[Iterator[str]] = None

    @staticmethod
    def _readline() -> str:
        # Bytes that are not UTF-8 become surrogates here and a ValidationError (exit 2) when
        # used, instead of a UnicodeDecodeError traceback.
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:
            return sys.stdin.readline()
        line: str = raw.readline().decode("utf-8", "surrogateescape")
        return line

    def line(self, what: str) -> str:
        if self._lines is None:
            self._lines = iter(self._readline, "")
        try:
            text = next(self._lines)
        except StopIteration:
            raise BadInput(f"{what}: expected a line on stdin, got end of input") from None
        return text.rstrip("\r\n")


stdin = Stdin()


def read_secret(args: argparse.Namespace, dest: str, what: str, *, required: bool = True,
                confirm: bool = False) -> Optional[str]:
    """The secret from --DEST-stdin, --DEST-file or a hidden prompt."""
    if getattr(args, f"{dest}_stdin", False):
        return stdin.line(what)
    path = getattr(args, f"{dest}_file", None)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8", errors="surrogateescape").rstrip("\r\n")
        except OSError as exc:
            raise BadInput(f"{what}: cannot read {path}: {exc.strerror}") from None
    if not required:
        return None
    if not sys.stdin.isatty():
        flag = dest.replace("_", "-")
        raise BadInput(f"{what}: no terminal to prompt on; give --{flag}-stdin or --{flag}-file FILE")
    value = getpass.getpass(f"{what}: ")
    if confirm and getpass.getpass(f"{what} (again): ") != value:
        raise BadInput(f"{what}: the two entries differ")
    return value


def read_passphrase(args: argparse.Namespace) -> Optional[str]:
    """The store's passphrase (--passphrase-stdin, read before anything else, or --ask-passphrase)."""
    passphrase: Optional[str] = getattr(args, "passphrase_value", None)
    if passphrase is None and args.ask_passphrase:
        passphrase = getpass.getpass("store passphrase: ")
    return passphrase


def add_secret_source(p: argparse.ArgumentParser, dest: str, what: str) -> None:
    flag = dest.replace("_", "-")
    group = p.add_mutually_exclusive_group()
    group.add_argument(f"--{flag}-stdin", action="store_true", help=f"read the {what} from a line of stdin")
    group.add_argument(f"--{flag}-file", metavar="FILE", help=f"read the {what} from a file")
