"""``clients …`` and ``connections …``: the records of the store (secrets never shown back)."""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

from .. import _core
from . import exit_codes
from .exit_codes import BadInput
from .output import removed, table, when
from .secret_input import add_secret_source, read_secret, refuse_secret_options
from .store import open_store

#: how a listing shows the account ID: it is write-only, so only whether it is set
ACCOUNT_ID_SET = "set (encrypted)"


def client_dict(c: _core.OAuthClient) -> Dict[str, Any]:
    return {
        "name": c.name, "provider": c.provider, "client_id": c.client_id, "client_secret": c.client_secret,
        "authorize_url": c.authorize_url, "token_url": c.token_url, "revoke_url": c.revoke_url,
        "redirect_uri": c.redirect_uri, "scope": c.scope, "pkce": c.pkce,
        "client_credentials": c.client_credentials, "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
    }


def _has_account_id(c: _core.Connection) -> bool:
    # The account ID is write-only: never read it, not even as a mask (Connection.account_id
    # is gone from the API; has_account_id says whether one is stored).
    return bool(getattr(c, "has_account_id", True))


def connection_dict(c: _core.Connection) -> Dict[str, Any]:
    return {
        "name": c.name, "type": c.type, "auth": c.auth, "oauth_client": c.oauth_client,
        "has_account_id": _has_account_id(c), "user_agent": c.user_agent, "api_url": c.api_url,
        "id_url": c.id_url, "status": c.status, "has_tokens": c.has_tokens,
        "token_expires_at": when(c.token_expires_at), "last_error": c.last_error,
        "created_at": when(c.created_at), "updated_at": when(c.updated_at),
    }


def _account_id_text(c: _core.Connection) -> str:
    return ACCOUNT_ID_SET if _has_account_id(c) else "not set"


# --- clients ---------------------------------------------------------------------------

def _clients_add(args: argparse.Namespace) -> int:
    secret = read_secret(args, "client_secret", "client secret", confirm=False)
    with open_store(args) as store:
        c = store.create_oauth_client(
            args.name, client_id=args.client_id, client_secret=secret or "", provider=args.provider,
            authorize_url=args.authorize_url, token_url=args.token_url, revoke_url=args.revoke_url,
            redirect_uri=args.redirect_uri, scope=args.scope, pkce=args.pkce,
            client_credentials=args.client_credentials)
    args.out.result(client_dict(c), f"added OAuth client '{c.name}' (the client secret is stored encrypted "
                                    "and will not be shown again)")
    return exit_codes.OK


def _clients_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        clients = store.oauth_clients()
    if not clients:
        text = "no OAuth clients yet; add one with 'harvest-connect clients add NAME --client-id ID'"
    else:
        text = table([[c.name, c.provider, c.client_id, c.redirect_uri or "-", "on" if c.pkce else "off"]
                      for c in clients], ["NAME", "PROVIDER", "CLIENT ID", "REDIRECT URI", "PKCE"])
    args.out.result([client_dict(c) for c in clients], text)
    return exit_codes.OK


def _clients_edit(args: argparse.Namespace) -> int:
    secret = None
    if args.new_client_secret or args.client_secret_stdin or args.client_secret_file:
        secret = read_secret(args, "client_secret", "new client secret")
    with open_store(args) as store:
        c = store.update_oauth_client(
            args.name, new_name=args.new_name, client_id=args.client_id, client_secret=secret,
            provider=args.provider, authorize_url=args.authorize_url, token_url=args.token_url,
            revoke_url=args.revoke_url, redirect_uri=args.redirect_uri, scope=args.scope, pkce=args.pkce,
            client_credentials=args.client_credentials)
    kept = "replaced" if secret is not None else "kept"
    args.out.result(client_dict(c), f"updated OAuth client '{c.name}' (client secret {kept})")
    return exit_codes.OK


def _clients_remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        store.delete_oauth_client(args.name)
    args.out.result(removed("oauth_client", args.name), f"removed OAuth client '{args.name}'")
    return exit_codes.OK


# --- connections -----------------------------------------------------------------------

