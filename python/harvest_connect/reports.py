"""Harvest's reports over any date range: ``api.report("time/projects", start=..., end=...)``.

Harvest's ``/v2/reports/...`` endpoints take ``from`` and ``to`` as ``YYYYMMDD``, both days
included, and refuse a timeframe over a year (400 "Invalid timeframe: must not exceed 1
year"). :func:`report_windows` cuts any range into windows of at most 365 days counted with
both ends (so a window that contains 29 February ends a calendar day earlier than a naive
"one year later"), and :meth:`HarvestClient.report` asks for each window in turn, follows its
pages and yields the ``results`` of all of them, in window order.

Every request goes through the engine's reports rate limiter (100 requests per 15 minutes
per account, shared by every client of the account in this process, set by
``conn.api(reports_rate_limit=...)``): a long range waits for the budget instead of running
into 429s.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Tuple, Union

from .errors import ValidationError

if TYPE_CHECKING:
    from .client import HarvestClient, Params

__all__ = ["MAX_REPORT_DAYS", "report_windows", "report"]

#: The longest window Harvest's reports accept, in days, both ends included.
MAX_REPORT_DAYS = 365

DateLike = Union[_dt.date, str]


def _date(field: str, value: DateLike) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        for fmt in ("%Y-%m-%d", "%Y%m%d"):
            try:
                return _dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
    raise ValidationError(f"{field}: give a date (datetime.date, 'YYYY-MM-DD' or 'YYYYMMDD'), not {value!r}")


def report_windows(start: DateLike, end: DateLike, *,
                   max_days: int = MAX_REPORT_DAYS) -> List[Tuple[_dt.date, _dt.date]]:
    """``(first, last)`` day pairs covering ``start``..``end`` (both included), in order, each
    at most ``max_days`` days long counting both ends; the last one may be shorter.

    >>> report_windows("2023-03-01", "2025-02-28")  # doctest: +NORMALIZE_WHITESPACE
    [(datetime.date(2023, 3, 1), datetime.date(2024, 2, 28)),
     (datetime.date(2024, 2, 29), datetime.date(2025, 2, 27)),
     (datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))]
    """
    first, last = _date("start", start), _date("end", end)
    if last < first:
        raise ValidationError(f"end: {last.isoformat()} is before start {first.isoformat()}; give end >= start")
    if not 1 <= max_days <= MAX_REPORT_DAYS:
        raise ValidationError(f"max_days: must be between 1 and {MAX_REPORT_DAYS} (Harvest refuses longer reports)")
    out: List[Tuple[_dt.date, _dt.date]] = []
    step = _dt.timedelta(days=max_days - 1)
    while first <= last:
        window_end = min(first + step, last)
        out.append((first, window_end))
        first = window_end + _dt.timedelta(days=1)
    return out


def _report_path(kind: str) -> str:
    path = kind.strip()
    if "://" in path or "?" in path:
        raise ValidationError(f"kind: give the report's path, like 'time/projects', not a URL ({kind!r}); "
                              "filters go in params=")
    path = path.strip("/")
    for prefix in ("v2/", "reports/"):
        if path.startswith(prefix):
            path = path[len(prefix):]
    if not path:
        raise ValidationError("kind: give the report, e.g. 'time/projects' or 'expenses/clients'")
    return "/reports/" + path


def report(client: "HarvestClient", kind: str, *, start: DateLike, end: DateLike, params: "Params" = None,
           max_days: int = MAX_REPORT_DAYS) -> Iterator[Dict[str, Any]]:
    """What :meth:`HarvestClient.report` does (see the module's docstring)."""
    from .client import _params

    path = _report_path(kind)
    extra = _params(params)
    clash = sorted({k for k, _ in extra if k in ("from", "to", "page", "cursor")})
    if clash:
        raise ValidationError(f"params: {', '.join(clash)} are set by report() (start=, end= and paging); "
                              "leave them out")
    windows = report_windows(start, end, max_days=max_days)

    def records() -> Iterator[Dict[str, Any]]:
        for first, last in windows:
            window = [("from", first.strftime("%Y%m%d")), ("to", last.strftime("%Y%m%d")), *extra]
            yield from client.paginate(path, window)

    return records()
