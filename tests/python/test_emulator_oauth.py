"""The emulator's ID service, driven by urllib: consent page and form, the code flow by hand,
token endpoint errors, Basic client auth, PKCE, and /api/v2/accounts."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import secrets

import pytest

from harvest_connect.errors import AuthorizationError

from _emulator_client import Http, query

REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture(scope="module")
def harvest(module_emulator):
    return module_emulator(entries=100)


@pytest.fixture(scope="module")
def http(harvest):
    return Http(harvest)


@pytest.fixture
def app(harvest):
    return harvest.register_app("OAuth tests", REDIRECT)


def creds(app):
    return {"client_id": app.client_id, "client_secret": app.client_secret}


def exchange(http, app, code, **extra):
    return http.token({"grant_type": "authorization_code", "code": code, **creds(app), **extra})


class _Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.buttons, self.external = {}, [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input":
            self.fields[a.get("name")] = a.get("value") or ""
        if tag == "button":
            self.buttons.append((a.get("name"), a.get("value")))
        for key in ("src", "href"):
            if a.get(key, "").startswith("http"):
                self.external.append(a[key])


def test_consent_page_is_a_sign_in_form_with_authorize_and_deny(harvest, http, app):
    r = http.request("GET", harvest.authorization_url(app.client_id, state="s1"))
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    page = r.body.decode()
    assert "Authorize application" in page and "Deny" in page
    form = _Form()
    form.feed(page)
    assert {"email", "password", "client_id", "state"} <= set(form.fields)
    assert ("decision", "authorize") in form.buttons and ("decision", "deny") in form.buttons
    assert form.external == []


def test_submitting_the_form_redirects_with_code_scope_and_state(harvest, http, app):
    form = _Form()
    form.feed(http.request("GET", harvest.authorization_url(app.client_id, state="s2")).body.decode())
    fields = dict(form.fields, email="user@example.com", password="harvest", decision="authorize")
    r = http.form(harvest.authorize_url, fields)
    assert r.status == 302
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?code=")
    assert f"scope=harvest%3A{harvest.account_id}" in location
    assert query(location)["state"] == "s2"

    wrong = http.form(harvest.authorize_url, dict(fields, password="nope"))
    assert wrong.status == 200 and b"Wrong email or password" in wrong.body

    denied = http.form(harvest.authorize_url, dict(fields, decision="deny"))
    assert denied.status == 302
    assert denied.headers["location"] == REDIRECT + "?error=access_denied&state=s2"


def test_unknown_client_or_foreign_redirect_is_an_error_page_not_a_redirect(harvest, http, app):
    r = http.request("GET", harvest.authorization_url("no-such-client"))
    assert r.status == 400 and "location" not in r.headers
    r = http.request("GET", harvest.authorization_url(app.client_id, redirect_uri="https://evil.example/cb"))
    assert r.status == 400 and "location" not in r.headers
    with pytest.raises(AuthorizationError):
        harvest.approve(harvest.authorization_url(app.client_id, redirect_uri="https://evil.example/cb"))


def test_code_flow_by_hand_approve_token_refresh(harvest, http, app):
    redirected = harvest.approve(harvest.authorization_url(app.client_id, state="abc"))
    q = query(redirected)
    assert q["state"] == "abc" and q["scope"] == f"harvest:{harvest.account_id}"
    r = exchange(http, app, q["code"])
    assert r.status == 200, r.body
    tokens = r.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 1209600
    assert http.api("/users/me", tokens["access_token"]).status == 200

    again = exchange(http, app, q["code"])
    assert again.status == 400 and again.json()["error"] == "invalid_grant"

    fresh = exchange(http, app, query(harvest.approve(harvest.authorization_url(app.client_id)))["code"]).json()
    r = http.token({"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"], **creds(app)})
    assert r.status == 200, r.body
    refreshed = r.json()
    assert refreshed["refresh_token"] != fresh["refresh_token"]  # rotation is on by default
    assert http.api("/company", refreshed["access_token"]).status == 200
    old = http.token({"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"], **creds(app)})
    assert old.status == 400 and old.json()["error"] == "invalid_grant"


def test_token_endpoint_errors_follow_rfc_6749(harvest, http, app):
    code = query(harvest.approve(harvest.authorization_url(app.client_id)))["code"]
    r = http.token({"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                    "client_secret": "wrong"})
    assert r.status == 401 and r.json()["error"] == "invalid_client"
    assert http.token({"grant_type": "password", **creds(app)}).json()["error"] == "unsupported_grant_type"
    r = http.token({"code": code, **creds(app)})
    assert r.status == 400 and r.json()["error"] == "invalid_request"
    assert set(r.json()) == {"error", "error_description"}


def test_redirect_uri_must_match_the_authorize_one(harvest, http, app):
    given = REDIRECT + "/sub"
    url = harvest.authorization_url(app.client_id, redirect_uri=given)
    code = query(harvest.approve(url))["code"]
    assert exchange(http, app, code, redirect_uri=REDIRECT).json()["error"] == "invalid_grant"
    code = query(harvest.approve(url))["code"]
    assert exchange(http, app, code).json()["error"] == "invalid_grant"
    code = query(harvest.approve(url))["code"]
    assert exchange(http, app, code, redirect_uri=given).status == 200


def test_basic_client_authentication(harvest, http, app):
    code = query(harvest.approve(harvest.authorization_url(app.client_id)))["code"]
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    r = http.token({"grant_type": "authorization_code", "code": code}, {"Authorization": "Basic " + basic})
    assert r.status == 200, r.body


def test_pkce_s256_is_verified(harvest, http, app):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = harvest.authorization_url(app.client_id, code_challenge=challenge)
    assert exchange(http, app, query(harvest.approve(url))["code"], code_verifier="x" * 43).status == 400
    assert exchange(http, app, query(harvest.approve(url))["code"], code_verifier=verifier).status == 200


def test_codes_expire(harvest, http, app):
    code = query(harvest.approve(harvest.authorization_url(app.client_id)))["code"]
    harvest.advance_clock(601)
    assert exchange(http, app, code).json()["error"] == "invalid_grant"


def test_deny_and_multi_account_scope(harvest, app):
    assert harvest.deny(harvest.authorization_url(app.client_id, state="q")) == REDIRECT + "?error=access_denied&state=q"
    multi = harvest.register_app("Multi", REDIRECT, multi_account=True)
    assert query(harvest.approve(harvest.authorization_url(multi.client_id)))["scope"] == "harvest:all"
    assert "client_secret" not in repr(multi) and multi.client_secret not in repr(multi)


def test_accounts_endpoint_lists_harvest_and_forecast_accounts(harvest, http):
    token = harvest.create_personal_access_token()
    r = http.request("GET", harvest.id_url + "/api/v2/accounts",
                     {"Authorization": "Bearer " + token, "User-Agent": "tests (t@example.com)"})
    assert r.status == 200
    body = r.json()
    assert set(body["user"]) == {"id", "first_name", "last_name", "email"}
    assert {a["product"] for a in body["accounts"]} == {"harvest", "forecast"}
    assert all({"id", "name", "product"} <= set(a) for a in body["accounts"])
    bad = http.request("GET", harvest.id_url + "/api/v2/accounts",
                       {"Authorization": "Bearer nope", "User-Agent": "tests (t@example.com)"})
    assert bad.status == 401 and bad.json()["error"] == "invalid_token"


def test_users_and_accounts_can_be_added(harvest, http):
    acct = harvest.add_account("Second Co")
    user = harvest.add_user("Ada", "Lovelace", "ada@example.com", "pw", role="member", account_ids=[acct["id"]])
    app = harvest.register_app("Ada's app", REDIRECT)
    redirected = harvest.approve(harvest.authorization_url(app.client_id), email="ada@example.com", password="pw")
    assert query(redirected)["scope"] == f"harvest:{acct['id']}"
    token = exchange(http, app, query(redirected)["code"]).json()["access_token"]
    assert http.api("/users/me", token, account=acct["id"]).json()["id"] == user["id"]
    assert http.api("/users/me", token).status == 401  # not a member of the seeded account
    assert http.api("/projects", token, account=acct["id"]).status == 403  # members may not list projects
