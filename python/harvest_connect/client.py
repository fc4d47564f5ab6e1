"""The authenticated Harvest API client of one connection (``conn.api()``).

Every request carries ``Authorization: Bearer``, ``Harvest-Account-Id`` and ``User-Agent``;
the engine keeps the account's rate limit, waits for ``Retry-After``, retries what is safe to
retry and refreshes the token when it expires or Harvest refuses it. Blocking calls release
the GIL, and :meth:`HarvestClient.paginate` fetches the next page while you work through the
current one.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _core
from .errors import ApiError
from .pull import DEFAULT_OVERLAP

if TYPE_CHECKING:
    from .pull import Pull

__all__ = ["HarvestClient", "Params", "connect", "connection_api"]

ParamValue = Union[str, int, float, bool, _dt.date, _dt.datetime, None]
Params = Union[Mapping[str, ParamValue], Sequence[Tuple[str, ParamValue]], None]



def _not_json(constant: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity, which JSON (RFC 8259) does not.
    raise ValueError(f"{constant} is not JSON")


_strict_decoder = json.JSONDecoder(parse_constant=_not_json)


def _loads(body: Union[bytes, str]) -> Any:
    """json.loads without NaN and Infinity: pages are validated here, not in the engine."""
    if not isinstance(body, str):
        body = body.decode(json.detect_encoding(body), "surrogatepass")
    return _strict_decoder.decode(body)


def _param_value(value: ParamValue) -> str:
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            return value.isoformat(timespec="seconds") + "Z"
        return value.isoformat(timespec="seconds")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _params(params: Params) -> List[Tuple[str, str]]:
    if not params:
        return []
    items: Iterable[Tuple[str, ParamValue]] = params.items() if isinstance(params, Mapping) else params
    return [(str(k), _param_value(v)) for k, v in items if v is not None]


def _body(data: Any) -> Optional[str]:
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("utf-8")
    if isinstance(data, str):
        return data
    return json.dumps(data, separators=(",", ":"))


def _decode(body: bytes) -> Any:
    if not body:
        return None
    try:
        return _loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than Python can decode
        # Only an answer with a success status gets here: a proxy's page, a cut-off body.
        exc = ApiError("the answer had a success status but its body is not valid JSON (a proxy or a broken "
                       "server in between?); if the request changed something (POST, PATCH, DELETE), check "
                       "before repeating it")
        exc.kind = "api_error"
        raise exc from None


def _decode_page(text: str) -> Dict[str, Any]:
    """A list page's JSON. The engine checked only its outline: _loads validates it."""
    try:
        page = _loads(text)
    except (ValueError, RecursionError):
        page = None
    if not isinstance(page, dict):
        exc = ApiError("Harvest's list page is not valid JSON (a proxy or a broken server in between?); "
                       "try again")
        exc.kind = "api_error"
        raise exc from None
    return page


def _page_records(text: str, resource: str) -> List[Any]:
    records = _decode_page(text).get(resource)
    if not isinstance(records, list):  # e.g. a duplicate key whose last value is not the array
        exc = ApiError(f"Harvest's list page has no {resource!r} array of records; try again")
        exc.kind = "api_error"
        raise exc
    return records


def _progress_bar(path: str, total: Optional[int]) -> Any:
    """A tqdm.auto bar, or None when tqdm is not installed (progress is optional)."""
    try:
        tqdm_auto: Any = importlib.import_module("tqdm.auto")  # optional, and untyped
    except ImportError:
        return None
    return tqdm_auto.tqdm(total=total, desc=path.strip("/") or "records", unit=" records")


