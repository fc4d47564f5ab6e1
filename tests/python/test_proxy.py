"""Proxies, against a real one: Debian's tinyproxy, started by each test on 127.0.0.1 in front
of the HTTPS emulator. Its log names every CONNECT it was asked for, which proves what went
through it: API calls, token refresh, the token exchange of both authorization flows, http://
targets through HTTP_PROXY; and what did not: NO_PROXY and loopback targets by default. A proxy
that refuses the tunnel or the credentials, and one that is not running, are NetworkErrors
naming the proxy. The proxy password never shows in any output.

The emulator serves on 127.0.0.1, and loopback targets are never proxied unless
HARVEST_CONNECT_PROXY_LOOPBACK=1 (docs/troubleshooting.md): the tests that prove traffic goes
through the proxy set it, as a user with a debugging proxy on this machine would; one test
proves that without it nothing reaches the proxy. Its certificate names both 127.0.0.1 and
localhost, so a connection whose ID service is https://localhost:PORT and whose API is
https://127.0.0.1:PORT/v2 tells the token endpoint's tunnels from the API's in the log.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

import harvest_connect as hc
from harvest_connect import authorization
from harvest_connect.testing import HarvestEmulator

from _oauth_support import make_setup, printed_url, query

PROXY_USER = "proxyuser"
PROXY_PASSWORD = "pr0xy-S3cret-w0rd"  # must never be printed, logged or shown in a repr
FORBIDDEN = (PROXY_PASSWORD, base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode())

PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY",
                   "all_proxy", "ALL_PROXY", "HARVEST_CONNECT_PROXY_LOOPBACK", "SSL_CERT_FILE", "SSL_CERT_DIR")



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TinyProxy:
    """tinyproxy in the foreground on 127.0.0.1, configured in `directory`."""

    def __init__(self, directory: Path, connect_ports: List[int], auth: Optional[Tuple[str, str]] = None) -> None:
        # Not skipped when missing: `make test` installs it (TEST_SYSTEM_PACKAGES), and a skip
        # would hide that the proxy support went untested.
        assert shutil.which("tinyproxy"), \
            "tinyproxy is not installed: run `make test-deps` (or apt-get install tinyproxy)"
        directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "tinyproxy.log"
        self.auth = auth
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            lines = [f"Port {self.port}", "Listen 127.0.0.1", "Allow 127.0.0.1", "Timeout 30", "MaxClients 20",
                     f'LogFile "{self.log}"', "LogLevel Connect"]
            lines += [f"ConnectPort {p}" for p in connect_ports]
            if auth:
                lines.append(f"BasicAuth {auth[0]} {auth[1]}")
            conf = directory / "tinyproxy.conf"
            conf.write_text("\n".join(lines) + "\n")
            self.process = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL)
            if self._wait_listening():
                return
            self.stop()
        raise RuntimeError("tinyproxy did not start")

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)  # polling for the port, bounded by the deadline
        return False

    def url(self, *, credentials: Optional[Tuple[str, str]] = None) -> str:
        creds = credentials if credentials is not None else self.auth
        userinfo = f"{creds[0]}:{creds[1]}@" if creds else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    def connects(self) -> List[str]:
        """The targets of every CONNECT the proxy was asked for, in order."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return re.findall(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP/1\.[01]", text)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - tinyproxy ignores SIGTERM
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def emu(module_emulator) -> HarvestEmulator:
    return module_emulator(tls=True, entries=5, rate_limits=False)


@pytest.fixture
def proxy(tmp_path, emu) -> Iterator[TinyProxy]:
    p = TinyProxy(tmp_path / "proxy", [emu.port], auth=(PROXY_USER, PROXY_PASSWORD))
    yield p
    p.stop()


def localhost_id_url(emu: HarvestEmulator) -> str:
    return emu.id_url.replace("127.0.0.1", "localhost")


def authorized_connection(emu: HarvestEmulator, store: hc.Store, *, id_url: Optional[str] = None) -> hc.Connection:
    """A connection authorized with the paste flow, before any proxy is set."""
    s = make_setup(emu, store)
    conn = s.conn
    if id_url:
        store.update_connection("acme", account_id=str(emu.account_id), id_url=id_url)
        conn = store.connection("acme")
    conn.complete_authorization(emu.approve(conn.authorization_url()), ca_file=emu.ca_file)
    assert conn.status == "authorized"
    return conn


