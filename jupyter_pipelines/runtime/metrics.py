"""Metric records: one JSON object per line, appended to a step's ``metrics.jsonl``.

Writers (``Run.log*`` in any number of processes) append each record with a single
``os.write`` on a file opened with ``O_APPEND``, so lines from concurrent writers never
interleave. Readers (the engine, ``Run.get_metrics``) use :func:`read_metrics`, which skips
corrupt lines, and :func:`summarize_metrics`, which gives the shapes of the v1 SDK's
``Run.get_metrics()``. Standard library only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: The kinds of metric record, in the order of the Run methods that write them; the last four
#: are v1's chart metrics (log_confusion_matrix, ...), whose value is a JSON document.
METRIC_KINDS = (
    "scalar",
    "list",
    "row",
    "table",
    "image",
    "confusion_matrix",
    "accuracy_table",
    "residuals",
    "predictions",
)
#: Kinds whose value is kept as logged: one record gives the value, several give a list.
_SINGLE_KINDS = frozenset(METRIC_KINDS) - {"list", "row", "table"}


def _to_json(obj: Any) -> Any:
    """``json.dumps`` fallback for numpy-like values, without importing numpy."""
    if hasattr(obj, "tolist") and callable(obj.tolist):
        return obj.tolist()  # numpy arrays (and scalars)
    if hasattr(obj, "item") and callable(obj.item):
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def make_record(
    name: str,
    kind: str,
    value: Any,
    *,
    step: str,
    description: str | None = "",
    run_id: str | None = None,
    ts: float | None = None,
) -> dict[str, Any]:
    """Build a metric record (a dict); the value is checked later, by :func:`encode_record`."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"metric name must be a non-empty string, got {name!r}")
    if kind not in METRIC_KINDS:
        raise ValueError(f"unknown metric kind {kind!r}; expected one of {METRIC_KINDS}")
    record: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "value": value,
        "description": description or "",
        "ts": time.time() if ts is None else ts,
        "step": step,
    }
    if run_id is not None:
        record["run_id"] = run_id
    return record


def encode_record(record: Mapping[str, Any]) -> bytes:
    """One record as one UTF-8 line ending in a newline.

    A value that cannot be written as JSON raises TypeError naming the metric. NaN and
    infinities are written as Python's json module writes them (``NaN``, ``Infinity``).
    """
    try:
        text = json.dumps(record, ensure_ascii=False, default=_to_json)
    except (TypeError, ValueError, RecursionError) as exc:
        value = record.get("value")
        raise TypeError(
            f"metric {record.get('name')!r}: value of type {type(value).__name__} cannot be "
            f"logged, it is not JSON-serializable ({exc}); log numbers, strings, booleans, "
            "or lists and dicts of them"
        ) from None
    return (text + "\n").encode("utf-8")


def append_record(path: str | os.PathLike[str], record: Mapping[str, Any]) -> None:
    """Append one record to a metrics file, creating the file and its folder if needed."""
    append_line(path, encode_record(record))


def append_line(path: str | os.PathLike[str], data: bytes) -> None:
    """Append an encoded record (see :func:`encode_record`) with one ``O_APPEND`` write."""
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        # A regular file takes the whole buffer in one write; finish a short write anyway
        # (disk nearly full, signal) rather than leave half a line.
        while written < len(data):
            written += os.write(fd, data[written:])
    finally:
        os.close(fd)


def _valid(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("name"), str)
        and record.get("kind") in METRIC_KINDS
        and "value" in record
    )


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every valid record of a metrics file, in file order; ``[]`` when there is no file.

    A line that is not a JSON object with ``name``, a known ``kind`` and ``value`` is skipped
    with a warning (logger ``jupyter_pipelines.runtime.metrics``) naming the file and line.
    """
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        return []
    records: list[dict[str, Any]] = []
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            record = None
        if not _valid(record):
            logger.warning(
                "skipping corrupt metric record at %s line %d: %.200r",
                os.fspath(path),
                number,
                raw,
            )
            continue
        records.append(record)
    return records


def _append_columns(columns: dict[str, list[Any]], table: Mapping[str, Any]) -> None:
    """Append rows to a dict of equal-length columns, padding missing cells with None."""
    height = max((len(column) for column in columns.values()), default=0)
    added = max((len(v) if isinstance(v, list) else 1 for v in table.values()), default=0)
    for key in list(columns):
        if key not in table:
            columns[key].extend([None] * added)
    for key, value in table.items():
        cells = value if isinstance(value, list) else [value]
        column = columns.setdefault(str(key), [None] * height)
        column.extend(cells + [None] * (added - len(cells)))


def summarize_metrics(
    records: Iterable[Mapping[str, Any]], name: str | None = None
) -> dict[str, Any]:
    """Fold records into the shapes of v1's ``Run.get_metrics()``.

    scalar, image and charts: the value when logged once, else the list of values; list: the lists
    logged, concatenated; row and table: a dict of equal-length column lists. When a name is
    reused with another kind of metric, the later kind replaces the earlier values.
    """
    kinds: dict[str, str] = {}
    values: dict[str, Any] = {}
    for record in records:
        key, kind, value = record["name"], record["kind"], record.get("value")
        if name is not None and key != name:
            continue
        group = "table" if kind in ("row", "table") else kind
        if kinds.get(key) != group:
            kinds[key] = group
            values[key] = {} if group == "table" else []
        if group == "table":
            if isinstance(value, Mapping):
                if kind == "row":
                    value = {column: [cell] for column, cell in value.items()}
                _append_columns(values[key], value)
        elif group == "list":
            values[key].extend(value if isinstance(value, list) else [value])
        else:
            values[key].append(value)
    result: dict[str, Any] = {}
    for key, value in values.items():
        if kinds[key] in _SINGLE_KINDS and len(value) == 1:
            result[key] = value[0]
        else:
            result[key] = value
    return result
