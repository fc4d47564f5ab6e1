"""Incremental pulls (api.pull, harvest_connect/pull.py) against the emulator: across runs
with updates between them, updates in the mark's second, a crash between reading and
committing, reset and full refreshes, and the errors. The stored state's own tests are C++
(tests/cpp/test_store_pull_state.cpp, test_store_integrity.cpp)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import harvest_connect as hc

from _harvest_support import Env

WORKER = Path(__file__).with_name("_pull_worker.py")
ENTRIES = 60


@pytest.fixture
def env(harvest_env: Callable[..., Env]) -> Env:
    return harvest_env(entries=ENTRIES)  # conftest: an emulator, a store, "acme" authorized


def ts(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def updated_since_sent(env: Env) -> List[Optional[str]]:
    """The updated_since of every time_entries request the emulator saw, oldest first."""
    out: List[Optional[str]] = []
    for entry in env.emu.request_log():
        target = urllib.parse.urlsplit(entry["target"])
        if target.path == "/v2/time_entries":
            out.append(dict(urllib.parse.parse_qsl(target.query)).get("updated_since"))
    return out


def pull_all(api: Any, state: str = "daily", path: str = "/time_entries", **kw: Any) -> List[Dict[str, Any]]:
    with api.pull(path, state=state, **kw) as p:
        return list(p)


def test_first_pull_takes_everything_and_later_ones_only_what_changed(env: Env) -> None:
    api = env.conn().api()
    first = pull_all(api)
    assert len(first) == ENTRIES and len({r["id"] for r in first}) == ENTRIES
    mark = max(ts(r["updated_at"]) for r in first)
    stored = env.store.pull_state("acme", "daily")
    assert stored.path == "/time_entries"
    assert stored.mark_timestamp == mark  # Harvest's updated_at, not this machine's clock
    assert updated_since_sent(env) == [None]

    changed = [first[3]["id"], first[40]["id"]]
    env.emu.update_time_entry(changed[0], notes="edited once", updated_at=mark + 100)
    env.emu.update_time_entry(changed[1], notes="edited twice", updated_at=mark + 200)
    env.emu.clear_request_log()
    second = pull_all(api)
    assert sorted(r["id"] for r in second) == sorted(changed)
    assert {r["notes"] for r in second} == {"edited once", "edited twice"}
    # The mark minus the default overlap of 60 s, in Harvest's format.
    expected = dt.datetime.fromtimestamp(mark - 60, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert updated_since_sent(env) == [expected]
    assert env.store.pull_state("acme", "daily").mark_timestamp == mark + 200

    # Nothing changed: nothing comes, although the overlap asks for the last minute again.
    assert pull_all(api) == []
    assert env.store.pull_state("acme", "daily").mark_timestamp == mark + 200


def test_a_record_updated_in_the_marks_second_is_not_missed_nor_repeated(env: Env) -> None:
    api = env.conn().api()
    first = pull_all(api, overlap=0)
    mark = max(ts(r["updated_at"]) for r in first)
    at_mark = [r["id"] for r in first if ts(r["updated_at"]) == mark]
    assert env.store.pull_state("acme", "daily").recent == [(i, mark) for i in sorted(at_mark)]

    # Another entry changes within the same second as the newest one already delivered.
    other = next(r["id"] for r in first if r["id"] not in at_mark)
    env.emu.update_time_entry(other, notes="same second", updated_at=mark)
    env.emu.clear_request_log()
    second = pull_all(api, overlap=0)
    assert [r["id"] for r in second] == [other]  # the ones at the mark came again and were dropped
    assert updated_since_sent(env) == [dt.datetime.fromtimestamp(mark, dt.timezone.utc)
                                       .strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert sorted(env.store.pull_state("acme", "daily").recent) == sorted((i, mark) for i in at_mark + [other])
    assert pull_all(api, overlap=0) == []


def test_the_overlap_catches_a_record_whose_updated_at_is_just_before_the_mark(env: Env) -> None:
    # An update that Harvest committed a little late: its updated_at is before the mark the
    # last pull stored. The default overlap (60 s) asks for it again; overlap=0 would not.
    api = env.conn().api()
    first = pull_all(api)
    mark = max(ts(r["updated_at"]) for r in first)
    late = first[10]["id"]
    env.emu.update_time_entry(late, notes="late", updated_at=mark - 30)
    assert [r["id"] for r in pull_all(api)] == [late]
    assert pull_all(api) == []


def test_a_crash_between_reading_and_committing_repeats_the_pull(env: Env) -> None:
    api = env.conn().api()
    first = pull_all(api)
    mark = max(ts(r["updated_at"]) for r in first)
    changed = sorted([first[1]["id"], first[2]["id"], first[50]["id"]])
    for n, entry_id in enumerate(changed):
        env.emu.update_time_entry(entry_id, notes=f"change {n}", updated_at=mark + 10 + n)

    child = subprocess.run([sys.executable, str(WORKER), str(env.path), "daily"], env=env.child_env(),
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr  # killed before its commit
    assert sorted(json.loads(child.stdout)) == changed  # it had read them all
    assert env.store.pull_state("acme", "daily").mark_timestamp == mark  # the mark did not move

    # The next pull gets them again: nothing is lost.
    assert sorted(r["id"] for r in pull_all(api)) == changed
    assert pull_all(api) == []


def test_the_mark_moves_only_after_every_record_was_read(env: Env) -> None:
    api = env.conn().api()
    with pytest.raises(hc.HarvestConnectError, match="not every record was read"):
        with api.pull("/time_entries", state="daily") as p:
            for _ in p:
                break
    assert env.store.pull_state("acme", "daily") is None

    class Stop(Exception):
        pass

    with pytest.raises(Stop):
        with api.pull("/time_entries", state="daily") as p:
            for _ in p:
                raise Stop
    assert env.store.pull_state("acme", "daily") is None

    p = api.pull("/time_entries", state="daily")
    records = list(p)
    assert env.store.pull_state("acme", "daily") is None  # not without commit()
    p.commit()
    assert p.committed and p.count == len(records) == ENTRIES
    assert env.store.pull_state("acme", "daily") is not None
    with pytest.raises(hc.HarvestConnectError, match="read once"):
        list(p)


def test_reset_and_full_take_everything_again(env: Env) -> None:
    api = env.conn().api()
    first = pull_all(api)
    env.emu.update_time_entry(first[5]["id"], notes="changed")
    assert len(pull_all(api, full=True)) == ENTRIES  # everything, not only the change
    assert pull_all(api) == []

    p = api.pull("/time_entries", state="daily")
    assert p.mark is not None
    p.reset()
    assert env.store.pull_state("acme", "daily") is None  # forgotten at once
    assert p.mark is None and p.updated_since is None
    with p:
        assert len(list(p)) == ENTRIES
    assert env.store.pull_state("acme", "daily") is not None
    assert pull_all(api) == []


def test_since_starts_a_first_pull_from_a_date(env: Env) -> None:
    api = env.conn().api()
    everything = pull_all(api, state="all")
    times = sorted(ts(r["updated_at"]) for r in everything)
    cut = times[len(times) // 2]
    since = dt.datetime.fromtimestamp(cut, dt.timezone.utc)
    got = pull_all(api, state="recent", since=since)
    assert sorted(ts(r["updated_at"]) for r in got) == [t for t in times if t >= cut]
    as_text = pull_all(api, state="as-text", since=since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert sorted(r["id"] for r in as_text) == sorted(r["id"] for r in got)
    day = since.date()
    from_day = pull_all(api, state="from-day", since=day.isoformat())  # midnight UTC
    assert from_day and all(ts(r["updated_at"]) >= ts(day.isoformat() + "T00:00:00Z") for r in from_day)
    with pytest.raises(hc.ValidationError, match="aware"):
        api.pull("/time_entries", state="x", since=dt.datetime(2024, 1, 1))
    with pytest.raises(hc.ValidationError, match="since"):
        api.pull("/time_entries", state="x", since="yesterday")


def test_states_are_per_endpoint_and_filters(env: Env) -> None:
    api = env.conn().api()
    pull_all(api, state="daily")
    with pytest.raises(hc.ValidationError, match="belongs to /time_entries, not /projects") as err:
        api.pull("/projects", state="DAILY")  # names compare ignoring case
    assert "delete_pull_state" in str(err.value)
    with pytest.raises(hc.ValidationError, match=r"not /time_entries\?project_id=1"):
        api.pull("/time_entries", state="daily", params={"project_id": 1})
    # per_page does not change which records match; a leading /v2 is the same endpoint.
    assert pull_all(api, state="daily", params={"per_page": 7}) == []
    with api.pull("/v2/time_entries/", state="daily") as p:
        assert list(p) == []
    for bad in ["", "has space", "x" * 101, "a;b", "caf\u00e9"]:
        with pytest.raises(hc.ValidationError, match="state:"):
            api.pull("/time_entries", state=bad)
    with pytest.raises(hc.ValidationError, match="updated_since"):
        api.pull("/time_entries", state="other", params={"updated_since": "2024-01-01T00:00:00Z"})
    with pytest.raises(hc.ValidationError, match="path"):
        api.pull(env.emu.api_url + "/time_entries", state="other")
    with pytest.raises(hc.ValidationError, match="overlap"):
        api.pull("/time_entries", state="other", overlap=-1)
    assert [s.name for s in env.store.pull_states("acme")] == ["daily"]


def test_other_endpoints_pull_too(env: Env) -> None:
    api = env.conn().api()
    projects = pull_all(api, state="projects-all", path="/projects")
    assert len(projects) == len(list(api.paginate("/projects")))
    assert env.store.pull_state("acme", "projects-all").path == "/projects"
    assert pull_all(api, state="projects-all", path="/projects") == []


def test_a_state_changed_outside_harvest_connect_is_refused(env: Env) -> None:
    api = env.conn().api()
    pull_all(api)
    # Moving the mark a day forward would make the next pull skip a day of changes silently.
    with sqlite3.connect(env.path) as db:
        db.execute("UPDATE pull_states SET mark = mark + 86400")
    db.close()
    with pytest.raises(hc.DecryptionError, match="integrity check failed: the pull state 'daily'"):
        api.pull("/time_entries", state="daily")
    assert any(p.table == "pull_state" and p.record == "daily" for p in env.store.verify())
    assert env.store.delete_pull_state("acme", "daily")  # the way out: start afresh
    assert len(pull_all(api)) == ENTRIES


def test_deleting_the_connection_deletes_its_states(env: Env) -> None:
    pull_all(env.conn().api())
    assert env.store.pull_states("acme")
    env.store.delete_connection("acme")
    with sqlite3.connect(env.path) as db:
        assert db.execute("SELECT count(*) FROM pull_states").fetchone()[0] == 0
    db.close()


# -- table mode: Pull.to_arrow() chooses the rows of the table api.to_arrow builds ---------------

def _arrow_stand_in(self: Any, path: str, params: Any = None, *, columns: Any = None) -> Any:
    """api.to_arrow's contract, built from paginate: the pull's row selection is tested apart
    from the Arrow builder (harvest_connect/tables.py)."""
    pa = pytest.importorskip("pyarrow")
    records = list(self.paginate(path, params))
    table = pa.table({
        "id": pa.array([r["id"] for r in records], pa.int64()),
        "updated_at": pa.array([dt.datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00"))
                                for r in records], pa.timestamp("us", tz="UTC")),
        "notes": pa.array([r["notes"] for r in records], pa.string()),
    })
    return table if columns is None else table.select(list(columns))


def _pull_tables(env: Env, api: Any) -> None:
    with api.pull("/time_entries", state="tables", overlap=0) as p:
        first = p.to_arrow(columns=["notes"])
    assert first.column_names == ["notes"] and first.num_rows == ENTRIES
    stored = env.store.pull_state("acme", "tables")
    mark = stored.mark_timestamp
    changed = 636700009
    env.emu.update_time_entry(changed, notes="as a table", updated_at=mark)  # the mark's second
    with api.pull("/time_entries", state="tables", overlap=0) as p:
        second = p.to_arrow()
    assert second.column("id").to_pylist() == [changed]  # the rows at the mark were dropped
    assert second.column("notes").to_pylist() == ["as a table"]
    assert (changed, mark) in env.store.pull_state("acme", "tables").recent
    p = api.pull("/time_entries", state="tables", overlap=0)
    assert p.to_arrow().num_rows == 0
    p.commit()


def test_a_pull_as_a_table_drops_what_was_delivered(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    monkeypatch.setattr(hc.HarvestClient, "to_arrow", _arrow_stand_in, raising=False)
    _pull_tables(env, env.conn().api())


@pytest.mark.skipif(not hasattr(hc.HarvestClient, "to_arrow"), reason="api.to_arrow comes with the Arrow tables")
def test_a_pull_as_a_table_with_the_arrow_builder(env: Env) -> None:
    pytest.importorskip("pyarrow")
    _pull_tables(env, env.conn().api())