def use_proxy(monkeypatch, url: str, *, loopback: bool = True, variable: str = "HTTPS_PROXY") -> None:
    monkeypatch.setenv(variable, url)
    if loopback:
        monkeypatch.setenv("HARVEST_CONNECT_PROXY_LOOPBACK", "1")


# --- what goes through the proxy ----------------------------------------------------------

def test_api_calls_go_through_the_proxy(emu, store, proxy, monkeypatch):
    conn = authorized_connection(emu, store)
    use_proxy(monkeypatch, proxy.url())
    me = conn.api(ca_file=emu.ca_file).get("/users/me")
    assert me["id"]
    assert proxy.connects() and set(proxy.connects()) == {f"127.0.0.1:{emu.port}"}
    assert conn.test(ca_file=emu.ca_file).ok
    assert len(proxy.connects()) >= 2


def test_no_proxy_and_loopback_targets_bypass_the_proxy(emu, store, proxy, monkeypatch):
    conn = authorized_connection(emu, store)
    use_proxy(monkeypatch, proxy.url())
    for entry in ("127.0.0.1", "127.0.0.0/8", "*", "example.org,127.0.0.1"):
        monkeypatch.setenv("NO_PROXY", entry)
        assert conn.api(ca_file=emu.ca_file).get("/users/me")["id"]
        assert conn.test(ca_file=emu.ca_file).ok
    monkeypatch.delenv("NO_PROXY")
    # Loopback is never proxied unless HARVEST_CONNECT_PROXY_LOOPBACK=1.
    monkeypatch.delenv("HARVEST_CONNECT_PROXY_LOOPBACK")
    assert conn.api(ca_file=emu.ca_file).get("/users/me")["id"]
    assert proxy.connects() == []
    # The same settings with the switch on do reach the proxy: the bypasses above were real.
    monkeypatch.setenv("HARVEST_CONNECT_PROXY_LOOPBACK", "1")
    assert conn.api(ca_file=emu.ca_file).get("/users/me")["id"]
    assert proxy.connects() == [f"127.0.0.1:{emu.port}"]


