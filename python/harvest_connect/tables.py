"""Harvest list endpoints as tables: Arrow, pandas, polars and DuckDB (docs/tables.md).

The engine builds the columns in C++ from each page's JSON and hands them over through the
Arrow PyCapsule interface, so no Python object is made per record. ``HarvestClient.arrow()``
returns that stream; ``to_arrow()``, ``to_pandas()`` and ``to_polars()`` read it with the
library of the same name, each an optional extra (``pip install 'harvest-connect[pandas]'``).
:func:`write_table` writes a stream to CSV or Parquet for the command line.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import secrets
from typing import Any, Callable, List, Optional, Sequence, Union

from . import _core

__all__ = ["ArrowStream", "to_arrow", "to_pandas", "to_polars", "write_table", "TABLE_FORMATS"]

ArrowStream = _core._ArrowStream

TABLE_FORMATS = ("csv", "parquet")


def _require(module: str, extra: str, purpose: str) -> Any:
    """Imports an optional library, or says which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{purpose} needs {module.split('.')[0]}, which is not installed: "
                          f"pip install 'harvest-connect[{extra}]'") from exc


def _columns(columns: Optional[Sequence[str]]) -> Optional[List[str]]:
    if columns is None:
        return None
    if isinstance(columns, str):
        return [columns]
    return [str(c) for c in columns]


def open_stream(core: Any, path: str, params: Any, columns: Optional[Sequence[str]]) -> ArrowStream:
    """The engine's stream (HarvestClient.arrow())."""
    stream: ArrowStream = core.arrow(path, params, _columns(columns))
    return stream


def _read(stream: ArrowStream, consume: Any) -> Any:
    """Runs a consumer of the stream; an error of the engine behind a failed read is raised
    as itself (ApiError, NetworkError, ...) rather than as the consumer's wrapper of its text."""
    try:
        return consume(stream)
    except Exception:
        stream._raise_failure()
        raise


def _reader(stream: ArrowStream) -> Any:
    pa = _require("pyarrow", "arrow", "Arrow tables")
    return pa.RecordBatchReader.from_stream(stream)


def to_arrow(stream: ArrowStream) -> Any:
    """The whole stream as a ``pyarrow.Table`` (needs ``harvest-connect[arrow]``)."""
    pa = _require("pyarrow", "arrow", "to_arrow()")
    return _read(stream, lambda s: pa.RecordBatchReader.from_stream(s).read_all())


def to_pandas(stream: ArrowStream) -> Any:
    """The whole stream as a ``pandas.DataFrame`` (needs ``harvest-connect[pandas]``).

    Integer columns become pandas' nullable ``Int64`` (an id column with a null stays exact,
    not float), booleans ``boolean``, dates and timestamps ``datetime64`` (timestamps in UTC).
    """
    pd = _require("pandas", "pandas", "to_pandas()")
    pa = _require("pyarrow", "pandas", "to_pandas()")

    table = to_arrow(stream)
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def to_polars(stream: ArrowStream) -> Any:
    """The whole stream as a ``polars.DataFrame`` (needs ``harvest-connect[polars]``; pyarrow is not)."""
    pl = _require("polars", "polars", "to_polars()")
    return _read(stream, pl.DataFrame)


def require_writer(format: str) -> Any:  # noqa: A002
    """The pyarrow module that writes ``format`` ("csv" or "parquet"), or an ImportError that
    names the extra to install."""
    if format not in TABLE_FORMATS:
        raise ValueError(f"format: {format!r} is not one of {', '.join(TABLE_FORMATS)}")
    if format == "csv":
        return _require("pyarrow.csv", "arrow", "CSV output")
    return _require("pyarrow.parquet", "arrow", "Parquet output")


def write_table(stream: ArrowStream, output: Union[str, "os.PathLike[str]"], format: str = "csv",  # noqa: A002
                progress: Optional[Callable[[int, Optional[int]], None]] = None) -> int:
    """Writes the stream to ``output`` as CSV (the flattened columns, a header line) or Parquet,
    page by page; returns the rows written. Needs pyarrow (``harvest-connect[arrow]``).
    ``progress(rows_written, None)`` is called after each page (the CLI's progress bar).

    The file is written under a temporary name beside ``output`` and renamed at the end, so a
    failed read leaves no partial file behind.
    """
    writers = require_writer(format)
    target = pathlib.Path(output)
    temp = target.with_name(f"{target.name}.part-{secrets.token_hex(6)}")
    reader = _read(stream, _reader)
    rows = 0
    try:
        make = writers.CSVWriter if format == "csv" else writers.ParquetWriter
        with make(str(temp), reader.schema) as writer:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                except Exception:
                    stream._raise_failure()
                    raise
                writer.write_batch(batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(rows, None)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return rows
