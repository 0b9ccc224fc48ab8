"""Files read as a table: the options of ``from_delimited_files`` (and of the JSON lines and
parquet factories), column types (``DataType``), and parsing with the standard ``csv`` module
(other formats: ``tabular_formats.py``).

A table is a list of column names and a list of records (dicts); values are ``str``,
``int``, ``float``, ``bool``, ``datetime`` or None (an empty field). Every parse failure
names the file, the line and the column; a value that does not convert to its column's type
is an error too (``on_error='fail'``) or a null with a warning naming the first such value
(``on_error='null'``, v1's default for ``to_pandas_dataframe``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from ..errors import DatasetError, did_you_mean
from ..log import get_logger
from . import tabular_formats as formats

log = get_logger(__name__)

#: The file formats a table is read from (the factory that makes each).
FORMATS = ("delimited", "json_lines", "parquet")
#: Column type names, and the spellings (v1 and pandas) accepted for each.
TYPES = ("str", "int", "float", "bool", "datetime")
_ALIASES = {
    "string": "str", "object": "str", "long": "int", "integer": "int", "int64": "int",
    "double": "float", "float64": "float", "boolean": "bool", "date": "datetime",
    "datetime64": "datetime", "timestamp": "datetime",
}  # fmt: skip
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_INT = re.compile(r"^[+-]?\d+$")

#: v1 ``PromoteHeadersBehavior`` values, by name and number; True/False are the usual ones.
HEADERS = (
    "no_headers",
    "only_first_file_has_headers",
    "combine_all_files_headers",
    "all_files_have_same_headers",
)
#: v1 encoding names -> Python codecs ('utf8' also drops a byte-order mark).
_ENCODINGS = {
    "utf8": "utf-8-sig", "utf-8": "utf-8-sig", "utf8bom": "utf-8-sig", "iso88591": "iso-8859-1",
    "latin1": "latin-1", "ascii": "ascii", "utf16": "utf-16", "utf32": "utf-32",
    "windows1252": "cp1252",
}  # fmt: skip


class DataType:
    """A column type for ``set_column_types`` (a minimal v1 ``azureml.data.DataType``).

    ``str(DataType.to_datetime(["%d/%m/%Y"]))`` is ``"datetime:%d/%m/%Y"``: the plain-string
    form that definitions and pipeline files keep.
    """

    def __init__(self, type_name: str, formats: Iterable[str] = ()) -> None:
        self.type_name = type_name
        self.formats = list(formats)

    @staticmethod
    def to_string() -> DataType:
        return DataType("str")

    @staticmethod
    def to_long() -> DataType:
        return DataType("int")

    @staticmethod
    def to_float(decimal_mark: str = ".") -> DataType:
        return DataType("float")

    @staticmethod
    def to_bool() -> DataType:
        return DataType("bool")

    @staticmethod
    def to_datetime(formats: str | list[str] | None = None) -> DataType:
        return DataType("datetime", [formats] if isinstance(formats, str) else formats or ())

    def __str__(self) -> str:
        return f"{self.type_name}:{'|'.join(self.formats)}" if self.formats else self.type_name

    def __repr__(self) -> str:
        return f"DataType({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataType) and str(other) == str(self)

    def __hash__(self) -> int:
        return hash(str(self))


def type_spec(value: Any, column: str = "") -> str:
    """The canonical string of a column type given as a DataType, a string or a Python type."""
    if isinstance(value, type):
        value = {bool: "bool", int: "int", float: "float", str: "str", datetime: "datetime"}.get(
            value, value.__name__
        )
    text = str(value).strip()
    name, sep, formats = text.partition(":")
    name = _ALIASES.get(name.lower(), name.lower())
    if name not in TYPES or (sep and name != "datetime"):
        raise DatasetError(
            f"unknown column type {text!r}" + (f" for column {column!r}" if column else "")
            + f"{did_you_mean(name, TYPES)}; use one of {', '.join(TYPES)} or a DataType"
        )  # fmt: skip
    return f"{name}:{formats}" if sep and formats else name


def normalize_options(**options: Any) -> dict[str, Any]:
    """The JSON-ready tabular options of a definition, checked."""
    separator = options.get("separator", ",")
    if not isinstance(separator, str) or len(separator) != 1:
        raise DatasetError(f"separator must be one character, got {separator!r}")
    encoding = str(options.get("encoding") or "utf8")
    try:
        codecs.lookup(_ENCODINGS.get(encoding.lower(), encoding))
    except LookupError:
        raise DatasetError(f"unknown encoding {encoding!r}{did_you_mean(encoding, _ENCODINGS)}")
    types = options.get("set_column_types") or {}
    if not isinstance(types, dict):
        raise DatasetError("set_column_types must map column names to types")
    partition = options.get("partition_format")
    extra = _format_options(options)
    return {
        **extra,
        "separator": separator,
        "header": header_mode(options.get("header", True)),
        "include_path": bool(options.get("include_path", False)),
        "infer_column_types": bool(options.get("infer_column_types", True)),
        "set_column_types": {str(k): type_spec(v, str(k)) for k, v in types.items()},
        "partition_format": str(partition) if partition else None,
        "support_multi_line": bool(options.get("support_multi_line", False)),
        "empty_as_string": bool(options.get("empty_as_string", False)),
        "encoding": encoding,
    }


def _format_options(options: dict[str, Any]) -> dict[str, Any]:
    """``format``, ``invalid_lines`` and ``path_glob``, kept in a definition only when not
    the default (so that definitions of delimited files, and their hashes, stay as they
    were)."""
    fmt = options.get("format") or "delimited"
    if fmt not in FORMATS:
        raise DatasetError(f"unknown table format {fmt!r}{did_you_mean(fmt, FORMATS)}")
    invalid = options.get("invalid_lines") or "error"
    if invalid not in ("error", "drop"):
        raise DatasetError(f"invalid_lines must be 'error' or 'drop', got {invalid!r}")
    extra: dict[str, Any] = {} if fmt == "delimited" else {"format": fmt}
    if invalid != "error":
        extra["invalid_lines"] = invalid
    if options.get("path_glob"):  # a step output's files read as the table (v1 path_glob)
        extra["path_glob"] = str(options["path_glob"])
    return extra


def header_mode(header: Any) -> str:
    """One of HEADERS, from a bool, a v1 PromoteHeadersBehavior (name or number) or a string."""
    if isinstance(header, bool):
        return HEADERS[3] if header else HEADERS[0]
    if isinstance(header, int) and 0 <= header < len(HEADERS):
        return HEADERS[header]
    text = str(getattr(header, "name", header)).lower()
    if text not in HEADERS:
        raise DatasetError(f"header must be True, False or one of {', '.join(HEADERS)}")
    return text


# -- parsing ---------------------------------------------------------------------------------
@dataclass
class Source:
    """One file of a table: ``label`` names it in errors, ``path`` is its v1 ``to_path``."""

    label: str
    path: str
    open: Callable[[], IO[bytes]]


@dataclass
class Table:
    columns: list[str]
    records: list[dict[str, Any]]


_Raw = list[tuple["Source", int, dict[str, Any], dict[str, Any]]]


def read_table(
    sources: list[Source],
    options: dict[str, Any],
    limit: int | None = None,
    on_error: str = "fail",
) -> Table:
    """Parse ``sources`` with ``options``; ``limit`` stops after that many records.
    ``on_error`` is 'fail' (a value that does not convert is an error) or 'null'."""
    if on_error not in ("fail", "null"):
        raise DatasetError(f"on_error must be 'fail' or 'null', got {on_error!r}")
    fmt = options.get("format", "delimited")
    if fmt != "delimited":
        found, records = _read_records(sources, options, limit)
        return _typed(found, records, {**options, "infer_column_types": False}, on_error)
    header = options["header"]
    columns: list[str] = []
    raw: list[tuple[Source, int, dict[str, str | None], dict[str, Any]]] = []
    for index, source in enumerate(sources):
        extra = _path_columns(source, options)
        has_header = header in (HEADERS[2], HEADERS[3]) or (header == HEADERS[1] and index == 0)
        file_columns = None if has_header else (list(columns) or None)
        for line, row in _rows(source, options):
            if file_columns is None:
                if has_header:
                    file_columns = _header(source, line, row, columns, header if index else "")
                    columns.extend([c for c in file_columns if c not in columns])
                    continue
                file_columns = [f"Column{i + 1}" for i in range(len(row))]
                columns.extend(file_columns)
            if len(row) != len(file_columns):
                raise DatasetError(
                    f"file {source.label!r}, line {line}: expected {len(file_columns)} "
                    f"columns, found {len(row)} (separator {options['separator']!r})"
                )
            raw.append((source, line, dict(zip(file_columns, row, strict=True)), extra))
            if limit is not None and len(raw) >= limit:
                return _typed(columns, raw, options, on_error)
    return _typed(columns, raw, options, on_error)


def _read_records(
    sources: list[Source], options: dict[str, Any], limit: int | None
) -> tuple[list[str], _Raw]:
    """JSON lines or parquet files as (columns in order of appearance, raw records)."""
    columns: list[str] = []
    raw: _Raw = []
    encoding = _ENCODINGS.get(options["encoding"].lower(), options["encoding"])
    for source in sources:
        extra = _path_columns(source, options)
        rows: Iterable[tuple[int, dict[str, Any]]]
        if options["format"] == "parquet":
            rows = enumerate(formats.parquet_records(source.label, source.open), start=1)
        else:
            invalid = options.get("invalid_lines", "error")
            rows = formats.json_lines(source.label, source.open, encoding, invalid)
        for line, record in rows:
            columns.extend(c for c in record if c not in columns)
            raw.append((source, line, record, extra))
            if limit is not None and len(raw) >= limit:
                return columns, raw
    return columns, raw


def _rows(source: Source, options: dict[str, Any]) -> Iterator[tuple[int, list[str]]]:
    encoding = _ENCODINGS.get(options["encoding"].lower(), options["encoding"])
    try:
        with source.open() as binary:
            text = io.TextIOWrapper(binary, encoding=encoding, newline="")
            reader = csv.reader(text, delimiter=options["separator"], strict=True)
            start = 1
            for row in reader:
                # v1 without support_multi_line ends a record at every line break
                if not options["support_multi_line"] and reader.line_num != start:
                    raise DatasetError(
                        f"file {source.label!r}, line {start}: a quoted value spans several "
                        "lines; pass support_multi_line=True to read it"
                    )
                if row:
                    yield start, row
                start = reader.line_num + 1
    except csv.Error as exc:
        raise DatasetError(f"file {source.label!r}, line {reader.line_num}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"file {source.label!r} is not {options['encoding']!r} text ({exc}); "
            "pass the file's encoding="
        ) from exc


def _header(source: Source, line: int, row: list[str], known: list[str], mode: str) -> list[str]:
    names = _unique([c.strip() or f"Column{i + 1}" for i, c in enumerate(row)])
    if mode == HEADERS[3] and known and names != known:
        # v1 takes every file's first line for the first file's header, unchecked: do the
        # same (so v1 code reads what it read there), but say so
        log.warning(
            "file %r, line %d: header %s differs from the first file's %s; read with the "
            "first file's columns (header='combine_all_files_headers' combines them)",
            source.label, line, names[:8], known[:8],
        )  # fmt: skip
        return known
    return names


def _unique(names: list[str]) -> list[str]:
    """Header names made unique as v1 does: a repeated ``x`` becomes ``x_1``, ``x_2``..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in names or candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out