def test_token_refresh_goes_through_the_proxy(emu, store, proxy, monkeypatch):
    conn = authorized_connection(emu, store, id_url=localhost_id_url(emu))
    use_proxy(monkeypatch, proxy.url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the API direct: every tunnel is the token endpoint's
    before = emu.counters().get("token_requests.refresh_token", 0)
    emu.expire_tokens()
    assert conn.api(ca_file=emu.ca_file).get("/users/me")["id"]
    assert emu.counters()["token_requests.refresh_token"] == before + 1
    assert proxy.connects() == [f"localhost:{emu.port}"]


def test_token_exchange_of_the_paste_flow_goes_through_the_proxy(emu, store, proxy, monkeypatch):
    make_setup(emu, store)
    store.update_connection("acme", account_id=str(emu.account_id), id_url=localhost_id_url(emu))
    conn = store.connection("acme")
    redirect = emu.approve(conn.authorization_url())
    use_proxy(monkeypatch, proxy.url())
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    conn.complete_authorization(redirect, ca_file=emu.ca_file)
    assert conn.status == "authorized"
    assert proxy.connects() and set(proxy.connects()) == {f"localhost:{emu.port}"}


def test_token_exchange_of_the_loopback_flow_goes_through_the_proxy(emu, store, proxy, monkeypatch):
    s = make_setup(emu, store)
    store.update_connection("acme", account_id=str(emu.account_id), id_url=localhost_id_url(emu))
    conn = store.connection("acme")
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    # Only HTTPS_PROXY: the fake browser's plain-http visit of the receiver stays direct.
    use_proxy(monkeypatch, proxy.url())
    conn.authorize(timeout=20, ca_file=emu.ca_file)
    s.browser.join()
    assert conn.status == "authorized"
    assert proxy.connects() and set(proxy.connects()) == {f"localhost:{emu.port}"}


def test_plain_http_target_goes_through_http_proxy(tmp_path, store, monkeypatch):
    with HarvestEmulator(tls=False, entries=5, rate_limits=False) as plain:
        conn = authorized_connection(plain, store)
        p = TinyProxy(tmp_path / "plain-proxy", [plain.port])
        try:
            use_proxy(monkeypatch, p.url(), variable="HTTPS_PROXY")  # for https only: not used here
            assert conn.api().get("/users/me")["id"]
            assert p.connects() == []
            use_proxy(monkeypatch, p.url(), variable="http_proxy")
            assert conn.api().get("/users/me")["id"]
            assert p.connects() == [f"127.0.0.1:{plain.port}"]
        finally:
            p.stop()


# --- a proxy that says no, or is not there ------------------------------------------------

def network_error_of(conn: hc.Connection, emu: HarvestEmulator, deadline: float = 20) -> hc.NetworkError:
    with pytest.raises(hc.NetworkError) as info:
        conn.api(ca_file=emu.ca_file, deadline=deadline).get("/users/me")
    return info.value


def assert_names_the_proxy(exc: BaseException, proxy_authority: str) -> str:
    text = str(exc)
    assert proxy_authority in text and "HTTPS_PROXY" in text, text
    for secret in FORBIDDEN:
        assert secret not in text and secret not in repr(exc)
    return text


def test_a_proxy_refusing_the_tunnel_is_a_network_error_naming_the_proxy(tmp_path, emu, store, monkeypatch):
    conn = authorized_connection(emu, store)
    closed = TinyProxy(tmp_path / "closed", [1], auth=(PROXY_USER, PROXY_PASSWORD))  # CONNECT to port 1 only
    try:
        use_proxy(monkeypatch, closed.url())
        exc = network_error_of(conn, emu)
        text = assert_names_the_proxy(exc, closed.authority)
        assert "refused to open a tunnel" in text and "403" in text, text
        assert f":{emu.port}" not in text, "the error blames the target, not the proxy"
        assert closed.connects() == [f"127.0.0.1:{emu.port}"], "refused at once, not retried"
        result = conn.test(ca_file=emu.ca_file)
        assert not result.ok and closed.authority in result.message
    finally:
        closed.stop()


def test_a_proxy_refusing_the_credentials_says_so(emu, store, proxy, monkeypatch):
    conn = authorized_connection(emu, store)
    use_proxy(monkeypatch, proxy.url(credentials=(PROXY_USER, "wrong-" + PROXY_PASSWORD)))
    exc = network_error_of(conn, emu)
    text = assert_names_the_proxy(exc, proxy.authority)
    assert "refused the user name and password" in text, text  # tinyproxy answers 401 here, others 407
    assert "wrong-" not in text

    use_proxy(monkeypatch, f"http://{proxy.authority}")
    text = assert_names_the_proxy(network_error_of(conn, emu), proxy.authority)
    assert "requires authentication" in text and "http://user:password@host:port" in text, text


def test_a_dead_proxy_is_a_network_error_naming_the_proxy(emu, store, monkeypatch):
    conn = authorized_connection(emu, store)
    port = free_port()  # nothing listens there now
    use_proxy(monkeypatch, f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{port}")
    exc = network_error_of(conn, emu, deadline=2)  # (a dead proxy may come back: retried until then)
    text = assert_names_the_proxy(exc, f"127.0.0.1:{port}")
    assert "no proxy accepts connections there" in text, text


def test_an_unusable_proxy_url_is_a_validation_error_without_its_value(emu, store, monkeypatch):
    conn = authorized_connection(emu, store)
    monkeypatch.setenv("HTTPS_PROXY", f"socks5://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1080")
    with pytest.raises(hc.ValidationError) as info:
        conn.api(ca_file=emu.ca_file)
    text = str(info.value)
    assert "HTTPS_PROXY" in text and "socks5" in text
    assert PROXY_USER not in text and PROXY_PASSWORD not in text


# --- the credentials never show -----------------------------------------------------------

def cli(home: Path, *args: str, extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_") and k not in PROXY_VARIABLES}
    env.update(HARVEST_CONNECT_HOME=str(home), BROWSER="false", **extra_env)
    return subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def make_home(tmp_path: Path, emu: HarvestEmulator) -> Path:
    home = tmp_path / "cli-home"
    home.mkdir(mode=0o700)
    key = hc.Key.generate()
    hc._core._write_key_file(str(home / "master.key"), key)
    with hc.Store.open(home / "store.db", key=key) as st:
        authorized_connection(emu, st)
    return home


def test_proxy_credentials_never_appear_in_any_output(tmp_path, emu, store, proxy, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    home = make_home(tmp_path, emu)
    good = proxy.url()
    refused = TinyProxy(tmp_path / "refusing", [1], auth=(PROXY_USER, PROXY_PASSWORD))
    try:
        outputs: List[str] = []
        proxy_env = {"HARVEST_CONNECT_PROXY_LOOPBACK": "1"}
        # (A dead proxy is retried until the deadline: it is covered in-process below.)
        for url in (good, refused.url(), proxy.url(credentials=(PROXY_USER, PROXY_PASSWORD + "x")),
                    f"https://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:1"):
            for args in (["test", "acme"], ["get", "acme", "/users/me"]):
                done = cli(home, *args, "--ca-file", emu.ca_file, extra_env={**proxy_env, "HTTPS_PROXY": url})
                outputs += [done.stdout, done.stderr]
        assert any("online" in o for o in outputs), "the good proxy was not used successfully"
        assert any(refused.authority in o for o in outputs)

        # In-process: exceptions, reprs, logs.
        conn = authorized_connection(emu, store)
        use_proxy(monkeypatch, refused.url())
        with pytest.raises(hc.NetworkError) as info:
            conn.api(ca_file=emu.ca_file, deadline=20).get("/users/me")
        outputs += [str(info.value), repr(info.value), repr(info.value.args)]
        use_proxy(monkeypatch, f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{free_port()}")
        with pytest.raises(hc.NetworkError) as info:
            conn.api(ca_file=emu.ca_file, deadline=2).get("/users/me")
        outputs += [str(info.value), repr(info.value), repr(info.value.args)]
        use_proxy(monkeypatch, good)
        api = conn.api(ca_file=emu.ca_file)
        api.get("/users/me")
        outputs += [repr(api), repr(conn), str(conn.http_settings()), repr(conn.test(ca_file=emu.ca_file))]
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err, caplog.text, proxy.log.read_text(), refused.log.read_text()]
    finally:
        refused.stop()
    for text in outputs:
        for secret in FORBIDDEN:
            assert secret not in text


# --- ca_file everywhere -------------------------------------------------------------------

def test_ca_file_is_accepted_by_authorize_complete_authorization_and_disconnect(emu, store, monkeypatch):
    s = make_setup(emu, store)
    conn = s.conn
    # Without the CA, the token exchange fails on the certificate: the option is what trusts it.
    with pytest.raises(hc.TlsError):
        conn.complete_authorization(emu.approve(conn.authorization_url()))
    conn.complete_authorization(emu.approve(conn.authorization_url()), ca_file=emu.ca_file)
    assert conn.status == "authorized"

    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    conn.authorize(timeout=20, ca_file=emu.ca_file)
    s.browser.join()
    assert conn.status == "authorized"

    # disconnect() reaches a revocation endpoint only with the CA (the emulator has none: 404).
    store.update_oauth_client("app", revoke_url=emu.id_url + "/oauth2/revoke")
    conn = store.connection("acme")
    emu.clear_request_log()
    assert conn.disconnect() is False
    assert not [r for r in emu.request_log() if "revoke" in str(r.get("target", ""))]
    conn.complete_authorization(emu.approve(conn.authorization_url()), ca_file=emu.ca_file)
    emu.clear_request_log()
    assert conn.disconnect(ca_file=emu.ca_file) is False
    assert [r for r in emu.request_log() if "revoke" in str(r.get("target", ""))]


def test_every_network_cli_command_takes_ca_file(tmp_path, emu):
    home = make_home(tmp_path, emu)
    for args in (["test", "acme"], ["get", "acme", "/users/me"]):
        without = cli(home, *args, extra_env={})
        assert without.returncode != 0 and "certificate" in without.stderr.lower(), without.stderr
        with_ca = cli(home, *args, "--ca-file", emu.ca_file, extra_env={})
        assert with_ca.returncode == 0, with_ca.stderr

    done = cli(home, "disconnect", "acme", "--ca-file", emu.ca_file, extra_env={})
    assert done.returncode == 0, done.stderr

    # authorize --no-browser: the address is printed, the redirect pasted on stdin.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_") and k not in PROXY_VARIABLES}
    env.update(HARVEST_CONNECT_HOME=str(home), BROWSER="false")
    for ca in (None, emu.ca_file):
        args = ["authorize", "acme", "--no-browser", "--timeout", "30"] + (["--ca-file", ca] if ca else [])
        proc = subprocess.Popen([sys.executable, "-m", "harvest_connect.cli", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stderr is not None and proc.stdin is not None
        url = printed_url(proc)
        redirect = emu.approve(url)
        proc.stdin.write(redirect + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=30)
        if ca is None:
            assert proc.returncode != 0 and "certificate" in err.lower(), err
        else:
            assert proc.returncode == 0, err
            assert "'acme' is authorized" in out
        assert query(redirect)["code"] not in out + err

    with hc.Store.open(home / "store.db", key_file=home / "master.key") as st:
        assert st.connection("acme").status == "authorized"
    help_text = cli(home, "authorize", "--help", extra_env={}).stdout
    assert "--ca-file" in help_text
