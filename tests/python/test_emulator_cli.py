"""harvest-connect emulator: prints its URLs, CA file and a ready-made OAuth app, serves
until Ctrl-C (SIGINT) or `kill` (SIGTERM), then exits 0."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from typing import Callable

import pytest

from _harvest_support import sigint_as_in_a_terminal


def sigint_ignored() -> None:
    """preexec_fn: SIGINT ignored, as in a background job of a shell without job control."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("stop,start", [(signal.SIGINT, sigint_as_in_a_terminal),
                                        (signal.SIGTERM, sigint_as_in_a_terminal),
                                        (signal.SIGINT, sigint_ignored)],
                         ids=["ctrl-c", "kill", "sigint-while-ignored"])
def test_cli_emulator_prints_urls_and_app_and_stops_cleanly(stop: signal.Signals, start: Callable[[], None]) -> None:
    # sigint-while-ignored: the emulator takes SIGINT with sigwait() while it is blocked, and
    # Linux keeps a blocked signal pending whatever its disposition, so `kill -INT` stops it
    # even where Ctrl-C's signal was inherited as ignored.
    proc = subprocess.Popen([sys.executable, "-m", "harvest_connect.cli", "emulator", "--http", "--entries", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=start)
    try:
        lines = []
        while not (lines and lines[-1].strip().startswith("client secret")):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        out = "".join(lines)
        client_id = [ln.split()[-1] for ln in lines if ln.strip().startswith("client id")][0]
        assert "Harvest emulator running" in out
        id_url = [ln.split()[2] for ln in lines if ln.strip().startswith("ID service")][0]
        assert id_url.startswith("http://127.0.0.1:")
        assert "client id" in out and "client secret" in out
        with urllib.request.urlopen(id_url + "/oauth2/authorize?client_id=" + client_id
                                    + "&response_type=code", timeout=30) as r:
            assert r.status == 200 and b"Authorize application" in r.read()
    finally:
        proc.send_signal(stop)
        try:
            _, err = proc.communicate(timeout=30)
        finally:
            proc.kill()  # only if it did not stop: the assertion below then says so
            proc.wait()
    assert proc.returncode == 0 and err.strip() == "harvest-connect: emulator stopped", (proc.returncode, err)
