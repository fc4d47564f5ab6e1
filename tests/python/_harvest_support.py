"""Helpers of the API-call tests: an emulator, a store whose connection is authorized through
the paste flow, and a worker script run in other processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

WORKER = Path(__file__).with_name("_harvest_worker.py")
USER_AGENT = "harvest-connect tests (tests@example.com)"


def sigint_as_in_a_terminal() -> None:
    """preexec_fn for a child that a test stops with SIGINT, as Ctrl-C would: SIGINT at its
    default and unblocked, whatever this run inherited. A background job of a shell without
    job control starts with SIGINT ignored, and two clean-clone CI runs saw a child ignore the
    test's SIGINT for 30 s (a CLI emulator, then a bare `python -c "time.sleep(60)"`) although
    the same tests passed started every other way tried here."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@dataclass
class Env:
    emu: HarvestEmulator
    store: Any
    key: Any
    path: Path
    app: Any

    def conn(self, name: str = "acme") -> Any:
        return self.store.connection(name)

    def counter(self, name: str) -> int:
        return int(self.emu.counters().get(name, 0))

    def refreshes(self) -> int:
        return self.counter("token_requests.refresh_token")

    def child_env(self) -> dict:
        env = dict(os.environ)
        env["HARVEST_CONNECT_KEY"] = self.key.to_base64()
        env["SSL_CERT_FILE"] = self.emu.ca_file
        return env

    def worker(self, *args: str) -> "subprocess.Popen[str]":
        return subprocess.Popen([sys.executable, str(WORKER), str(self.path), *args], env=self.child_env(),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_env(emu: HarvestEmulator, tmp: Path, *, authorize: bool = True) -> Env:
    key = hc.Key.generate()
    path = tmp / "store.db"
    store = hc.Store.open(path, key=key)
    app = emu.register_app("tests", "http://127.0.0.1:8765/callback")
    store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret,
                              redirect_uri=app.redirect_url)
    conn = store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id),
                                   api_url=emu.api_url, id_url=emu.id_url, user_agent=USER_AGENT)
    if authorize:
        conn.complete_authorization(emu.approve(conn.authorization_url()))
    return Env(emu, store, key, path, app)


def lines(text: str) -> List[str]:
    return [line for line in text.splitlines() if line.strip()]


def revoke_by_replaying_the_code(env: Env, name: str) -> None:
    """Authorizes `name`, then replays its authorization code: the emulator, as RFC 6749
    §4.1.2 asks, revokes every token that code gave (the access and the refresh token)."""
    conn = env.store.connection(name)
    redirected = env.emu.approve(conn.authorization_url())
    conn.complete_authorization(redirected)
    assert conn.api().get("/users/me")["id"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirected).query)["code"][0]
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "client_id": env.app.client_id,
                                   "client_secret": env.app.client_secret,
                                   "redirect_uri": env.app.redirect_url}).encode()
    with pytest.raises(urllib.error.HTTPError) as replay:
        urllib.request.urlopen(urllib.request.Request(env.emu.token_url, data=form),  # noqa: S310 - loopback
                               context=env.emu.ssl_context(), timeout=30)
    assert replay.value.code == 400
    replay.value.close()
