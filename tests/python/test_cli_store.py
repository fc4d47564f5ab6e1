"""The CLI as a user runs it: a subprocess, secrets on stdin, none of them in its output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import harvest_connect as hc

CLIENT_SECRET = "cli-client-secret-FNORD-4242"
ACCOUNT = "3141592653"
NEW_SECRET = "cli-client-secret-second-0909"
PAT = "cli-pat-token-XYZZY-1111"


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


def run(home: Path, *args: str, stdin: str = "", env_extra=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=60)
    for secret in (CLIENT_SECRET, ACCOUNT, NEW_SECRET, PAT):
        assert secret not in proc.stdout and secret not in proc.stderr, (args, proc.stdout, proc.stderr)
    return proc


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr
    return proc


def test_round_trip(home):
    ok(run(home, "clients", "add", "harvest-app", "--client-id", "cid-1", "--client-secret-stdin",
           stdin=CLIENT_SECRET + "\n"))
    ok(run(home, "connections", "add", "acme", "--oauth-client", "harvest-app", "--account-id-stdin",
           "--user-agent", "Acme (ops@acme.test)", stdin=ACCOUNT + "\n"))
    out = ok(run(home, "clients", "list")).stdout
    assert "harvest-app" in out and "cid-1" in out
    out = ok(run(home, "connections", "list")).stdout
    assert "acme" in out and "not_authorized" in out and "set (encrypted)" in out
    listed = json.loads(ok(run(home, "connections", "list", "--json")).stdout)
    # The account ID is write-only: the listing says it is set, with no stand-in value.
    assert listed[0]["name"] == "acme" and listed[0]["has_account_id"] is True and "account_id" not in listed[0]
    out = ok(run(home, "connections", "show", "acme")).stdout
    assert "https://api.harvestapp.com/v2" in out and "Harvest-Account-Id" in out
    shown = json.loads(ok(run(home, "connections", "show", "acme", "--json")).stdout)
    assert shown["http_settings"]["oauth2"]["client_secret"] == "••••••"
    assert json.loads(ok(run(home, "clients", "list", "--json")).stdout)[0]["client_secret"] == "••••••"

    ok(run(home, "connections", "edit", "acme", "--name", "acme-corp", "--account-id-stdin", stdin=ACCOUNT + "\n"))
    ok(run(home, "clients", "edit", "harvest-app", "--scope", "harvest:3141592653", "--client-secret-stdin",
           stdin=NEW_SECRET + "\n"))
    assert ok(run(home, "doctor")).stdout.strip().endswith("nothing to do")
    ok(run(home, "connections", "add", "pat", "--personal-access-token", "--account-id-stdin",
           "--access-token-stdin", stdin=ACCOUNT + "\n" + PAT + "\n"))

    # remove: refused while in use (bad input), then in order
    assert run(home, "clients", "remove", "harvest-app").returncode == 2
    ok(run(home, "connections", "remove", "acme-corp"))
    ok(run(home, "connections", "remove", "pat"))
    ok(run(home, "clients", "remove", "harvest-app"))
    assert json.loads(ok(run(home, "connections", "list", "--json")).stdout) == []

    # and the store files never held the secrets
    for p in home.iterdir():
        data = p.read_bytes()
        for s in (CLIENT_SECRET, ACCOUNT, NEW_SECRET, PAT):
            assert s.encode() not in data, p


@pytest.mark.parametrize("args", [
    ["clients", "add", "x", "--client-id", "c", "--client-secret", "hunter2-hunter2"],
    ["connections", "add", "x", "--oauth-client", "c", "--account-id", "hunter2-hunter2"],
    ["connections", "add", "x", "--personal-access-token", "--token=hunter2-hunter2"],
    ["--passphrase", "hunter2-hunter2", "clients", "list"],
])
def test_secrets_on_argv_are_refused(home, args):
    proc = run(home, *args)
    assert proc.returncode == 2
    assert "command line" in proc.stderr
    assert "hunter2-hunter2" not in proc.stderr + proc.stdout
    assert not (home / "store.db").exists()


def test_a_client_id_that_begins_with_a_dash_is_taken_as_the_value(home):
    # Harvest's client IDs are random URL-safe base64: one in 64 begins with "-", which
    # argparse alone would take for an option ("expected one argument").
    ok(run(home, "clients", "add", "app", "--client-id", "-lqVUksbhHwaj0WDk", "--client-secret-stdin",
           stdin=CLIENT_SECRET + "\n"))
    ok(run(home, "clients", "edit", "app", "--client-id", "--dash-dash-id"))
    assert json.loads(ok(run(home, "clients", "list", "--json")).stdout)[0]["client_id"] == "--dash-dash-id"
    # An option name after --client-id is still a missing value, and "--" still ends options.
    proc = run(home, "clients", "add", "x", "--client-id", "--client-secret-stdin")
    assert proc.returncode == 2 and "expected one argument" in proc.stderr


def test_no_terminal_and_no_stdin_flag_is_bad_input(home):
    proc = run(home, "clients", "add", "x", "--client-id", "c")
    assert proc.returncode == 2 and "--client-secret-stdin" in proc.stderr


def test_validation_errors_exit_2_and_name_the_field(home):
    ok(run(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin", stdin="s3cret\n"))
    proc = run(home, "connections", "add", "x", "--oauth-client", "app", "--account-id-stdin", stdin="12ab\n")
    assert proc.returncode == 2 and "account_id: must be digits only" in proc.stderr
    proc = run(home, "connections", "show", "missing")
    assert proc.returncode == 2 and "no connection named 'missing'" in proc.stderr


def test_key_rotate_replaces_the_default_key_file_and_keeps_the_old_one(home):
    ok(run(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin", stdin=CLIENT_SECRET + "\n"))
    key_file = home / "master.key"
    old_key = hc._core._load_key_file(str(key_file))
    out = ok(run(home, "key", "rotate", "--data-key")).stdout
    assert "master.key.old" in out
    assert hc._core._load_key_file(str(home / "master.key.old")) == old_key
    new_key = hc._core._load_key_file(str(key_file))
    assert new_key != old_key
    assert not (home / "master.key.new").exists()
    ok(run(home, "doctor"))
    with pytest.raises(hc.KeyMismatchError):
        hc.Store.open(home / "store.db", key=old_key)
    with hc.Store.open(home / "store.db", key=new_key) as s:
        assert [c.name for c in s.oauth_clients()] == ["app"]


def test_key_rotate_to_a_new_file(home, tmp_path):
    ok(run(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin", stdin=CLIENT_SECRET + "\n"))
    target = tmp_path / "next.key"
    ok(run(home, "key", "rotate", "--new-key-file", str(target)))
    assert run(home, "clients", "list").returncode == 1  # the default key file is now the wrong key
    ok(run(home, "--key-file", str(target), "clients", "list"))


def test_passphrase_from_stdin(home):
    ok(run(home, "--passphrase-stdin", "clients", "add", "app", "--client-id", "c", "--client-secret-stdin",
           stdin="pass phrase words\n" + CLIENT_SECRET + "\n"))
    assert not (home / "master.key").exists()
    assert run(home, "--passphrase-stdin", "clients", "list", stdin="wrong\n").returncode == 1
    assert "app" in ok(run(home, "--passphrase-stdin", "clients", "list", stdin="pass phrase words\n")).stdout


def test_doctor_reports_a_moved_value(home):
    ok(run(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin", stdin=CLIENT_SECRET + "\n"))
    for name in ("a", "b"):
        ok(run(home, "connections", "add", name, "--oauth-client", "app", "--account-id-stdin", stdin=ACCOUNT + "\n"))
    db = sqlite3.connect(home / "store.db")
    db.execute("UPDATE connections SET account_id = (SELECT account_id FROM connections WHERE name = 'a') "
               "WHERE name = 'b'")
    db.commit()
    db.close()
    proc = run(home, "doctor")
    assert proc.returncode == 1
    assert "connection 'b' field account_id" in proc.stdout
