"""Secrets scan: run the whole flow (CLI authorize, paste flow, failures, disconnect) with
DEBUG logging on, capture the logs, stdout/stderr, exception texts, reprs and the receiver's
pages, and find none of the flow's secrets in raw, URL-encoded or base64 form.

The secrets are known to the test through a recording proxy in front of the emulator's token
endpoint (it sees the code, the verifier, the client secret and both tokens)."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from typing import List, Set

import pytest

import harvest_connect as hc
from harvest_connect import authorization, cli
from harvest_connect.testing import HarvestEmulator

from _oauth_support import TokenProxy, make_setup, query, with_query


def forms(secret: str) -> Set[str]:
    raw = secret.encode()
    out = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
    for enc in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = enc.decode()
        out |= {text, text.rstrip("=")}
    return {s for s in out if len(s) >= 6}


def test_no_secret_anywhere(tmp_path, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    texts: List[str] = []
    key = hc.Key.generate()
    key_file = tmp_path / "master.key"
    hc._core._write_key_file(str(key_file), key)
    db = tmp_path / "store.db"
    with HarvestEmulator(tls=False, entries=5, rate_limits=False) as emu:
        proxy = TokenProxy(emu.token_url)
        try:
            with hc.Store.open(db, key=key) as store:
                s = make_setup(emu, store, token_url=proxy.url)
                client_secret = s.app.client_secret
                texts += [repr(s.conn), repr(store.oauth_client("app")), repr(store), str(s.conn.http_settings())]
            monkeypatch.setattr(authorization, "open_browser_hook", s.browser)

            # 1. The CLI's loopback flow, as a user runs it.
            base = ["--store", str(db), "--key-file", str(key_file)]
            assert cli.main(base + ["authorize", "acme", "--timeout", "20"]) == 0
            s.browser.join()

            with hc.Store.open(db, key=key) as store:
                conn = store.connection("acme")
                texts.append(repr(conn))
                # 2. The paste flow, then failures of every kind.
                first = emu.approve(conn.authorization_url())
                conn.complete_authorization(first)
                for bad in (with_query(first, state="C" * 43),          # wrong state
                            first,                                      # replay
                            with_query(first, state=None),             # no state
                            with_query(first, state=query(conn.authorization_url())["state"])):  # reused code
                    with pytest.raises(hc.HarvestConnectError) as info:
                        conn.complete_authorization(bad)
                    texts += [str(info.value), repr(info.value)]
                texts.append(repr(conn))

            # 3. A failed loopback flow through the CLI (the user declines; a redirect with
            # another state would only be ignored), and disconnect.
            s.browser.action = emu.deny
            assert cli.main(base + ["authorize", "acme", "--timeout", "20"]) == 1
            s.browser.join()
            assert cli.main(base + ["disconnect", "acme"]) == 0
            assert cli.main(base + ["connections", "show", "acme"]) == 0
        finally:
            proxy.close()

        out = capsys.readouterr()
        texts += [out.out, out.err, caplog.text]
        texts += [body for _, body in s.browser.pages]
        haystack = "\n".join(texts)
        assert "is authorized" in out.out and "disconnected" in out.out
        assert "Authorization complete" in haystack and "Authorization failed" in haystack
        assert "receiver listening" in caplog.text  # the DEBUG logs were captured

        secrets = {"client secret": client_secret, "account ID": str(emu.account_id)}
        for i, url in enumerate(s.browser.urls):
            secrets[f"state {i}"] = query(url)["state"]
        for i, redirect in enumerate(s.browser.redirects):
            q = query(redirect)
            if "code" in q:
                secrets[f"code {i}"] = q["code"]
        for i, body in enumerate(proxy.bodies):
            if body.startswith("{"):
                answer = json.loads(body)
                for name in ("access_token", "refresh_token"):
                    if name in answer:
                        secrets[f"{name} {i}"] = answer[name]
            else:
                for name, value in urllib.parse.parse_qsl(body):
                    if name in ("code", "code_verifier", "client_secret", "refresh_token"):
                        secrets[f"{name} {i}"] = value
        names = " ".join(secrets)
        assert "code_verifier" in names and "access_token" in names and "refresh_token" in names
        # The PKCE verifier never travels in an authorization URL.
        for what, secret in secrets.items():
            if what.startswith("code_verifier"):
                assert all(f not in "\n".join(s.browser.urls) for f in forms(secret))
        # Positive control: the scan does find a secret where one is.
        assert any(f in "\n".join(s.browser.urls) for f in forms(secrets["state 0"]))
        for what, secret in secrets.items():
            for form in forms(secret):
                assert form not in haystack, f"the {what} appears in the output"
