"""Tables in other forms than delimited text: JSON lines and parquet files read as records,
tables turned into pandas DataFrames, and tables written as CSV or parquet files.

pandas (and pyarrow, for parquet) are the optional ``tabular`` extra, imported only here and
only when needed; a missing one is named with the command that installs it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import DatasetError
from ..log import get_logger

log = get_logger(__name__)
_INSTALL = "pip install jupyter_pipelines[tabular]"


def pandas(what: str) -> Any:
    """The pandas module, or DatasetError saying that ``what`` needs it."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise DatasetError(
            f"{what} needs pandas: {_INSTALL} (or read the rows without pandas with to_records())"
        ) from exc
    return pd


def _parquet_engine(what: str) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise DatasetError(f"{what} needs pyarrow: {_INSTALL} (or pip install pyarrow)") from exc


# -- reading --------------------------------------------------------------------------------
def json_lines(
    label: str, opener: Callable[[], IO[bytes]], encoding: str, invalid_lines: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each JSON line; a bad line is an error naming it unless
    ``invalid_lines`` is 'drop'."""
    with opener() as binary:
        text = io.TextIOWrapper(binary, encoding=encoding)
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                if invalid_lines == "drop":
                    continue
                raise DatasetError(
                    f"file {label!r}, line {number}: not JSON ({exc.msg}); pass "
                    "invalid_lines='drop' to skip such lines"
                ) from None
            if not isinstance(value, dict):
                if invalid_lines == "drop":
                    continue
                raise DatasetError(f"file {label!r}, line {number}: expected a JSON object")
            yield number, value


def parquet_records(label: str, opener: Callable[[], IO[bytes]]) -> list[dict[str, Any]]:
    """The rows of one parquet file as records of plain Python values."""
    pd = pandas("reading parquet files")
    _parquet_engine("reading parquet files")
    with opener() as handle:
        try:
            frame = pd.read_parquet(io.BytesIO(handle.read()))
        except Exception as exc:  # pyarrow raises its own errors for a corrupt file
            raise DatasetError(f"file {label!r} is not a parquet file: {exc}") from exc
    return frame_records(frame)


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts of plain values (NaN and NaT as None)."""
    records = frame.to_dict(orient="records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in records]


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):
        return None if str(value) == "NaT" else value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# -- pandas --------------------------------------------------------------------------------
def to_dataframe(
    columns: list[str], records: list[dict[str, Any]], out_of_range_datetime: str = "null"
) -> Any:
    """The table as a pandas DataFrame with the narrowest dtype of each column.

    A datetime pandas cannot hold becomes NaT with ``out_of_range_datetime='null'`` (v1's
    default), else DatasetError naming the column and the value.
    """
    pd = pandas("to_pandas_dataframe()")
    frame = pd.DataFrame.from_records(records, columns=columns)
    for col in columns:
        values = [r.get(col) for r in records if r.get(col) is not None]
        kinds = {type(v) for v in values}
        if kinds == {bool}:
            frame[col] = frame[col].astype("boolean" if len(values) < len(frame) else bool)
        elif kinds == {int}:
            frame[col] = frame[col].astype("Int64" if len(values) < len(frame) else "int64")
        elif kinds and kinds <= {int, float}:
            frame[col] = frame[col].astype("float64")
        elif kinds == {datetime}:
            frame[col] = _datetimes(pd, col, frame[col], out_of_range_datetime)
    return frame


def _datetimes(pd: Any, column: str, series: Any, out_of_range: str) -> Any:
    bad = [v for v in series if v is not None and not _fits(pd, v)]
    if bad and out_of_range == "fail":
        raise DatasetError(
            f"column {column!r}: {bad[0]!r} is outside the dates pandas can hold; pass "
            "out_of_range_datetime='null' to read such values as NaT"
        )
    if bad:
        log.warning("column %r: %d datetime(s) out of pandas' range read as NaT", column, len(bad))
        series = series.map(lambda v: None if v in bad else v)
    return pd.to_datetime(series)


def _fits(pd: Any, value: datetime) -> bool:
    try:
        pd.Timestamp(value)
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return False
    return True


# -- writing --------------------------------------------------------------------------------
def write_csv(
    columns: list[str], records: list[dict[str, Any]], path: Path, separator: str = ","
) -> None:
    """Write the table as one delimited file with a header (dates in ISO format)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=separator)
        writer.writerow(columns)
        for record in records:
            writer.writerow([_text(record.get(c)) for c in columns])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def write_parquet(frame: Any, path: Path, row_group_size: int | None = None) -> None:
    """Write a DataFrame as one parquet file."""
    _parquet_engine("writing parquet files")
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"row_group_size": row_group_size} if row_group_size else {}
    frame.to_parquet(path, index=False, **kwargs)
