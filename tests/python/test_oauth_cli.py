"""`harvest-connect authorize NAME [--no-browser] [--port P]` and `disconnect` as a user runs
them: a subprocess, the address pasted on stdin, no secret in the output."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import harvest_connect as hc

from _oauth_support import make_cli_home, printed_url, query


@pytest.fixture
def home(tmp_path, emu):
    return make_cli_home(tmp_path / "home", emu, "CLI app")


def cli(home: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    env["BROWSER"] = "false"  # never a real browser from these tests
    return subprocess.Popen([sys.executable, "-m", "harvest_connect.cli", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_no_browser_prints_the_address_and_takes_the_pasted_one(home, emu):
    proc = cli(home, "authorize", "acme", "--no-browser", "--timeout", "30")
    assert proc.stderr is not None and proc.stdin is not None
    url = printed_url(proc)
    redirect = emu.approve(url)
    proc.stdin.write(redirect + "\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "'acme' is authorized" in out
    secret = home.joinpath("secret").read_text()
    for value in (secret, str(emu.account_id), query(redirect)["code"]):
        assert value not in out and value not in err

    proc = cli(home, "disconnect", "acme")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "disconnected" in out
    with hc.Store.open(home / "store.db", key_file=home / "master.key") as store:
        assert store.connection("acme").status == "not_authorized"


def test_port_in_use_names_the_port(home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = cli(home, "authorize", "acme", "--no-browser", "--port", str(port))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert f"port {port}" in err and "another program" in err


def test_timeout_exits_with_a_failure(home):
    proc = cli(home, "authorize", "acme", "--no-browser", "--timeout", "1")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "nothing was changed" in err
