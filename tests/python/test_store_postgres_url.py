"""Opening a PostgreSQL store from Python and the CLI: by URL, through HARVEST_CONNECT_STORE and
--store, the password never shown, an unreachable server a NetworkError naming it. The store's
behaviour itself is the C++ suites' (tests/cpp/test_store_*.cpp run on both backends)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

import harvest_connect as hc

from _postgres_support import PostgresCluster


@pytest.fixture
def pg(postgres_url: str, postgres_cluster: PostgresCluster) -> Tuple[str, str]:
    """(URL of a fresh database (conftest's postgres_url: PGPASSFILE set), the role's password)."""
    password = ""
    for line in postgres_cluster.pgpass.read_text().splitlines():
        if ":harvest_connect:" in line:
            password = line.rsplit(":", 1)[1]
    return postgres_url, password


def with_password(url: str, password: str) -> str:
    user, rest = url.split("@", 1)
    return f"{user}:{password}@{rest}"


def test_open_by_url_shows_no_password(pg: Tuple[str, str], key: hc.Key, monkeypatch: pytest.MonkeyPatch) -> None:
    url, password = pg
    assert len(password) >= 8 and hc.is_database_url(url) and not hc.is_database_url("/tmp/x.db")
    monkeypatch.delenv("PGPASSFILE")
    with hc.Store.open(with_password(url, password), key=key) as store:
        assert store.backend == "postgresql"
        assert store.path is None
        assert store.location == url and password not in store.location
        store.create_oauth_client("App", client_id="id-1", client_secret="postgres-client-secret-1")
        assert store.oauth_client("APP").name == "App"
        assert repr(store) == f"Store({url!r})"
        assert password not in repr(store) and password not in store._repr_html_()
        assert url in store._repr_html_()
    monkeypatch.setenv("PGPASSFILE", str(Path(os.environ.get("HOME", "/")) / "nothing"))
    with hc.Store.open(with_password(url, password), key=key) as store:  # the same store again
        assert [c.name for c in store.oauth_clients()] == ["App"]


def test_the_environment_variable_names_the_store(pg: Tuple[str, str], key: hc.Key,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = pg
    monkeypatch.setenv("HARVEST_CONNECT_STORE", url)
    assert hc.default_store_location() == url
    with hc.Store.open(key=key) as store:
        assert store.location == url
        first = store.store_id
    with hc.Store.open(url, key=key) as store:
        assert store.store_id == first


def test_an_unreachable_server_is_a_network_error_without_the_password(pg: Tuple[str, str], key: hc.Key) -> None:
    url, password = pg
    host_port, db = url.split("@", 1)[1].split("/", 1)
    dead = with_password(url.replace(host_port, "127.0.0.1:1"), password)
    with pytest.raises(hc.NetworkError) as info:
        hc.Store.open(dead, key=key)
    assert "127.0.0.1:1/" in str(info.value) and password not in str(info.value)


def test_the_cli_takes_a_url(pg: Tuple[str, str], tmp_path: Path) -> None:
    url, password = pg
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(tmp_path / "home")

    def doctor(*args: str, **extra: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args, "doctor"], text=True,
                              capture_output=True, env={**env, **extra}, timeout=120)
        assert password not in proc.stdout and password not in proc.stderr
        return proc

    for proc in (doctor("--store", url), doctor(HARVEST_CONNECT_STORE=with_password(url, password))):
        assert proc.returncode == 0, proc.stderr
        assert url in proc.stdout and "file modes" not in proc.stdout
    # A password on the command line is refused (argv is visible to other users).
    for bad in (with_password(url, password), url + "?password=" + password):
        proc = doctor("--store", bad)
        assert proc.returncode == 2 and "~/.pgpass" in proc.stderr, proc.stderr


def test_a_server_restart_is_a_clear_error_then_the_next_call_works(postgres_cluster: PostgresCluster,
                                                                     pg: Tuple[str, str], key: hc.Key) -> None:
    cluster = postgres_cluster
    url, password = pg
    with hc.Store.open(url, key=key) as store:
        store.create_oauth_client("app", client_id="id-1", client_secret="postgres-client-secret-2")
        cluster.stop()
        try:
            with pytest.raises(hc.NetworkError) as info:
                store.create_oauth_client("other", client_id="id-2", client_secret="postgres-client-secret-3")
            assert url.split("@", 1)[1].split("/", 1)[0] in str(info.value)
        finally:
            cluster.start(same_port=True)
        # The same Store reconnects by itself: a read, then a write.
        assert [c.name for c in store.oauth_clients()] == ["app"]
        store.create_oauth_client("other", client_id="id-2", client_secret="postgres-client-secret-3")
        cluster.restart()  # while idle: the next call notices the lost session and reconnects
        assert [c.name for c in store.oauth_clients()] == ["app", "other"]
        assert store.verify() == []
