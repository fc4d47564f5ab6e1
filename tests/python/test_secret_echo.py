"""A server that echoes every secret it receives, in every form, in its error answers: the
token endpoint (credentials in the body and as HTTP Basic: the code, the PKCE verifier, the
refresh token, the client secret) and the API (4xx and 5xx bodies, ``message``, ``error``,
``error_description``: the access token, the personal access token, the account ID). No
form of any secret may reach an exception's text, repr or ``body``, the store file (the
database and its -wal, where ``last_error`` is plaintext), the CLI's output, or a log record;
and no control character from the server may reach them either."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import logging
import re
import sqlite3
import threading
import urllib.parse
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

import harvest_connect as hc
from harvest_connect import cli

CLIENT_ID = "client-1"
# '+', '/' and '~' so that every encoding differs from the raw text.
CLIENT_SECRET = "Kx9+Qz/7~LmN_pR-sT4uVwY2aB"
ACCOUNT_ID = "8675309"
PAT = "2741993.pt.Zq8_rT-Fw2+Lk/9mXo4bVn7cHa1sDe"
REDIRECT = "http://127.0.0.1:9/callback"

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def encodings(secret: str) -> List[str]:
    raw = secret.encode()
    quoted = urllib.parse.quote(secret, safe="")
    b64 = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return [secret, quoted, re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted),
            urllib.parse.quote_plus(secret), urllib.parse.quote(quoted, safe=""),
            b64, b64.rstrip("="), url, url.rstrip("="),
            base64.b64encode(b"x" + raw).decode(), base64.b64encode(b"xy" + raw).decode(),
            raw.hex(), raw.hex().upper()]


def basic(client_id: str, secret: str) -> str:
    pair = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
    return base64.b64encode(pair.encode()).decode()


def echo(secrets: Set[str]) -> str:
    """Each secret in each form, inside escape sequences, split by one, and cut at the end."""
    parts: List[str] = []
    for s in sorted(secrets):
        parts += encodings(s)
        parts += [f"\x1b[31m{s}\x1b[0m", f"{s[:4]}\x1b[0m{s[4:]}", f"\x1b]0;{s}\x07", f"\u202e{s}\u202c",
                  f"\x9b2J{s}"]
    if CLIENT_SECRET in secrets:
        parts.append(basic(CLIENT_ID, CLIENT_SECRET))
    text = " | ".join(parts)
    last = sorted(secrets)[-1]
    return text + " | truncated: " + last[: len(last) - 3]


def leaks(text: str, secrets: Set[str]) -> List[str]:
    """The forms of `secrets` (and control characters) found in `text`."""
    found = []
    for s in secrets:
        raw = s.encode()
        prefixes = [s[:8], raw.hex()[:12], base64.b64encode(raw).decode()[:12]]
        for form in encodings(s)[:11] + prefixes:
            if len(form) >= 6 and form in text:
                found.append(form)
        for form in encodings(s)[11:]:
            if form.lower() in text.lower():
                found.append(form)
    if basic(CLIENT_ID, CLIENT_SECRET)[:12] in text:
        found.append("basic credentials")
    if CONTROL.search(text):
        found.append(f"control character {CONTROL.search(text).group(0)!r}")  # type: ignore[union-attr]
    return found


class EchoServer:
    """Token endpoint and API on 127.0.0.1: grants tokens when told to, and otherwise
    answers every request with an error that echoes every secret of the connection (the
    client secret, the account ID, every token) and every secret of the request itself (the
    code and verifier of a code exchange). `seen` is every secret it ever received."""

    def __init__(self) -> None:
        self.seen: Set[str] = set()
        self.connection: Set[str] = set()
        self.grant = False
        self.error_code: Optional[str] = "invalid_request"  # None: echo in "error" too
        self.issued = 0
        self.answer: Optional[Dict[str, object]] = None  # a 200 answer to every API GET instead
        self.records: Optional[List[Dict[str, object]]] = None  # with answer None: a one-page list of these
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _collect(self, form: Dict[str, List[str]]) -> Set[str]:
                """The secrets of this request, added to `seen`: then the echo's."""
                mine: Set[str] = set()
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Bearer "):
                    mine.add(auth[7:])
                if auth.startswith("Basic "):
                    secret = base64.b64decode(auth[6:]).decode().split(":", 1)[1]
                    mine.add(urllib.parse.unquote(secret))
                if self.headers.get("Harvest-Account-Id"):
                    mine.add(self.headers["Harvest-Account-Id"])
                for key, values in form.items():
                    if key not in ("grant_type", "redirect_uri", "client_id"):
                        mine.update(values)
                server.seen |= mine
                # The personal access token's connection has no client secret or OAuth tokens.
                return mine | ({ACCOUNT_ID} if PAT in mine else server.connection)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/token":
                    secrets = self._collect(urllib.parse.parse_qs(body))
                    if server.grant:
                        server.issued += 1
                        n = server.issued
                        access, refresh = f"acc{n}.Tk-9_Yw+Vb/3Zq8Lm2Nx7Rp", f"ref{n}.Qm-4_Hs+Jd/6Wc1Ko5Ty0Ge"
                        server.seen |= {access, refresh}
                        server.connection |= {access, refresh}
                        self._answer(200, {"access_token": access, "refresh_token": refresh,
                                           "token_type": "bearer", "expires_in": 3600,
                                           "scope": f"harvest:{ACCOUNT_ID}"})
                        return
                    text = echo(secrets)
                    self._answer(400, {"error": server.error_code or text, "error_description": text})
                    return
                self._api(self._collect({}), urllib.parse.parse_qs(parts.query), default=500)

            def do_GET(self) -> None:  # noqa: N802
                secrets = self._collect({})
                if server.records is not None:
                    resource = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
                    first = f"{server.url}/v2/{resource}?page=1"
                    self._answer(200, {resource: server.records, "per_page": 2000, "total_pages": 1,
                                       "total_entries": len(server.records), "next_page": None,
                                       "previous_page": None, "page": 1,
                                       "links": {"first": first, "next": None, "previous": None, "last": first}})
                    return
                if server.answer is not None:
                    page = {"users": [server.answer], "per_page": 2000, "total_pages": 1, "total_entries": 1,
                            "next_page": None, "previous_page": None, "page": 1,
                            "links": {"first": server.url + "/v2/users?page=1", "next": None, "previous": None,
                                      "last": server.url + "/v2/users?page=1"}}
                    listing = urllib.parse.urlsplit(self.path).path == "/v2/users"
                    self._answer(200, page if listing else server.answer)
                    return
                self._api(secrets, urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query), default=403)

            def _api(self, secrets: Set[str], query: Dict[str, List[str]], default: int) -> None:
                status = int(query.get("status", [str(default)])[0])
                text = echo(secrets)
                self._answer(status, {"message": text, "error": server.error_code or text,
                                      "error_description": text})

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def server():
    s = EchoServer()
    yield s
    s.close()


