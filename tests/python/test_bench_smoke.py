"""The benchmark harness still runs (a few pages, one run, no timing asserted): make bench
measures; this only keeps tests/bench/run.py from rotting."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "bench" / "run.py"


@pytest.mark.slow
def test_bench_harness_smoke(tmp_path: Path) -> None:
    if importlib.util.find_spec("requests_oauthlib") is None:
        pytest.skip("the benchmark baselines need requests and requests-oauthlib (pip install .[bench])")
    proc = subprocess.run([sys.executable, str(RUN), "--smoke", "--output-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "figures meet their targets" in proc.stdout