def _path_columns(source: Source, options: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {"Path": source.path} if options["include_path"] else {}
    if options["partition_format"]:
        extra.update(partition_values(options["partition_format"], source))
    return extra


def _typed(columns: list[str], raw: _Raw, options: dict[str, Any], on_error: str) -> Table:
    types: dict[str, str] = dict(options["set_column_types"])
    extras = _extra_names(options)
    missing = [c for c in types if c not in columns and c not in extras]
    if missing and columns:
        raise DatasetError(
            f"set_column_types names unknown column(s) {missing}"
            f"{did_you_mean(missing[0], columns)}; columns: {columns}"
        )
    if options["infer_column_types"]:
        for col in columns:
            types.setdefault(col, infer_type(r[2].get(col) for r in raw))
    elif options.get("format", "delimited") == "delimited":
        for col in columns:
            types.setdefault(col, "str")
    empty: str | None = "" if options["empty_as_string"] else None
    records, nulled = [], []
    for source, line, row, extra in raw:
        record: dict[str, Any] = dict(extra)
        for col in columns:
            value = row.get(col)
            spec = types.get(col)
            if spec is None or value is None or (_is(value, spec) and value != ""):
                record[col] = value  # typed already (JSON, parquet), or nothing to convert
            elif value == "":
                record[col] = empty if spec == "str" else None
            else:
                where = f"file {source.label!r}, line {line}"
                try:
                    record[col] = convert(_as_text(value), spec, where, col)
                except DatasetError as exc:
                    if on_error == "fail":
                        raise
                    record[col] = None
                    nulled.append(str(exc))
        records.append(record)
    if nulled:
        log.warning(
            "%d value(s) that did not convert read as null (on_error='null'), first: %s",
            len(nulled), nulled[0],
        )  # fmt: skip
    return Table(extras + [c for c in columns if c not in extras], records)


def _is(value: Any, spec: str) -> bool:
    kind = {"str": str, "int": int, "float": float, "bool": bool, "datetime": datetime}
    wanted = kind[spec.partition(":")[0]]
    return isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))


