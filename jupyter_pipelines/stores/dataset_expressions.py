"""Conditions on records for ``filter`` (v1's dataprep expressions), kept as JSON.

``tabular['age'] > 30``, ``(ds.file_metadata('Size') > 1000) & ds.file_metadata('Extension')
.starts_with('c')``: indexing a TabularDataset with a column name, or asking a FileDataset for
a metadata column, gives an ``Expression``; comparisons, ``&``, ``|``, ``~`` and the string
methods build bigger ones. Each is a JSON-ready tree, so that a filtered dataset keeps a
plain definition (and a stable hash); ``evaluate`` computes one against a record.

A comparison with a null value is false, as in v1.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from ..errors import DatasetError, did_you_mean

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_TEXT: dict[str, Callable[[str, str], bool]] = {
    "starts_with": lambda a, b: a.startswith(b),
    "ends_with": lambda a, b: a.endswith(b),
    "contains": lambda a, b: b in a,
}
#: What ``FileDataset.file_metadata`` knows of each file.
FILE_METADATA = ("Size", "LastModifiedTime", "CreationTime", "Extension", "CanSeek", "StreamName")


class Expression:
    """A value or condition computed from one record (a row, or a file's metadata)."""

    # == builds an expression, so expressions cannot be dict keys
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    @staticmethod
    def column(name: str) -> Expression:
        return Expression({"column": str(name)})

    @staticmethod
    def metadata(name: str) -> Expression:
        if name not in FILE_METADATA:
            raise DatasetError(
                f"unknown file metadata column {name!r}{did_you_mean(name, FILE_METADATA)}; "
                f"known: {', '.join(FILE_METADATA)}"
            )
        return Expression({"metadata": name})

    def _op(self, op: str, *others: Any) -> Expression:
        return Expression({"op": op, "args": [self.tree, *(_tree(o) for o in others)]})

    def __eq__(self, other: Any) -> Expression:  # type: ignore[override]
        return self._op("==", other)

    def __ne__(self, other: Any) -> Expression:  # type: ignore[override]
        return self._op("!=", other)

    def __lt__(self, other: Any) -> Expression:
        return self._op("<", other)

    def __le__(self, other: Any) -> Expression:
        return self._op("<=", other)

    def __gt__(self, other: Any) -> Expression:
        return self._op(">", other)

    def __ge__(self, other: Any) -> Expression:
        return self._op(">=", other)

    def __and__(self, other: Any) -> Expression:
        return self._op("and", other)

    def __or__(self, other: Any) -> Expression:
        return self._op("or", other)

    def __invert__(self) -> Expression:
        return self._op("not")

    def starts_with(self, prefix: str) -> Expression:
        return self._op("starts_with", prefix)

    def ends_with(self, suffix: str) -> Expression:
        return self._op("ends_with", suffix)

    def contains(self, value: str) -> Expression:
        return self._op("contains", value)

    def is_in(self, values: list[Any]) -> Expression:
        return Expression({"op": "in", "args": [self.tree, [_tree(v) for v in values]]})

    def is_null(self) -> Expression:
        return self._op("is_null")

    def __bool__(self) -> bool:
        raise DatasetError(
            "an expression has no truth value: combine conditions with & | ~, not and/or/not"
        )

    def __repr__(self) -> str:
        return f"Expression({self.tree!r})"


def _tree(value: Any) -> Any:
    if isinstance(value, Expression):
        return value.tree
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"datetime": datetime(value.year, value.month, value.day).isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return {"value": value}
    raise DatasetError(f"cannot use {value!r} in a dataset expression")


def as_tree(expression: Any) -> dict[str, Any]:
    """The JSON tree of a filter's ``expression`` (checked by evaluating it on nothing)."""
    if not isinstance(expression, Expression):
        raise DatasetError(
            f"filter needs an expression such as dataset['column'] > 5, got {expression!r}"
        )
    check(expression.tree)
    return expression.tree


def check(tree: Any) -> None:
    """Raise DatasetError unless ``tree`` is an expression tree this module can evaluate."""
    if not isinstance(tree, dict):
        raise DatasetError(f"bad expression {tree!r}")
    if {"column", "metadata", "value", "datetime"} & set(tree):
        return
    op, args = tree.get("op"), tree.get("args")
    known = (*_COMPARE, *_TEXT, "and", "or", "not", "in", "is_null")
    if op not in known or not isinstance(args, list):
        raise DatasetError(f"bad expression {tree!r}")
    for arg in args:
        for part in arg if op == "in" and isinstance(arg, list) else [arg]:
            check(part)


def evaluate(tree: dict[str, Any], record: dict[str, Any]) -> Any:
    """The value of ``tree`` for ``record`` (conditions give a bool)."""
    if "value" in tree:
        return tree["value"]
    if "datetime" in tree:
        return datetime.fromisoformat(tree["datetime"])
    if "column" in tree or "metadata" in tree:
        name = tree.get("column") or tree.get("metadata")
        if name not in record:
            raise DatasetError(f"filter: no column {name!r}{did_you_mean(str(name), record)}")
        return record[name]
    op, args = tree["op"], tree["args"]
    if op == "and":
        return all(bool(evaluate(a, record)) for a in args)
    if op == "or":
        return any(bool(evaluate(a, record)) for a in args)
    if op == "not":
        return not evaluate(args[0], record)
    left = evaluate(args[0], record)
    if op == "is_null":
        return left is None
    if op == "in":
        return left in [evaluate(a, record) for a in args[1]]
    right = evaluate(args[1], record)
    if left is None or right is None:
        return op == "!=" and (left is None) != (right is None)
    try:
        if op in _TEXT:
            return _TEXT[op](str(left), str(right))
        return _COMPARE[op](_comparable(left), _comparable(right))
    except TypeError:
        raise DatasetError(f"filter: cannot compare {left!r} {op} {right!r}") from None


def _comparable(value: Any) -> Any:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value