def texts_of(exc: BaseException) -> List[str]:
    out = [str(exc), repr(exc)]
    for attr in ("body", "error"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            out.append(value)
    return out


def store_bytes(db: Path) -> bytes:
    data = b""
    for p in (db, Path(str(db) + "-wal"), Path(str(db) + "-journal")):
        if p.exists():
            data += p.read_bytes()
    return data


def assert_clean(texts: List[str], secrets: Set[str], db: Path) -> None:
    assert len(secrets) >= 3
    for text in texts:
        assert not leaks(text, secrets), (leaks(text, secrets), text[:2000])
    data = store_bytes(db)
    assert data
    for s in secrets:
        for form in encodings(s) + [s[:8]]:
            if len(form) >= 6:
                assert form.encode() not in data, form
    assert basic(CLIENT_ID, CLIENT_SECRET).encode() not in data


def authorize(store: hc.Store, name: str, code: str) -> None:
    conn = store.connection(name)
    url = conn.authorization_url()
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
    query = urllib.parse.urlencode({"code": code, "state": state, "scope": f"harvest:{ACCOUNT_ID}"})
    conn.complete_authorization(f"{REDIRECT}?{query}")


@pytest.mark.parametrize("credentials", ["body", "basic"])
@pytest.mark.parametrize("echo_in_error_code", [False, True])
def test_no_echoed_secret_reaches_any_output(tmp_path, server, caplog, capsys, credentials, echo_in_error_code):
    caplog.set_level(logging.DEBUG)
    server.error_code = None if echo_in_error_code else "invalid_request"
    key = hc.Key.generate()
    key_file = tmp_path / "master.key"
    hc._core._write_key_file(str(key_file), key)
    db = tmp_path / "store.db"
    texts: List[str] = []
    failures: List[BaseException] = []

    def fails(call, *args, **kwargs) -> None:
        with pytest.raises(hc.HarvestConnectError) as info:
            call(*args, **kwargs)
        failures.append(info.value)

    with hc.Store.open(db, key=key) as store:
        store.create_oauth_client("app", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  authorize_url=server.url + "/authorize", token_url=server.url + "/token",
                                  redirect_uri=REDIRECT, client_credentials=credentials)
        store.create_connection("acme", oauth_client="app", account_id=ACCOUNT_ID, api_url=server.url + "/v2",
                                id_url=server.url, user_agent="harvest-connect tests (tests@example.com)")
        store.create_token_connection("pat", access_token=PAT, account_id=ACCOUNT_ID, api_url=server.url + "/v2",
                                      id_url=server.url, user_agent="harvest-connect tests (tests@example.com)")
        server.seen |= {CLIENT_SECRET, ACCOUNT_ID, PAT}
        server.connection |= {CLIENT_SECRET, ACCOUNT_ID}

        # The token endpoint echoes the code, the verifier and the client secret.
        fails(authorize, store, "acme", "Cd7-Xq_Wm+Hn/Pr2Ls9Tk4V")
        # A granted code exchange, then every API error and a refused refresh.
        server.grant = True
        authorize(store, "acme", "Ab3-Yz_Rt+Uv/Wx6Qp1Mn8K")
        server.grant = False
        for name in ("acme", "pat"):
            api = store.connection(name).api(deadline=5.0)
            for status in ("400", "403", "404", "422"):
                fails(api.get, "/users/me", {"status": status})
            for status in ("500", "502", "503"):
                fails(api.request, "POST", "/time_entries", {"status": status}, {"hours": 1})
            # 401: for acme a refresh that the token endpoint refuses with an echo.
            fails(api.get, "/users/me", {"status": "401"})
            result = store.connection(name).test()
            assert not result.ok
            texts += [result.message, repr(result)]
            texts.append(store.connection(name).last_error or "")
        assert store.connection("pat").last_error

    for exc in failures:
        texts += texts_of(exc)
    base = ["--store", str(db), "--key-file", str(key_file)]
    for args in (["test", "acme"], ["test", "pat"], ["get", "pat", "/users/me", "--param", "status=422"],
                 ["connections", "show", "acme"], ["connections", "show", "pat"], ["connections", "list", "--json"]):
        cli.main(base + args)
        out = capsys.readouterr()
        texts += [out.out, out.err]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]

    secrets = set(server.seen)
    assert {CLIENT_SECRET, ACCOUNT_ID, PAT} <= secrets and len(secrets) >= 8
    # The code exchange and the refresh failed at the token endpoint, the rest at the API.
    assert sum(isinstance(e, hc.TokenError) for e in failures) >= 2
    assert sum(isinstance(e, hc.ApiError) for e in failures) >= 14
    assert leaks(echo(secrets), secrets)  # the scan finds what the server sent
    # The answers did get through, only without the secrets.
    assert any("[redacted]" in t for t in texts)
    assert_clean(texts, secrets, db)
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute("SELECT last_error FROM connections").fetchall()
    assert all(r[0] is None or "[redacted]" in r[0] for r in rows), rows