def _as_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, str) else json_text(value)


def json_text(value: Any) -> str:
    """A non-string value as text: JSON for lists and objects, ``str`` otherwise."""
    import json

    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _extra_names(options: dict[str, Any]) -> list[str]:
    names = ["Path"] if options["include_path"] else []
    return names + [n for n, _ in _partition_parts(options["partition_format"] or "")[1]]


def infer_type(values: Iterable[str | None]) -> str:
    """The narrowest type every non-empty value converts to: bool, int, float, datetime, str."""
    present = [v.strip() for v in values if v]
    if not present:
        return "str"
    if all(v.lower() in ("true", "false") for v in present):
        return "bool"
    if all(_INT.match(v) for v in present):
        return "int"
    for spec in ("float", "datetime"):
        try:
            for v in present:
                if spec == "datetime" and not ("-" in v or ":" in v):
                    raise ValueError(v)
                _convert(v, spec)
        except ValueError:
            continue
        return spec
    return "str"


def convert(value: str, spec: str, where: str, column: str) -> Any:
    """``value`` as ``spec``, or DatasetError naming ``where`` and ``column``."""
    try:
        return _convert(value, spec)
    except ValueError:
        raise DatasetError(
            f"{where}, column {column!r}: cannot convert {value!r} to {spec}"
        ) from None


