"""Many processes, and many "hosts", sharing one connection through one store (issue 17 §3).

Workers are other processes (_many_hosts_worker.py) that open the same store: a SQLite file
on this machine, or a database of the tests' private PostgreSQL cluster. Against the Harvest
emulator they show that
- 4 processes x 8 threads calling after the access token expired cause exactly one refresh
  and no failure;
- a process SIGKILLed while it holds the refresh lock (its token request hangs) holds up
  the others only until it dies: they refresh once, and the store keeps a working refresh
  token;
- the database server restarted (or killed) in the middle of a run gives clear errors that
  name the server and never the password, and the very next call after it is back works;
- "hosts" in network namespaces of their own, which share nothing but the database server
  (and reach Harvest over their veth link), refresh once between them;
- a host that vanishes from the network while it holds the refresh lock holds the others up
  only until the server gives up on it (about 25 s), not for the operating system's two
  hours, and a host whose database server vanishes gets a clear error, not a hang."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

from _harvest_support import USER_AGENT
from _postgres_support import STORE_BACKENDS, SUPPORT, PostgresCluster, program_env

sys.path.insert(0, str(SUPPORT))
from netns_hosts import NetnsHosts, Relay, available as netns_unavailable  # noqa: E402

WORKER = Path(__file__).with_name("_many_hosts_worker.py")
TOKEN_PATH = "/api/v2/oauth2/token"
TIMEOUT = 120  # seconds: the bound of every wait below


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)  # poll interval, bounded by the deadline


class Worker:
    """A worker process whose stdout lines are read by a thread, so a test can wait for one
    with a bound."""

    def __init__(self, argv: Sequence[str], env: Dict[str, str]) -> None:
        self.proc = subprocess.Popen(list(argv), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.stderr = ""
        self._readers = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self._readers:
            t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def line(self, timeout: float = TIMEOUT) -> str:
        try:
            got = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output from the worker within {timeout} s") from None
        if got is None:
            self.close()
            raise AssertionError(f"the worker ended early (exit {self.proc.returncode}): {self.stderr}")
        return got

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def result(self) -> Dict[str, Any]:
        """The last output line (the JSON summary), once the worker has ended."""
        self.proc.wait(timeout=TIMEOUT)
        self.close()
        last = None
        while not self.lines.empty():
            got = self.lines.get_nowait()
            if got is not None:
                last = got
        assert last is not None, self.stderr
        return json.loads(last)

    def close(self) -> None:
        """Kill it if it still runs, reap it and close its pipes. Idempotent."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        for t in self._readers:
            t.join(timeout=TIMEOUT)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass


@dataclass
class Shared:
    """One connection, "acme", authorized at an emulator, in a store at `location` (a file
    or a postgresql:// URL) that the test and its workers open."""

    emu: HarvestEmulator
    key: hc.Key
    location: str
    store: Any = None
    workers: List[Worker] = field(default_factory=list)

    def open(self) -> Any:
        return hc.Store.open(self.location, key=self.key)

    def counter(self, name: str) -> int:
        return int(self.emu.counters().get(name, 0))

    def refreshes(self) -> int:
        return self.counter("token_requests.refresh_token")

    def env(self, **extra: str) -> Dict[str, str]:
        env = dict(os.environ)
        env["HARVEST_CONNECT_KEY"] = self.key.to_base64()
        env["SSL_CERT_FILE"] = self.emu.ca_file
        env.update(extra)
        return env

    def worker(self, *args: str, location: Optional[str] = None, prefix: Sequence[str] = (),
               env: Optional[Dict[str, str]] = None) -> Worker:
        w = Worker([*prefix, sys.executable, str(WORKER), location or self.location, *args], env or self.env())
        self.workers.append(w)
        return w

    def unauthorized(self) -> int:
        """401 answers the API gave so far (each is an expired access token used)."""
        return sum(1 for e in self.emu.request_log() if e["target"].startswith("/v2/") and e["status"] == 401)


