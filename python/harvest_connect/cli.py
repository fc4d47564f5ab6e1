"""The harvest-connect command line.

Secrets are never taken from argv: they come from a hidden prompt, stdin or a file.
Exit codes: 0 ok, 2 bad input, 1 any other failure.
"""

from __future__ import annotations

import argparse
import getpass
import os
import stat
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NoReturn, Optional, Sequence

from . import _cli_harvest, _core
from ._terminal import json_text, plain
from .errors import HarvestConnectError, NotFoundError, ValidationError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

# Options that would put a secret on the command line (shell history, ps): refused by every
# command that does not define the option itself, so no secret value is ever taken from argv.
_REFUSED_SECRET_OPTIONS = {
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

# argparse quotes what it did not understand ("unrecognized arguments: ..."); a mistyped
# option may have been followed by a secret, so only option names are repeated.
_QUOTED_VALUE_MESSAGES = ("unrecognized arguments:", "ignored explicit argument", "invalid choice:",
                          "invalid int value:", "invalid float value:")


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
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # "--account" must not mean "--account-id-stdin"
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # argparse exits 2 on bad usage, which is our "bad input" code too.
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {_scrub_usage_error(message)}\n")


class _RefuseSecret(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        alt = _REFUSED_SECRET_OPTIONS.get(option_string or "", "stdin, a file or the prompt")
        parser.error(f"{option_string} would put a secret on the command line (shell history, process list); "
                     f"it was not used. Use {alt}")


def _refuse_secret_options(p: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        p.add_argument(name, nargs="?", action=_RefuseSecret, help=argparse.SUPPRESS)


class _BadInput(Exception):
    """A usage problem found after parsing (exit 2)."""


# --- reading secrets -------------------------------------------------------------------

class _Stdin:
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
            raise _BadInput(f"{what}: expected a line on stdin, got end of input") from None
        return text.rstrip("\r\n")


_stdin = _Stdin()


def _read_secret(args: argparse.Namespace, dest: str, what: str, *, required: bool = True,
                 confirm: bool = False) -> Optional[str]:
    """The secret from --DEST-stdin, --DEST-file or a hidden prompt."""
    if getattr(args, f"{dest}_stdin", False):
        return _stdin.line(what)
    path = getattr(args, f"{dest}_file", None)
    if path:
        try:
            return Path(path).read_text(encoding="utf-8", errors="surrogateescape").rstrip("\r\n")
        except OSError as exc:
            raise _BadInput(f"{what}: cannot read {path}: {exc.strerror}") from None
    if not required:
        return None
    if not sys.stdin.isatty():
        flag = dest.replace("_", "-")
        raise _BadInput(f"{what}: no terminal to prompt on; give --{flag}-stdin or --{flag}-file FILE")
    value = getpass.getpass(f"{what}: ")
    if confirm and getpass.getpass(f"{what} (again): ") != value:
        raise _BadInput(f"{what}: the two entries differ")
    return value


def _add_secret_source(p: argparse.ArgumentParser, dest: str, what: str) -> None:
    flag = dest.replace("_", "-")
    group = p.add_mutually_exclusive_group()
    group.add_argument(f"--{flag}-stdin", action="store_true", help=f"read the {what} from a line of stdin")
    group.add_argument(f"--{flag}-file", metavar="FILE", help=f"read the {what} from a file")


# --- opening the store -----------------------------------------------------------------

def _open_store(args: argparse.Namespace) -> _core.Store:
    passphrase = getattr(args, "passphrase_value", None)
    if passphrase is None and args.ask_passphrase:
        passphrase = getpass.getpass("store passphrase: ")
    return _core.Store.open(args.store, key_file=args.key_file, passphrase=passphrase)


# --- output ----------------------------------------------------------------------------

def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    cells = [list(headers)] + [[plain(str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _when(dt: Any) -> Optional[str]:
    return dt.isoformat() if dt is not None else None


def _client_dict(c: _core.OAuthClient) -> Dict[str, Any]:
    return {
        "name": c.name, "provider": c.provider, "client_id": c.client_id, "client_secret": c.client_secret,
        "authorize_url": c.authorize_url, "token_url": c.token_url, "revoke_url": c.revoke_url,
        "redirect_uri": c.redirect_uri, "scope": c.scope, "pkce": c.pkce,
        "client_credentials": c.client_credentials, "created_at": _when(c.created_at),
        "updated_at": _when(c.updated_at),
    }


def _connection_dict(c: _core.Connection) -> Dict[str, Any]:
    return {
        "name": c.name, "type": c.type, "auth": c.auth, "oauth_client": c.oauth_client,
        "account_id": c.account_id, "user_agent": c.user_agent, "api_url": c.api_url, "id_url": c.id_url,
        "status": c.status, "has_tokens": c.has_tokens, "token_expires_at": _when(c.token_expires_at),
        "last_error": c.last_error, "created_at": _when(c.created_at), "updated_at": _when(c.updated_at),
    }


def _print_json(value: Any) -> None:
    print(json_text(value, indent=2))


# --- commands: clients -----------------------------------------------------------------

def _cmd_clients_add(args: argparse.Namespace) -> int:
    secret = _read_secret(args, "client_secret", "client secret", confirm=False)
    with _open_store(args) as store:
        c = store.create_oauth_client(
            args.name, client_id=args.client_id, client_secret=secret or "", provider=args.provider,
            authorize_url=args.authorize_url, token_url=args.token_url, revoke_url=args.revoke_url,
            redirect_uri=args.redirect_uri, scope=args.scope, pkce=args.pkce,
            client_credentials=args.client_credentials)
    print(f"added OAuth client '{c.name}' (the client secret is stored encrypted and will not be shown again)")
    return EXIT_OK


def _cmd_clients_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        clients = store.oauth_clients()
    if args.json:
        _print_json([_client_dict(c) for c in clients])
    elif not clients:
        print("no OAuth clients yet; add one with 'harvest-connect clients add NAME --client-id ID'")
    else:
        print(_table([[c.name, c.provider, c.client_id, c.redirect_uri or "-", "on" if c.pkce else "off"]
                      for c in clients], ["NAME", "PROVIDER", "CLIENT ID", "REDIRECT URI", "PKCE"]))
    return EXIT_OK


def _cmd_clients_edit(args: argparse.Namespace) -> int:
    secret = None
    if args.new_client_secret or args.client_secret_stdin or args.client_secret_file:
        secret = _read_secret(args, "client_secret", "new client secret")
    with _open_store(args) as store:
        c = store.update_oauth_client(
            args.name, new_name=args.new_name, client_id=args.client_id, client_secret=secret,
            provider=args.provider, authorize_url=args.authorize_url, token_url=args.token_url,
            revoke_url=args.revoke_url, redirect_uri=args.redirect_uri, scope=args.scope, pkce=args.pkce,
            client_credentials=args.client_credentials)
    kept = "replaced" if secret is not None else "kept"
    print(f"updated OAuth client '{c.name}' (client secret {kept})")
    return EXIT_OK


def _cmd_clients_remove(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        store.delete_oauth_client(args.name)
    print(f"removed OAuth client '{args.name}'")
    return EXIT_OK


# --- commands: connections -------------------------------------------------------------

def _cmd_connections_add(args: argparse.Namespace) -> int:
    if bool(args.oauth_client) == bool(args.personal_access_token):
        raise _BadInput("give exactly one of --oauth-client NAME or --personal-access-token")
    account_id = _read_secret(args, "account_id", "Harvest account ID") or ""
    token = _read_secret(args, "access_token", "personal access token") if args.personal_access_token else None
    with _open_store(args) as store:
        if token is not None:
            c = store.create_token_connection(args.name, access_token=token, account_id=account_id,
                                              user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
        else:
            c = store.create_connection(args.name, oauth_client=args.oauth_client, account_id=account_id,
                                        user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
    print(f"added connection '{c.name}' (status {c.status}; secrets stored encrypted, never shown again)")
    return EXIT_OK


def _cmd_connections_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        conns = store.connections()
    if args.json:
        _print_json([_connection_dict(c) for c in conns])
    elif not conns:
        print("no connections yet; add one with 'harvest-connect connections add NAME --oauth-client CLIENT'")
    else:
        print(_table([[c.name, c.status, c.oauth_client or "(personal access token)", c.account_id, c.api_url]
                      for c in conns], ["NAME", "STATUS", "OAUTH CLIENT", "ACCOUNT ID", "API URL"]))
    return EXIT_OK


def _cmd_connections_show(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        c = store.connection(args.name)
        d = _connection_dict(c)
        d["http_settings"] = c.http_settings()
    if args.json:
        _print_json(d)
        return EXIT_OK
    settings = d.pop("http_settings")
    rows = [[k, "-" if v is None else str(v)] for k, v in d.items()]
    rows.append(["base_uri", settings["base_uri"]])
    for k, v in settings["headers"].items():
        rows.append([f"header {k}", v])
    for k, v in settings.get("oauth2", {}).items():
        rows.append([f"oauth2 {k}", "-" if v is None else str(v)])
    rows.append(["ping", f"{settings['ping']['method']} {settings['ping']['relative_uri']}"])
    print(_table(rows, ["FIELD", "VALUE"]))
    return EXIT_OK


def _cmd_connections_edit(args: argparse.Namespace) -> int:
    # As the form does: the account ID must be entered again on every edit.
    account_id = _read_secret(args, "account_id", "Harvest account ID (enter it again)") or ""
    token = None
    if args.new_access_token or args.access_token_stdin or args.access_token_file:
        token = _read_secret(args, "access_token", "new personal access token")
    with _open_store(args) as store:
        c = store.update_connection(args.name, account_id=account_id, new_name=args.new_name,
                                    oauth_client=args.oauth_client, access_token=token,
                                    user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
    print(f"updated connection '{c.name}' (status {c.status})")
    return EXIT_OK


def _cmd_connections_remove(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        store.delete_connection(args.name)
    print(f"removed connection '{args.name}' and its tokens")
    return EXIT_OK


# --- commands: key, doctor -------------------------------------------------------------

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
        # Print inside the try: a Ctrl-C that comes right after the URLs appear is still a
        # clean stop (exit 0), not an interrupted command.
        try:
            print("\n".join(lines), flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("harvest-connect: emulator stopped", file=sys.stderr)
    return EXIT_OK


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


def _cmd_key_rotate(args: argparse.Namespace) -> int:
    # A fresh data key by default (one transaction with the rewrap): the old master key and
    # an old copy of the wrapped data key then open nothing current.
    keep = bool(args.keep_data_key)
    if args.new_passphrase or args.new_passphrase_stdin or args.new_passphrase_file:
        new_pass = _read_secret(args, "new_passphrase", "new passphrase", confirm=True)
        with _open_store(args) as store:
            store.rotate_key(passphrase=new_pass, keep_data_key=keep)
        print("the store now opens with the new passphrase only")
        return EXIT_OK
    current = _current_key_file(args)
    target = Path(args.new_key_file) if args.new_key_file else current
    if target is None:
        raise _BadInput("the store is opened with HARVEST_CONNECT_KEY or a passphrase: give --new-key-file FILE "
                        "for the new key (or --new-passphrase)")
    new_key = _core.Key.generate()
    if target == current:
        # 1. the new key beside the old one; 2. rotate (one transaction); 3. swap the files,
        # keeping the old key as FILE.old. Interrupted anywhere, one of FILE, FILE.new, FILE.old
        # holds the key the store opens with.
        staged = target.with_name(target.name + ".new")
        old = target.with_name(target.name + ".old")
        for p in (staged, old):
            if p.exists():
                raise _BadInput(f"{p} exists (left by an earlier rotation?); check it and move it away first")
        _core._write_key_file(str(staged), new_key)
        try:
            with _open_store(args) as store:
                # One transaction: if it fails (a field does not open, a row was tampered
                # with) the store is still under the current key, so removing the new key
                # file loses nothing.
                store.rotate_key(new_key, keep_data_key=keep)
        except BaseException:
            staged.unlink()
            raise
        os.replace(target, old)
        os.replace(staged, target)
        _sync_directory(target)
        print(f"rotated the master key: {target} now holds the new key (id {new_key.id}); "
              f"the old key is kept in {old} — stores and backups made before now need it. "
              "Delete it once your backups are rotated too.")
    else:
        _core._write_key_file(str(target), new_key)
        try:
            with _open_store(args) as store:
                store.rotate_key(new_key, keep_data_key=keep)  # one transaction, as above
        except BaseException:
            target.unlink()
            raise
        print(f"rotated the master key: the store now opens with {target} (id {new_key.id}) only; "
              "point --key-file or HARVEST_CONNECT_KEY_FILE at it")
    return EXIT_OK


def _mode_problem(path: Path, allowed: int, what: str) -> Optional[str]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & ~allowed:
        return f"{what} {path} has mode {mode:o}: others may read it. Run: chmod {allowed:o} {path}"
    return None


def _cmd_doctor(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        problems = store.verify()
        path = Path(store.path)
        key_id, version = store.key_id, store.schema_version
    findings = [f"{p.table} '{p.record}' field {p.field}: {p.reason}" for p in problems]
    for p, allowed, what in ((path, 0o600, "store file"), (path.parent, 0o700, "store directory")):
        msg = _mode_problem(p, allowed, what)
        if msg:
            findings.append(msg)
    print(f"store {path} (schema {version}, key id {key_id})")
    if findings:
        for f in findings:
            print(f"problem: {f}")
        return EXIT_FAILURE
    print("all sealed fields open; file modes are private; nothing to do")
    return EXIT_OK


# --- parser ----------------------------------------------------------------------------

def _client_fields(p: argparse.ArgumentParser, *, edit: bool) -> None:
    p.add_argument("--client-id", required=not edit, help="the OAuth app's Client ID")
    p.add_argument("--provider", choices=["harvest", "custom"], default=None if edit else "harvest",
                   help="harvest (Harvest's endpoints filled in) or custom")
    p.add_argument("--authorize-url", help="authorization endpoint (custom providers)")
    p.add_argument("--token-url", help="token endpoint (custom providers)")
    p.add_argument("--revoke-url", help="revocation endpoint, if any")
    p.add_argument("--redirect-uri", help="the Redirect URL registered with the app")
    p.add_argument("--scope", help="e.g. harvest:123456 (space- or +-separated)")
    p.add_argument("--pkce", dest="pkce", action="store_true", default=None if edit else True,
                   help="send PKCE (default on)")
    p.add_argument("--no-pkce", dest="pkce", action="store_false", help="do not send PKCE")
    p.add_argument("--client-credentials", choices=["body", "basic"], default=None if edit else "body",
                   help="send the client credentials in the body (Harvest) or a Basic header")
    _add_secret_source(p, "client_secret", "client secret")
    _refuse_secret_options(p, "--client-secret")


def _connection_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user-agent", help="'MyApp (you@example.com)'; default: HARVEST_CONNECT_CONTACT or the library's")
    p.add_argument("--api-url", help="API base URL (default Harvest's; http only for loopback)")
    p.add_argument("--id-url", help="identity service URL (default Harvest's)")
    _add_secret_source(p, "account_id", "Harvest account ID")
    _add_secret_source(p, "access_token", "personal access token")
    _refuse_secret_options(p, "--account-id", "--access-token", "--token")


# --- commands: authorize / disconnect --------------------------------------------------

def _cmd_authorize(args: argparse.Namespace) -> int:
    from . import authorization  # also attaches Connection.authorize

    with _open_store(args) as store:
        conn = store.connection(args.name)
        if args.paste:
            # No receiver on this computer: the browser may run anywhere. The address is read
            # with input(), so it never appears on argv.
            authorization.authorize_by_paste(conn, ca_file=args.ca_file)
        else:
            conn.authorize(open_browser=not args.no_browser, port=args.port, timeout=args.timeout,
                           ca_file=args.ca_file)
        print(f"connection {conn.name!r} is authorized")
    return EXIT_OK


def _cmd_disconnect(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        conn = store.connection(args.name)
        revoked = conn.disconnect(ca_file=args.ca_file)
        print(f"connection {conn.name!r} is disconnected: its tokens were forgotten"
              + (" and revoked" if revoked else ""))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harvest-connect", description="Secure, named connections to the Harvest API.")
    parser.add_argument("--store", metavar="PATH", help="the store file (default: HARVEST_CONNECT_HOME/store.db "
                        "or $XDG_DATA_HOME/harvest-connect/store.db)")
    parser.add_argument("--key-file", metavar="FILE", help="the master key file (default: HARVEST_CONNECT_KEY, "
                        "HARVEST_CONNECT_KEY_FILE, then $XDG_CONFIG_HOME/harvest-connect/master.key)")
    pw = parser.add_mutually_exclusive_group()
    pw.add_argument("--passphrase-stdin", action="store_true", help="read the store passphrase from stdin's first line")
    pw.add_argument("--ask-passphrase", action="store_true", help="prompt for the store passphrase")
    _refuse_secret_options(parser, "--passphrase", "--key")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    clients = sub.add_parser("clients", help="OAuth 2.0 clients").add_subparsers(
        dest="clients_command", required=True, parser_class=_Parser)
    p = clients.add_parser("add", help="register an OAuth client (the secret is prompted for)")
    p.add_argument("name")
    _client_fields(p, edit=False)
    p.set_defaults(func=_cmd_clients_add)
    p = clients.add_parser("list", help="list OAuth clients")
    p.add_argument("--json", action="store_true", help="machine-readable output (secrets redacted)")
    p.set_defaults(func=_cmd_clients_list)
    p = clients.add_parser("edit", help="change an OAuth client (its secret is kept unless --new-client-secret)")
    p.add_argument("name")
    p.add_argument("--name", dest="new_name", metavar="NEW_NAME", help="rename it")
    p.add_argument("--new-client-secret", action="store_true", help="prompt for a new client secret")
    _client_fields(p, edit=True)
    p.set_defaults(func=_cmd_clients_edit)
    p = clients.add_parser("remove", help="delete an OAuth client (refused while connections use it)")
    p.add_argument("name")
    p.set_defaults(func=_cmd_clients_remove)

    conns = sub.add_parser("connections", help="Harvest connections").add_subparsers(
        dest="connections_command", required=True, parser_class=_Parser)
    p = conns.add_parser("add", help="create a connection (the account ID is prompted for)")
    p.add_argument("name")
    p.add_argument("--oauth-client", metavar="CLIENT", help="the OAuth client it authorizes through")
    p.add_argument("--personal-access-token", action="store_true",
                   help="use a personal access token (prompted for) instead of an OAuth client")
    _connection_fields(p)
    p.set_defaults(func=_cmd_connections_add)
    p = conns.add_parser("list", help="list connections")
    p.add_argument("--json", action="store_true", help="machine-readable output (secrets redacted)")
    p.set_defaults(func=_cmd_connections_list)
    p = conns.add_parser("show", help="show a connection and its HTTP settings (secrets masked)")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="machine-readable output (secrets redacted)")
    p.set_defaults(func=_cmd_connections_show)
    p = conns.add_parser("edit", help="change a connection (the account ID must be entered again)")
    p.add_argument("name")
    p.add_argument("--name", dest="new_name", metavar="NEW_NAME", help="rename it")
    p.add_argument("--oauth-client", metavar="CLIENT", help="move it to another OAuth client")
    p.add_argument("--new-access-token", action="store_true", help="prompt for a new personal access token")
    _connection_fields(p)
    p.set_defaults(func=_cmd_connections_edit)
    p = conns.add_parser("remove", help="delete a connection and its tokens")
    p.add_argument("name")
    p.set_defaults(func=_cmd_connections_remove)

    key = sub.add_parser("key", help="master keys").add_subparsers(dest="key_command", required=True,
                                                                   parser_class=_Parser)
    gen = key.add_parser("generate", help="generate a new master key")
    gen.add_argument("--output", metavar="FILE", help="write it to a new key file (0600) instead of stdout")
    gen.set_defaults(func=_cmd_key_generate)
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
    _add_secret_source(rot, "new_passphrase", "new passphrase")
    rot.set_defaults(func=_cmd_key_rotate)

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
    _cli_harvest.add_ca_file_option(p)
    p.set_defaults(func=_cmd_authorize)
    p = sub.add_parser("disconnect", help="forget a connection's tokens (revoking them where supported)")
    p.add_argument("name", help="the connection's name")
    _cli_harvest.add_ca_file_option(p)
    p.set_defaults(func=_cmd_disconnect)

    doc = sub.add_parser("doctor", help="check the store: every sealed field opens, files are private")
    doc.set_defaults(func=_cmd_doctor)

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

    _cli_harvest.add_commands(sub, _open_store)
    _refuse_secret_options_everywhere(parser)
    return parser


def _refuse_secret_options_everywhere(parser: argparse.ArgumentParser) -> None:
    """Every command refuses every secret-carrying option it does not define itself."""
    taken = set(parser._option_string_actions)
    _refuse_secret_options(parser, *(n for n in _REFUSED_SECRET_OPTIONS if n not in taken))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                _refuse_secret_options_everywhere(sub)


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        if args.passphrase_stdin:
            # The passphrase is stdin's first line, before any secret a command reads.
            args.passphrase_value = _stdin.line("passphrase")
        return func(args)
    except _BadInput as exc:
        print(f"harvest-connect: {plain(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValidationError, NotFoundError) as exc:
        print(f"harvest-connect: {plain(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except HarvestConnectError as exc:
        print(f"harvest-connect: {plain(str(exc))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("harvest-connect: interrupted; nothing was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