def _convert(value: str, spec: str) -> Any:
    name, _, formats = spec.partition(":")
    text = value.strip()
    if name == "str":
        return value
    if name == "int":
        return int(text)
    if name == "float":
        return float(text)
    if name == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(text)
    for fmt in filter(None, formats.split("|")):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    if formats:
        raise ValueError(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- partition formats -----------------------------------------------------------------------
_DATE_PARTS = {"yyyy": (r"\d{4}", "%Y"), "MM": (r"\d{2}", "%m"), "dd": (r"\d{2}", "%d"),
               "HH": (r"\d{2}", "%H"), "mm": (r"\d{2}", "%M"), "ss": (r"\d{2}", "%S")}  # fmt: skip
_FIELD = re.compile(r"\{([^{}:]+)(?::([^{}]+))?\}")
_DATE_TOKEN = re.compile("|".join(_DATE_PARTS))


def _partition_parts(fmt: str) -> tuple[str, list[tuple[str, str | None]]]:
    """The regex of a v1 partition format and its (column, date format or None) fields."""
    pattern, pos = "", 0
    fields: list[tuple[str, str | None]] = []
    for i, match in enumerate(_FIELD.finditer(fmt)):
        pattern += re.escape(fmt[pos : match.start()])
        name, date = match.group(1).strip(), match.group(2)
        if date is None:
            pattern += f"(?P<g{i}>[^/]+)"
            fields.append((name, None))
        else:
            body = _DATE_TOKEN.sub(lambda m: _DATE_PARTS[m.group(0)][0], re.escape(date))
            pattern += f"(?P<g{i}>{body})"
            fields.append((name, _DATE_TOKEN.sub(lambda m: _DATE_PARTS[m.group(0)][1], date)))
        pos = match.end()
    return pattern + re.escape(fmt[pos:]) + "$", fields


def partition_fields(fmt: str) -> list[tuple[str, str | None]]:
    """The (column, date format or None) fields of a v1 partition format, in order."""
    return _partition_parts(fmt)[1]


def partition_values(fmt: str, source: Source) -> dict[str, Any]:
    """Columns taken from the file's path by a v1 ``partition_format`` (matched at its end)."""
    pattern, fields = _partition_parts(fmt)
    match = re.search(pattern, "/" + source.path.lstrip("/"))
    if match is None:
        raise DatasetError(
            f"file {source.label!r}: its path {source.path!r} does not match "
            f"partition_format {fmt!r}"
        )
    values: dict[str, Any] = {}
    for i, (name, date) in enumerate(fields):
        text = match.group(f"g{i}")
        values[name] = datetime.strptime(text, date) if date else text
    return values
