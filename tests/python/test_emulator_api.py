"""The emulator's API v2 subset, driven by urllib: endpoints and shapes, header rules,
per_page limits, paging 200,000 entries by links.next, cursors, filters, rate limits."""

from __future__ import annotations

import json
import os
import urllib.parse

import pytest

from harvest_connect.testing import HarvestEmulator

from _emulator_client import UA, Http

INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
}
PAGINATION = {"per_page", "total_pages", "total_entries", "next_page", "previous_page", "page", "links"}


@pytest.fixture(scope="module")
def harvest(module_emulator):
    return module_emulator(entries=3000, rate_limits=False)


@pytest.fixture(scope="module")
def http(harvest):
    return Http(harvest)


@pytest.fixture(scope="module")
def token(harvest):
    return harvest.create_personal_access_token()


def test_https_with_the_generated_ca(harvest):
    assert harvest.id_url.startswith("https://127.0.0.1:")
    assert harvest.api_url == harvest.id_url + "/v2"
    assert os.path.isfile(harvest.ca_file)


def test_plain_http_mode_and_cleanup():
    with HarvestEmulator(entries=5, tls=False) as emu:
        assert emu.id_url.startswith("http://127.0.0.1:") and emu.ca_file == ""
        r = Http(emu).api("/users/me", emu.create_personal_access_token())
        assert r.status == 200
    tls = HarvestEmulator(entries=5)
    ca = tls.ca_file
    tls.close()
    assert not os.path.exists(ca)


def test_users_me_and_company(http, token):
    me = http.api("/users/me", token)
    assert me.status == 200 and me.headers["content-type"].startswith("application/json")
    body = me.json()
    assert {"id", "first_name", "last_name", "email", "timezone", "access_roles", "created_at"} <= set(body)
    company = http.api("/company", token).json()
    assert {"base_uri", "full_domain", "name", "is_active", "wants_timestamp_timers"} <= set(company)


@pytest.mark.parametrize("resource,fields", [
    ("projects", {"id", "name", "code", "client", "is_billable", "hourly_rate"}),
    ("clients", {"id", "name", "is_active", "currency"}),
    ("users", {"id", "first_name", "last_name", "email"}),
    ("tasks", {"id", "name", "billable_by_default"}),
    ("time_entries", {"id", "spent_date", "hours", "notes", "user", "client", "project", "task", "created_at",
                      "updated_at", "is_locked", "billable", "user_assignment", "task_assignment"}),
])
def test_lists_have_records_and_harvest_pagination(http, token, harvest, resource, fields):
    r = http.api(f"/{resource}", token)
    assert r.status == 200
    body = r.json()
    assert PAGINATION <= set(body)
    assert set(body["links"]) == {"first", "next", "previous", "last"}
    assert body[resource] and fields <= set(body[resource][0])
    assert body["per_page"] == 2000
    assert body["links"]["first"].startswith(harvest.api_url + f"/{resource}?")


def test_time_entry_records_are_about_a_kilobyte(http, token):
    entries = http.api("/time_entries?per_page=100", token).json()["time_entries"]
    sizes = [len(json.dumps(e)) for e in entries]
    assert 700 < sum(sizes) / len(sizes) < 1600


def test_report_endpoint(http, token):
    # 2024 is a leap year: 366 days would be over Harvest's limit (test_reports.py).
    r = http.api("/reports/time/projects?from=20240101&to=20241230", token)
    assert r.status == 200
    row = r.json()["results"][0]
    assert {"project_id", "project_name", "client_id", "client_name", "total_hours", "billable_hours"} <= set(row)
    assert http.api("/reports/time/projects", token).status == 422


def test_unknown_endpoint_is_404(http, token):
    assert http.api("/nothing_here", token).status == 404


def test_header_rules(http, harvest, token):
    url = harvest.api_url + "/users/me"
    bare = Http(harvest)
    bare.opener.addheaders = []  # urllib would otherwise send "Python-urllib/3.x"
    no_ua = bare.request("GET", url, {"Authorization": "Bearer " + token, "Harvest-Account-Id": str(harvest.account_id)})
    assert no_ua.status == 400
    empty_ua = http.request("GET", url, {"Authorization": "Bearer " + token, "User-Agent": "",
                                         "Harvest-Account-Id": str(harvest.account_id)})
    assert empty_ua.status == 400
    no_account = http.request("GET", url, {"Authorization": "Bearer " + token, "User-Agent": UA})
    assert no_account.status == 401 and no_account.json() == INVALID_TOKEN
    assert http.api("/users/me", token, account=123).json() == INVALID_TOKEN
    assert http.api("/users/me", "garbage").status == 401
    forecast = [a["id"] for a in harvest.accounts() if a["product"] == "forecast"][0]
    assert http.api("/users/me", token, account=forecast).status == 401


def test_per_page_limits(http, token):
    assert http.api("/time_entries?per_page=2000", token).status == 200
    for bad in ("2001", "0", "-1", "ten"):
        r = http.api(f"/time_entries?per_page={bad}", token)
        assert r.status == 422 and "message" in r.json()


