"""Reports over any date range (api.report, harvest_connect/reports.py): windows of at most
365 days with both ends counted, across leap years; the requests the emulator saw; the
emulator's own 1-year limit; the reports rate limit kept."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

from _harvest_support import Env, make_env

D = dt.date


def report_requests(emu: HarvestEmulator) -> List[Tuple[str, str, Dict[str, str]]]:
    out = []
    for entry in emu.request_log():
        target = urllib.parse.urlsplit(entry["target"])
        if target.path.startswith("/v2/reports/"):
            q = dict(urllib.parse.parse_qsl(target.query))
            out.append((q.get("from", ""), q.get("to", ""), q))
    return out


def test_windows_across_a_leap_year_are_exact() -> None:
    # 2023-03-01..2024-02-29 is 366 days: the first window ends on the 28th, the leap day
    # starts the second, and one day is left for a third.
    assert hc.report_windows("2023-03-01", "2025-02-28") == [
        (D(2023, 3, 1), D(2024, 2, 28)),
        (D(2024, 2, 29), D(2025, 2, 27)),
        (D(2025, 2, 28), D(2025, 2, 28)),
    ]
    assert hc.report_windows(D(2024, 1, 1), D(2024, 12, 31)) == [(D(2024, 1, 1), D(2024, 12, 30)),
                                                                  (D(2024, 12, 31), D(2024, 12, 31))]
    assert hc.report_windows("20230101", "20231231") == [(D(2023, 1, 1), D(2023, 12, 31))]
    assert hc.report_windows(dt.datetime(2024, 5, 1, 23, 59), D(2024, 5, 1)) == [(D(2024, 5, 1), D(2024, 5, 1))]
    windows = hc.report_windows("2000-01-01", "2031-06-30")
    assert all((last - first).days + 1 <= 365 for first, last in windows)
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in zip(windows, windows[1:]))  # no gap, no overlap
    assert windows[0][0] == D(2000, 1, 1) and windows[-1][1] == D(2031, 6, 30)
    with pytest.raises(hc.ValidationError, match="before start"):
        hc.report_windows("2024-02-01", "2024-01-31")
    with pytest.raises(hc.ValidationError, match="start"):
        hc.report_windows("2024-13-01", "2024-12-31")


@pytest.fixture
def env(harvest_env: Callable[..., Env]) -> Env:
    return harvest_env(entries=400)  # conftest: an emulator, a store, "acme" authorized


def test_the_emulator_refuses_more_than_365_days(env: Any) -> None:
    api = env.conn().api()
    assert api.get("/reports/time/projects", {"from": "20230101", "to": "20231231"})["results"]
    with pytest.raises(hc.ApiError, match="must not exceed 1 year") as err:
        api.get("/reports/time/projects", {"from": "20240101", "to": "20241231"})  # 366 days
    assert err.value.status == 400


def test_a_report_over_two_years_asks_in_windows_and_concatenates(env: Any) -> None:
    api = env.conn().api()
    env.emu.clear_request_log()
    rows = list(api.report("time/projects", start="2023-03-01", end=D(2025, 2, 28), params={"per_page": 7}))
    sent = report_requests(env.emu)
    windows = [("20230301", "20240228"), ("20240229", "20250227"), ("20250228", "20250228")]
    in_order = [(f, t) for f, t, _ in sent]
    runs = [w for i, w in enumerate(in_order) if i == 0 or in_order[i - 1] != w]
    assert runs == windows  # in order, every page of a window before the next window
    assert len(sent) > 3  # per_page=7: several pages per window
    expected: List[Dict[str, Any]] = []
    for f, t in windows:
        expected += list(api.paginate("/reports/time/projects", {"from": f, "to": t, "per_page": 7}))
    assert rows == expected and rows
    # Each window's hours are that window's: the sum over both is the whole range's.
    total = sum(r["total_hours"] for r in rows)
    first_year = api.get("/reports/time/projects", {"from": "20230301", "to": "20240228"})["results"]
    assert total > sum(r["total_hours"] for r in first_year) > 0


def test_report_kinds_and_params_are_checked(env: Any) -> None:
    api = env.conn().api()
    a = list(api.report("/v2/reports/time/projects", start="2024-01-01", end="2024-01-31"))
    b = list(api.report("time/projects", start="20240101", end="20240131"))
    assert a == b
    with pytest.raises(hc.ValidationError, match="from"):
        api.report("time/projects", start="2024-01-01", end="2024-01-31", params={"from": "20240101"})
    with pytest.raises(hc.ValidationError, match="kind"):
        api.report(env.emu.api_url + "/reports/time/projects", start="2024-01-01", end="2024-01-31")
    with pytest.raises(hc.ValidationError, match="before start"):
        api.report("time/projects", start="2024-02-01", end="2024-01-31")


def test_a_long_report_keeps_the_reports_rate_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The emulator allows 3 report requests per 2 s; the client is told the same budget and
    # must wait for it instead of running into 429s over 6 windows.
    with HarvestEmulator(entries=200, reports_limit=3, reports_window=2.0) as emu:
        monkeypatch.setenv("SSL_CERT_FILE", emu.ca_file)
        monkeypatch.setenv("HARVEST_CONNECT_HOME", str(tmp_path / "home"))
        env = make_env(emu, tmp_path)
        try:
            api = env.conn().api(reports_rate_limit=(3, 2.0))
            rows = list(api.report("time/projects", start="2020-01-01", end="2024-12-31"))
            assert len(report_requests(emu)) == 6  # 1827 days: 5 full windows and 2 days
            assert emu.counters()["rate_limited"] == 0
            assert rows
        finally:
            env.store.close()