class HarvestClient:
    """API calls of one connection. Get one with ``conn.api()``.

    Paths are relative to the API URL (``"/users/me"``; a leading ``"/v2"`` is accepted);
    an absolute URL such as a page's ``links.next`` must be on the connection's API host.
    """

    __slots__ = ("_core", "_name", "_store", "_states")

    def __init__(self, core: Any, name: str = "", store: Optional[_core.Store] = None) -> None:
        self._core = core
        self._name = name
        # The connection's store, where pull() keeps its states (None: pull() is unavailable).
        self._states = store
        # The store this client opened itself (connect() with store=None): kept open, so that
        # token refreshes can be saved, until close().
        self._store: Optional[_core.Store] = None

    def __repr__(self) -> str:
        return f"HarvestClient(connection={self._name!r}, api_url={self._core.api_url!r})"

    def _repr_html_(self) -> str:
        from .display import client_html

        return client_html(self)

    def __enter__(self) -> "HarvestClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the store this client opened (``hc.connect(name)``); a store you passed stays open."""
        store, self._store = self._store, None
        if store is not None:
            store.close()

    @property
    def store(self) -> Optional[_core.Store]:
        """The store this client keeps open (``hc.connect(name)`` without a store), else None."""
        return self._store

    @property
    def connection_name(self) -> str:
        """The name of the connection this client calls the API for."""
        return self._name

    @property
    def api_url(self) -> str:
        return str(self._core.api_url)

    def request(self, method: str, path: str, params: Params = None, json_body: Any = None) -> Any:
        """Sends one request; returns the decoded JSON answer (``None`` for an empty body)."""
        return _decode(self._core.request(method.upper(), path, _params(params), _body(json_body)))

    def get(self, path: str, params: Params = None) -> Any:
        """``GET path`` → the decoded JSON answer."""
        return _decode(self._core.request("GET", path, _params(params), None))

    def post(self, path: str, json: Any = None) -> Any:  # noqa: A002 - mirrors requests
        """``POST path`` with a JSON body. Never retried after a 5xx or a dropped connection."""
        return _decode(self._core.request("POST", path, [], _body(json)))

    def patch(self, path: str, json: Any = None) -> Any:  # noqa: A002
        """``PATCH path`` with a JSON body. Never retried after a 5xx or a dropped connection."""
        return _decode(self._core.request("PATCH", path, [], _body(json)))

    def delete(self, path: str, params: Params = None) -> Any:
        """``DELETE path``."""
        return _decode(self._core.request("DELETE", path, _params(params), None))

    def paginate(self, path: str, params: Params = None, *, progress: bool = False) -> Iterator[Dict[str, Any]]:
        """Every record of a list endpoint, one at a time, across all pages (``links.next``).

        One page is decoded at a time while the next is fetched in the background.
        ``progress=True`` shows a progress bar (``tqdm.auto``: a widget in Jupyter, text in a
        terminal) whose total is Harvest's ``total_entries``; without tqdm installed it shows
        nothing (``pip install harvest-connect[notebook]``).
        """
        stream = self._core.paginate(path, _params(params))
        bar = None
        try:
            while True:
                page = stream.next_page()
                if page is None:
                    return
                resource, text = page
                del page
                records = _page_records(text, resource)
                del text
                if progress and bar is None:
                    bar = _progress_bar(path, stream.total_entries)
                count = len(records)
                yield from records
                # Let go of this page's records before the next page is decoded, so json.loads
                # reuses their memory: with two pages alive it took a third more CPU (fresh memory
                # to fault in, colder caches; tests/bench figure 1).
                del records
                if bar is not None:
                    bar.update(count)
        finally:
            if bar is not None:
                bar.close()

    def pages(self, path: str, params: Params = None) -> Iterator[Dict[str, Any]]:
        """Every page of a list endpoint as its decoded JSON object."""
        stream = self._core.paginate(path, _params(params))
        while True:
            page = stream.next_page()
            if page is None:
                return
            decoded = _decode_page(page[1])
            del page  # the page's text is not kept while the caller works on the page
            yield decoded

    def pull(self, path: str, *, state: str, params: Params = None,
             since: Union[_dt.datetime, _dt.date, str, None] = None, full: bool = False,
             overlap: int = DEFAULT_OVERLAP) -> "Pull":
        """An incremental pull of a list endpoint: only what changed since the last committed
        pull of ``state`` (Harvest's ``updated_since``); everything, or what changed from
        ``since``, the first time or with ``full=True``. Commit after reading every record:
        ``with api.pull(...) as p: for r in p: ...`` does on a clean exit. Deletions are not
        seen (see harvest_connect.pull and docs/pulls.md)."""
        from .pull import Pull

        return Pull(self, path, state=state, params=params, since=since, full=full, overlap=overlap)

    def report(self, kind: str, *, start: Union[_dt.date, str], end: Union[_dt.date, str],
               params: Params = None) -> Iterator[Dict[str, Any]]:
        """The ``results`` of ``/v2/reports/{kind}`` (e.g. ``"time/projects"``) from ``start`` to
        ``end`` (both included), any length: asked in windows of at most 365 days (what Harvest
        accepts), every page of each, within the reports rate limit (see harvest_connect.reports).
        Rows are per window: a project active in two windows has a row in each."""
        from .reports import report

        return report(self, kind, start=start, end=end, params=params)

    def accounts(self) -> List[Dict[str, Any]]:
        """The accounts the token can reach (``GET {id_url}/api/v2/accounts``)."""
        answer = _decode(self._core.accounts())
        return list(answer.get("accounts", [])) if isinstance(answer, dict) else []

    def export_jsonl(self, path: str, output: str, params: Params = None, progress: Any = None) -> int:
        """Writes every record of a list endpoint to ``output`` as JSON Lines; returns the count.

        The records are written as Harvest sent them, without building Python objects.
        ``progress(records, total_or_None)`` is called after each page.
        """
        return int(self._core.export_jsonl(path, _params(params), str(output), progress))

    # Tables (docs/tables.md): built in C++, handed over through the Arrow PyCapsule interface.
    def arrow(self, path: str, params: Params = None, *, columns: Optional[Sequence[str]] = None) -> Any:
        """A list endpoint as an Arrow stream (``__arrow_c_stream__``), one record batch per page.

        ``pyarrow.table(s)``, ``polars.DataFrame(s)`` and ``duckdb.sql("select ... from s")``
        read it without copying; ``columns=["id", "project"]`` builds only those columns
        (a name selects the dotted columns under it). Nothing to install for the stream itself.
        """
        from . import tables

        return tables.open_stream(self._core, path, _params(params), columns)

    def to_arrow(self, path: str, params: Params = None, *, columns: Optional[Sequence[str]] = None) -> Any:
        """Every record of a list endpoint as a ``pyarrow.Table`` (``harvest-connect[arrow]``)."""
        from . import tables

        return tables.to_arrow(self.arrow(path, params, columns=columns))

    def to_pandas(self, path: str, params: Params = None, *, columns: Optional[Sequence[str]] = None) -> Any:
        """Every record of a list endpoint as a ``pandas.DataFrame`` (``harvest-connect[pandas]``)."""
        from . import tables

        return tables.to_pandas(self.arrow(path, params, columns=columns))

    def to_polars(self, path: str, params: Params = None, *, columns: Optional[Sequence[str]] = None) -> Any:
        """Every record of a list endpoint as a ``polars.DataFrame`` (``harvest-connect[polars]``)."""
        from . import tables

        return tables.to_polars(self.arrow(path, params, columns=columns))


