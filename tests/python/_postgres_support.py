"""What the tests that use PostgreSQL share: the private cluster of tests/support/postgres_cluster.py
(imported from here, so that conftest.py and the worker scripts find it wherever they run) and
whether this build's Store.open accepts a postgresql:// URL.

POSTGRES_STORES_SUPPORTED, STORE_BACKENDS and requires_postgres_stores are the ONE place that
decides whether the PostgreSQL-backed variants of the tests run: until the PostgreSQL store
backend is merged, Store.open treats a URL as a file name, so they are skipped with the reason
"PostgreSQL stores not supported by this build". After that merge, remove the probe (_PROBE,
_probe, POSTGRES_STORES_SUPPORTED, NO_POSTGRES_STORES), make STORE_BACKENDS
("sqlite", "postgresql") and delete requires_postgres_stores and its uses."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parent.parent / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from postgres_cluster import ClusterError, PostgresCluster, available as cluster_unavailable, program_env  # noqa: E402

__all__ = ["ClusterError", "PostgresCluster", "cluster_unavailable", "program_env", "SUPPORT",
           "POSTGRES_STORES_SUPPORTED", "STORE_BACKENDS", "requires_postgres_stores", "NO_POSTGRES_STORES"]

NO_POSTGRES_STORES = "PostgreSQL stores not supported by this build"

# Opens a URL whose server refuses connections (port 1 on loopback) in an empty directory: a
# build with the PostgreSQL backend raises a HarvestConnectError and writes nothing; one
# without it makes a SQLite file named after the URL (or fails making it, writing something).
_PROBE = """
import os, sys
import harvest_connect as hc
try:
    hc.Store.open("postgresql://harvest_connect@127.0.0.1:1/probe", key=hc.Key.generate()).close()
except hc.HarvestConnectError:
    sys.exit(0 if not os.listdir(".") else 1)
sys.exit(1)
"""


@functools.lru_cache(maxsize=None)
def _probe() -> bool:
    with tempfile.TemporaryDirectory(prefix="hc-pg-probe-") as where:
        cwd, home = Path(where, "cwd"), Path(where, "home")
        cwd.mkdir()
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "HARVEST_CONNECT_", "XDG_"))}
        env["HOME"] = str(home)
        result = subprocess.run([sys.executable, "-c", _PROBE], cwd=cwd, env=env, capture_output=True,
                                timeout=120)
        return result.returncode == 0


POSTGRES_STORES_SUPPORTED = _probe()
requires_postgres_stores = pytest.mark.skipif(not POSTGRES_STORES_SUPPORTED, reason=NO_POSTGRES_STORES)
# The backends a store test runs on: the PostgreSQL one is listed (and reported as skipped,
# with the reason above) even before the backend exists, so that no one misses it.
STORE_BACKENDS = ("sqlite", pytest.param("postgresql", marks=requires_postgres_stores))
