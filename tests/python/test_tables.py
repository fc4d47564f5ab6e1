"""Tables from list endpoints (issue 15 §1): api.arrow() / to_arrow() / to_pandas() /
to_polars(), against the emulator over HTTPS and against a small loopback server that sends
the shapes the emulator does not (inferred endpoints, widening, unknown fields, bad pages)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

import harvest_connect as hc  # noqa: E402
from harvest_connect import tables  # noqa: E402
from harvest_connect.testing import HarvestEmulator  # noqa: E402

from _harvest_support import Env, make_env  # noqa: E402

ENTRIES = 450
PAGE = {"per_page": 100}
REPORT = {"from": "20220101", "to": "20221231"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("tables")
    mp = pytest.MonkeyPatch()
    with HarvestEmulator(entries=ENTRIES) as emu:
        mp.setenv("SSL_CERT_FILE", emu.ca_file)
        mp.setenv("HARVEST_CONNECT_HOME", str(tmp / "home"))
        e = make_env(emu, tmp)
        yield e
        e.store.close()
    mp.undo()


@pytest.fixture(scope="module")
def api(env: Env) -> Any:
    return env.conn().api(rate_limit=None)


def checked(table: Any) -> Any:
    table.validate(full=True)
    return table


def dotted(record: Dict[str, Any], name: str) -> Any:
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def expected_cell(arrow_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if pa.types.is_date32(arrow_type):
        return dt.date.fromisoformat(value)
    if pa.types.is_timestamp(arrow_type):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if pa.types.is_floating(arrow_type):
        return float(value)
    return value


def assert_round_trip(table: Any, records: List[Dict[str, Any]]) -> None:
    """Every cell equals the record's field (dotted names into nested objects; JSON text for
    arrays), and no field of the records is missing from the declared schema."""
    assert table.num_rows == len(records)
    rows = table.to_pylist()
    for record, row in zip(records, rows):
        for field in table.schema:
            if field.name == "_extra":
                assert row["_extra"] is None, f"a field the declared schema lacks: {row['_extra']}"
                continue
            value = dotted(record, field.name)
            if isinstance(value, (list, dict)):
                assert json.loads(row[field.name]) == value
            else:
                assert row[field.name] == expected_cell(field.type, value), field.name


# --- declared schemas, from the emulator's data ----------------------------------------------

@pytest.mark.parametrize("path,params", [
    ("/time_entries", PAGE), ("/projects", {"per_page": 7}), ("/clients", {"per_page": 7}),
    ("/users", {"per_page": 3}), ("/tasks", {"per_page": 5}), ("/reports/time/projects", dict(REPORT, per_page=9)),
])
def test_declared_schema_round_trip(api: Any, path: str, params: Dict[str, Any]) -> None:
    stream = api.arrow(path, params)
    assert stream.declared
    batches = list(pa.RecordBatchReader.from_stream(stream))
    records = list(api.paginate(path, params))
    per_page = params["per_page"]
    assert len(batches) == max(1, -(-len(records) // per_page))  # one batch per page
    table = checked(pa.Table.from_batches(batches))
    assert_round_trip(table, records)
    # The types are the declared ones, whatever the data holds.
    assert table.schema.field("id" if not path.startswith("/reports") else "project_id").type == pa.int64()


def test_time_entry_types(api: Any) -> None:
    table = checked(api.to_arrow("/time_entries", PAGE))
    types = {f.name: f.type for f in table.schema}
    assert types["id"] == pa.int64()
    assert types["spent_date"] == pa.date32()
    assert types["created_at"] == pa.timestamp("us", tz="UTC")
    assert types["hours"] == pa.float64()
    assert types["billable"] == pa.bool_()
    assert types["project.name"] == pa.string()
    assert types["user_assignment.hourly_rate"] == pa.float64()
    # Nulls where Harvest gives null (billable_rate of non-billable entries, invoice, ...).
    assert table.column("billable_rate").null_count > 0
    assert table.column("invoice.id").null_count == table.num_rows
    assert table.num_rows == ENTRIES


def test_empty_result_has_the_full_schema(api: Any) -> None:
    full = checked(api.to_arrow("/time_entries", PAGE))
    empty = checked(api.to_arrow("/time_entries", {"from": "2031-01-01"}))
    assert empty.num_rows == 0
    assert empty.schema == full.schema


def test_columns_builds_only_those(api: Any) -> None:
    table = checked(api.to_arrow("/time_entries", PAGE, columns=["hours", "project", "id"]))
    assert table.column_names == ["hours", "project.id", "project.name", "project.code", "id"]
    with pytest.raises(hc.ValidationError, match="nope"):
        api.arrow("/time_entries", columns=["nope"])


def test_pandas_polars_duckdb_read_the_stream(api: Any) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    table = checked(api.to_arrow("/time_entries", PAGE))
    frame = api.to_pandas("/time_entries", PAGE)
    assert len(frame) == ENTRIES
    assert str(frame["id"].dtype) == "Int64"
    assert str(frame["invoice.id"].dtype) == "Int64"  # all null, still an integer column
    assert str(frame["billable"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(frame["spent_date"])
    assert frame["hours"].sum() == pytest.approx(pa.compute.sum(table.column("hours")).as_py())
    polars_frame = api.to_polars("/time_entries", PAGE)
    assert polars_frame.shape == (ENTRIES, table.num_columns)
    assert polars_frame["id"].to_list() == table.column("id").to_pylist()
    assert pl.DataFrame(api.arrow("/projects")).height == 50
    stream = api.arrow("/time_entries", PAGE)  # noqa: F841 - DuckDB finds it by name
    count, hours = duckdb.sql('select count(*), sum(hours) from stream').fetchall()[0]
    assert count == ENTRIES
    assert hours == pytest.approx(pa.compute.sum(table.column("hours")).as_py())
    stream = api.arrow("/time_entries", PAGE)  # noqa: F841 - the query of docs/tables.md
    by_project = duckdb.sql('select "project.name", sum(hours) from stream group by 1').fetchall()
    assert sum(h for _, h in by_project) == pytest.approx(hours)
    assert len(by_project) == len(set(table.column("project.name").to_pylist()))


def test_a_stream_can_be_read_again(api: Any) -> None:
    stream = api.arrow("/clients")
    first = checked(pa.table(stream))
    second = checked(pa.table(stream))  # reads the endpoint again
    assert first.equals(second)
    assert stream.column_names == first.column_names
    assert pa.schema(stream) == first.schema  # __arrow_c_schema__


def test_write_table_csv_and_parquet(api: Any, tmp_path: Path) -> None:
    pacsv = pytest.importorskip("pyarrow.csv")
    table = checked(api.to_arrow("/time_entries", PAGE))
    rows = tables.write_table(api.arrow("/time_entries", PAGE), tmp_path / "t.parquet", "parquet")
    assert rows == ENTRIES
    assert checked(pq.read_table(tmp_path / "t.parquet")).equals(table)
    rows = tables.write_table(api.arrow("/time_entries", PAGE), tmp_path / "t.csv", "csv")
    assert rows == ENTRIES
    back = checked(pacsv.read_csv(tmp_path / "t.csv"))
    assert back.num_rows == ENTRIES
    assert "project.name" in back.column_names
    assert back.column("id").to_pylist() == table.column("id").to_pylist()
    with pytest.raises(ValueError, match="csv, parquet"):
        tables.write_table(api.arrow("/clients"), tmp_path / "x", "xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.parquet"]


def test_a_failing_later_page_raises_and_gives_no_partial_table(env: Env, api: Any, tmp_path: Path) -> None:
    with pytest.raises(hc.ApiError):
        api.arrow("/no_such_list")
    # ca_file: the per-test isolation clears the SSL_CERT_FILE this module set up.
    quick = env.conn().api(rate_limit=None, deadline=2, ca_file=env.emu.ca_file)  # retries end within 2 s
    try:
        stream = quick.arrow("/time_entries", PAGE)  # the first page is fine
        env.emu.set_faults(path_prefix="/v2/time_entries", error_next=1000, error_status=500)
        with pytest.raises(hc.ApiError, match="500"):
            tables.to_arrow(stream)
        with pytest.raises(hc.ApiError):  # a failed stream keeps failing, never ends early
            tables.to_arrow(stream)
        env.emu.clear_faults()
        stream = quick.arrow("/time_entries", PAGE)
        env.emu.set_faults(path_prefix="/v2/time_entries", truncate_next=1000)  # bodies cut off
        with pytest.raises(hc.NetworkError, match="truncated"):
            tables.write_table(stream, tmp_path / "out.csv")
    finally:
        env.emu.clear_faults()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module,extra,call", [
    ("pyarrow", "arrow", "to_arrow"), ("pandas", "pandas", "to_pandas"), ("polars", "polars", "to_polars"),
])
def test_a_missing_library_names_the_extra(api: Any, monkeypatch: pytest.MonkeyPatch, module: str, extra: str,
                                           call: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import fails as when it is not installed
    with pytest.raises(ImportError, match=rf"harvest-connect\[{extra}\]"):
        getattr(api, call)("/clients")


# --- shapes the emulator does not send: a loopback server -------------------------------------

class FakeHarvest:
    """Serves list pages given as JSON values at http://127.0.0.1:PORT/v2/<path>?page=N."""

    def __init__(self) -> None:
        self.pages: Dict[str, List[Any]] = {}
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                resource = url.path[len("/v2/"):]
                number = int(dict(urllib.parse.parse_qsl(url.query)).get("page", "1"))
                pages = fake.pages.get(resource)
                if pages is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = pages[number - 1]
                if not isinstance(body, (str, bytes)):
                    name = resource.rsplit("/", 1)[-1] if not resource.startswith("reports/") else "results"
                    more = number < len(pages)
                    nxt = f"{fake.url}/{resource}?page={number + 1}" if more else None
                    body = json.dumps({name: body, "page": number, "total_pages": len(pages), "links": {"next": nxt}})
                data = body if isinstance(body, bytes) else body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    server = FakeHarvest()
    store = hc.Store.open(tmp_path_factory.mktemp("fake") / "store.db", key=hc.Key.generate())
    store.create_token_connection("fake", access_token="not-a-real-token", account_id="123",
                                  user_agent="tests (tests@example.com)", api_url=server.url)
    client = store.connection("fake").api(rate_limit=None, prefetch_pages=2)
    yield client, server
    store.close()
    server.close()


