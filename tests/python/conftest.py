"""The fixtures every test file shares: an isolated environment (autouse), a master key, a
store, emulator factories and authorized API setups.

Helpers that are not fixtures stay in _harvest_support.py (API tests), _oauth_support.py
(OAuth flows) and _emulator_client.py (a standard-library HTTP client)."""

from __future__ import annotations

import os
from pathlib import Path
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterator, List

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

from _harvest_support import Env, make_env

if TYPE_CHECKING:
    from _postgres_support import PostgresCluster

# What the engine, the CLI and the standard library's urllib read from the environment and
# what must therefore never leak in from the shell that runs the tests: every
# HARVEST_CONNECT_* variable (key, key file, home, contact, proxy loopback, core dumps, ...),
# every *_proxy variable (the client's HTTPS_PROXY/HTTP_PROXY/NO_PROXY and urllib's
# all_proxy, in either case), the extra trust the client loads (SSL_CERT_FILE/SSL_CERT_DIR)
# and the XDG directories the default store and key file fall back to
# (cpp/src/store/paths.cpp), and every PG* variable libpq reads (PGPASSFILE, PGHOST,
# PGPASSWORD, PGSSLMODE, ...: a PostgreSQL store must reach only the tests' own cluster).
ISOLATED_PREFIXES = ("HARVEST_CONNECT_", "PG")
ISOLATED_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "XDG_DATA_HOME", "XDG_CONFIG_HOME")


def isolated_variable(name: str) -> bool:
    return name.startswith(ISOLATED_PREFIXES) or name.lower().endswith("_proxy") or name in ISOLATED_VARIABLES


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    for name in [name for name in os.environ if isolated_variable(name)]:
        mp.delenv(name)
    mp.setenv("HOME", str(home))


@pytest.fixture(scope="session", autouse=True)
def isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """isolated_environment's isolation (below) for the whole run: session- and module-scoped
    fixtures (a shared emulator, an HTTP opener that reads *_proxy once) are made before any
    test's own fixtures, so they need it too."""
    with pytest.MonkeyPatch.context() as mp:
        # Other tools' caches (matplotlib's fonts, pip's and ccache's) stay where they are:
        # rebuilding them under every temporary HOME would be slow, and the store never uses
        # XDG_CACHE_HOME.
        mp.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"))
        home = tmp_path_factory.mktemp("session-home")
        _isolate(mp, home)
        yield home


@pytest.fixture(autouse=True)
def isolated_environment(isolated_session: Path, tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs as a user with no harvest-connect settings, no proxy and an empty HOME of
    its own, so that nothing from the developer's shell (or from an earlier test) changes a
    result and no test touches the developer's real store or key file (the default ones are
    under HOME, see paths.cpp). Returns that HOME. Subprocesses inherit the same environment."""
    # Not under tmp_path: tests own its layout (some create tmp_path / "home" themselves, one
    # checks that nothing else is left there).
    _isolate(monkeypatch, tmp_path_factory.mktemp("user-home"))
    return Path(os.environ["HOME"])


@pytest.fixture
def key() -> hc.Key:
    """A new master key."""
    return hc.Key.generate()


@pytest.fixture
def store(tmp_path: Path, key: hc.Key) -> Iterator[hc.Store]:
    """A new store at tmp_path / "store.db", sealed with `key`; closed at teardown."""
    with hc.Store.open(tmp_path / "store.db", key=key) as s:
        yield s


class EmulatorFactory:
    """emulator(**options): a HarvestEmulator started with those options (see
    harvest_connect.testing), stopped by the fixture's teardown."""

    def __init__(self) -> None:
        self.started: List[HarvestEmulator] = []

    def __call__(self, **options: Any) -> HarvestEmulator:
        emu = HarvestEmulator(**options)
        self.started.append(emu)
        return emu

    def close(self) -> None:
        while self.started:
            self.started.pop().close()


@pytest.fixture
def emulator() -> Iterator[EmulatorFactory]:
    """Starts emulators for one test: ``emu = emulator(entries=120, tls=False)``."""
    factory = EmulatorFactory()
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[EmulatorFactory]:
    """Starts emulators shared by the tests of one file (a module-scoped ``emu`` fixture)."""
    factory = EmulatorFactory()
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def emu(module_emulator: EmulatorFactory) -> HarvestEmulator:
    """The emulator a file's OAuth tests share: plain HTTP, 5 entries, no rate limits. A file
    that needs other options defines its own ``emu`` from ``module_emulator(**options)``."""
    return module_emulator(tls=False, entries=5, rate_limits=False)


@pytest.fixture
def harvest_env(emulator: EmulatorFactory, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Env]]:
    """harvest_env(authorize=True, **options): an emulator(**options) whose CA is trusted through
    SSL_CERT_FILE, and a store at tmp_path / "store.db" (a second one in tmp_path / "env-2", ...)
    with the connection "acme" authorized (_harvest_support.make_env); stores are closed at
    teardown."""
    made: List[Env] = []

    def make(*, authorize: bool = True, **options: Any) -> Env:
        emu = emulator(**options)
        monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
        where = tmp_path / f"env-{len(made) + 1}" if made else tmp_path
        where.mkdir(exist_ok=True)
        made.append(make_env(emu, where, authorize=authorize))
        return made[-1]

    yield make
    for e in made:
        e.store.close()


# --- PostgreSQL ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_cluster(isolated_session: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator["PostgresCluster"]:
    """A private PostgreSQL cluster for the whole run (tests/support/postgres_cluster.py): on
    127.0.0.1 and a free port, run by an unprivileged account, its passwords only in its
    pgpass file; stopped at the end of the session (and by atexit should that not run).
    Started on first use only, so runs that need no PostgreSQL pay nothing. A machine without
    Debian's postgresql package fails here, naming it: make test-deps installs it."""
    from _postgres_support import PostgresCluster, cluster_unavailable  # imported only when used

    missing = cluster_unavailable()
    if missing is not None:
        pytest.fail(missing)
    cluster = PostgresCluster(tmp_path_factory.mktemp("postgres"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def postgres_url(postgres_cluster: "PostgresCluster", monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A new, empty database of its own for one test, as a password-less URL
    (postgresql://harvest_connect@127.0.0.1:PORT/t_...); PGPASSFILE is set for the test and the
    processes it starts, so libpq finds the password. Dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:16]
    url = postgres_cluster.create_database(name)
    monkeypatch.setenv("PGPASSFILE", str(postgres_cluster.pgpass))
    yield url
    postgres_cluster.drop_database(name)
