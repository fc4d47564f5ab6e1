"""What the tests that use PostgreSQL share: the private cluster of tests/support/postgres_cluster.py
(imported from here, so that conftest.py and the worker scripts find it wherever they run) and
the backends a store test runs on."""

from __future__ import annotations

import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent.parent / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from postgres_cluster import ClusterError, PostgresCluster, available as cluster_unavailable, program_env  # noqa: E402

__all__ = ["ClusterError", "PostgresCluster", "cluster_unavailable", "program_env", "SUPPORT",
           "STORE_BACKENDS"]

STORE_BACKENDS = ("sqlite", "postgresql")