def test_inferred_schema_widens_across_pages(fake: Any) -> None:
    api, server = fake
    server.pages["users/me/project_assignments"] = [
        [{"id": 1, "rate": 5, "gone": None, "project": {"id": 7}}, {"id": 2, "rate": 6}],
        [{"id": 3, "rate": 2.5, "late": "\U0001F600 late", "tags": ["a", 1], "project": None}],
    ]
    stream = api.arrow("/users/me/project_assignments")
    assert not stream.declared
    table = checked(pa.table(stream))
    types = {f.name: f.type for f in table.schema}
    assert types == {"id": pa.int64(), "rate": pa.float64(), "project.id": pa.int64(), "late": pa.string(),
                     "tags": pa.string(), "gone": pa.string()}
    assert table.column("rate").to_pylist() == [5.0, 6.0, 2.5]
    assert table.column("late").to_pylist() == [None, None, "\U0001F600 late"]
    assert table.column("project.id").to_pylist() == [7, None, None]
    assert table.column("tags").to_pylist() == [None, None, '["a",1]']
    assert table.column("gone").null_count == 3
    assert [b.num_rows for b in pa.RecordBatchReader.from_stream(stream)] == [2, 1]


def test_inferred_type_that_cannot_widen_names_page_and_field(fake: Any) -> None:
    api, server = fake
    server.pages["things"] = [[{"id": 1, "n": 1}], [{"id": 2, "n": "two"}]]
    with pytest.raises(hc.ApiError, match=r'page 2, record 1, field "n"'):
        api.arrow("/things")


