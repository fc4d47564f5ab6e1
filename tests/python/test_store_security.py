"""Secrets at rest, moved values and concurrent writers, through the Python package."""

from __future__ import annotations

import base64
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

import harvest_connect as hc

SECRETS = ["client-secret-ZORK-9911", "8080706050", "pat-token-BLORB-7733", "6060504030"]


def forms(secret: str):
    raw = secret.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw).rstrip(b"="),
            base64.urlsafe_b64encode(raw).rstrip(b"=")]


def scan(path: Path):
    found = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            data = p.read_bytes()
            found += [(p.name, f) for s in SECRETS for f in forms(s) if f in data]
    return found


def test_files_hold_no_secret(tmp_path):
    key = hc.Key.generate()
    path = tmp_path / "store.db"
    s = hc.Store.open(path, key=key)
    s.create_oauth_client("app", client_id="cid", client_secret=SECRETS[0])
    s.create_connection("acme", oauth_client="app", account_id=SECRETS[1])
    s.create_token_connection("pat", access_token=SECRETS[2], account_id=SECRETS[3])
    s.update_connection("acme", account_id=SECRETS[1], user_agent="A (a@b.c)")
    assert scan(path) == []  # while open: WAL and SHM present
    s.close()
    assert scan(path) == []


def test_value_copied_to_another_row_fails_and_others_open(tmp_path):
    key = hc.Key.generate()
    path = tmp_path / "store.db"
    with hc.Store.open(path, key=key) as s:
        s.create_oauth_client("app", client_id="cid", client_secret=SECRETS[0])
        for name, acct in (("a", "1"), ("b", "2"), ("c", "3")):
            s.create_connection(name, oauth_client="app", account_id=acct)
    db = sqlite3.connect(path)
    db.execute("UPDATE connections SET account_id = (SELECT account_id FROM connections WHERE name = 'a') "
               "WHERE name = 'b'")
    db.commit()
    db.close()
    with hc.Store.open(path, key=key) as s:
        problems = s.verify()
        # the row's authenticator fails too (tests/python/test_store_integrity.py)
        assert [(p.table, p.record, p.field) for p in problems] == [("connection", "b", "row"),
                                                                    ("connection", "b", "account_id")]
        assert "copied from another record" in problems[1].reason
        with pytest.raises(hc.DecryptionError):
            s.rotate_data_key()
        # the others stay usable; an edit cannot vouch for a tampered row: b is repaired by
        # deleting it and creating it again
        assert s.connection("a").name == "a"
        with pytest.raises(hc.DecryptionError, match="'b'"):
            s.update_connection("b", account_id="2")
        s.delete_connection("b")
        s.create_connection("b", oauth_client="app", account_id="2")
        assert s.verify() == []


def _writer(path: str, key_b64: str, prefix: str, count: int) -> None:
    with hc.Store.open(path, key=hc.Key.from_base64(key_b64)) as s:
        for i in range(count):
            s.create_connection(f"{prefix}-{i}", oauth_client="app", account_id=str(1000 + i))


@pytest.mark.slow
def test_two_processes_create_fifty_connections_each(tmp_path):
    key = hc.Key.generate()
    path = tmp_path / "store.db"
    with hc.Store.open(path, key=key) as s:
        s.create_oauth_client("app", client_id="cid", client_secret=SECRETS[0])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), key.to_base64(), f"p{n}", 50)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with hc.Store.open(path, key=key) as s:
        names = [c.name for c in s.connections()]
        assert len(names) == 100 and len(set(names)) == 100
        assert s.verify() == []
