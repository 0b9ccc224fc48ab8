"""The filters of ``Experiment.get_runs`` and ``Experiment.list``, as pure functions.

v1 filters runs by type, by tags and by properties: a filter is a name (the run must have
that tag or property, whatever its value), a ``{name: value}`` mapping (every pair must
match; a value of None only asks for the name) or, here also, a list of names. Values
compare as strings, since v1 keeps tag and property values as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import EngineError

#: Run types, as v1 names them (``Run.type``) and as ``get_runs(type=...)`` takes them.
PIPELINE_RUN_TYPE = "azureml.PipelineRun"
STEP_RUN_TYPE = "azureml.StepRun"
#: An interactive run, started by ``Experiment.start_logging()``.
INTERACTIVE_RUN_TYPE = "interactive"

#: ``Experiment.list(view_type=...)``: v1's ``ViewType`` values.
ACTIVE_ONLY, ALL, ARCHIVED_ONLY = "ActiveOnly", "All", "ArchivedOnly"
VIEW_TYPES = (ACTIVE_ONLY, ALL, ARCHIVED_ONLY)


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def normalize_filter(wanted: Any, what: str) -> dict[str, Any] | None:
    """A tags or properties filter as ``{name: value or None}``; None when there is none."""
    if wanted is None:
        return None
    if isinstance(wanted, str):
        return {wanted: None}
    if isinstance(wanted, Mapping):
        return {str(k): v for k, v in wanted.items()}
    if isinstance(wanted, Iterable):
        names = list(wanted)
        if all(isinstance(n, str) for n in names):
            return {n: None for n in names}
    raise EngineError(
        f"{what} filter {wanted!r} is not understood: give a name ('{what[:-1]}'), "
        f"a {{name: value}} dict, or a list of names"
    )


def matches(values: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    """Whether ``values`` (a run's tags or properties) satisfies the filter ``wanted``."""
    if wanted is None:
        return True
    for name, value in wanted.items():
        if name not in values:
            return False
        if value is not None and _as_text(values[name]) != _as_text(value):
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


def run_type_of(run: Any) -> str:
    """The v1 type of a run object: its ``type`` when it has one, else from its class."""
    declared = getattr(run, "type", None)
    if isinstance(declared, str) and declared:
        return declared
    names = {c.__name__ for c in type(run).__mro__}
    if "StepRun" in names:
        return STEP_RUN_TYPE
    if "InteractiveRun" in names:
        return INTERACTIVE_RUN_TYPE
    return PIPELINE_RUN_TYPE


def _mapping_of(run: Any, getter: str, attribute: str) -> Mapping[str, Any]:
    get = getattr(run, getter, None)
    found = get() if callable(get) else getattr(run, attribute, None)
    return found if isinstance(found, Mapping) else {}


def tags_of(run: Any) -> Mapping[str, Any]:
    """A run object's tags (``get_tags()``, else ``tags``); empty when it has none."""
    return _mapping_of(run, "get_tags", "tags")


def properties_of(run: Any) -> Mapping[str, Any]:
    """A run object's properties (``get_properties()``, else ``properties``); may be empty."""
    return _mapping_of(run, "get_properties", "properties")


def run_matches(
    run: Any,
    type: str | None,
    tags: Mapping[str, Any] | None,
    properties: Mapping[str, Any] | None,
) -> bool:
    """Whether a run object passes the type, tags and properties filters of ``get_runs``."""
    if type is not None and run_type_of(run) != type:
        return False
    if tags is not None and not matches(tags_of(run), tags):
        return False
    return properties is None or matches(properties_of(run), properties)