def test_declared_endpoint_values_the_emulator_does_not_send(fake: Any) -> None:
    api, server = fake
    big = 2**53 + 1
    server.pages["clients"] = [
        [{"id": big, "name": "\U0001F680 Rockets \u00e9", "is_active": True, "new_field": [1]}],
        [{"id": 2, "name": None}, {"id": 3}],
        [],
    ]
    table = checked(api.to_arrow("/clients"))
    assert table.column("id").to_pylist() == [big, 2, 3]  # exact above 2^53
    assert table.column("name").to_pylist() == ["\U0001F680 Rockets \u00e9", None, None]
    assert table.column("is_active").to_pylist() == [True, None, None]
    assert json.loads(table.column("_extra")[0].as_py()) == {"new_field": [1]}
    assert table.column("_extra")[1].as_py() is None
    assert api.to_pandas("/clients")["id"].tolist() == [big, 2, 3]
    server.pages["tasks"] = [[{"id": 1, "default_hourly_rate": 100}, {"id": 2, "default_hourly_rate": 100.5}]]
    assert checked(api.to_arrow("/tasks")).column("default_hourly_rate").to_pylist() == [100.0, 100.5]  # money int and float


def test_declared_type_mismatch_on_a_later_page(fake: Any, tmp_path: Path) -> None:
    api, server = fake
    server.pages["expenses"] = [[{"id": 1, "spent_date": "2024-01-01"}], [{"id": 2, "spent_date": "yesterday"}]]
    stream = api.arrow("/expenses")  # the first page is fine
    with pytest.raises(hc.ApiError, match=r'page 2, record 1, field "spent_date"'):
        tables.to_arrow(stream)
    # A consumer that reads the stream itself gets the same message from pyarrow, never a
    # shorter table.
    with pytest.raises((pa.ArrowException, OSError), match="spent_date"):
        pa.table(stream)