def test_page_numbers(http, token):
    body = http.api("/time_entries?per_page=1000&page=2", token).json()
    assert (body["page"], body["next_page"], body["previous_page"], body["total_pages"]) == (2, 3, 1, 3)
    last = http.api("/time_entries?per_page=1000&page=3", token).json()
    assert last["next_page"] is None and last["links"]["next"] is None


def test_filters(http, token):
    def entries(q):
        return http.api("/time_entries?" + urllib.parse.urlencode(q), token).json()["time_entries"]

    march = entries({"from": "2023-03-01", "to": "2023-03-31"})
    assert march and all("2023-03-01" <= e["spent_date"] <= "2023-03-31" for e in march)
    user = entries({"user_id": 1782881})
    assert user and all(e["user"]["id"] == 1782881 for e in user)
    project = entries({"project_id": 14307903})
    assert project and all(e["project"]["id"] == 14307903 for e in project)
    recent = entries({"updated_since": "2024-12-01T00:00:00Z"})
    assert recent and all(e["updated_at"] >= "2024-12-01T00:00:00Z" for e in recent)
    assert http.api("/time_entries?from=nope", token).status == 422


def test_post_time_entry(http, token):
    body = json.dumps({"project_id": 14307900, "task_id": 8083360, "spent_date": "2031-05-06", "hours": 2.5,
                       "notes": "written by a test"}).encode()
    r = http.api("/time_entries", token, method="POST", data=body, extra={"Content-Type": "application/json"})
    assert r.status == 201, r.body
    created = r.json()
    assert created["hours"] == 2.5 and created["spent_date"] == "2031-05-06"
    newest = http.api("/time_entries?per_page=1", token).json()["time_entries"][0]
    assert newest["id"] == created["id"]
    missing = http.api("/time_entries", token, method="POST", data=b"task_id=1",
                       extra={"Content-Type": "application/x-www-form-urlencoded"})
    assert missing.status == 422


def test_cursor_pagination(http, token):
    first = http.api("/time_entries?per_page=500&cursor=", token)
    assert first.status == 422  # an empty cursor is not a cursor
    with HarvestEmulator(entries=1234, cursor_pagination=True, rate_limits=False) as emu:
        client, pat = Http(emu), emu.create_personal_access_token()
        url, ids, pages = emu.api_url + "/time_entries?per_page=500", [], []
        while url:
            body = client.api(url, pat).json()
            pages.append(body)
            ids += [e["id"] for e in body["time_entries"]]
            url = body["links"]["next"]
            if url:
                assert "cursor=" in url
        assert len(ids) == len(set(ids)) == 1234
        assert pages[0]["page"] == 1 and pages[1]["page"] is None and pages[1]["next_page"] is None
        assert pages[-1]["next_page"] is None


@pytest.mark.slow
def test_paging_to_the_end_of_200000_entries_by_links_next():
    # json.loads of 218 MB costs Python seconds, far more than the emulator spends: every
    # tenth page (and the last) is parsed whole, the others by their pagination tail and a
    # count of their records.
    with HarvestEmulator(entries=200_000, rate_limits=False) as emu:
        client, pat = Http(emu), emu.create_personal_access_token()
        url, count, pages, last_id = emu.api_url + "/time_entries", 0, 0, None
        while url:
            raw = client.api(url, pat).body
            tail = raw.rindex(b'],"per_page":')
            meta = json.loads(b"{" + raw[tail + 2:])
            if pages % 10 == 0 or meta["links"]["next"] is None:
                entries = json.loads(raw)["time_entries"]
                assert len(entries) == raw.count(b',"spent_date":')
                last_id = entries[-1]["id"]
            assert meta["total_entries"] == 200_000 and meta["page"] == pages + 1
            count += raw.count(b',"spent_date":')
            pages += 1
            url = meta["links"]["next"]
        assert (count, pages) == (200_000, 100)
        assert last_id == 636_700_000  # the oldest entry comes last


def test_rate_limit_429_with_retry_after():
    # A window far longer than the 101 requests take even under ASan on a busy machine (a
    # 2-second one was seen to pass before the 100th request); the test moves the clock on.
    with HarvestEmulator(entries=5, general_window=60.0) as emu:
        client, a, b = Http(emu), emu.create_personal_access_token(), emu.create_personal_access_token()
        for _ in range(100):
            assert client.api("/users/me", a).status == 200
        limited = client.api("/users/me", a)
        assert limited.status == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.api("/users/me", b).status == 200  # per token
        emu.advance_clock(60.5)
        assert client.api("/users/me", a).status == 200
        assert emu.counters()["rate_limited"] == 1


def test_reports_have_their_own_limit():
    with HarvestEmulator(entries=5) as emu:
        client, pat = Http(emu), emu.create_personal_access_token()
        for _ in range(100):
            assert client.api("/reports/time/projects?from=20220101&to=20221231", pat).status == 200
        limited = client.api("/reports/time/projects?from=20220101&to=20221231", pat)
        assert limited.status == 429 and 1 <= int(limited.headers["retry-after"]) <= 900
        assert client.api("/users/me", pat).status == 200  # the general window is separate
