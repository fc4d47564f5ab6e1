"""Save and authorize against the emulator: the loopback and paste flows, and every way they
can fail. In each failure no token is stored and the connection keeps what it had."""

from __future__ import annotations

import _thread
import contextlib
import socket
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse

import pytest

import harvest_connect as hc
from harvest_connect import authorization

from _oauth_support import Setup, follow, make_setup, query, with_query


@pytest.fixture(scope="module")
def emu(module_emulator):
    return module_emulator(tls=False, entries=10, rate_limits=False)


@pytest.fixture
def setup(emu, store, monkeypatch) -> Setup:
    s = make_setup(emu, store)
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    return s


@pytest.fixture
def authorized(setup) -> Setup:
    """A connection authorized once, whose tokens the failing attempts must keep."""
    setup.conn.authorize(timeout=20)
    setup.browser.join()
    setup.browser.urls.clear(), setup.browser.redirects.clear(), setup.browser.pages.clear()
    assert setup.conn.status == "authorized"
    return setup


# --- the loopback flow ----------------------------------------------------------------

def test_authorize_opens_the_browser_and_stores_the_tokens(setup):
    before = setup.snapshot()
    assert before[0] == "not_authorized"
    conn = setup.conn.authorize(timeout=20)
    setup.browser.join()
    assert conn is setup.conn
    assert conn.status == "authorized" and conn.has_tokens and conn.token_expires_at is not None
    assert setup.store.connection("acme").status == "authorized"
    [url] = setup.browser.urls
    q = query(url)
    assert q["client_id"] == setup.app.client_id and q["response_type"] == "code"
    assert q["redirect_uri"].startswith("http://127.0.0.1:") and q["redirect_uri"].endswith("/callback")
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) == 43
    [(status, page)] = setup.browser.pages
    assert status == 200 and "Authorization complete" in page


def test_the_receiver_closes_and_a_replayed_or_second_callback_changes_nothing(authorized):
    s = authorized
    before = s.snapshot()
    # Authorize again, keeping the callback URL, then replay it: the receiver is gone.
    s.conn.authorize(timeout=20)
    s.browser.join()
    after_second = s.snapshot()
    assert after_second[2] >= before[2]
    replay = s.browser.redirects[-1]
    with pytest.raises(urllib.error.URLError):
        follow(replay, timeout=3)
    assert s.snapshot() == after_second


def test_second_callback_while_the_first_is_handled_is_refused(setup):
    s = setup

    def twice(url: str) -> str:
        redirect = s.emu.approve(url)
        # A second request on the exact path (a double click, a replay) before the first.
        t = threading.Thread(target=lambda: s.browser.pages.append(follow(redirect)), daemon=True)
        t.start()
        s.browser.threads.append(t)
        return redirect

    s.browser.action = twice
    s.conn.authorize(timeout=20)
    s.browser.join()
    statuses = sorted(status for status, _ in s.browser.pages)
    assert statuses[0] == 200 and statuses[1] in (400, 200) or statuses == [200, 400]
    assert s.conn.status == "authorized"


@pytest.mark.parametrize("case", ["wrong_state", "missing_state", "error_without_state", "doubled_state"])
def test_callbacks_without_our_state_are_ignored_and_the_real_one_completes(authorized, case):
    # Issue 12 §3: any local program or web page can reach the receiver first; only the
    # request with this flow's state ends the flow.
    s = authorized
    stray_pages = []

    def act(url: str) -> str:
        q = query(url)
        redirect = s.emu.approve(url)
        stray = {"wrong_state": with_query(redirect, state="A" * 43),
                 "missing_state": with_query(redirect, state=None),
                 "error_without_state": q["redirect_uri"] + "?error=access_denied",
                 "doubled_state": redirect + "&state=" + urllib.parse.quote(q["state"])}[case]
        stray_pages.append(follow(stray))
        return redirect

    s.browser.action = act
    s.conn.authorize(timeout=20)
    s.browser.join()
    [(status, page)] = stray_pages
    assert status == 400 and "Request ignored" in page
    [(status, page)] = s.browser.pages
    assert status == 200 and "Authorization complete" in page
    assert s.conn.status == "authorized"