def test_malformed_and_truncated_pages(fake: Any) -> None:
    api, server = fake
    good = {"id": 1}
    server.pages["estimates"] = [[good], '{"estimates":[{"id":2},{"id":', [good]]
    with pytest.raises(hc.ApiError, match="the table of /estimates: page 2: .*not valid JSON"):
        api.to_arrow("/estimates")
    server.pages["invoices"] = ['{"invoices":[{"id":1}],"links":{"next":null}} trailing']
    with pytest.raises(hc.ApiError):
        api.to_arrow("/invoices")


def test_reading_the_stream_with_the_gil_held_lets_python_threads_run(fake: Any, tmp_path: Path) -> None:
    """get_next called with the GIL held (as a consumer may) must release it while it waits for
    a page: the loopback server answering here is Python, so holding the GIL would leave its
    thread no way to answer, and the read would time out."""
    import ctypes

    _, server = fake
    store = hc.Store.open(tmp_path / "store.db", key=hc.Key.generate())
    store.create_token_connection("slow", access_token="not-a-real-token", account_id="123",
                                  user_agent="tests (tests@example.com)", api_url=server.url)
    api = store.connection("slow").api(rate_limit=None, prefetch_pages=1, timeout=5, deadline=5)
    server.pages["tasks"] = [[{"id": i}] for i in range(10)]

    class Array(ctypes.Structure):
        _fields_ = [(name, ctypes.c_int64) for name in ("length", "null_count", "offset", "n_buffers", "n_children")] + \
                   [(name, ctypes.c_void_p) for name in ("buffers", "children", "dictionary", "release", "private_data")]

    get_next_type = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Array))  # keeps the GIL

    class Stream(ctypes.Structure):
        _fields_ = [("get_schema", ctypes.c_void_p), ("get_next", get_next_type), ("get_last_error", ctypes.c_void_p),
                    ("release", ctypes.c_void_p), ("private_data", ctypes.c_void_p)]

    capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    capsule_pointer.restype = ctypes.c_void_p
    capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    try:
        capsule = api.arrow("/tasks").__arrow_c_stream__()
        address = capsule_pointer(capsule, b"arrow_array_stream")
        stream = Stream.from_address(address)
        rows = 0
        while True:
            array = Array()
            assert stream.get_next(address, ctypes.byref(array)) == 0
            if not array.release:
                break
            rows += array.length
            ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(array.release)(ctypes.addressof(array))
        assert rows == 10
        del capsule  # releases the stream
    finally:
        store.close()


