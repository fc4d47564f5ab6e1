"""How connections, stores, test results and API clients show in Jupyter (``_repr_html_``).

Only what the plain ``repr`` already shows is rendered: names, statuses, client IDs, URLs,
expiries. The engine's objects hold no secret (their secret fields read as a redaction mark),
so there is none to leak; every value is still HTML-escaped, since a connection's name or a
server's message can hold markup (``<script>``) and Jupyter renders this HTML as trusted.

These functions become ``_repr_html_`` methods of the engine's classes (see ``__init__``).
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Connection, Store, TestResult
    from .client import HarvestClient

__all__ = ["connection_html", "store_html", "result_html", "client_html", "status_badge"]

# Colours of the status badge: green when usable, grey before authorization, red when Harvest
# refused the tokens.
_BADGE_COLOURS = {"authorized": "#1a7f37", "online": "#1a7f37", "not_authorized": "#6e7781",
                  "offline": "#cf222e"}
_BADGE_TEXT = {"authorized": "authorized", "not_authorized": "not authorized", "offline": "offline",
               "online": "online"}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def status_badge(status: str) -> str:
    """A coloured label for a connection's status (``authorized``, ``not_authorized``, ...)."""
    colour = _BADGE_COLOURS.get(status, "#9a6700")
    text = _BADGE_TEXT.get(status, status)
    return (f'<span class="hc-badge" style="background:{colour};color:#fff;border-radius:0.8em;'
            f'padding:0.1em 0.6em;font-size:0.85em">{_e(text)}</span>')


def _when(value: Optional[_dt.datetime]) -> str:
    if value is None:
        return "-"
    return value.isoformat(sep=" ", timespec="seconds")


def _rows(rows: Iterable[Sequence[str]]) -> str:
    return "".join(f'<tr><th style="text-align:left;padding-right:1em">{_e(k)}</th>'
                   f'<td style="text-align:left">{v}</td></tr>' for k, v in rows)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f'<th style="text-align:left">{_e(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f'<td style="text-align:left">{c}</td>' for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def connection_html(self: "Connection") -> str:
    """A connection: name, status badge, client, API URL and when its access token expires."""
    client = self.oauth_client or "(personal access token)"
    account = "set (encrypted)" if self.has_account_id else "-"  # write-only: never the value
    rows = [("OAuth client", _e(client)), ("Account ID", account), ("API URL", _e(self.api_url)),
            ("Token expires", _e(_when(self.token_expires_at)))]
    if self.last_error:
        rows.append(("Last error", _e(self.last_error)))
    return (f'<div class="hc-connection"><p><b>Connection {_e(self.name)}</b> {status_badge(self.status)}</p>'
            f"<table>{_rows(rows)}</table></div>")


def store_html(self: "Store") -> str:
    """A store: its file, and a table each of its connections and OAuth clients."""
    if self.closed:
        return f'<div class="hc-store"><p><b>Store</b> {_e(self.location)} (closed)</p></div>'
    conns = [[_e(c.name), status_badge(c.status), _e(c.oauth_client or "(personal access token)"),
              _e(c.api_url), _e(_when(c.token_expires_at))] for c in self.connections()]
    clients = [[_e(c.name), _e(c.provider), _e(c.client_id), _e(c.redirect_uri or "-")]
               for c in self.oauth_clients()]
    return (f'<div class="hc-store"><p><b>Store</b> {_e(self.location)}</p>'
            f"<p>Connections ({len(conns)})</p>"
            + _table(["Name", "Status", "OAuth client", "API URL", "Token expires"], conns)
            + f"<p>OAuth clients ({len(clients)})</p>"
            + _table(["Name", "Provider", "Client ID", "Redirect URI"], clients) + "</div>")


def result_html(self: "TestResult") -> str:
    """A connection test: online or offline, the user's name, and the message."""
    badge = status_badge("online" if self.ok else "offline")
    who = f" as {_e(self.user)}" if self.ok and self.user else ""
    status = f" (HTTP {self.status_code})" if self.status_code else ""
    return (f'<div class="hc-test-result"><p>{badge}{who}{_e(status)}</p>'
            f"<p>{_e(self.message)}</p></div>")


def client_html(self: "HarvestClient") -> str:
    """An API client: its connection and API URL."""
    return (f'<div class="hc-client"><b>Harvest API client</b> of connection {_e(self.connection_name)} '
            f"at {_e(self.api_url)}</div>")