# conn.api()'s defaults are the C++ ConnectOptions{}'s (read by _core at import).
_API: Dict[str, Any] = _core.DEFAULTS["api"]


def connection_api(
    self: _core.Connection,
    *,
    rate_limit: Optional[Tuple[int, float]] = _API["rate_limit"],
    reports_rate_limit: Optional[Tuple[int, float]] = _API["reports_rate_limit"],
    deadline: float = _API["deadline"],
    prefetch_pages: int = _API["prefetch_pages"],
    refresh_leeway: float = _API["refresh_leeway"],
    ca_file: Optional[str] = _API["ca_file"],
    timeout: float = _API["timeout"],
) -> HarvestClient:
    """A :class:`HarvestClient` for this connection (``conn.api()``).

    ``rate_limit=(requests, seconds)`` for the client-side limiter (``None``: off),
    ``reports_rate_limit`` the same for ``/reports/``, ``deadline`` seconds for a whole call
    with its waits and retries, ``prefetch_pages`` fetched ahead by :meth:`HarvestClient.paginate`,
    ``refresh_leeway`` seconds before expiry when the token is refreshed, ``ca_file`` an extra
    CA bundle (PEM), ``timeout`` seconds for one HTTP exchange. The defaults are the C++
    engine's (``harvest::ConnectOptions``).
    """
    core = self._api(rate_limit=rate_limit, reports_rate_limit=reports_rate_limit, deadline=deadline,
                     prefetch_pages=prefetch_pages, refresh_leeway=refresh_leeway, ca_file=ca_file,
                     timeout=timeout)
    return HarvestClient(core, self.name, self._store)


def connect(name: str, store: Optional[_core.Store] = None, **api_options: Any) -> HarvestClient:
    """The API client of connection ``name``, in one call: ``api = hc.connect("acme")``.

    With ``store=None`` the default store is opened (``Store.open()``: the key from the
    environment or the key file) and kept open by the client, so that a notebook's later cells
    keep working and refreshed tokens are saved; ``api.close()`` (or ``with hc.connect(...) as
    api:``) closes it. A store you pass stays yours to close. ``api_options`` go to
    :meth:`Connection.api` (``ca_file=``, ``rate_limit=``, ...).
    """
    own = store is None
    opened = _core.Store.open() if store is None else store
    try:
        client: HarvestClient = opened.connection(name).api(**api_options)
    except BaseException:
        if own:
            opened.close()
        raise
    if own:
        client._store = opened
    return client
