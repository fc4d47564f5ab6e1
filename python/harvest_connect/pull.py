"""Incremental pulls: ``api.pull("/time_entries", state="daily")`` gives only what changed
since the last committed pull of that state.

    with api.pull("/time_entries", state="warehouse") as p:
        for entry in p:
            save(entry)
    # leaving the block normally, after every record was read, commits the new mark

How it works (docs/pulls.md has the whole story):

- The store keeps, per connection and state name, the endpoint (with its filters), the
  *mark* (the largest ``updated_at`` delivered) and the records delivered in the overlap
  window just before the mark. The first pull takes everything (or what changed from
  ``since=``); a later one asks Harvest for ``updated_since = mark - overlap``.
- The mark comes from Harvest's own ``updated_at`` values, never from this machine's clock,
  and the overlap (60 s by default) makes a record updated in the same second as the mark,
  or committed a little late on Harvest's side, come again; records that come again
  unchanged (same id and ``updated_at``) are dropped, so the caller sees each version once.
- The mark moves only in :meth:`Pull.commit`, which the ``with`` block calls on a clean exit,
  and only after every record was read. A crash before that repeats the pull next time:
  records may come twice across a crash, never zero times.
- ``updated_since`` cannot see deletions: a deleted record just stops appearing. Run a full
  refresh now and then (``full=True`` or :meth:`Pull.reset`) and compare ids.
"""

from __future__ import annotations

import importlib

import datetime as _dt
import urllib.parse
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type, Union

from . import _core
from .errors import ApiError, HarvestConnectError, ValidationError

if TYPE_CHECKING:
    from .client import HarvestClient, Params

__all__ = ["Pull", "DEFAULT_OVERLAP"]

#: Seconds before the mark that the next pull asks for again (duplicates are dropped).
DEFAULT_OVERLAP = 60

# Parameters the pull sets itself, and those that do not change which records match.
_RESERVED = ("updated_since", "page", "cursor")
_NOT_FILTERS = ("per_page",)


def _utc_text(seconds: int) -> str:
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamp(field: str, value: Union[_dt.datetime, _dt.date, str]) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:  # a date: midnight UTC
                value = _dt.date.fromisoformat(text)
            else:
                value = _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise ValidationError(f"{field}: not an ISO 8601 date or date-time ({value!r}); e.g. "
                                  "'2024-01-31T00:00:00Z'") from None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValidationError(f"{field}: give an aware datetime (e.g. tzinfo=datetime.timezone.utc), so that "
                                  "the time is not read in this machine's zone")
        return int(value.timestamp())
    if isinstance(value, _dt.date):
        return int(_dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc).timestamp())
    raise ValidationError(f"{field}: give a datetime, a date or an ISO 8601 string")


def _updated_at(record: Any, path: str) -> Tuple[int, int]:
    """(id, updated_at as Unix seconds) of a record; ApiError when it has neither."""
    if not isinstance(record, dict):
        raise _api_error(f"a record of {path} is not a JSON object; pull() needs records with id and updated_at")
    rid, text = record.get("id"), record.get("updated_at")
    if isinstance(rid, bool) or not isinstance(rid, int) or not isinstance(text, str):
        raise _api_error(f"a record of {path} has no integer id or no updated_at; pull() works on list endpoints "
                         "whose records have both and that accept updated_since (e.g. /time_entries, /projects)")
    try:
        when = _dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise _api_error(f"the record {rid} of {path} has an updated_at that is not ISO 8601 ({text[:40]!r})") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)  # Harvest's times are UTC
    return rid, int(when.timestamp())


def _api_error(message: str) -> ApiError:
    exc = ApiError(message)
    exc.kind = "api_error"
    return exc


def _endpoint(path: str) -> str:
    text = path.strip()
    if "://" in text or "?" in text:
        raise ValidationError(f"path: give the list endpoint, like '/time_entries', not a URL or a query "
                              f"({path!r}); filters go in params=")
    text = "/" + text.strip("/")
    if text == "/v2" or text.startswith("/v2/"):
        text = text[3:] or "/"
    if text == "/":
        raise ValidationError("path: give the list endpoint, e.g. '/time_entries'")
    return text