@pytest.mark.parametrize("case", ["denied", "missing_code", "error_with_state"])
def test_bad_callbacks_leave_the_tokens(authorized, case):
    s = authorized
    before = s.snapshot()

    def act(url: str) -> str:
        q = query(url)
        if case == "denied":
            return s.emu.deny(url)
        if case == "error_without_state":
            return q["redirect_uri"] + "?error=access_denied"
        if case == "error_with_state":
            return q["redirect_uri"] + "?" + urllib.parse.urlencode({"error": "server_error", "state": q["state"]})
        redirect = s.emu.approve(url)
        if case == "wrong_state":
            return with_query(redirect, state="A" * 43)
        if case == "missing_state":
            return with_query(redirect, state=None)
        return with_query(redirect, code=None)

    s.browser.action = act
    with pytest.raises(hc.AuthorizationError) as info:
        s.conn.authorize(timeout=20)
    s.browser.join()
    message = str(info.value)
    expected = {"denied": "declined", "missing_code": "no authorization code", "error_with_state": "server_error"}[case]
    assert expected in message
    [(status, page)] = s.browser.pages
    assert status == 400 and "Authorization failed" in page and "Nothing was changed" in page
    assert s.snapshot() == before
    assert s.conn.status == "authorized"


def test_other_paths_get_404_and_the_receiver_keeps_waiting(setup):
    s = setup

    def act(url: str) -> str:
        base = query(url)["redirect_uri"]
        assert follow(base.replace("/callback", "/favicon.ico"))[0] == 404
        assert follow(base + "/x?code=1")[0] == 404
        return s.emu.approve(url)

    s.browser.action = act
    s.conn.authorize(timeout=20)
    assert s.conn.status == "authorized"


def test_wrong_account_keeps_no_token(emu, store, monkeypatch):
    s = make_setup(emu, store, account_id="4242424242")
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    with pytest.raises(hc.AuthorizationError, match="not among the accounts the user granted") as info:
        s.conn.authorize(timeout=20)
    assert "4242424242" not in str(info.value)
    assert s.snapshot()[:3] == ("not_authorized", False, None)


def test_all_accounts_scope_is_checked_against_the_account_list(emu, store, monkeypatch):
    s = make_setup(emu, store, multi_account=True)
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    s.conn.authorize(timeout=20)
    assert "all" in query(s.browser.redirects[0]).get("scope", "")
    assert s.conn.status == "authorized"


def test_all_accounts_scope_without_the_account_is_refused(emu, store, monkeypatch):
    s = make_setup(emu, store, multi_account=True, account_id="4242424242")
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    with pytest.raises(hc.AuthorizationError, match="not among the accounts"):
        s.conn.authorize(timeout=20)
    assert s.snapshot()[:2] == ("not_authorized", False)


def test_port_in_use_is_a_clear_error_naming_the_port(authorized, emu, store):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        before = authorized.snapshot()
        with pytest.raises(hc.NetworkError, match=f"port {port}"):
            authorized.conn.authorize(port=port, timeout=5)
        assert authorized.snapshot() == before
        store.update_oauth_client("app", redirect_uri=f"http://127.0.0.1:{port}/callback")
        with pytest.raises(hc.NetworkError, match=f"port {port}"):
            authorized.conn.authorize(timeout=5)
        assert authorized.snapshot() == before
        assert authorized.browser.urls == []
    finally:
        busy.close()


def test_a_fixed_port_is_used(setup, store):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    setup.conn.authorize(port=port, timeout=20)
    assert query(setup.browser.urls[0])["redirect_uri"] == f"http://127.0.0.1:{port}/callback"


