"""Helpers of the OAuth tests: an emulator, a store with a client and a connection, a fake
browser that approves at the emulator and follows the redirect, and a token-endpoint proxy
that records what passed through (so that the secrets scan knows every secret)."""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator


def follow(url: str, timeout: float = 10) -> Tuple[int, str]:
    """What a browser does with a redirect: GET it; (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def printed_url(proc: "subprocess.Popen[str]", timeout: float = 30) -> str:
    """The authorization address `harvest-connect authorize --no-browser` prints on stderr."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("http"):
            return line.strip()
    raise AssertionError("the CLI printed no address")


def with_query(url: str, **changes: Optional[str]) -> str:
    """The URL with query parameters replaced (None removes one)."""
    parts = urllib.parse.urlsplit(url)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in changes]
    q += [(k, v) for k, v in changes.items() if v is not None]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def query(url: str) -> Dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@dataclass
class FakeBrowser:
    """Stands in for webbrowser.open: approves (or does `action`) and follows the redirect in
    a thread, as a browser would, recording what it saw."""

    emu: HarvestEmulator
    action: Optional[Callable[[str], Optional[str]]] = None  # url -> redirect to follow (None: nothing)
    urls: List[str] = field(default_factory=list)
    redirects: List[str] = field(default_factory=list)
    pages: List[Tuple[int, str]] = field(default_factory=list)
    threads: List[threading.Thread] = field(default_factory=list)

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        redirect = self.action(url) if self.action else self.emu.approve(url)
        if redirect is not None:
            self.redirects.append(redirect)
            t = threading.Thread(target=lambda: self.pages.append(follow(redirect)), daemon=True)
            t.start()
            self.threads.append(t)
        return True

    def join(self) -> None:
        for t in self.threads:
            t.join(15)


class TokenProxy:
    """A loopback HTTP proxy in front of the emulator's token endpoint that records every
    request body and answer body."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.bodies: List[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                proxy.bodies.append(body.decode())
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "user-agent", "authorization", "accept")}
                req = urllib.request.Request(proxy.target, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(req, timeout=10) as r:
                        status, answer = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                proxy.bodies.append(answer.decode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/oauth2/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Setup:
    emu: HarvestEmulator
    store: hc.Store
    app: object
    conn: hc.Connection
    browser: FakeBrowser

    def snapshot(self) -> tuple:
        c = self.store.connection(self.conn.name)
        return c.status, c.has_tokens, c.token_expires_at, c.updated_at


def make_setup(emu: HarvestEmulator, store: hc.Store, *, redirect_uri: Optional[str] = None,
               registered: str = "http://127.0.0.1", account_id: Optional[str] = None,
               multi_account: bool = False, token_url: Optional[str] = None) -> Setup:
    app = emu.register_app("Test app", registered, multi_account=multi_account)
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret,
                              redirect_uri=redirect_uri, token_url=token_url)
    conn = store.create_connection("acme", oauth_client="app",
                                   account_id=account_id or str(emu.account_id),
                                   id_url=emu.id_url, api_url=emu.api_url,
                                   user_agent="harvest-connect tests (tests@example.com)")
    browser = FakeBrowser(emu)
    return Setup(emu, store, app, conn, browser)


def make_cli_home(home: Path, emu: HarvestEmulator, app_name: str) -> Path:
    """A HARVEST_CONNECT_HOME for CLI runs: a key file, and a store with the OAuth client "app"
    (an app registered as app_name) and the connection "acme", not yet authorized; the
    client secret is in home / "secret" for the output scans."""
    key = hc.Key.generate()
    home.mkdir(mode=0o700)
    hc._core._write_key_file(str(home / "master.key"), key)
    app = emu.register_app(app_name, "http://127.0.0.1")
    with hc.Store.open(home / "store.db", key=key) as store:
        store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret)
        store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id),
                                id_url=emu.id_url, api_url=emu.api_url)
    home.joinpath("secret").write_text(app.client_secret)
    return home
