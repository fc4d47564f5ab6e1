"""Row authenticators through the Python package: a row changed behind the store's back
(here with Python's sqlite3) is refused before anything from it is used, so no request
reaches any server; verify() names it. And key rotation really retires the old key: a fresh
data key by default, and no old wrapped key or sealed value left in the -wal file."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Callable, List, Tuple

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

from _harvest_support import Env


@pytest.fixture
def servers(harvest_env: Callable[..., Env], emulator: Callable[..., HarvestEmulator]) -> Tuple[Env, HarvestEmulator]:
    """The connection's real (emulated) Harvest, authorized; and a second server standing for
    the place an attacker points the store at."""
    env = harvest_env(entries=5)
    evil = emulator(entries=5, tls=False)
    env.conn().api().get("/users/me")  # works before the edit
    return env, evil


def edit(path: Path, statement: str, *params: object) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(statement, params)
        db.commit()
    finally:
        db.close()


def no_request_reaches(*servers: HarvestEmulator) -> None:
    for s in servers:
        assert s.request_log() == []


EDITS = [
    ("connections", "id_url = ?", "id_url"),
    ("connections", "api_url = ?", "api_url"),
    ("oauth_clients", "token_url = ?", "token_url"),
    ("oauth_clients", "client_credentials = 'basic'", None),
    ("connections", "user_agent = 'Someone Else (x@example.com)'", None),
    ("connections", "status = 'not_authorized'", None),
]


@pytest.mark.parametrize("table,assignment,url", EDITS, ids=[e[1].split(" ")[0] for e in EDITS])
def test_a_tampered_row_sends_nothing_anywhere(servers: Tuple[Env, HarvestEmulator], table: str,
                                              assignment: str, url: str) -> None:
    env, evil = servers
    conn = env.conn()
    target = {"id_url": evil.id_url, "api_url": evil.api_url,
              "token_url": evil.id_url + "/api/v2/oauth2/token"}.get(url or "")
    params = (target,) if target else ()
    edit(env.path, f"UPDATE {table} SET {assignment}", *params)
    env.emu.clear_request_log()
    evil.clear_request_log()
    # A leeway longer than the token's life: the call would refresh first, posting the
    # refresh token and the client secret to id_url/token_url.
    with pytest.raises(hc.DecryptionError, match="integrity check failed") as e:
        conn.api(refresh_leeway=10**9).get("/users/me")
    assert "'acme'" in str(e.value) or "'app'" in str(e.value)
    assert "backup" in str(e.value)
    with pytest.raises(hc.DecryptionError):
        conn.test()
    with pytest.raises(hc.DecryptionError):
        env.store.connection("acme")
    with pytest.raises(hc.DecryptionError):
        env.store.connections()
    with pytest.raises(hc.DecryptionError):
        conn.disconnect()  # would revoke at the (changed) revoke endpoint
    no_request_reaches(env.emu, evil)
    problems = env.store.verify()
    assert [(p.table, p.record, p.field) for p in problems] == [
        ("oauth_client" if table == "oauth_clients" else "connection", "app" if table == "oauth_clients" else "acme",
         "row")]


def test_a_tampered_pending_authorization_exchanges_no_code(servers: Tuple[Env, HarvestEmulator]) -> None:
    env, evil = servers
    conn = env.conn()
    redirected = env.emu.approve(conn.authorization_url())  # the user approves at the server
    # The verifier and redirect URI would go to the token endpoint with the code.
    edit(env.path, "UPDATE pending_authorizations SET redirect_uri = 'http://127.0.0.1:9/elsewhere'")
    env.emu.clear_request_log()
    with pytest.raises(hc.DecryptionError, match="pending authorization"):
        conn.complete_authorization(redirected)
    no_request_reaches(env.emu, evil)
    assert [(p.table, p.field) for p in env.store.verify()] == [("pending_authorization", "row")]


def test_a_repointed_connection_sends_nothing(servers: Tuple[Env, HarvestEmulator]) -> None:
    env, evil = servers
    other = evil.register_app("evil", "http://127.0.0.1:8765/callback")
    env.store.create_oauth_client("other", client_id=other.client_id, client_secret=other.client_secret,
                                  token_url=evil.id_url + "/api/v2/oauth2/token")
    conn = env.conn()
    edit(env.path, "UPDATE connections SET oauth_client_id = (SELECT id FROM oauth_clients WHERE name = 'other')")
    env.emu.clear_request_log()
    evil.clear_request_log()
    with pytest.raises(hc.DecryptionError, match="'acme'"):
        conn.api(refresh_leeway=10**9).get("/users/me")
    no_request_reaches(env.emu, evil)
    assert [(p.record, p.field) for p in env.store.verify()] == [("acme", "row")]


def test_a_replayed_refresh_token_from_a_backup_is_refused(servers: Tuple[Env, HarvestEmulator],
                                                          tmp_path: Path) -> None:
    env, _ = servers
    backup = tmp_path / "backup.db"
    src = sqlite3.connect(env.path)
    dst = sqlite3.connect(backup)
    src.backup(dst)
    src.close()
    dst.close()
    env.conn().api(refresh_leeway=10**9).get("/users/me")  # refreshes: new tokens
    db = sqlite3.connect(env.path)
    db.execute("ATTACH ? AS b", (str(backup),))
    db.execute("UPDATE connections SET refresh_token = (SELECT refresh_token FROM b.connections "
               "WHERE b.connections.uid = connections.uid)")
    db.commit()
    db.close()
    with pytest.raises(hc.DecryptionError, match="integrity"):
        env.conn()
    assert [(p.record, p.field) for p in env.store.verify()] == [("acme", "row")]


# --- key rotation ---------------------------------------------------------------------

def _meta(path: Path, key: str) -> bytes:
    db = sqlite3.connect(path)
    try:
        return bytes(db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])
    finally:
        db.close()


def _sealed_values(path: Path) -> List[bytes]:
    db = sqlite3.connect(path)
    try:
        out = [bytes(r[0]) for r in db.execute("SELECT client_secret FROM oauth_clients")]
        for row in db.execute("SELECT account_id, personal_access_token, access_token, refresh_token "
                              "FROM connections"):
            out += [bytes(v) for v in row if v is not None]
        return out
    finally:
        db.close()


def _files(path: Path) -> List[Path]:
    return [p for p in (Path(str(path) + s) for s in ("", "-wal", "-shm", "-journal")) if p.exists()]


def _populated(tmp_path: Path) -> Tuple[Path, hc.Key]:
    key = hc.Key.generate()
    path = tmp_path / "store.db"
    with hc.Store.open(path, key=key) as store:
        store.create_oauth_client("app", client_id="client-id", client_secret="client-secret-value-1")
        store.create_connection("acme", oauth_client="app", account_id="123")
        store.create_token_connection("pat", access_token="personal-token-value-1", account_id="456")
    return path, key


@pytest.mark.parametrize("how", ["key", "passphrase"])
def test_rotate_key_leaves_no_old_wrapped_key_or_sealed_value_in_any_file(tmp_path: Path, how: str) -> None:
    path, key = _populated(tmp_path)
    old_wrapped = _meta(path, "wrapped_data_key")
    old_sealed = _sealed_values(path)
    with hc.Store.open(path, key=key) as store:
        store.connections()  # the store holds the file open, in WAL mode with secure_delete
        if how == "key":
            store.rotate_key(hc.Key.generate())
        else:
            store.rotate_key(passphrase="a long enough passphrase 1")
        for p in _files(path):  # while the store is still open
            data = p.read_bytes()
            assert old_wrapped not in data, p.name
            assert [v for v in old_sealed if v in data] == [], p.name


def test_deleting_leaves_no_sealed_value_in_any_file(tmp_path: Path) -> None:
    path, key = _populated(tmp_path)
    with hc.Store.open(path, key=key) as store:
        store.connections()
        pat = [v for v in _sealed_values(path)]
        store.delete_connection("pat")
        store.delete_connection("acme")
        store.delete_oauth_client("app")
        for p in _files(path):
            data = p.read_bytes()
            assert [v for v in pat if v in data] == [], p.name


def test_the_old_key_no_longer_opens_the_store_even_with_an_old_wrapped_key(tmp_path: Path) -> None:
    path, key = _populated(tmp_path)
    old_wrapped = _meta(path, "wrapped_data_key")
    with hc.Store.open(path, key=key) as store:
        store.rotate_key(hc.Key.generate())
    with pytest.raises(hc.KeyMismatchError):
        hc.Store.open(path, key=key)
    # The old wrapped data key, from a backup (or a -wal file), put back: the old key opens
    # the file again, but not one current row or field, since the data key is new.
    edit(path, "UPDATE meta SET value = ? WHERE key = 'wrapped_data_key'", old_wrapped)
    with hc.Store.open(path, key=key) as store:
        with pytest.raises(hc.DecryptionError):
            store.connection("acme")
        problems = store.verify()
        assert {(p.record, p.field) for p in problems} >= {("app", "row"), ("acme", "row"), ("pat", "row"),
                                                          ("app", "client_secret"), ("acme", "account_id"),
                                                          ("pat", "personal_access_token")}


def test_keep_data_key_only_rewraps(tmp_path: Path) -> None:
    path, key = _populated(tmp_path)
    sealed = _sealed_values(path)
    new = hc.Key.generate()
    with hc.Store.open(path, key=key) as store:
        store.rotate_key(new, keep_data_key=True)
    assert _sealed_values(path) == sealed
    with hc.Store.open(path, key=new) as store:
        assert store.verify() == []
        store.rotate_key(key)  # the default: every value re-sealed
    assert set(_sealed_values(path)).isdisjoint(sealed)
    with hc.Store.open(path, key=key) as store:
        assert store.verify() == []
        assert [c.name for c in store.connections()] == ["acme", "pat"]


def _cli(home: Path, *args: str, stdin: str = "") -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=60)


def test_cli_key_rotate_takes_a_fresh_data_key_unless_told_to_keep_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _cli(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin",
                stdin="client-secret-value-1\n")
    assert proc.returncode == 0, proc.stderr
    db = home / "store.db"
    sealed = _sealed_values(db)
    proc = _cli(home, "key", "rotate", "--keep-data-key")
    assert proc.returncode == 0, proc.stderr
    assert _sealed_values(db) == sealed
    (home / "master.key.old").unlink()
    proc = _cli(home, "key", "rotate")
    assert proc.returncode == 0, proc.stderr
    assert set(_sealed_values(db)).isdisjoint(sealed)
    assert _cli(home, "doctor").returncode == 0
    proc = _cli(home, "key", "rotate", "--keep-data-key", "--data-key")
    assert proc.returncode == 2 and "not allowed with" in proc.stderr


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to observe fsync calls")
def test_key_rotate_fsyncs_the_directory_after_creating_and_renaming_key_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "clients", "add", "app", "--client-id", "c", "--client-secret-stdin",
                stdin="client-secret-value-1\n").returncode == 0
    trace = tmp_path / "trace.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    proc = subprocess.run(["strace", "-f", "-qq", "-o", str(trace), "-e",
                           "trace=openat,open,fsync,rename,renameat,renameat2,close",
                           sys.executable, "-m", "harvest_connect.cli", "key", "rotate"],
                          text=True, capture_output=True, env=env, timeout=120)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip("strace cannot trace here: " + proc.stderr.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stderr
    events: List[str] = []  # "dirsync", "create", "rename", in order
    dir_fds = set()
    for line in trace.read_text().splitlines():
        line = re.sub(r"^\d+\s+", "", line)  # strace -f prefixes the thread id
        if "O_DIRECTORY" in line and f'"{home}"' in line and "= " in line:
            fd = line.rsplit("= ", 1)[1].split()[0]
            if fd.isdigit():
                dir_fds.add(fd)
        elif line.startswith("fsync(") and line[6:].split(")")[0] in dir_fds:
            events.append("dirsync")
        elif line.startswith("close(") and line[6:].split(")")[0] in dir_fds:
            dir_fds.discard(line[6:].split(")")[0])
        elif "master.key.new" in line and "O_CREAT" in line:
            events.append("create")
        elif line.startswith("rename") and "master.key" in line:
            events.append("rename")
    # Each new name is followed by a directory fsync before the command ends.
    assert events.count("create") == 1 and events.count("rename") == 2, events
    last_create = events.index("create")
    assert "dirsync" in events[last_create:events.index("rename")], events
    assert events[-1] == "dirsync", events