class Pull:
    """One incremental pull. Made by :meth:`HarvestClient.pull`; iterate it once.

    ``mark`` is the stored mark this pull started from (None on a first or full pull),
    ``updated_since`` what was sent to Harvest, ``count`` how many records were yielded.
    """

    def __init__(self, client: "HarvestClient", path: str, *, state: str, params: "Params" = None,
                 since: Union[_dt.datetime, _dt.date, str, None] = None, full: bool = False,
                 overlap: int = DEFAULT_OVERLAP) -> None:
        from .client import _params

        store = client._states
        if store is None:
            raise HarvestConnectError("this client has no store to keep pull states in; get it with conn.api() or "
                                      "hc.connect(name)")
        self._client = client
        self._store = store
        self._connection = client.connection_name
        self._state = str(_core._validate_pull_state_name(state))
        if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= 86400:
            raise ValidationError("overlap: give whole seconds between 0 and 86400 (a day)")
        self._overlap = overlap
        self._path = _endpoint(path)
        items = _params(params)
        clash = sorted({k for k, _ in items if k in _RESERVED})
        if clash:
            raise ValidationError(f"params: {', '.join(clash)} are set by pull() (give since= for a first pull "
                                  "from a date); leave them out")
        self._params = items
        filters = sorted((k, v) for k, v in items if k not in _NOT_FILTERS)
        # What the mark belongs to: the endpoint and the filters that choose its records.
        self._key = self._path + ("?" + urllib.parse.urlencode(filters) if filters else "")
        self._since = None if since is None else _timestamp("since", since)
        self._full = bool(full)
        self._stored = self._load()
        self._started = False
        self._exhausted = False
        self._committed = False
        self._count = 0
        self._max: Optional[int] = None
        self._delivered: Dict[int, int] = {}  # id -> updated_at of everything yielded by this pull
        self._known: Set[Tuple[int, int]] = set()  # (id, updated_at) the stored state delivered

    def _load(self) -> Optional[Any]:
        stored = self._store.pull_state(self._connection, self._state)
        if stored is not None and stored.path != self._key:
            raise ValidationError(
                f"state: the pull state {self._state!r} of connection {self._connection!r} belongs to "
                f"{stored.path}, not {self._key}; give this pull another state name, or forget that one with "
                f"store.delete_pull_state({self._connection!r}, {self._state!r})")
        return None if self._full else stored

    # -- what this pull asks for -------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def path(self) -> str:
        """The endpoint and filters the state belongs to."""
        return self._key

    @property
    def mark(self) -> Optional[_dt.datetime]:
        """The stored mark this pull started from; None for a first or full pull."""
        return None if self._stored is None else self._stored.mark

    @property
    def updated_since(self) -> Optional[str]:
        """The ``updated_since`` sent to Harvest (None: everything)."""
        since = self._since_seconds()
        return None if since is None else _utc_text(since)

    @property
    def count(self) -> int:
        return self._count

    @property
    def committed(self) -> bool:
        return self._committed

    def _since_seconds(self) -> Optional[int]:
        if self._stored is not None:
            return int(self._stored.mark_timestamp) - self._overlap
        return self._since

    def _query(self) -> List[Tuple[str, str]]:
        since = self._since_seconds()
        return self._params + ([("updated_since", _utc_text(since))] if since is not None else [])

    # -- reading -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Dict[str, Any]]:
        self._begin()
        return self._records()

    def _begin(self) -> None:
        if self._started:
            raise HarvestConnectError("a Pull is read once; start another with api.pull(...)")
        self._started = True
        self._known = set() if self._stored is None else {(int(i), int(u)) for i, u in self._stored.recent}

    def _accept(self, rid: int, updated: int) -> bool:
        """Whether to deliver the record (id, updated_at); notes it for the commit."""
        if self._max is None or updated > self._max:
            self._max = updated
        if (rid, updated) in self._known or self._delivered.get(rid) == updated:
            return False  # delivered before (overlap) or earlier in this pull (pages shifted)
        self._delivered[rid] = updated
        self._count += 1
        return True

    def _records(self) -> Iterator[Dict[str, Any]]:
        for record in self._client.paginate(self._path, self._query()):
            if self._accept(*_updated_at(record, self._path)):
                yield record
        self._exhausted = True

    # -- table mode: the Arrow builder (harvest_connect/tables.py, api.to_arrow) makes the table;
    # this only chooses its rows. Kept apart from the record mode above.
    def to_arrow(self, *, columns: Optional[Sequence[str]] = None) -> Any:
        """This pull as one ``pyarrow.Table``: ``api.to_arrow`` of the endpoint with this pull's
        ``updated_since``, without the rows delivered before. Commit afterwards as with records
        (the ``with`` block does); ``columns`` as in ``api.to_arrow`` (``id`` and
        ``updated_at`` are read in any case, to move the mark)."""
        self._begin()
        wanted = None if columns is None else list(columns)
        read = None if wanted is None else list(dict.fromkeys([*wanted, "id", "updated_at"]))
        table = self._client.to_arrow(self._path, self._query(), columns=read)  # needs pyarrow
        pa: Any = importlib.import_module("pyarrow")  # untyped: pyarrow ships no type stubs

        ids = table.column("id").to_pylist()
        seconds = table.column("updated_at").cast(pa.timestamp("s", tz="UTC"), safe=False).cast(pa.int64()).to_pylist()
        keep = []
        for rid, updated in zip(ids, seconds):
            if rid is None or updated is None:
                raise _api_error(f"a row of {self._path} has no id or no updated_at; pull() works on list endpoints "
                                 "whose records have both")
            keep.append(self._accept(int(rid), int(updated)))
        self._exhausted = True
        table = table.filter(pa.array(keep, type=pa.bool_()))
        return table if wanted is None else table.select(wanted)

    # -- committing ----------------------------------------------------------------------------
    def commit(self) -> None:
        """Move the mark: to the largest ``updated_at`` seen, keeping the records of the overlap
        window before it. Only after every record was read (else nothing would bring back the
        ones not read yet); a pull that found nothing keeps the stored mark."""
        if self._committed:
            return
        if not self._exhausted:
            raise HarvestConnectError(
                f"the pull {self._state!r} was not committed: not every record was read "
                f"({self._count} so far), and moving the mark now would skip the rest. Read the pull to the "
                "end first; without a commit the next pull repeats this one")
        previous = self._stored
        if self._max is None:
            if previous is None and not self._full:
                self._committed = True  # nothing seen, nothing stored: the next pull asks the same
                return
            mark = int(previous.mark_timestamp) if previous is not None else None
        else:
            mark = self._max if previous is None else max(self._max, int(previous.mark_timestamp))
        if mark is None:  # a full pull that found nothing: forget the old mark
            self._store.delete_pull_state(self._connection, self._state)
            self._committed = True
            return
        floor = mark - self._overlap
        recent = {(i, u) for i, u in self._delivered.items() if u >= floor}
        if previous is not None:
            recent.update((int(i), int(u)) for i, u in previous.recent if int(u) >= floor)
        ordered = sorted(recent, key=lambda r: (r[1], r[0]))
        self._store._save_pull_state(self._connection, self._state, self._key, mark, ordered)
        self._committed = True

    def reset(self) -> None:
        """Forget the stored state now and make this pull (not started yet) a full one: it takes
        everything (or from ``since=``) and its commit stores a fresh mark."""
        if self._started:
            raise HarvestConnectError("reset() comes before reading the pull; start another pull with full=True")
        self._store.delete_pull_state(self._connection, self._state)
        self._stored = None
        self._full = True

    # -- the with block ------------------------------------------------------------------------
    def __enter__(self) -> "Pull":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if exc_type is None:
            self.commit()  # raises when the records were not all read: nothing is lost silently

    def __repr__(self) -> str:
        mark = "None" if self._stored is None else self._stored.mark.isoformat()
        return (f"Pull(state={self._state!r}, path={self._key!r}, mark={mark}, count={self._count}, "
                f"committed={self._committed})")