# Records as Harvest's API v2 documentation shows them (its examples), for the declared
# schemas the emulator does not serve: every documented field has its column (nothing lands in
# _extra) and every value round-trips.
DOC_EXAMPLES: Dict[str, Dict[str, Any]] = {
    "invoices": {
        "id": 13150403, "client_key": "21312da13d457947a217da6775477afee8c2eba8", "number": "1001",
        "purchase_order": "", "amount": 288.9, "due_amount": 288.9, "tax": 5.0, "tax_amount": 13.5, "tax2": 2.0,
        "tax2_amount": 5.4, "discount": 10.0, "discount_amount": 30.0, "subject": "Online Store - Phase 1",
        "notes": "Some notes about the invoice.", "state": "open", "period_start": "2017-03-01",
        "period_end": "2017-03-01", "issue_date": "2017-04-01", "due_date": "2017-04-01",
        "payment_term": "upon receipt", "payment_options": ["credit_card"], "sent_at": "2017-08-23T22:25:59Z",
        "paid_at": None, "paid_date": None, "closed_at": None, "recurring_invoice_id": None,
        "created_at": "2017-06-27T16:27:16Z", "updated_at": "2017-08-23T22:25:59Z", "currency": "EUR",
        "client": {"id": 5735776, "name": "123 Industries"}, "estimate": None, "retainer": None,
        "creator": {"id": 1782884, "name": "Bob Powell"},
        "line_items": [{"id": 53341602, "kind": "Service", "description": "03/01/2017 - Project Management",
                        "quantity": 2.0, "unit_price": 100.0, "amount": 200.0, "taxed": True, "taxed2": True,
                        "project": {"id": 14308069, "name": "Online Store - Phase 1", "code": "OS1"}}],
    },
    "expenses": {
        "id": 15296442, "notes": "Lunch with client", "total_cost": 33.35, "units": 1.0, "is_closed": False,
        "is_locked": True, "is_billed": True, "locked_reason": "Expense is invoiced.", "spent_date": "2017-03-03",
        "created_at": "2017-06-27T15:09:54Z", "updated_at": "2017-06-27T16:47:14Z", "billable": True,
        "receipt": {"url": "https://example.harvestapp.com/expenses/15296442/receipt", "file_name": "lunch.gif",
                    "file_size": 39410, "content_type": "image/gif"},
        "user": {"id": 1782959, "name": "Kim Allen"},
        "user_assignment": {"id": 125068553, "is_project_manager": True, "is_active": True, "budget": None,
                            "created_at": "2017-06-26T22:32:52Z", "updated_at": "2017-06-26T22:32:52Z",
                            "hourly_rate": 100.0},
        "project": {"id": 14307913, "name": "Marketing Website", "code": "MW"},
        "expense_category": {"id": 4195926, "name": "Meals", "unit_price": None, "unit_name": None},
        "client": {"id": 5735774, "name": "ABC Corp", "currency": "USD"},
        "invoice": {"id": 13150403, "number": "1001"},
    },
    "estimates": {
        "id": 1439818, "client_key": "13dc088aa7d51ec687f186b146730c3c75dc7423", "number": "1001",
        "purchase_order": "5678", "amount": 9630.0, "tax": 5.0, "tax_amount": 450.0, "tax2": 2.0,
        "tax2_amount": 180.0, "discount": 10.0, "discount_amount": 1000.0, "subject": "Online Store - Phase 2",
        "notes": "Some notes about the estimate", "state": "sent", "issue_date": "2017-06-01",
        "sent_at": "2017-06-27T16:11:33Z", "created_at": "2017-06-27T16:11:24Z", "updated_at": "2017-06-27T16:13:56Z",
        "accepted_at": None, "declined_at": None, "currency": "USD",
        "client": {"id": 5735776, "name": "123 Industries"}, "creator": {"id": 1782884, "name": "Bob Powell"},
        "line_items": [{"id": 53334195, "kind": "Service", "description": "Phase 2 of the Online Store",
                        "quantity": 100.0, "unit_price": 100.0, "amount": 10000.0, "taxed": True, "taxed2": True}],
    },
    "task_assignments": {
        "id": 160726647, "billable": False, "is_active": True, "created_at": "2017-06-26T21:52:18Z",
        "updated_at": "2017-06-26T21:52:18Z", "hourly_rate": 100.0, "budget": None,
        "project": {"id": 14308069, "name": "Online Store - Phase 1", "code": "OS1"},
        "task": {"id": 8083800, "name": "Business Development"},
    },
    "projects/14808188/user_assignments": {
        "id": 130403297, "is_project_manager": True, "is_active": True, "use_default_rates": False, "budget": None,
        "created_at": "2017-08-22T17:36:54Z", "updated_at": "2017-08-22T17:36:54Z", "hourly_rate": 100.0,
        "project": {"id": 14808188, "name": "Task Force", "code": "TF"}, "user": {"id": 1782959, "name": "Kim Allen"},
    },
    "time_entries": {
        "id": 636718192, "spent_date": "2017-03-01", "hours": 2.0, "hours_without_timer": 2.0, "rounded_hours": 2.0,
        "notes": "Adding CSS styling", "is_locked": True, "locked_reason": "Item Invoiced and Approved",
        "approval_status": "approved", "is_closed": True, "is_billed": True, "timer_started_at": None,
        "started_time": "3:00pm", "ended_time": "5:00pm", "is_running": False, "billable": True, "budgeted": True,
        "billable_rate": 100, "cost_rate": 50.0, "created_at": "2017-06-27T15:50:15Z",
        "updated_at": "2017-06-27T16:47:14Z", "user": {"id": 1782959, "name": "Kim Allen"},
        "client": {"id": 5735774, "name": "ABC Corp", "currency": "USD"},
        "project": {"id": 14307913, "name": "Marketing Website", "code": "MW"},
        "task": {"id": 8083365, "name": "Graphic Design"},
        "user_assignment": {"id": 125068553, "is_project_manager": True, "is_active": True,
                            "use_default_rates": True, "budget": None, "created_at": "2017-06-26T22:32:52Z",
                            "updated_at": "2017-06-26T22:32:52Z", "hourly_rate": 100.0},
        "task_assignment": {"id": 155502709, "billable": True, "is_active": True,
                            "created_at": "2017-06-26T21:36:23Z", "updated_at": "2017-06-26T21:36:23Z",
                            "hourly_rate": 100.0, "budget": None},
        "external_reference": {"id": "1234", "group_id": "5678", "account_id": "9012",
                               "permalink": "https://github.com/example/pull/1", "service": "github.com",
                               "service_icon_url": "https://example.com/github.png"},
        "invoice": {"id": 13150403, "number": "1001"},
    },
    "reports/time/clients": {"client_id": 5735776, "client_name": "123 Industries", "total_hours": 4.5,
                             "billable_hours": 3.5, "currency": "EUR", "billable_amount": 350.0},
    "reports/time/team": {"user_id": 1795925, "user_name": "Jane Doe", "is_contractor": False, "total_hours": 4.5,
                          "billable_hours": 3.5, "currency": "EUR", "billable_amount": 350.0,
                          "weekly_capacity": 126000, "avatar_url": "https://example.com/avatar.png"},
    "reports/expenses/categories": {"expense_category_id": 4197501, "expense_category_name": "Lodging",
                                    "total_amount": 100.0, "billable_amount": 100.0, "currency": "EUR"},
    "reports/uninvoiced": {"client_id": 5735776, "client_name": "123 Industries", "project_id": 14308069,
                           "project_name": "Online Store - Phase 1", "currency": "EUR", "total_hours": 4.0,
                           "uninvoiced_hours": 0, "uninvoiced_expenses": 100.0, "uninvoiced_amount": 0},
    "reports/project_budget": {"project_id": 14308069, "project_name": "Online Store - Phase 1",
                               "client_id": 5735776, "client_name": "123 Industries", "budget_is_monthly": False,
                               "budget_by": "project", "is_active": True, "budget": 200, "budget_spent": 4.0,
                               "budget_remaining": 196.0},
}


@pytest.mark.parametrize("resource", sorted(DOC_EXAMPLES))
def test_declared_schema_round_trip_of_harvests_documentation_examples(fake: Any, resource: str) -> None:
    api, server = fake
    example = DOC_EXAMPLES[resource]
    sparse = {"id": 1} if "id" in example else {next(iter(example)): example[next(iter(example))]}
    server.pages[resource] = [[example], [sparse]]  # a field missing in some records
    stream = api.arrow("/" + resource)
    assert stream.declared
    table = checked(pa.table(stream))
    assert_round_trip(table, [example, sparse])


def test_to_polars_needs_no_pyarrow(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("polars")
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    frame = api.to_polars("/clients")
    assert frame.height == 20
    assert frame.columns[:2] == ["id", "name"]
