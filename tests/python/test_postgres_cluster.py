"""The private PostgreSQL cluster the tests use (tests/support/postgres_cluster.py), checked
through libpq's own client (psql): it serves the harvest_connect role over TCP on 127.0.0.1
only, with SCRAM and the password from its pgpass file alone; it runs unprivileged; a killed
server comes back on the same port with its committed data; stopping leaves no process; its
passwords are on no command line, in no log and in no other file; and neither the CLI that
ctest drives nor a test session that forgets to stop it leaves a server behind."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Tuple

import pytest

from _postgres_support import SUPPORT, PostgresCluster, program_env

CLI = SUPPORT / "postgres_cluster.py"


def psql(cluster: PostgresCluster, sql: str, *, url: str = "", pgpass: bool = True,
         check: bool = True) -> "subprocess.CompletedProcess[str]":
    """psql as harvest_connect, the URL on the command line (it has no password), the SQL on
    stdin."""
    env = program_env()
    if pgpass:
        env.update(cluster.env())
    env["PGCONNECT_TIMEOUT"] = "10"
    result = subprocess.run([str(cluster.bin / "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                             "-w", url or cluster.url()], input=sql, env=env, capture_output=True, text=True,
                            timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def passwords(cluster: PostgresCluster) -> Dict[str, str]:
    return cluster._passwords()  # noqa: SLF001 - the test checks where they are not


def still_running(pids: Iterable[int], data: Path) -> List[int]:
    """Those of `pids` that are still processes working in `data` (a reused pid is not)."""
    alive = []
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(data):
                alive.append(pid)
        except OSError:
            continue
    return alive


def cmdlines() -> Iterator[bytes]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                yield Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresCluster]:
    """A cluster of this test's own, to kill and stop (the others use the session's). Every
    program the helper runs for it (initdb, cp, pg_ctl, psql, useradd) is recorded, and at the end
    no password may be in any of their command lines or environments."""
    import postgres_cluster

    calls: List[Tuple[List[str], Dict[str, str]]] = []
    real_run = postgres_cluster.subprocess.run

    def recording_run(argv: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(([str(a) for a in argv], dict(kwargs.get("env") or os.environ)))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(postgres_cluster.subprocess, "run", recording_run)
    monkeypatch.setattr(postgres_cluster, "_TEMPLATES", {})  # a real initdb, not a copy of the session's
    c = PostgresCluster(tmp_path / "pg")
    try:
        yield c
        secret = passwords(c)
    finally:
        c.close()
    assert {Path(argv[0]).name for argv, _ in calls} >= {"initdb", "pg_ctl", "psql"}
    for argv, env in calls:
        for password in secret.values():
            assert not any(password in a for a in argv), argv[0]
            assert not any(password in v for v in env.values()), argv[0]


def test_serves_harvest_connect_over_tcp_with_scram_and_the_pgpass_file_only(postgres_cluster: PostgresCluster) -> None:
    cluster = postgres_cluster
    url = cluster.url()
    assert url == f"postgresql://harvest_connect@127.0.0.1:{cluster.port}/harvest_connect"
    assert (cluster.directory / "url").read_text().strip() == url
    assert psql(cluster, "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").stdout.split() \
        == ["harvest_connect|f"]
    assert psql(cluster, "SELECT setting FROM pg_settings WHERE name = 'password_encryption'").stdout.strip() \
        == "scram-sha-256"
    # Without the pgpass file there is no way in (no trust, no peer, no Unix socket).
    refused = psql(cluster, "SELECT 1", pgpass=False, check=False)
    assert refused.returncode != 0 and "password" in refused.stderr
    assert stat.S_IMODE(cluster.pgpass.stat().st_mode) == 0o600
    log = cluster.log_file.read_text()
    assert f'listening on IPv4 address "127.0.0.1", port {cluster.port}' in log
    assert "Unix socket" not in log and "0.0.0.0" not in log
    hba = (cluster.data / "pg_hba.conf").read_text()
    assert [line.split() for line in hba.splitlines() if line and not line.startswith("#")] \
        == [["host", "all", "all", "127.0.0.1/32", "scram-sha-256"]]


def test_create_database_gives_harvest_connect_a_database_of_its_own(postgres_cluster: PostgresCluster) -> None:
    cluster = postgres_cluster
    url = cluster.create_database("t_own")
    assert url.endswith(f":{cluster.port}/t_own")
    psql(cluster, "CREATE TABLE t(x int); INSERT INTO t VALUES (1);", url=url)
    assert psql(cluster, "SELECT count(*) FROM t", url=url).stdout.strip() == "1"
    cluster.drop_database("t_own")
    assert psql(cluster, "SELECT 1", url=url, check=False).returncode != 0


def test_runs_unprivileged(postgres_cluster: PostgresCluster) -> None:
    postmaster = int((postgres_cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
    pids = postgres_cluster.pids()
    assert postmaster in pids
    checked = 0
    for pid in pids:
        try:  # a backend may end between the listing and the reading
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
        assert uid == str(os.geteuid()) if os.geteuid() != 0 else uid != "0"
        checked += pid == postmaster
    assert checked == 1


def test_a_killed_server_restarts_on_the_same_port_with_its_data_and_stop_leaves_no_process(
        cluster: PostgresCluster) -> None:
    url = cluster.start()
    psql(cluster, "CREATE TABLE kept(x int); INSERT INTO kept VALUES (42);")
    before = cluster.pids()
    cluster.kill()
    assert not cluster.pids() and not still_running(before, cluster.data)
    down = psql(cluster, "SELECT 1", check=False)
    assert down.returncode != 0 and "127.0.0.1" in down.stderr
    assert cluster.start(same_port=True) == url
    assert psql(cluster, "SELECT x FROM kept").stdout.strip() == "42"
    assert "database system was interrupted" in cluster.log_file.read_text()  # it recovered from a crash
    assert cluster.restart() == url
    assert psql(cluster, "SELECT x FROM kept").stdout.strip() == "42"

    # Stopping leaves no process, and is idempotent.
    pids = cluster.pids()
    assert len(pids) >= 2  # the postmaster and its background workers
    cluster.stop()
    assert not cluster.pids() and not still_running(pids, cluster.data)
    cluster.stop()
    cluster.close()
    cluster.close()


def test_the_passwords_are_on_no_command_line_in_no_log_and_in_no_other_file(postgres_cluster: PostgresCluster) -> None:
    cluster = postgres_cluster
    cluster.drop_database(cluster.create_database("t_secret").rsplit("/", 1)[1])
    psql(cluster, "SELECT 1")
    secret = passwords(cluster)
    assert set(secret) == {"postgres", "harvest_connect"} and all(len(p) >= 24 for p in secret.values())
    for cmdline in cmdlines():
        for password in secret.values():
            assert password.encode() not in cmdline
    files = [p for p in cluster.directory.rglob("*") if p.is_file() and p != cluster.pgpass]
    if cluster.home != cluster.directory:
        files += [p for p in cluster.home.rglob("*") if p.is_file()]
    assert cluster.log_file in files and cluster.data / "global" / "1260" in files  # pg_authid
    for path in files:
        content = path.read_bytes()
        for password in secret.values():
            assert password.encode() not in content, path
    # The server keeps SCRAM verifiers only.
    assert b"SCRAM-SHA-256$4096:" in (cluster.data / "global" / "1260").read_bytes()


def test_the_cli_starts_and_stops_a_cluster_in_a_directory(tmp_path: Path) -> None:
    where = tmp_path / "ctest-cluster"
    env = program_env()
    started = subprocess.run([sys.executable, str(CLI), "start", str(where)], env=env, capture_output=True,
                             text=True, timeout=180)
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        assert url.startswith("postgresql://harvest_connect@127.0.0.1:") and url.endswith("/harvest_connect")
        assert (where / "url").read_text().strip() == url
        assert stat.S_IMODE((where / "pgpass").stat().st_mode) == 0o600
        cluster = PostgresCluster(where)  # the same cluster, seen from here: still running
        assert cluster.running
        assert psql(cluster, "SELECT current_user").stdout.strip() == "harvest_connect"
        made = subprocess.run([sys.executable, str(CLI), "create-database", str(where), "t_cli"], env=env,
                              capture_output=True, text=True, timeout=60)
        assert made.returncode == 0 and made.stdout.strip() == cluster.url("t_cli"), made.stderr
        pids, data = cluster.pids(), cluster.data
    finally:
        stopped = subprocess.run([sys.executable, str(CLI), "stop", str(where)], env=env, capture_output=True,
                                 text=True, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert pids and not still_running(pids, data)
    again = subprocess.run([sys.executable, str(CLI), "stop", str(where)], env=env, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr


FORGETFUL = """
import sys
sys.path.insert(0, {support!r})
from postgres_cluster import PostgresCluster
cluster = PostgresCluster({where!r})
cluster.start()
print(str(cluster.data), flush=True)
print(" ".join(map(str, cluster.pids())), flush=True)
# exits without stopping it
"""


def test_a_session_that_forgets_to_stop_its_cluster_leaves_no_server(tmp_path: Path) -> None:
    script = FORGETFUL.format(support=str(SUPPORT), where=str(tmp_path / "forgotten"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    data, pids = result.stdout.splitlines()
    assert pids.split()
    assert not still_running(map(int, pids.split()), Path(data))
