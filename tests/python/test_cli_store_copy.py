"""``harvest-connect store copy`` and ``hc.copy_store``: a whole store copied under the same
key, verified; refusals (tampered source, wrong key, non-empty target) that write nothing;
no secret in any output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import harvest_connect as hc

CLIENT_SECRET = "copy-client-secret-FNORD-7331"
ACCOUNT = "2718281828"
PAT = "copy-pat-token-PLUGH-2222"
DB_PASSWORD = "db-password-XYZZY-5150"
SECRETS = (CLIENT_SECRET, ACCOUNT, PAT, DB_PASSWORD)

#: The backends a copy goes to, one run of every test each.
TARGET_BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture(params=TARGET_BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))  # a fresh database of the private cluster
    return str(tmp_path / "copy" / "target.db")


def run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    # In the test's own directory: a relative path the command might create lands there.
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=120, cwd=home.parent)
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr, (args, proc.stdout, proc.stderr)
    return proc


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr
    return proc


def error_of(proc: subprocess.CompletedProcess, code: int) -> dict:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    return json.loads(proc.stdout)["error"]


def populate(home: Path) -> Path:
    ok(run(home, "clients", "add", "harvest-app", "--client-id", "cid-1", "--client-secret-stdin",
           stdin=CLIENT_SECRET + "\n"))
    ok(run(home, "connections", "add", "acme", "--oauth-client", "harvest-app", "--account-id-stdin",
           stdin=ACCOUNT + "\n"))
    ok(run(home, "connections", "add", "pat", "--personal-access-token", "--account-id-stdin",
           "--access-token-stdin", stdin=ACCOUNT + "\n" + PAT + "\n"))
    return home / "store.db"


def test_copies_the_store_and_the_copy_works_with_the_same_key(home: Path, target: str) -> None:
    source = populate(home)
    copied = json.loads(ok(run(home, "store", "copy", "--from", str(source), "--to", target, "--json")).stdout)
    copied = copied["copied"]
    assert copied["from"] == str(source) and copied["to"] == target and copied["verified"] is True
    assert copied["tables"]["oauth_clients"] == 1 and copied["tables"]["connections"] == 2
    assert set(copied["tables"]) >= {"meta", "oauth_clients", "connections", "pending_authorizations", "pull_states"}
    # The copy opens with the same key (the default key file) and holds the same records.
    listed = json.loads(ok(run(home, "--store", target, "connections", "list", "--json")).stdout)
    assert sorted(c["name"] for c in listed) == ["acme", "pat"]
    doctor = json.loads(ok(run(home, "--store", target, "doctor", "--json")).stdout)
    assert doctor["ok"] is True
    with hc.Store.open(target, key_file=home / "master.key") as copy, \
            hc.Store.open(source, key_file=home / "master.key") as original:
        assert copy.store_id == original.store_id == copied["store_id"]
        assert copy.verify() == []
    if not target.startswith("postgresql:"):
        data = Path(target).read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data


def test_text_output_names_both_sides_and_no_secret(home: Path, target: str) -> None:
    source = populate(home)
    out = ok(run(home, "store", "copy", "--from", str(source), "--to", target)).stdout
    assert str(source) in out and target in out and "2 connection(s)" in out and "verifies" in out


def test_a_tampered_source_is_refused_and_nothing_is_written(home: Path, target: str) -> None:
    source = populate(home)
    with sqlite3.connect(source) as db:
        db.execute("UPDATE connections SET api_url = 'https://evil.example/v2' WHERE name = 'acme'")
    err = error_of(run(home, "store", "copy", "--from", str(source), "--to", target, "--json"), 1)
    assert err["kind"] == "decryption_failed" and "acme" in err["message"] and "doctor" in err["message"]
    if not target.startswith("postgresql:"):
        assert not Path(target).exists()


def test_a_non_empty_target_is_refused_and_left_as_it_was(home: Path, target: str, tmp_path: Path) -> None:
    source = populate(home)
    other_home = tmp_path / "other"
    ok(run(other_home, "--store", target, "clients", "add", "theirs", "--client-id", "cid-2",
           "--client-secret-stdin", stdin=CLIENT_SECRET + "\n"))
    err = error_of(run(home, "store", "copy", "--from", str(source), "--to", target, "--json"), 2)
    assert err["kind"] == "validation_failed" and "not empty" in err["message"]
    listed = json.loads(ok(run(other_home, "--store", target, "clients", "list", "--json")).stdout)
    assert [c["name"] for c in listed] == ["theirs"]


def test_a_wrong_key_is_refused_and_nothing_is_written(home: Path, target: str, tmp_path: Path) -> None:
    source = populate(home)
    wrong = tmp_path / "wrong.key"
    ok(run(home, "key", "generate", "--output", str(wrong)))
    err = error_of(run(home, "--key-file", str(wrong), "store", "copy", "--from", str(source), "--to", target,
                       "--json"), 1)
    assert err["kind"] == "key_mismatch"
    if not target.startswith("postgresql:"):
        assert not Path(target).exists()


def test_a_missing_source_is_refused_and_not_created(home: Path, target: str, tmp_path: Path) -> None:
    populate(home)
    typo = tmp_path / "typo.db"
    err = error_of(run(home, "store", "copy", "--from", str(typo), "--to", target, "--json"), 2)
    assert err["kind"] == "validation_failed" and str(typo) in err["message"]
    assert not typo.exists()


@pytest.mark.parametrize("where", ["--from", "--to"])
@pytest.mark.parametrize("url", [f"postgresql://hc:{DB_PASSWORD}@127.0.0.1:9/hc",
                                 f"postgres://hc@127.0.0.1:9/hc?sslmode=verify-full&password={DB_PASSWORD}"])
def test_a_database_password_on_the_command_line_is_refused_unrepeated(home: Path, tmp_path: Path, where: str,
                                                                      url: str) -> None:
    source = populate(home)
    other = str(tmp_path / "other.db")
    sides = {"--from": str(source), "--to": other}
    sides[where] = url
    proc = run(home, "store", "copy", "--from", sides["--from"], "--to", sides["--to"], "--json")
    err = error_of(proc, 2)  # run() checked that the password is in neither output
    assert err["kind"] == "bad_input" and where in err["message"] and ".pgpass" in err["message"]
    assert not Path(other).exists()


def test_store_option_does_not_apply(home: Path, target: str) -> None:
    source = populate(home)
    err = error_of(run(home, "--store", str(source), "store", "copy", "--from", str(source), "--to", target,
                       "--json"), 2)
    assert "--from" in err["message"]


def test_copy_store_from_python(tmp_path: Path, target: str) -> None:
    key = hc.Key.generate()
    source = tmp_path / "source.db"
    with hc.Store.open(source, key=key) as s:
        s.create_oauth_client("app", client_id="cid", client_secret=CLIENT_SECRET)
        s.create_connection("acme", oauth_client="app", account_id=ACCOUNT)
    report = hc.copy_store(source, target, key=key)
    assert isinstance(report, hc.CopyReport)
    assert dict(report.tables)["connections"] == 1 and report.key_id == key.id
    assert CLIENT_SECRET not in repr(report) and ACCOUNT not in repr(report)
    with hc.Store.open(target, key=key) as copy:
        assert copy.store_id == report.store_id
        assert [c.name for c in copy.connections()] == ["acme"]
    with pytest.raises(hc.KeyMismatchError):
        hc.copy_store(source, str(tmp_path / "elsewhere.db"), key=hc.Key.generate())
    assert not (tmp_path / "elsewhere.db").exists()
