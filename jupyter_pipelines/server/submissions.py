"""The v1 REST run request of a published pipeline or pipeline endpoint: its body, checked
field by field, and the v1-shaped answer.

v1 client code posts ``{"ExperimentName": ..., "RunSource": "SDK", "ParameterAssignments":
{name: value}, "DataPathAssignments": {name: {"DataStoreName", "RelativePath"}},
"DataSetDefinitionValueAssignments": {name: {"SavedDataSetReference": {"Id"}}}}`` (v1's
``PipelineSubmissionInfo``) and reads ``{"Id": run_id, ...}`` (v1's ``PipelineRunEntity``).
Every problem of a body is found before anything is recorded and answered with the field
that is wrong (``SubmissionError.target``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import ParameterError, PipelinesError, UnknownDatasetError, did_you_mean
from ..model.data import DataPath
from ..model.parameters import PipelineParameter
from .errors import BadRequestError

#: The fields of v1's PipelineSubmissionInfo (and the pipeline endpoint's version).
KNOWN_FIELDS = (
    "ExperimentName",
    "Description",
    "RunSource",
    "RunType",
    "ParameterAssignments",
    "DataPathAssignments",
    "DataSetDefinitionValueAssignments",
    "ScheduleId",
    "ContinueRunOnStepFailure",
    "EnableNotification",
    "tags",
    "Properties",
    "PipelineVersion",
)

#: Resolves a dataset reference (``{"Id"}`` or ``{"Name", "Version"}``) to a dataset.
DatasetResolver = Callable[[Mapping[str, Any]], Any]


class SubmissionError(BadRequestError):
    """A run request body is wrong; ``target`` names the field, ``details`` every problem."""

    def __init__(self, problems: list[tuple[str, str]], code: str = "BadArgument") -> None:
        self.details = [{"code": code, "target": t, "message": m} for t, m in problems]
        self.target = problems[0][0]
        self.code = code
        super().__init__("; ".join(f"{t}: {m}" for t, m in problems))


class UnknownDatasetReference(SubmissionError, UnknownDatasetError):
    """A dataset reference names no dataset of the workspace (answered 404)."""


@dataclass
class Submission:
    """A checked run request: what ``run_published``/``run_endpoint`` need."""

    experiment_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    run_source: str = "API"
    continue_on_step_failure: bool | None = None
    tags: dict[str, str] = field(default_factory=dict)
    schedule_id: str | None = None
    pipeline_version: str | None = None
    datasets: dict[str, Any] = field(default_factory=dict)  # the body's dataset references


def parse_submission(
    body: Any,
    declared: Mapping[str, PipelineParameter],
    resolve_dataset: DatasetResolver,
    datastores: Collection[str] | None = None,
) -> Submission:
    """Check a v1 run request against the pipeline's ``declared`` parameters (and the
    workspace's ``datastores``); every problem is reported at once, each with its field
    (``ParameterAssignments.alpha``)."""
    if not isinstance(body, dict):
        raise SubmissionError([("body", "the request body must be a JSON object")])
    problems: list[tuple[str, str]] = []
    unknown = [k for k in body if k not in KNOWN_FIELDS]
    for key in unknown:
        problems.append((key, f"unknown field{did_you_mean(key, KNOWN_FIELDS)}"))
    experiment = body.get("ExperimentName")
    if not isinstance(experiment, str) or not experiment.strip():
        problems.append(("ExperimentName", "required: the experiment to run in (a string)"))
    values: dict[str, Any] = {}
    missing_datasets: list[tuple[str, str]] = []
    _parameters(body, declared, values, problems)
    _data_paths(body, declared, values, problems, datastores)
    _datasets(body, declared, values, problems, missing_datasets, resolve_dataset)
    submission = Submission(experiment_name=str(experiment or ""), parameters=values)
    _options(body, submission, problems)
    if problems:
        raise SubmissionError(problems)
    if missing_datasets:
        raise UnknownDatasetReference(missing_datasets, code="NotFound")
    submission.datasets = dict(body.get("DataSetDefinitionValueAssignments") or {})
    return submission


def _mapping(body: Mapping[str, Any], key: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append((key, f"must be an object of name: value, got {type(value).__name__}"))
        return {}
    return value


def _declared(
    name: str,
    kinds: tuple[str, ...],
    declared: Mapping[str, PipelineParameter],
    target: str,
    problems: list[tuple[str, str]],
) -> PipelineParameter | None:
    parameter = declared.get(name)
    if parameter is None:
        known = ", ".join(sorted(declared)) or "none"
        problems.append(
            (
                target,
                f"unknown pipeline parameter {name!r}{did_you_mean(name, declared)}; "
                f"declared: {known}",
            )
        )
        return None
    if parameter.type_name not in kinds:
        problems.append(
            (target, f"parameter {name!r} is a {parameter.type_name} parameter, not a {kinds[0]}")
        )
        return None
    return parameter


def _parameters(
    body: Mapping[str, Any],
    declared: Mapping[str, PipelineParameter],
    values: dict[str, Any],
    problems: list[tuple[str, str]],
) -> None:
    scalars = ("string", "int", "float", "bool")
    for name, value in _mapping(body, "ParameterAssignments", problems).items():
        target = f"ParameterAssignments.{name}"
        parameter = _declared(name, scalars, declared, target, problems)
        if parameter is None:
            continue
        if isinstance(value, dict | list) or value is None:
            problems.append((target, f"expects a {parameter.type_name} value, got {value!r}"))
            continue
        try:
            values[name] = parameter.coerce(value)
        except ParameterError as exc:
            problems.append((target, str(exc)))


def _data_paths(
    body: Mapping[str, Any],
    declared: Mapping[str, PipelineParameter],
    values: dict[str, Any],
    problems: list[tuple[str, str]],
    datastores: Collection[str] | None,
) -> None:
    for name, value in _mapping(body, "DataPathAssignments", problems).items():
        target = f"DataPathAssignments.{name}"
        if _declared(name, ("datapath",), declared, target, problems) is None:
            continue
        store = value.get("DataStoreName") if isinstance(value, dict) else None
        path = value.get("RelativePath") if isinstance(value, dict) else None
        if not isinstance(store, str) or not store or not isinstance(path, str):
            problems.append(
                (target, 'expects {"DataStoreName": "<datastore>", "RelativePath": "<path>"}')
            )
            continue
        if datastores is not None and store not in datastores:
            problems.append(
                (
                    f"{target}.DataStoreName",
                    f"unknown datastore {store!r}{did_you_mean(store, datastores)}; "
                    f"known: {', '.join(sorted(datastores))}",
                )
            )
            continue
        values[name] = DataPath(store, path)


def _datasets(
    body: Mapping[str, Any],
    declared: Mapping[str, PipelineParameter],
    values: dict[str, Any],
    problems: list[tuple[str, str]],
    missing: list[tuple[str, str]],
    resolve: DatasetResolver,
) -> None:
    for name, value in _mapping(body, "DataSetDefinitionValueAssignments", problems).items():
        target = f"DataSetDefinitionValueAssignments.{name}"
        if _declared(name, ("dataset",), declared, target, problems) is None:
            continue
        reference = _reference(value)
        if reference is None:
            problems.append(
                (target, 'expects {"SavedDataSetReference": {"Id": "<dataset id>"}} or '
                 '{"DataSetReference": {"Name": "<name>", "Version": "<version>"}}')
            )  # fmt: skip
            continue
        try:
            values[name] = resolve(reference)
        except UnknownDatasetError as exc:
            missing.append((target, str(exc)))
        except PipelinesError as exc:
            problems.append((target, str(exc)))


def _reference(value: Any) -> dict[str, Any] | None:
    """The dataset reference of a DataSetDefinitionValue: ``{"Id"}`` or ``{"Name", "Version"}``."""
    if not isinstance(value, dict):
        return None
    for key in ("SavedDataSetReference", "DataSetReference"):
        ref = value.get(key)
        if isinstance(ref, dict) and (
            (isinstance(ref.get("Id"), str) and ref["Id"]) or isinstance(ref.get("Name"), str)
        ):
            return ref
    return None


def _options(
    body: Mapping[str, Any], submission: Submission, problems: list[tuple[str, str]]
) -> None:
    for key in ("Description", "RunSource", "ScheduleId", "PipelineVersion"):
        value = body.get(key)
        if value is not None and not isinstance(value, str | int):
            problems.append((key, f"must be a string, got {type(value).__name__}"))
    cosf = body.get("ContinueRunOnStepFailure")
    if cosf is not None and not isinstance(cosf, bool):
        problems.append(("ContinueRunOnStepFailure", f"must be true or false, got {cosf!r}"))
    tags = _mapping(body, "tags", problems)
    submission.tags = {str(k): str(v) for k, v in tags.items()}
    submission.description = body.get("Description") or None
    submission.run_source = str(body.get("RunSource") or "API")
    submission.continue_on_step_failure = cosf if isinstance(cosf, bool) else None
    submission.schedule_id = body.get("ScheduleId") or None
    version = body.get("PipelineVersion")
    submission.pipeline_version = None if version in (None, "") else str(version)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc).isoformat()


def run_entity(run: Any, published: Any, submission: Submission) -> dict[str, Any]:
    """The v1 ``PipelineRunEntity`` answer of a started run: ``Id`` and what v1 also gives."""
    return {
        "Id": run.id,
        "Description": run.description,
        "Status": {
            "StatusCode": run.status,
            "StatusDetail": run.error,
            "CreationTime": _iso(run.created),
            "EndTime": _iso(run.ended),
        },
        "GraphId": published.graph_id,
        "IsSubmitted": True,
        "HasErrors": False,
        "HasWarnings": False,
        "UploadState": "Completed",
        "ParameterAssignments": {k: _text(v) for k, v in submission.parameters.items()},
        "DataSetDefinitionValueAssignments": submission.datasets,
        "RunHistoryExperimentName": run.experiment,
        "PipelineId": published.id,
        "RunSource": submission.run_source,
        "RunType": "HTTP",
        "TotalRunSteps": published.total_run_steps,
        "ScheduleId": submission.schedule_id,
        "tags": dict(run.tags),
        "Properties": {},
        "EntityStatus": "Active",
        "CreatedDate": _iso(run.created),
        "LastModifiedDate": _iso(run.created),
    }


def _text(value: Any) -> str:
    if isinstance(value, DataPath):
        return f"{value.datastore_name}:{value.path_on_datastore}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "id", None) or value)


__all__ = ["KNOWN_FIELDS", "Submission", "SubmissionError", "parse_submission", "run_entity"]
