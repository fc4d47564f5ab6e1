"""Numbers a server controls are bounded (issue 12 §2): no stored token expiry, however large
or small (stores of older versions kept an unbounded expires_in), makes a property raise or
`connections list --json` fail."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harvest_connect as hc


ACCOUNT = "3141592653"
CLIENT_SECRET = "numbers-client-secret-7777"

# A version 1 store (before row authenticators, so sqlite3 could write anything) holding what
# older versions could have stored: now + an unbounded expires_in, overflowed or not, and
# values past year 9999 (where Python's datetime ends). tests/data/stores/README.md.
OLD_STORES = Path(__file__).resolve().parent.parent / "data" / "stores"
STORED_EXPIRIES = [2**63 - 1, -(2**63), 260_000_000_000, -70_000_000_000, 253_402_300_800, 1e300]


@pytest.fixture
def store_path(tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copyfile(OLD_STORES / "store-v1-stored-expiries.db", path)
    os.chmod(path, 0o600)
    key = hc.Key.from_base64((OLD_STORES / "store-v1-stored-expiries.key").read_text().strip())
    return path, key


@pytest.mark.parametrize("index", range(len(STORED_EXPIRIES)))
def test_no_property_raises_on_a_stored_expiry(store_path, index):
    path, key = store_path
    stored = STORED_EXPIRIES[index]
    with hc.Store.open(path, key=key) as store:   # migrates the version 1 store
        conn = store.connection(f"acme{index}")
        when = conn.token_expires_at
        assert isinstance(when, datetime.datetime) and when.tzinfo is not None
        if stored > 0:
            assert when.year == 9999 if stored > 253_402_300_799 else when.year >= 1970
        else:
            assert when.year == 1
        repr(conn)
        for c in store.connections():
            _ = (c.token_expires_at, c.created_at, c.updated_at, c.status, c.last_error)
        assert store.verify() == []


def test_connections_list_json_shows_a_huge_stored_expiry(store_path):
    path, key = store_path
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_KEY"] = key.to_base64()
    env["HARVEST_CONNECT_HOME"] = str(path.parent / "home")
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "--store", str(path), "connections", "list",
                           "--json"], text=True, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    listed = {c["name"]: c for c in json.loads(proc.stdout)}
    assert listed["acme0"]["token_expires_at"].startswith("9999-12-31T23:59:59")
    assert ACCOUNT not in proc.stdout + proc.stderr and CLIENT_SECRET not in proc.stdout + proc.stderr


# --- through the emulator: what a server sends ------------------------------------------

@pytest.fixture
def emulated(harvest_env):
    """emulated(**options): (the emulator, its authorized Env), 30 entries unless options say."""
    def start(**options: object):
        options.setdefault("entries", 30)
        env = harvest_env(**options)
        return env.emu, env
    return start


@pytest.mark.parametrize("expires_in", ["9223372036854775807", "18446744073709551615", "260000000000"])
def test_a_huge_expires_in_is_stored_as_at_most_a_year(emulated, expires_in):
    emu, env = emulated(expires_in_json=expires_in)
    when = env.conn().token_expires_at
    now = datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(days=364) < when - now <= datetime.timedelta(days=367)
    assert env.conn().api().get("/users/me")["id"] == emu.default_user()["id"]


def test_a_429_without_retry_after_on_reports_raises_with_the_window(emulated):
    emu, env = emulated()
    api = env.conn().api()
    emu.set_faults(path_prefix="/v2/reports/", error_next=1, error_status=429, bare_errors=True)
    emu.clear_request_log()
    with pytest.raises(hc.RateLimitedError) as info:
        api.get("/reports/time/clients", {"from": "20240101", "to": "20240131"})
    assert info.value.retry_after == 900.0
    assert "without Retry-After" in str(info.value)
    assert len(emu.request_log()) == 1  # not retried at once, and the empty body not decoded


def test_a_huge_retry_after_ends_the_call_at_once(emulated):
    emu, env = emulated()
    api = env.conn().api()
    emu.set_faults(path_prefix="/v2/users/me", error_next=1, error_status=429,
                   retry_after_header="10000000000000000", bare_errors=True)
    emu.clear_request_log()
    with pytest.raises(hc.RateLimitedError) as info:
        api.get("/users/me")
    assert info.value.retry_after == 86400.0
    assert len(emu.request_log()) == 1


def test_export_writes_one_json_value_per_line_when_the_server_indents(emulated, tmp_path):
    emu, env = emulated(indent_json=True)
    raw = env.conn().api().get("/time_entries", {"per_page": "7"})
    assert raw["time_entries"]
    out = tmp_path / "entries.jsonl"
    count = env.conn().api().export_jsonl("/time_entries", str(out), {"per_page": "7"})
    lines = out.read_text(encoding="utf-8").splitlines()
    assert count == len(lines) == emu.time_entry_count()
    records = [json.loads(line) for line in lines]
    assert records[0] == raw["time_entries"][0]
    assert all(line == line.strip() for line in lines)