def share(emu: HarvestEmulator, location: str) -> Shared:
    key = hc.Key.generate()
    s = Shared(emu, key, location)
    s.store = s.open()
    app = emu.register_app("tests", "http://127.0.0.1:8765/callback")
    s.store.create_oauth_client("app", client_id=app.client_id, client_secret=app.client_secret,
                                redirect_uri=app.redirect_url)
    conn = s.store.create_connection("acme", oauth_client="app", account_id=str(emu.account_id),
                                     api_url=emu.api_url, id_url=emu.id_url, user_agent=USER_AGENT)
    conn.complete_authorization(emu.approve(conn.authorization_url()))
    return s


@pytest.fixture(params=STORE_BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the shared store is: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def shared(emulator: Callable[..., HarvestEmulator], location: str,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Shared]:
    emu = emulator(entries=10, rate_limits=False)
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
    s = share(emu, location)
    yield s
    for w in s.workers:
        w.close()
    s.store.close()


def go(workers: Sequence[Worker]) -> List[Dict[str, Any]]:
    for w in workers:
        w.send("go")
    return [w.result() for w in workers]


# --- (a) one refresh for 4 processes x 8 threads --------------------------------------------

def test_four_processes_of_eight_threads_refresh_once_after_expiry(shared: Shared) -> None:
    workers = [shared.worker("threads", "8", "4", "--warm") for _ in range(4)]
    for w in workers:
        assert w.line() == "ready"
    shared.emu.expire_tokens()  # every process holds, in memory, the token that just expired
    before = shared.refreshes()
    results = go(workers)
    assert [w.proc.returncode for w in workers] == [0, 0, 0, 0], [w.stderr for w in workers]
    assert sum(r["ok"] for r in results) == 4 * 8 * 4
    assert sum(r["failed"] for r in results) == 0, [r["errors"] for r in results]
    assert shared.refreshes() == before + 1
    assert shared.counter("token_errors") == 0


# --- (b) a process killed while it holds the refresh lock -------------------------------------

def test_a_process_killed_holding_the_refresh_lock_holds_the_others_up_only_until_it_dies(shared: Shared) -> None:
    others = [shared.worker("threads", "8", "2", "--warm") for _ in range(3)]
    for w in others:
        assert w.line() == "ready"  # each holds, in memory, the token about to expire
    shared.emu.expire_tokens()
    before = shared.refreshes()
    # The holder's token request is answered, with an error, only after a minute: it sits in
    # the refresh, holding the lock, until it is killed. The emulator has not used its
    # refresh token (the error comes before the grant is looked at), so nothing is lost.
    shared.emu.set_faults(path_prefix=TOKEN_PATH, error_next=1, error_status=503, latency=60.0)
    holder = shared.worker("once")
    wait_until(lambda: shared.counter("faults.errors") == 1, "the holder's token request reached Harvest")
    for w in others:
        w.send("go")
    # Every thread's first call uses the expired token: 24 401s (beside the holder's), and all
    # 24 threads then wait for the refresh lock, which the holder has.
    wait_until(lambda: shared.unauthorized() >= 1 + 3 * 8, "every other thread was refused its expired token")
    assert shared.refreshes() == before  # nobody could refresh while the holder lives
    shared.emu.clear_faults()
    holder.proc.send_signal(signal.SIGKILL)
    holder.close()
    assert holder.proc.returncode == -signal.SIGKILL
    results = [w.result() for w in others]
    assert [w.proc.returncode for w in others] == [0, 0, 0], [w.stderr for w in others]
    assert sum(r["ok"] for r in results) == 3 * 8 * 2
    assert sum(r["failed"] for r in results) == 0, [r["errors"] for r in results]
    assert shared.refreshes() == before + 1  # one of the others, once
    assert shared.counter("faults.errors") == 1

    # Nothing lost: the store is whole, and its refresh token still renews the access token.
    assert shared.store.verify() == []
    shared.emu.expire_tokens()
    assert shared.store.connection("acme").api().get("/users/me")["id"]
    assert shared.refreshes() == before + 2
    assert shared.store.connection("acme").status == "authorized"


# --- (c) the database server restarted in the middle of a run ---------------------------------

@pytest.mark.parametrize("how", ["restart", "kill"])
def test_the_database_server_going_away_mid_run_gives_clear_errors_then_recovers(
        emulator: Callable[..., HarvestEmulator], postgres_cluster: PostgresCluster, postgres_url: str,
        monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    emu = emulator(entries=10, rate_limits=False)
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
    s = share(emu, postgres_url)
    password = postgres_cluster._passwords()["harvest_connect"]  # noqa: SLF001 - checked for absence
    conn = s.store.connection("acme")
    api = conn.api()
    loop = s.worker("loop")
    try:
        assert loop.line() == "ready"
        wait_until(lambda: json.loads(loop.line())["last_ok"] is True, "the worker's calls succeeded")
        assert_nowhere_in_argv(password)
        postgres_cluster.stop() if how == "restart" else postgres_cluster.kill()

        with pytest.raises(hc.HarvestConnectError) as down:
            s.store.connection("acme")
        names_the_server_not_the_password(str(down.value), postgres_cluster.port, password)
        assert password not in repr(down.value)
        s.emu.expire_tokens()  # a refresh while the server is down fails whole, naming it too
        expired = s.refreshes()
        with pytest.raises(hc.HarvestConnectError) as refresh_down:
            api.get("/users/me")
        names_the_server_not_the_password(str(refresh_down.value), postgres_cluster.port, password)
        wait_until(lambda: json.loads(loop.line())["last_ok"] is False, "the worker's calls failed")

        postgres_cluster.start(same_port=True)
        # The very next call works, on the same Store and client objects.
        assert api.get("/users/me")["id"]
        assert s.store.connection("acme").status == "authorized"
        assert s.store.verify() == []  # nothing half-written
        wait_until(lambda: json.loads(loop.line())["last_ok"] is True, "the worker's calls succeeded again")
        loop.send("stop")
        outcomes = loop.result()["outcomes"]
    finally:
        loop.close()
        s.store.close()
        if not postgres_cluster.running:  # the session's cluster, for the tests after this one
            postgres_cluster.start(same_port=True)
    failures = [error for ok, error in outcomes if not ok]
    assert failures
    for error in failures:
        names_the_server_not_the_password(error, postgres_cluster.port, password)
    assert outcomes[-1][0] is True
    assert password not in loop.stderr
    # No refresh reached Harvest while the lock could not be taken; one did after, for all.
    assert s.refreshes() == expired + 1


def names_the_server_not_the_password(text: str, port: Optional[int], password: str) -> None:
    assert "127.0.0.1" in text and str(port) in text, text
    assert password not in text


def assert_nowhere_in_argv(password: str) -> None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            assert password.encode() not in cmdline, entry


# --- (d) hosts in network namespaces -------------------------------------------------------

@pytest.fixture
def hosts() -> Iterator[NetnsHosts]:
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with NetnsHosts(4) as made:
        yield made
    assert not [n for n in NetnsHosts.existing() if n.startswith(f"hc-{made.run_id}-")]


@pytest.fixture
def host_cluster(hosts: NetnsHosts, tmp_path: Path) -> Iterator[PostgresCluster]:
    """A cluster listening on the server side of every host's veth pair (and 127.0.0.1)."""
    with PostgresCluster(tmp_path / "pg", listen=hosts.server_addresses, networks=[hosts.network]) as cluster:
        yield cluster


HOSTS_DATABASE = "hosts"


@pytest.fixture
def hosts_shared(hosts: NetnsHosts, host_cluster: PostgresCluster, emulator: Callable[..., HarvestEmulator],
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Shared]:
    """The connection "acme", authorized, in the database HOSTS_DATABASE of host_cluster, and
    the emulator relayed from the server side of every host's link; stopped, closed and
    killed afterwards."""
    emu = emulator(entries=10, rate_limits=False)
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
    monkeypatch.setenv("PGPASSFILE", str(host_cluster.pgpass))
    relays = [Relay((h.server_address, emu.port), ("127.0.0.1", emu.port)) for h in hosts]
    try:
        s = share(emu, host_cluster.create_database(HOSTS_DATABASE))
        try:
            yield s
        finally:
            for w in s.workers:
                w.close()
            s.store.close()
    finally:
        for r in relays:
            r.close()


def host_url(cluster: PostgresCluster, host: Any) -> str:
    """The store's URL as a host reaches it: the server side of its own link."""
    return str(cluster.url(HOSTS_DATABASE, host=host.server_address))


def host_worker(s: Shared, host: Any, cluster: PostgresCluster, location: str, tmp_path: Path, *args: str) -> Worker:
    home = tmp_path / f"home-{host.name}"
    home.mkdir()
    return s.worker(*args, "--relay", f"{s.emu.port}:{host.server_address}:{s.emu.port}", location=location,
                    prefix=host.command([]), env=s.env(HOME=str(home), **cluster.env()))


def test_hosts_in_network_namespaces_sharing_only_the_database_refresh_once(
        hosts: NetnsHosts, host_cluster: PostgresCluster, hosts_shared: Shared, tmp_path: Path) -> None:
    s = hosts_shared
    workers = [host_worker(s, h, host_cluster, host_url(host_cluster, h), tmp_path, "threads", "8", "4", "--warm")
               for h in hosts]
    for w in workers:
        assert w.line() == "ready"
    # Each host talked to the database from its own address, over its own link.
    seen = host_cluster.psql("SELECT DISTINCT host(client_addr) FROM pg_stat_activity "
                             f"WHERE datname = '{HOSTS_DATABASE}' AND client_addr IS NOT NULL")
    assert {h.address for h in hosts} <= set(seen.split())
    assert_nowhere_in_argv(host_cluster._passwords()["harvest_connect"])  # noqa: SLF001
    s.emu.expire_tokens()
    before = s.refreshes()
    results = go(workers)
    assert [w.proc.returncode for w in workers] == [0] * 4, [w.stderr for w in workers]
    assert sum(r["ok"] for r in results) == 4 * 8 * 4
    assert sum(r["failed"] for r in results) == 0, [r["errors"] for r in results]
    assert s.refreshes() == before + 1


def test_a_host_that_vanishes_holding_the_refresh_lock_holds_the_others_up_only_until_the_server_gives_up(
        hosts: NetnsHosts, host_cluster: PostgresCluster, hosts_shared: Shared, tmp_path: Path) -> None:
    # A host that loses power or its network closes nothing: with the operating system's TCP
    # defaults its session, and the store's write lock with it, would live on for about two
    # hours, and every other host's refresh would fail as "busy". The engine's keepalive
    # settings have the server give up on it within about 25 s: before the 30 s that another
    # host waits for the lock by default.
    s, emu = hosts_shared, hosts_shared.emu
    holder_host, other_host = hosts[0], hosts[1]
    emu.expire_tokens()
    before = s.refreshes()
    # As in (b): the holder's token request is answered only after two minutes, so it sits in
    # the refresh holding the lock; the emulator has not used its refresh token.
    emu.set_faults(path_prefix=TOKEN_PATH, error_next=1, error_status=503, latency=120.0)
    holder = host_worker(s, holder_host, host_cluster, host_url(host_cluster, holder_host), tmp_path, "once")
    wait_until(lambda: s.counter("faults.errors") == 1, "the holder's token request reached Harvest")
    emu.clear_faults()
    holder.proc.send_signal(signal.SIGSTOP)  # the host is gone: its processes do nothing more
    holder_host.vanish()
    other = host_worker(s, other_host, host_cluster, host_url(host_cluster, other_host), tmp_path, "once")
    answer = other.result()
    assert other.proc.returncode == 0, other.stderr
    assert answer["id"]
    assert s.refreshes() == before + 1  # the other host's, once the server gave the holder up
    # Its backend released the lock on its way out; the rest of the way is the server's.
    wait_until(lambda: host_cluster.psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{HOSTS_DATABASE}' "
                                         f"AND client_addr = '{holder_host.address}'").strip() == "0",
               "the server ended the vanished host's session")
    # Nothing lost: the store is whole, and its refresh token still renews the access token.
    assert s.store.verify() == []
    emu.expire_tokens()
    assert s.store.connection("acme").api().get("/users/me")["id"]
    assert s.refreshes() == before + 2


# Run in a host: opens the store, reads, says "ready", and on a line from stdin reads again and
# says how that went.
READ_WHEN_TOLD = """
import sys, time
import harvest_connect as hc
with hc.Store.open(sys.argv[1]) as store:
    store.connection("acme")
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.monotonic()
    try:
        store.connection("acme")
        print("read", flush=True)
    except hc.HarvestConnectError as exc:
        print(f"{type(exc).__name__} after {time.monotonic() - started:.0f} s: {exc}", flush=True)
"""


def test_a_host_whose_database_server_vanishes_gets_a_network_error_not_a_hang(
        hosts: NetnsHosts, host_cluster: PostgresCluster, hosts_shared: Shared, tmp_path: Path) -> None:
    # With the operating system's defaults the read would wait about 15 minutes of
    # retransmissions; the engine's tcp_user_timeout (25 s) ends it, and the reconnection
    # attempt's connect_timeout (10 s) then gives up too.
    s, host = hosts_shared, hosts[0]
    home = tmp_path / "home"
    home.mkdir()
    reader = Worker(host.command([sys.executable, "-c", READ_WHEN_TOLD, host_url(host_cluster, host)]),
                    s.env(HOME=str(home), **host_cluster.env()))
    s.workers.append(reader)
    assert reader.line() == "ready"
    host.lose_the_server()
    reader.send("go")
    outcome = reader.line()  # bounded by TIMEOUT (120 s), far below the 15 minutes
    assert outcome.startswith("NetworkError after "), outcome
    assert f"{host.server_address}:{host_cluster.port}" in outcome, outcome
    assert host_cluster._passwords()["harvest_connect"] not in outcome  # noqa: SLF001


# --- the namespace harness itself (runs without the PostgreSQL store backend) ------------------

def test_namespace_hosts_reach_the_server_side_only_over_their_own_link(
        hosts: NetnsHosts, host_cluster: PostgresCluster, emulator: Callable[..., HarvestEmulator],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    one, two = hosts[0], hosts[1]
    env = program_env()
    env.update(host_cluster.env(), PGCONNECT_TIMEOUT="5")

    def psql_in(host: Any, url: str) -> "subprocess.CompletedProcess[str]":
        return subprocess.run(host.command([str(host_cluster.bin / "psql"), "-X", "-A", "-t", "-w", url]),
                              input="SELECT host(inet_client_addr())", env=env, capture_output=True, text=True,
                              timeout=60)

    # The database server, from host one, sees host one's address.
    seen = psql_in(one, host_cluster.url(host=one.server_address))
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.strip() == one.address
    # 127.0.0.1 in a host is its own: the server side's listeners are not there.
    assert psql_in(one, host_cluster.url()).returncode != 0
    # Hosts do not reach each other: there is no route between their networks.
    probe = ("import socket, sys\ntry:\n    socket.create_connection((sys.argv[1], 9), timeout=5)\n"
             "except OSError as e:\n    print(e)\n")
    other = subprocess.run(one.command([sys.executable, "-c", probe, two.address]), capture_output=True, text=True,
                           timeout=60)
    assert "Network is unreachable" in other.stdout, other.stdout + other.stderr

    # Harvest (the emulator, on the server side's 127.0.0.1) through the relays: a worker in
    # host two, with a store file (shared by the file system, which namespaces do not split),
    # gets an answer over TLS.
    emu = emulator(entries=1, rate_limits=False)
    monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
    s = share(emu, str(tmp_path / "store.db"))
    with Relay((two.server_address, emu.port), ("127.0.0.1", emu.port)):
        w = host_worker(s, two, host_cluster, s.location, tmp_path, "once")
        answer = w.result()
        assert w.proc.returncode == 0, w.stderr
        assert answer["id"] == s.store.connection("acme").api().get("/users/me")["id"]
    s.store.close()


def test_namespace_hosts_are_removed_even_when_the_block_fails() -> None:
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with pytest.raises(RuntimeError, match="inside"):
        with NetnsHosts(2) as made:
            assert len([n for n in NetnsHosts.existing() if n.startswith(f"hc-{made.run_id}-")]) == 2
            raise RuntimeError("a failure inside the block")
    assert not [n for n in NetnsHosts.existing() if n.startswith(f"hc-{made.run_id}-")]
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    assert f"hcs{made.run_id}" not in links
