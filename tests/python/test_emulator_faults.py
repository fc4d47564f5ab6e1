"""Fault injection, forced token expiry, the redacted request log and counters."""

from __future__ import annotations

import http.client
import urllib.error

import pytest

from harvest_connect.errors import HarvestConnectError, ValidationError
from harvest_connect.testing import HarvestEmulator

from _emulator_client import Http, query

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture
def harvest(emulator):
    return emulator(entries=300)


def test_5xx_next_n_then_normal(harvest):
    client, pat = Http(harvest), harvest.create_personal_access_token()
    harvest.set_faults(path_prefix="/v2/", error_next=2, error_status=503, retry_after=7)
    first = client.api("/users/me", pat)
    assert first.status == 503 and first.headers["retry-after"] == "7"
    assert client.api("/users/me", pat).status == 503
    assert client.api("/users/me", pat).status == 200
    assert harvest.counters()["faults.errors"] == 2


def test_error_rate_one_hits_every_request_until_cleared(harvest):
    client, pat = Http(harvest), harvest.create_personal_access_token()
    harvest.set_faults(error_rate=1.0)
    assert [client.api("/company", pat).status for _ in range(3)] == [500, 500, 500]
    harvest.clear_faults()
    assert client.api("/company", pat).status == 200


def test_dropped_connection(harvest):
    client, pat = Http(harvest), harvest.create_personal_access_token()
    harvest.set_faults(drop_next=1)
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        client.api("/users/me", pat)
    assert client.api("/users/me", pat).status == 200
    assert harvest.request_log()[-2]["fault"] == "dropped"


def test_truncated_body(harvest):
    client, pat = Http(harvest), harvest.create_personal_access_token()
    harvest.set_faults(truncate_next=1)
    with pytest.raises((http.client.IncompleteRead, urllib.error.URLError, ConnectionError)):
        client.api("/time_entries", pat)
    assert harvest.counters()["faults.truncated"] == 1


def test_latency_still_answers(harvest):
    client, pat = Http(harvest), harvest.create_personal_access_token()
    harvest.set_faults(latency=0.05, page_latency=0.05)
    assert client.api("/time_entries?per_page=10", pat).status == 200


def test_faults_are_validated(harvest):
    with pytest.raises(ValidationError):
        harvest.set_faults(error_rate=2.0)
    with pytest.raises(ValidationError):
        harvest.set_faults(error_status=404)


def test_expire_tokens_then_refresh(harvest):
    client = Http(harvest)
    app = harvest.register_app("Expiry", REDIRECT)
    code = query(harvest.approve(harvest.authorization_url(app.client_id)))["code"]
    tokens = client.token({"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                           "client_secret": app.client_secret}).json()
    assert client.api("/users/me", tokens["access_token"]).status == 200
    harvest.expire_tokens()
    assert client.api("/users/me", tokens["access_token"]).status == 401
    r = client.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                      "client_id": app.client_id, "client_secret": app.client_secret})
    assert r.status == 200
    assert client.api("/users/me", r.json()["access_token"]).status == 200


def test_short_access_token_lifetime():
    with HarvestEmulator(entries=5, access_token_lifetime=60) as emu:
        client = Http(emu)
        app = emu.register_app("Short", REDIRECT)
        code = query(emu.approve(emu.authorization_url(app.client_id)))["code"]
        tokens = client.token({"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                               "client_secret": app.client_secret}).json()
        assert tokens["expires_in"] == 60
        emu.advance_clock(61)
        assert client.api("/users/me", tokens["access_token"]).status == 401


def test_request_log_redacts_secrets_and_counters_count(harvest):
    client = Http(harvest)
    app = harvest.register_app("Log", REDIRECT)
    code = query(harvest.approve(harvest.authorization_url(app.client_id, state="st4te-secret")))["code"]
    tokens = client.token({"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                           "client_secret": app.client_secret}).json()
    client.api("/users/me", tokens["access_token"])
    client.request("GET", harvest.api_url + f"/users/me?access_token={tokens['access_token']}"
                   f"&account_id={harvest.account_id}", {"User-Agent": "t (t@example.com)"})
    client.request("GET", harvest.authorization_url(app.client_id, state="st4te-secret"))
    text = repr(harvest.request_log())
    for secret in (code, app.client_secret, tokens["access_token"], tokens["refresh_token"], "st4te-secret",
                   str(harvest.account_id)):
        assert secret not in text
    assert "[redacted]" in text and "grant_type=authorization_code" in text
    entry = [e for e in harvest.request_log() if e["target"] == "/v2/users/me"][0]
    assert ("Authorization", "[redacted]") in entry["headers"]
    assert entry["status"] == 200
    counters = harvest.counters()
    assert counters["token_requests.authorization_code"] == 1
    assert counters["token_requests"] == 1 and counters["api_requests"] == 2


def test_closed_emulator_refuses_calls():
    emu = HarvestEmulator(entries=5)
    emu.close()
    emu.close()
    with pytest.raises(HarvestConnectError):
        emu.create_personal_access_token()