def _connections_add(args: argparse.Namespace) -> int:
    if bool(args.oauth_client) == bool(args.personal_access_token):
        raise BadInput("give exactly one of --oauth-client NAME or --personal-access-token")
    account_id = read_secret(args, "account_id", "Harvest account ID") or ""
    token = read_secret(args, "access_token", "personal access token") if args.personal_access_token else None
    with open_store(args) as store:
        if token is not None:
            c = store.create_token_connection(args.name, access_token=token, account_id=account_id,
                                              user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
        else:
            c = store.create_connection(args.name, oauth_client=args.oauth_client, account_id=account_id,
                                        user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
    args.out.result(connection_dict(c), f"added connection '{c.name}' (status {c.status}; secrets stored "
                                        "encrypted, never shown again)")
    return exit_codes.OK


def _connections_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        conns = store.connections()
    if not conns:
        text = "no connections yet; add one with 'harvest-connect connections add NAME --oauth-client CLIENT'"
    else:
        text = table([[c.name, c.status, c.oauth_client or "(personal access token)", _account_id_text(c),
                       c.api_url] for c in conns], ["NAME", "STATUS", "OAUTH CLIENT", "ACCOUNT ID", "API URL"])
    args.out.result([connection_dict(c) for c in conns], text)
    return exit_codes.OK


def _show_rows(c: _core.Connection, d: Dict[str, Any]) -> List[List[str]]:
    rows = []
    for k, v in d.items():
        if k == "has_account_id":
            rows.append(["account_id", _account_id_text(c)])
        elif k != "http_settings":
            rows.append([k, "-" if v is None else str(v)])
    settings = d["http_settings"]
    rows.append(["base_uri", settings["base_uri"]])
    for k, v in settings["headers"].items():
        rows.append([f"header {k}", v])
    for k, v in settings.get("oauth2", {}).items():
        rows.append([f"oauth2 {k}", "-" if v is None else str(v)])
    rows.append(["ping", f"{settings['ping']['method']} {settings['ping']['relative_uri']}"])
    return rows


def _connections_show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        c = store.connection(args.name)
        d = connection_dict(c)
        d["http_settings"] = c.http_settings()
    args.out.result(d, table(_show_rows(c, d), ["FIELD", "VALUE"]))
    return exit_codes.OK


def _connections_edit(args: argparse.Namespace) -> int:
    # As the form does: the account ID must be entered again on every edit.
    account_id = read_secret(args, "account_id", "Harvest account ID (enter it again)") or ""
    token = None
    if args.new_access_token or args.access_token_stdin or args.access_token_file:
        token = read_secret(args, "access_token", "new personal access token")
    with open_store(args) as store:
        c = store.update_connection(args.name, account_id=account_id, new_name=args.new_name,
                                    oauth_client=args.oauth_client, access_token=token,
                                    user_agent=args.user_agent, api_url=args.api_url, id_url=args.id_url)
    args.out.result(connection_dict(c), f"updated connection '{c.name}' (status {c.status})")
    return exit_codes.OK


def _connections_remove(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        store.delete_connection(args.name)
    args.out.result(removed("connection", args.name), f"removed connection '{args.name}' and its tokens")
    return exit_codes.OK


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
    add_secret_source(p, "client_secret", "client secret")
    refuse_secret_options(p, "--client-secret")


def _connection_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user-agent", help="'MyApp (you@example.com)'; default: HARVEST_CONNECT_CONTACT or the library's")
    p.add_argument("--api-url", help="API base URL (default Harvest's; http only for loopback)")
    p.add_argument("--id-url", help="identity service URL (default Harvest's)")
    add_secret_source(p, "account_id", "Harvest account ID")
    add_secret_source(p, "access_token", "personal access token")
    refuse_secret_options(p, "--account-id", "--access-token", "--token")


def add_commands(sub: Any, parser_class: Any) -> None:
    clients = sub.add_parser("clients", help="OAuth 2.0 clients").add_subparsers(
        dest="clients_command", required=True, parser_class=parser_class)
    p = clients.add_parser("add", help="register an OAuth client (the secret is prompted for)")
    p.add_argument("name")
    _client_fields(p, edit=False)
    p.set_defaults(func=_clients_add)
    p = clients.add_parser("list", help="list OAuth clients")
    p.set_defaults(func=_clients_list)
    p = clients.add_parser("edit", help="change an OAuth client (its secret is kept unless --new-client-secret)")
    p.add_argument("name")
    p.add_argument("--name", dest="new_name", metavar="NEW_NAME", help="rename it")
    p.add_argument("--new-client-secret", action="store_true", help="prompt for a new client secret")
    _client_fields(p, edit=True)
    p.set_defaults(func=_clients_edit)
    p = clients.add_parser("remove", help="delete an OAuth client (refused while connections use it)")
    p.add_argument("name")
    p.set_defaults(func=_clients_remove)

    conns = sub.add_parser("connections", help="Harvest connections").add_subparsers(
        dest="connections_command", required=True, parser_class=parser_class)
    p = conns.add_parser("add", help="create a connection (the account ID is prompted for)")
    p.add_argument("name")
    p.add_argument("--oauth-client", metavar="CLIENT", help="the OAuth client it authorizes through")
    p.add_argument("--personal-access-token", action="store_true",
                   help="use a personal access token (prompted for) instead of an OAuth client")
    _connection_fields(p)
    p.set_defaults(func=_connections_add)
    p = conns.add_parser("list", help="list connections")
    p.set_defaults(func=_connections_list)
    p = conns.add_parser("show", help="show a connection and its HTTP settings (secrets masked)")
    p.add_argument("name")
    p.set_defaults(func=_connections_show)
    p = conns.add_parser("edit", help="change a connection (the account ID must be entered again)")
    p.add_argument("name")
    p.add_argument("--name", dest="new_name", metavar="NEW_NAME", help="rename it")
    p.add_argument("--oauth-client", metavar="CLIENT", help="move it to another OAuth client")
    p.add_argument("--new-access-token", action="store_true", help="prompt for a new personal access token")
    _connection_fields(p)
    p.set_defaults(func=_connections_edit)
    p = conns.add_parser("remove", help="delete a connection and its tokens")
    p.add_argument("name")
    p.set_defaults(func=_connections_remove)