def test_timeout_changes_nothing(authorized):
    s = authorized
    before = s.snapshot()
    s.browser.action = lambda url: None  # the user never comes back
    t0 = time.monotonic()
    with pytest.raises(hc.TimeoutError, match="nothing was changed"):
        s.conn.authorize(timeout=1)
    # A hang guard, not a speed figure: the browser never comes back, so only the timeout
    # can end the wait; 30 s is far beyond any load and far below "waits forever".
    assert time.monotonic() - t0 < 30
    assert s.snapshot() == before


def test_ctrl_c_stops_waiting_and_changes_nothing(authorized):
    s = authorized
    before = s.snapshot()

    def interrupt_later(url: str) -> None:
        threading.Timer(0.3, _thread.interrupt_main).start()
        return None

    s.browser.action = interrupt_later
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        s.conn.authorize(timeout=60)
    # A hang guard, not a speed figure: Ctrl-C, not the 60 s timeout, must end the wait.
    assert time.monotonic() - t0 < 45
    redirect_uri = query(s.browser.urls[0])["redirect_uri"]
    with pytest.raises(urllib.error.URLError):
        follow(redirect_uri + "?code=x&state=y", timeout=3)
    assert s.snapshot() == before


def test_no_browser_prints_the_url_and_accepts_a_pasted_address(setup, monkeypatch, capsys):
    import os

    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "r")
    monkeypatch.setattr(sys, "stdin", reader)
    s = setup
    seen = []
    # The user pastes once the flow waits for it: once it has polled stdin and found nothing.
    waiting = threading.Event()
    stdin_line_ready = authorization._stdin_line_ready

    def polled(stdin):
        ready = stdin_line_ready(stdin)
        if ready is False:
            waiting.set()
        return ready

    monkeypatch.setattr(authorization, "_stdin_line_ready", polled)

    def no_browser(url: str) -> bool:
        seen.append(url)
        redirect = s.emu.approve(url)

        def paste() -> None:
            waiting.wait(20)  # bounded: the flow's own timeout is 20 s
            os.write(write_fd, (redirect + "\n").encode())

        threading.Thread(target=paste, daemon=True).start()
        return False

    monkeypatch.setattr(authorization, "open_browser_hook", no_browser)
    try:
        s.conn.authorize(timeout=20)
    finally:
        os.close(write_fd)
        reader.close()
    assert s.conn.status == "authorized"
    err = capsys.readouterr().err
    assert "paste the address" in err and seen[0] in err


def test_open_browser_false_prints_the_url(setup, capsys):
    s = setup

    def finish_later() -> None:
        for _ in range(100):
            err = capsys.readouterr().err
            urls = [line for line in err.splitlines() if line.startswith("http")]
            if urls:
                follow(s.emu.approve(urls[0]))
                return
            time.sleep(0.05)  # poll interval, at most 100 polls

    t = threading.Thread(target=finish_later, daemon=True)
    t.start()
    s.conn.authorize(open_browser=False, timeout=20)
    t.join(5)
    assert s.browser.urls == []
    assert s.conn.status == "authorized"


def test_personal_access_token_connections_need_no_authorization(emu, store):
    c = store.create_token_connection("pat", access_token=emu.create_personal_access_token(),
                                      account_id=str(emu.account_id), id_url=emu.id_url, api_url=emu.api_url)
    with pytest.raises(hc.ValidationError, match="personal access token"):
        c.authorization_url()


# --- the paste flow -------------------------------------------------------------------

def test_paste_flow(setup):
    s = setup
    url = s.conn.authorization_url()
    assert query(url)["redirect_uri"] == "http://127.0.0.1/callback"
    s.conn.complete_authorization(s.emu.approve(url))
    assert s.conn.status == "authorized" and s.conn.has_tokens