def test_the_cli_prints_no_control_character_of_an_answer(tmp_path, server, capsys):
    """A successful answer's data holds C1 controls, DEL and bidi overrides (JSON would escape
    only C0): the CLI's JSON output escapes them, so the data stays exact and the terminal safe."""
    server.answer = {"first_name": "Eve\x9b2J\x7f\u202eevil\u202c", "note": "\x1b]0;title\x07"}
    key = hc.Key.generate()
    key_file = tmp_path / "master.key"
    hc._core._write_key_file(str(key_file), key)
    db = tmp_path / "store.db"
    with hc.Store.open(db, key=key) as store:
        store.create_token_connection("pat", access_token=PAT, account_id=ACCOUNT_ID, api_url=server.url + "/v2",
                                      id_url=server.url, user_agent="harvest-connect tests (tests@example.com)")
    base = ["--store", str(db), "--key-file", str(key_file)]
    outputs = []
    for args in (["get", "pat", "/users/me"], ["get", "pat", "/users", "--all"], ["test", "pat"]):
        cli.main(base + args)
        out = capsys.readouterr()
        outputs.append(out.out)
        assert not CONTROL.search(out.out.replace("\n", "")), repr(out.out)
        assert not CONTROL.search(out.err.replace("\n", "")), repr(out.err)
    assert json.loads(outputs[0]) == server.answer
    assert "online" in outputs[2] or "Eve" in outputs[2]


@pytest.mark.parametrize("records", [
    [{"id": 1, "{key}": 1}, {"id": 2, "{key}": {"a": 1}}],  # int, then an object: cannot widen
    [{"id": 1, "{key}": 1}, {"id": 2, "{key}": "text"}],
    [{"id": 1, "{key}": {"a": 1}}, {"id": 2, "{key}": [1]}],
])
def test_a_table_error_quoting_a_field_name_holds_no_secret(tmp_path, server, records):
    """A table's schema errors name the field, and the field's name is the server's text: a
    server that names a field after the token in use (inside an escape sequence) must not
    get it into the exception."""
    field = f"\x1b[31m{PAT}\x1b]0;{ACCOUNT_ID}\x07"
    server.records = [{(field if k == "{key}" else k): v for k, v in r.items()} for r in records]
    with hc.Store.open(tmp_path / "store.db", key=hc.Key.generate()) as store:
        store.create_token_connection("pat", access_token=PAT, account_id=ACCOUNT_ID, api_url=server.url + "/v2",
                                      id_url=server.url, user_agent="harvest-connect tests (tests@example.com)")
        api = store.connection("pat").api(deadline=5.0)
        with pytest.raises(hc.ApiError) as info:
            api.arrow("/widgets")
    texts = texts_of(info.value)
    assert "record 2" in texts[0] and "[redacted]" in texts[0], texts[0]
    for text in texts:
        assert not leaks(text, {PAT, ACCOUNT_ID}), text
        assert not CONTROL.search(text), repr(text)
