"""The filters of ``Experiment.list`` and ``PipelineDraft.list``: tags and view types.

A tags filter is v1's: a name (the tag must be there, whatever its value), a ``{name:
value}`` mapping (every pair must match; a value of None only asks for the name) or, here
also, a list of names. Values compare as strings, since v1 keeps tag values as strings.
Runs are filtered the same way by ``Run.list`` (runtime/lookup.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import EngineError

#: ``Experiment.list(view_type=...)``: v1's ``ViewType`` values.
ACTIVE_ONLY, ALL, ARCHIVED_ONLY = "ActiveOnly", "All", "ArchivedOnly"
VIEW_TYPES = (ACTIVE_ONLY, ALL, ARCHIVED_ONLY)


def normalize_filter(wanted: Any, what: str = "tags") -> dict[str, Any] | None:
    """A tags filter as ``{name: value or None}``; None when there is none."""
    if wanted is None:
        return None
    if isinstance(wanted, str):
        return {wanted: None}
    if isinstance(wanted, Mapping):
        return {str(k): v for k, v in wanted.items()}
    if isinstance(wanted, Iterable):
        names = list(wanted)
        if all(isinstance(n, str) for n in names):
            return dict.fromkeys(names)
    raise EngineError(
        f"{what} filter {wanted!r} is not understood: give a name, a {{name: value}} dict, "
        "or a list of names"
    )


def matches(values: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    """Whether ``values`` (tags) satisfies the filter ``wanted`` (see normalize_filter)."""
    if wanted is None:
        return True
    for name, value in wanted.items():
        if name not in values:
            return False
        if value is not None and str(values[name]) != str(value):
            return False
    return True


def check_view_type(view_type: str) -> str:
    """``view_type`` when it is one of v1's ``ViewType`` values; otherwise an error."""
    if view_type not in VIEW_TYPES:
        raise EngineError(
            f"view_type {view_type!r} is not one of {', '.join(map(repr, VIEW_TYPES))} "
            "(see jupyter_pipelines.engine.experiment.ViewType)"
        )
    return view_type


def shown_in_view(archived: bool, view_type: str) -> bool:
    """Whether an experiment (archived or not) is listed under ``view_type``."""
    if view_type == ALL:
        return True
    return archived == (view_type == ARCHIVED_ONLY)