def test_paste_flow_uses_the_registered_redirect(emu, store):
    s = make_setup(emu, store, redirect_uri="http://127.0.0.1:8765/cb", registered="http://127.0.0.1:8765/cb")
    url = s.conn.authorization_url()
    assert query(url)["redirect_uri"] == "http://127.0.0.1:8765/cb"
    redirect = s.emu.approve(url)
    assert redirect.startswith("http://127.0.0.1:8765/cb?")
    s.conn.complete_authorization("  " + redirect + "\n")
    assert s.conn.status == "authorized"


def test_replayed_paste_is_refused(authorized):
    s = authorized
    redirect = s.emu.approve(s.conn.authorization_url())
    s.conn.complete_authorization(redirect)
    before = s.snapshot()
    with pytest.raises(hc.AuthorizationError, match="already used"):
        s.conn.complete_authorization(redirect)
    assert s.snapshot() == before


@pytest.mark.parametrize("case", ["wrong_state", "missing_state", "error_without_state", "denied",
                                  "mismatched_redirect", "other_path", "garbage"])
def test_bad_pastes_leave_the_tokens(authorized, case):
    s = authorized
    before = s.snapshot()
    url = s.conn.authorization_url()
    redirect = s.emu.approve(url) if case != "denied" else s.emu.deny(url)
    pasted = {
        "wrong_state": with_query(redirect, state="B" * 43),
        "missing_state": with_query(redirect, state=None),
        "error_without_state": "http://127.0.0.1/callback?error=access_denied",
        "denied": redirect,
        "mismatched_redirect": redirect.replace("http://127.0.0.1/callback", "http://127.0.0.1:9/callback"),
        "other_path": redirect.replace("/callback", "/elsewhere"),
        "garbage": "not a url at all",
    }[case]
    with pytest.raises(hc.AuthorizationError) as info:
        s.conn.complete_authorization(pasted)
    if case == "denied":
        assert "declined" in str(info.value)
    if case in ("mismatched_redirect", "other_path"):
        assert "redirect URI" in str(info.value)
    assert s.snapshot() == before


def test_expired_pending_authorization_is_refused(authorized, store):
    s = authorized
    before = s.snapshot()
    redirect = s.emu.approve(s.conn.authorization_url())
    with contextlib.closing(sqlite3.connect(store.path)) as db, db:  # ten minutes and a second later
        db.execute("UPDATE pending_authorizations SET expires_at = expires_at - 601, created_at = created_at - 601")
    with pytest.raises(hc.AuthorizationError, match="expired"):
        s.conn.complete_authorization(redirect)
    assert s.snapshot() == before


def test_reused_code_is_a_token_error(authorized):
    s = authorized
    first = s.emu.approve(s.conn.authorization_url())
    s.conn.complete_authorization(first)
    before = s.snapshot()
    # A new request, answered with the old (used) code: the token endpoint refuses it.
    second_url = s.conn.authorization_url()
    reused = with_query(first, state=query(second_url)["state"])
    with pytest.raises(hc.TokenError) as info:
        s.conn.complete_authorization(reused)
    assert info.value.error == "invalid_grant"
    assert query(first)["code"] not in str(info.value)
    assert s.snapshot() == before


def test_wrong_account_on_paste(emu, store):
    s = make_setup(emu, store, account_id="4242424242")
    with pytest.raises(hc.AuthorizationError, match="not among the accounts"):
        s.conn.complete_authorization(emu.approve(s.conn.authorization_url()))
    assert s.snapshot()[:2] == ("not_authorized", False)


def test_disconnect_forgets_the_tokens(authorized):
    s = authorized
    assert s.conn.disconnect() is False  # Harvest has no revoke URL
    assert s.conn.status == "not_authorized" and not s.conn.has_tokens
    assert s.store.connection("acme").status == "not_authorized"


def test_tls_emulator(emulator, store, monkeypatch):
    tls_emu = emulator(tls=True, entries=5, rate_limits=False)
    monkeypatch.setenv("SSL_CERT_FILE", tls_emu.ca_file)
    s = make_setup(tls_emu, store)
    s.conn.complete_authorization(tls_emu.approve(s.conn.authorization_url()))
    assert s.conn.status == "authorized"
