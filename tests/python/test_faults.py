"""Faults against the emulator and against a hostile loopback server: dropped connections,
truncated bodies, 5xx storms, answers slower than the timeout, garbage JSON, oversized
answers, TLS failures. Each ends in a clear error or a successful retry — never a hang (every
call runs under a deadline and the test has a hard timeout), a crash, or a damaged store
(after each fault: verify() == [], the sealed rows are unchanged unless a refresh committed,
and the connection still works once the fault is gone)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import harvest_connect as hc

from _harvest_support import USER_AGENT, Env

# No call may take longer than this, whatever the fault (the deadline below is 8 s).
HARD_LIMIT = 30.0


@pytest.fixture
def env(harvest_env: Callable[..., Env]) -> Env:
    return harvest_env(entries=120)


def sealed_rows(path: Path) -> List[Tuple[Any, ...]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT name, account_id, access_token, refresh_token, personal_access_token "
                          "FROM connections ORDER BY name").fetchall()
    finally:
        db.close()


def timed(f: Callable[[], Any]) -> Tuple[Any, float]:
    start = time.monotonic()
    try:
        return f(), time.monotonic() - start
    except BaseException as exc:  # noqa: BLE001 - handed back to the caller
        return exc, time.monotonic() - start


def api(env: Env, **options: Any) -> Any:
    options.setdefault("deadline", 8.0)
    options.setdefault("timeout", 2.0)
    return env.conn().api(**options)


def healthy_afterwards(env: Env, before: List[Tuple[Any, ...]]) -> None:
    env.emu.clear_faults()
    assert env.store.verify() == []
    assert sealed_rows(env.path) == before
    assert api(env).get("/users/me")["id"]


FAULTS: Dict[str, Dict[str, Any]] = {
    "dropped-once": {"drop_next": 1},
    "truncated-once": {"truncate_next": 1},
    "5xx-twice": {"error_next": 2, "error_status": 503},
}


@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_a_transient_fault_on_get_is_retried_to_success(env: Env, fault: str) -> None:
    before = sealed_rows(env.path)
    client = api(env)
    env.emu.set_faults(path_prefix="/v2/users/me", **FAULTS[fault])
    result, took = timed(lambda: client.get("/users/me"))
    assert not isinstance(result, BaseException), repr(result)
    assert result["id"] and took < HARD_LIMIT
    healthy_afterwards(env, before)


STORMS: Dict[str, Tuple[Dict[str, Any], type]] = {
    "5xx-storm": ({"error_rate": 1.0, "error_status": 502}, hc.ApiError),
    "500-storm": ({"error_rate": 1.0, "error_status": 500}, hc.ApiError),
    "drop-storm": ({"drop_rate": 1.0}, hc.NetworkError),
    "truncate-storm": ({"truncate_rate": 1.0}, hc.NetworkError),
    "slower-than-timeout": ({"latency": 4.0}, hc.TimeoutError),
}


@pytest.mark.parametrize("fault", list(STORMS), ids=list(STORMS))
def test_a_lasting_fault_ends_in_a_clear_error_within_the_deadline(env: Env, fault: str) -> None:
    faults, expected = STORMS[fault]
    before = sealed_rows(env.path)
    client = api(env)
    env.emu.set_faults(path_prefix="/v2/", **faults)
    for call in (lambda: client.get("/users/me"), lambda: list(client.paginate("/time_entries"))):
        result, took = timed(call)
        assert isinstance(result, expected), repr(result)
        assert isinstance(result, hc.HarvestConnectError)
        assert took < HARD_LIMIT, f"{fault} took {took:.1f}s"
        message = str(result)
        assert message and "\n" not in message.strip()
    # Checked at once, with slower-than-timeout's answers still pending: a delay is a timer
    # that holds no emulator thread (cpp/src/http/server.cpp), and a connection the client
    # gave up on must never be reused, so the next call cannot meet a stale answer.
    healthy_afterwards(env, before)


def test_a_5xx_storm_during_paging_stops_cleanly_and_paging_resumes(env: Env) -> None:
    before = sealed_rows(env.path)
    client = api(env)
    pages = client.paginate("/time_entries", {"per_page": "10"})
    first = [next(pages) for _ in range(15)]
    env.emu.set_faults(path_prefix="/v2/time_entries", error_rate=1.0, error_status=503)
    result, took = timed(lambda: list(pages))
    assert isinstance(result, hc.ApiError) and took < HARD_LIMIT
    healthy_afterwards(env, before)
    again = list(api(env).paginate("/time_entries", {"per_page": "50"}))
    assert len(again) == 120 and {r["id"] for r in first} <= {r["id"] for r in again}


def test_a_fault_on_the_token_endpoint_during_refresh_keeps_the_old_tokens(env: Env) -> None:
    client = api(env)
    assert client.get("/users/me")["id"]
    before = sealed_rows(env.path)
    env.emu.expire_tokens()
    env.emu.set_faults(path_prefix="/api/v2/oauth2/token", error_rate=1.0, error_status=503)
    result, took = timed(lambda: api(env).get("/users/me"))
    assert isinstance(result, hc.HarvestConnectError) and took < HARD_LIMIT, repr(result)
    assert env.store.verify() == []
    assert sealed_rows(env.path) == before  # nothing half-written
    env.emu.clear_faults()
    assert api(env).get("/users/me")["id"]  # the kept refresh token still works
    assert env.store.verify() == []


def test_tls_failure_unknown_ca_is_a_tls_error(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    before = sealed_rows(env.path)
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(env.path.parent / "no-such-dir"))
    result, took = timed(lambda: env.conn().api(deadline=8.0, timeout=2.0).get("/users/me"))
    assert isinstance(result, hc.TlsError), repr(result)
    assert took < HARD_LIMIT
    monkeypatch.setenv("SSL_CERT_FILE", env.emu.ca_file)
    healthy_afterwards(env, before)


# --- a hostile server on loopback (plain http is allowed there) ---------------------------

class Hostile:
    """Accepts connections and answers each request with what `answer` returns (raw bytes),
    or holds the connection open when it returns None."""

    def __init__(self, answer: Callable[[bytes], Any]) -> None:
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = conn.recv(65536)
                reply = self.answer(request)
                if reply is None:
                    self.stop.wait(10)
                    return
                conn.sendall(reply)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def http_answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n").encode() + body


HOSTILE: Dict[str, Tuple[Callable[[bytes], Any], Tuple[type, ...]]] = {
    "garbage-json": (lambda r: http_answer(b'{"id": 1, "first_name": "x"'), (hc.ApiError,)),
    "not-json": (lambda r: http_answer(b"<html>Bad Gateway</html>"), (hc.ApiError,)),
    "not-utf8": (lambda r: http_answer(b'{"a": "\xff\xfe"}'), (hc.ApiError,)),
    "nan-json": (lambda r: http_answer(b'{"id": 1, "hours": NaN}'), (hc.ApiError,)),
    "deep-nesting": (lambda r: http_answer(b"[" * 100_000 + b"]" * 100_000), (hc.ApiError,)),
    # Declared larger than the client's body cap (256 MB): refused before it is read.
    "oversized": (lambda r: b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n{",
                  (hc.HarvestConnectError,)),
    "lying-length": (lambda r: http_answer(b"{}")[:-2], (hc.NetworkError, hc.TimeoutError)),
    "not-http": (lambda r: b"SSH-2.0-OpenSSH_9.2\r\n", (hc.NetworkError,)),
    "silence": (lambda r: None, (hc.TimeoutError,)),
    "huge-header": (lambda r: b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * (2 * 1024 * 1024) + b"\r\n\r\n", (hc.HarvestConnectError,)),
    "5xx-html": (lambda r: http_answer(b"<h1>oops</h1>", "500 Internal Server Error"), (hc.ApiError,)),
}


@pytest.mark.parametrize("kind", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_server_gives_a_clear_error(tmp_path: Path, kind: str) -> None:
    answer, expected = HOSTILE[kind]
    server = Hostile(answer)
    try:
        path = tmp_path / "store.db"
        with hc.Store.open(path, key=hc.Key.generate()) as store:
            store.create_token_connection("hostile", access_token="pat-HOSTILE-TOKEN-1", account_id="123456",
                                          api_url=f"http://127.0.0.1:{server.port}/v2", user_agent=USER_AGENT)
            before = sealed_rows(path)
            client = store.connection("hostile").api(deadline=6.0, timeout=2.0)
            result, took = timed(lambda: client.get("/users/me"))
            assert isinstance(result, expected), repr(result)
            assert took < HARD_LIMIT, f"{kind} took {took:.1f}s"
            assert "pat-HOSTILE-TOKEN-1" not in str(result) and "pat-HOSTILE-TOKEN-1" not in repr(result)
            assert store.verify() == []
            assert sealed_rows(path) == before
    finally:
        server.close()


# The engine reads only a list page's outline and leaves the records to json.loads (figure 1
# of tests/bench): whatever is wrong inside a page must still end in a clear ApiError.
BAD_PAGES: Dict[str, bytes] = {
    "broken-record": b'{"time_entries":[{"id":1},{"id":tru}],"links":{"next":null}}',
    "mismatched-brackets": b'{"time_entries":[{"id":1]],"links":{"next":null}}',
    "not-utf8": b'{"time_entries":[{"notes":"\xff\xfe"}],"links":{"next":null}}',
    "deep-record": b'{"time_entries":[' + b"[" * 100_000 + b"]" * 100_000 + b'],"links":{"next":null}}',
    "duplicate-key": b'{"time_entries":[{"id":1}],"links":{"next":null},"time_entries":7}',
    "nan": b'{"time_entries":[{"id":1,"hours":NaN}],"links":{"next":null}}',
    "infinity": b'{"time_entries":[{"id":1,"hours":-Infinity}],"links":{"next":null}}',
    "broken-outline": b'{"time_entries":[{"id":1}],"links":{"next":null}',
}


@pytest.mark.parametrize("kind", list(BAD_PAGES), ids=list(BAD_PAGES))
def test_a_malformed_list_page_is_a_clear_api_error(tmp_path: Path, kind: str) -> None:
    server = Hostile(lambda r: http_answer(BAD_PAGES[kind]))
    try:
        with hc.Store.open(tmp_path / "store.db", key=hc.Key.generate()) as store:
            store.create_token_connection("hostile", access_token="pat-HOSTILE-TOKEN-1", account_id="123456",
                                          api_url=f"http://127.0.0.1:{server.port}/v2", user_agent=USER_AGENT)
            client = store.connection("hostile").api(deadline=6.0, timeout=2.0)
            with pytest.raises(hc.ApiError) as caught:
                list(client.paginate("/time_entries"))
            assert "page" in str(caught.value) and "pat-HOSTILE-TOKEN-1" not in str(caught.value)
            with pytest.raises(hc.ApiError):
                list(client.pages("/time_entries"))
    finally:
        server.close()
