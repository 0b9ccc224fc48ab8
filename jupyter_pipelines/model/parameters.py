"""Pipeline parameters: typed values that can change at each submit (v1 ``PipelineParameter``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ParameterError, did_you_mean

ParameterValue = Any  # str, int, float, bool, or a dataset / DataPath object

#: Names of the parameter types, as written in pipeline files.
PARAMETER_TYPES: dict[str, type] = {
    "string": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dataset": object,
    "datapath": object,
}

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def type_name_of(value: object) -> str:
    """The parameter type name of a default: string, int, float, bool, dataset or datapath."""
    if getattr(value, "is_dataset", False) is True or getattr(value, "is_dataset_ref", False):
        return "dataset"
    if getattr(value, "is_datapath", False) is True:
        return "datapath"
    # bool before int: True is an int in Python, but not a valid int parameter.
    for name, kind in (("bool", bool), ("int", int), ("float", float), ("string", str)):
        if isinstance(value, kind):
            return name
    raise ParameterError(
        f"parameter default {value!r} is of type {type(value).__name__!r}; "
        "expected a str, int, float, bool, a dataset or a DataPath"
    )


class PipelineParameter:
    """A value of a pipeline that can be overridden at submit time.

    It is typed by its default value (str, int, float or bool), and can be used
    in a step's ``arguments`` and ``params``.
    """

    def __init__(self, name: str, default_value: ParameterValue, description: str = "") -> None:
        if not isinstance(name, str) or not name.strip():
            raise ParameterError("a PipelineParameter needs a non-empty 'name'")
        self.name = name
        self.type_name = type_name_of(default_value)
        self.default_value = default_value
        self.description = description

    def __repr__(self) -> str:
        return f"PipelineParameter(name={self.name!r}, default_value={self.default_value!r})"

    def coerce(self, value: Any) -> ParameterValue:
        """Return ``value`` as this parameter's type, or raise ParameterError naming it."""
        return coerce_value(self.name, self.type_name, value)


def coerce_value(name: str, type_name: str, value: Any) -> ParameterValue:
    """Convert a submitted value (possibly a string from a command line) to ``type_name``."""
    if type_name in ("dataset", "datapath"):
        return _coerce_data(name, type_name, value)
    wrong = ParameterError(
        f"parameter {name!r} expects a {type_name} value, got {value!r} ({type(value).__name__})"
    )
    if type_name == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise wrong
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise wrong
    if isinstance(value, bool):
        raise wrong
    try:
        if type_name == "int":
            if isinstance(value, float) and not value.is_integer():
                raise wrong
            return int(value)
        if type_name == "float":
            return float(value)
    except (TypeError, ValueError):
        raise wrong from None
    raise ParameterError(f"parameter {name!r} has unknown type {type_name!r}")


def _coerce_data(name: str, type_name: str, value: Any) -> Any:
    """A dataset or DataPath value; from a command line, ``NAME[:VERSION]`` or ``STORE:PATH``."""
    from .data import DataPath, DatasetRef

    if type_name_of_safe(value) == type_name:
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if type_name == "dataset":
            base, _, version = text.partition(":")
            return DatasetRef(base, int(version) if version.isdigit() else version or "latest")
        store, sep, path = text.partition(":")
        if sep:
            return DataPath(store, path)
    expected = (
        "a dataset or NAME[:VERSION]"
        if type_name == "dataset"
        else ("a DataPath or DATASTORE:PATH")
    )
    raise ParameterError(f"parameter {name!r} expects {expected}, got {value!r}")


def type_name_of_safe(value: object) -> str | None:
    """Like type_name_of, but None for values no parameter can hold."""
    try:
        return type_name_of(value)
    except ParameterError:
        return None


def resolve_parameter_values(
    declared: Mapping[str, PipelineParameter], overrides: Mapping[str, Any] | None
) -> dict[str, ParameterValue]:
    """Merge submit-time ``overrides`` into the defaults of ``declared`` parameters.

    Every unknown name and every wrongly typed value is reported in one error.
    """
    values: dict[str, ParameterValue] = {n: p.default_value for n, p in declared.items()}
    problems: list[str] = []
    for name, value in (overrides or {}).items():
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            problems.append(
                f"unknown pipeline parameter {name!r}{did_you_mean(name, declared)}; "
                f"the pipeline declares: {known}"
            )
            continue
        try:
            values[name] = declared[name].coerce(value)
        except ParameterError as exc:
            problems.append(str(exc))
    if problems:
        raise ParameterError("; ".join(problems))
    return values
