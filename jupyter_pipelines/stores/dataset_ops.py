"""The transformations of a dataset's definition, applied to its files or its rows.

A transformation is a JSON-ready step, kept in order in the definition: ``take``, ``skip``
(counts), ``sample`` (``take_sample``), ``split`` (one part of ``random_split``), ``filter``
(an expression, see ``dataset_expressions.py``) and ``time`` (the time filters of tabular
datasets) select items; ``keep_columns`` and ``drop_columns`` select columns of tables.

Random steps carry their seed (drawn when the dataset is made, if not given), so that a
definition always selects the same items: what reuse and registration need.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from ..errors import DatasetError
from . import dataset_expressions as expressions

T = TypeVar("T")
ITEM_OPS = ("take", "skip", "sample", "split", "filter", "time")
COLUMN_OPS = ("keep_columns", "drop_columns")


# -- making steps ------------------------------------------------------------------------------
def count_step(op: str, count: Any) -> dict[str, Any]:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise DatasetError(f"count must be a non-negative integer, got {count!r}")
    return {"op": op, "count": count}


def sample_step(probability: Any, seed: int | None) -> dict[str, Any]:
    return {
        "op": "sample",
        "probability": _fraction("probability", probability),
        "seed": _seed(seed),
    }


def split_steps(percentage: Any, seed: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two complementary steps of ``random_split``: same seed, parts 0 and 1."""
    share, chosen = _fraction("percentage", percentage), _seed(seed)
    return tuple({"op": "split", "percentage": share, "seed": chosen, "part": p} for p in (0, 1))  # type: ignore[return-value]


def filter_step(expression: Any) -> dict[str, Any]:
    return {"op": "filter", "expression": expressions.as_tree(expression)}


def time_step(
    column: str | None, start: datetime | None, end: datetime | None, include_boundary: bool
) -> dict[str, Any]:
    if column is None:
        raise DatasetError(
            "this dataset has no timestamp column: call with_timestamp_columns(timestamp=...) first"
        )
    return {
        "op": "time",
        "column": column,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "include_boundary": bool(include_boundary),
    }


def column_step(op: str, columns: str | list[str]) -> dict[str, Any]:
    names = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    return {"op": op, "columns": names}


def _fraction(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise DatasetError(f"{name} must be a number between 0.0 and 1.0, got {value!r}")
    return float(value)


def _seed(seed: int | None) -> int:
    if seed is None:
        return random.SystemRandom().randrange(2**31)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DatasetError(f"seed must be an integer, got {seed!r}")
    return seed


def check_step(step: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``step`` when it is a well-formed transformation among ``allowed`` ops."""
    op = step.get("op") if isinstance(step, dict) else None
    ok = (
        op in allowed
        and {
            "take": lambda: isinstance(step.get("count"), int),
            "skip": lambda: isinstance(step.get("count"), int),
            "sample": lambda: {"probability", "seed"} <= set(step),
            "split": lambda: {"percentage", "seed", "part"} <= set(step),
            "filter": lambda: _checked(step.get("expression")),
            "time": lambda: {"column", "start", "end"} <= set(step),
            "keep_columns": lambda: isinstance(step.get("columns"), list),
            "drop_columns": lambda: isinstance(step.get("columns"), list),
        }[op]()
    )
    if not ok:
        raise DatasetError(f"unknown or malformed dataset transformation {step!r}")
    return dict(step)


def _checked(tree: Any) -> bool:
    expressions.check(tree)  # raises DatasetError naming what is wrong
    return True


# -- applying them ------------------------------------------------------------------------------
def select(
    items: list[T], step: dict[str, Any], record_of: Callable[[T], dict[str, Any]]
) -> list[T]:
    """The items that one item step keeps; ``record_of`` gives the record a filter sees."""
    op = step["op"]
    if op == "take":
        return items[: step["count"]]
    if op == "skip":
        return items[step["count"] :]
    if op in ("sample", "split"):
        rng = random.Random(step["seed"])
        draws = [rng.random() for _ in items]
        if op == "sample":
            return [i for i, d in zip(items, draws, strict=True) if d < step["probability"]]
        first = step["part"] == 0
        return [i for i, d in zip(items, draws, strict=True) if (d < step["percentage"]) == first]
    if op == "filter":
        return [i for i in items if expressions.evaluate(step["expression"], record_of(i)) is True]
    if op == "time":
        return [i for i in items if _in_time(record_of(i).get(step["column"]), step)]
    raise DatasetError(f"cannot apply {op!r} to the items of a dataset")


def _in_time(value: Any, step: dict[str, Any]) -> bool:
    if not isinstance(value, datetime):
        return False
    value = value.replace(tzinfo=None)
    inclusive = step.get("include_boundary", True)
    for bound, after in ((step["start"], True), (step["end"], False)):
        if bound is None:
            continue
        limit = datetime.fromisoformat(bound).replace(tzinfo=None)
        if value == limit and not inclusive:
            return False
        if (value < limit) if after else (value > limit):
            return False
    return True
