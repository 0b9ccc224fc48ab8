"""Making and changing schedules: the checks v1 makes (and those only the workspace can make),
the first due time, and the datastore baseline. Used by ``Schedule``, the REST routes and the
CLI; the scheduler (engine/scheduler.py) fires what these record.

A recurrence schedule is due at its recurrence's first fire (at once when it has no start
time, as v1). A datastore schedule takes a baseline of the watched folder when it is made
(or enabled again), so only files added or changed afterwards fire it; it is due for its
first poll ``polling_interval`` minutes later.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import (
    EngineError,
    ParameterError,
    ScheduleError,
    StoreError,
    UnknownScheduleError,
    did_you_mean,
)
from ..model.data import DataPath
from ..model.data_inputs import DatasetRef
from ..model.file_writer import parameter_value_doc
from ..model.parameters import resolve_parameter_values
from ..model.recurrence import ScheduleRecurrence, first_fire, next_fire
from ..stores.background import ensure_server
from ..stores.datastore_watch import Look, look
from ..stores.datastores import Datastore
from ..stores.scheduler_lease import current_lease
from ..stores.schedules import ACTIVE, DISABLED, STATUSES, ScheduleRecord, ScheduleStore
from ..stores.workspace import Workspace
from . import published_runs as pr
from .experiment import check_experiment_name

#: Testing knob: how many seconds one minute of ``polling_interval`` lasts (default 60).
MINUTE_ENV = "JUPYTER_PIPELINES_SCHEDULER_MINUTE"


def minute_seconds() -> float:
    """The length of a polling minute: 60 s, or ``JUPYTER_PIPELINES_SCHEDULER_MINUTE``."""
    try:
        value = float(os.environ.get(MINUTE_ENV) or 60)
    except ValueError:
        return 60.0
    return value if value > 0 else 60.0


def store_of(workspace: Workspace) -> ScheduleStore:
    return ScheduleStore(workspace.dir)


def utc(ts: float) -> datetime:
    """A unix time as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, timezone.utc)


# -- making ---------------------------------------------------------------------------------
def create_schedule(
    workspace: Workspace,
    name: str,
    experiment_name: str,
    *,
    pipeline_id: str | None = None,
    pipeline_endpoint_id: str | None = None,
    recurrence: ScheduleRecurrence | None = None,
    description: str | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
    datastore: Any = None,
    polling_interval: Any = 5,
    data_path_parameter_name: str | None = None,
    continue_on_step_failure: bool | None = None,
    path_on_datastore: str | None = None,
) -> ScheduleRecord:
    """Check and record a schedule of a published pipeline (or of an endpoint's default
    version); nothing is recorded when anything is wrong."""
    if not isinstance(name, str) or not name.strip():
        raise ScheduleError(f"a schedule needs a non-empty name, got {name!r}")
    _check_kind(recurrence, datastore, data_path_parameter_name, path_on_datastore)
    _check_experiment(experiment_name)
    declared = _declared_parameters(workspace, pipeline_id, pipeline_endpoint_id)
    parameters = parameters_doc(declared, pipeline_parameters)
    now = time.time()
    record = ScheduleRecord(
        id=str(uuid.uuid4()),
        name=name,
        description=description,
        pipeline_id=pipeline_id,
        pipeline_endpoint_id=pipeline_endpoint_id,
        experiment_name=experiment_name,
        parameters=parameters,
        continue_on_step_failure=continue_on_step_failure,
        anchor=now,
    )
    if recurrence is not None:
        recurrence.validate()
        record.recurrence = recurrence.to_dict()
        record.next_due = first_fire(recurrence, utc(now)).timestamp()
    else:
        store = datastore_of(workspace, datastore)
        _check_data_path_parameter(declared, data_path_parameter_name)
        record.datastore_name = store.name
        record.path_on_datastore = store.relative(path_on_datastore) or None
        record.polling_interval = polling_minutes(polling_interval)
        record.data_path_parameter_name = data_path_parameter_name
        record.watch = baseline(workspace, record)
        record.next_due = now + record.polling_interval * minute_seconds()
    return store_of(workspace).create(record)


def _check_kind(
    recurrence: Any, datastore: Any, data_path_parameter_name: Any, path_on_datastore: Any
) -> None:
    """v1's rules: a recurrence or a datastore, and the datastore options only with one."""
    if recurrence is not None:
        if not isinstance(recurrence, ScheduleRecurrence):
            raise ScheduleError(f"recurrence must be a ScheduleRecurrence, got {recurrence!r}")
        if datastore is not None:
            raise ScheduleError("Can not specify both a Recurrence and a Datastore")
        if data_path_parameter_name is not None:
            raise ScheduleError(
                "Data Path parameter name can only be specified for Datastore schedules."
            )
        if path_on_datastore is not None:
            raise ScheduleError(
                "Path on datastore parameter can only be specified for Datastore schedules."
            )
    elif datastore is None:
        raise ScheduleError(
            "a schedule needs recurrence=ScheduleRecurrence(...) (a time schedule) or "
            "datastore=... (a schedule that fires when files are added or changed there)"
        )


def _check_experiment(name: Any) -> str:
    """The experiment of the schedule's runs, checked now (a ScheduleError, as v1's
    ValueErrors, rather than a failure at every fire)."""
    try:
        return check_experiment_name(name)
    except EngineError as exc:
        raise ScheduleError(str(exc)) from None


def datastore_of(workspace: Workspace, datastore: Any) -> Datastore:
    """The watched datastore: a Datastore of the workspace, or its name."""
    name = datastore if isinstance(datastore, str) else getattr(datastore, "name", None)
    if not isinstance(name, str):
        raise ScheduleError(f"datastore must be a Datastore or its name, got {datastore!r}")
    return Datastore.get(workspace, name)


def polling_minutes(value: Any) -> int:
    """A polling interval in whole minutes (v1: an int, 5 by default)."""
    if value is None:
        return 5
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 10**6:
        raise ScheduleError(
            f"polling_interval must be a number of minutes from 1 to 1,000,000, got {value!r}"
        )
    if isinstance(value, float) and not value.is_integer():
        raise ScheduleError(f"polling_interval is in whole minutes, got {value!r}")
    return int(value)


def _declared_parameters(
    workspace: Workspace, pipeline_id: str | None, endpoint_id: str | None
) -> dict[str, Any]:
    """The parameters of what the schedule runs: the published pipeline, or the endpoint's
    default version (which may change before a fire; each fire checks again)."""
    if (pipeline_id is None) == (endpoint_id is None):
        raise ScheduleError("a schedule runs a published pipeline or a pipeline endpoint: give one")
    if endpoint_id is not None:
        endpoint = pr.get_endpoint(workspace, str(endpoint_id))
        pipeline_id = pr.endpoint_version(endpoint, None)[1]
    assert pipeline_id is not None
    record = pr.get_published(workspace, str(pipeline_id))
    return dict(pr.pipeline_of(workspace, record).parameters)


def _check_data_path_parameter(declared: Mapping[str, Any], name: str | None) -> None:
    if name is not None and name not in declared:
        raise ScheduleError(
            f"data_path_parameter_name {name!r} is not a parameter of the pipeline"
            f"{did_you_mean(name, declared)}; its parameters: {', '.join(declared) or 'none'}"
        )


def baseline(workspace: Workspace, record: ScheduleRecord) -> Look:
    """The files of a datastore schedule's watched folder now (later changes fire it)."""
    store = Datastore.get(workspace, str(record.datastore_name))
    return look(store, record.path_on_datastore, record.watch, stat_cache(workspace))


def stat_cache(workspace: Workspace) -> str:
    return str(workspace.snapshots_dir / "statcache.db")


# -- parameters -----------------------------------------------------------------------------
def parameters_doc(declared: Mapping[str, Any], values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` checked against the declared parameters (every problem at once) and kept as
    JSON: DataPaths and datasets as mappings, as pipeline files write them."""
    if values is not None and not isinstance(values, Mapping):
        raise ParameterError(f"pipeline_parameters must be a dict, got {values!r}")
    resolve_parameter_values(declared, values)
    return {str(k): parameter_value_doc(v) for k, v in (values or {}).items()}


def parameter_values(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``parameters_doc``'s JSON."""
    values: dict[str, Any] = {}
    for name, value in doc.items():
        if isinstance(value, dict) and "definition" in value:
            value = DatasetRef("", definition=dict(value["definition"]))
        elif isinstance(value, dict) and "dataset" in value:
            value = DatasetRef(value["dataset"], value.get("version", "latest"))
        elif isinstance(value, dict) and "datastore" in value:
            value = DataPath(value["datastore"], value.get("path"))
        values[name] = value
    return values


# -- changing -------------------------------------------------------------------------------
def get_schedule(workspace: Workspace, schedule_id: str) -> ScheduleRecord:
    """The schedule ``schedule_id`` (or the one whose id starts with it), else an error."""
    store = store_of(workspace)
    found = store.get(str(schedule_id))
    if found is None:
        ids = [r.id for r in store.all()]
        matching = [i for i in ids if i.startswith(str(schedule_id))]
        if len(matching) == 1 and str(schedule_id):
            return get_schedule(workspace, matching[0])
        raise UnknownScheduleError(
            f"no schedule {schedule_id!r} in {workspace!r}{did_you_mean(str(schedule_id), ids)}; "
            "Schedule.list(ws) (or 'jupyter-pipelines schedules') lists them"
        )
    return found


def set_status(workspace: Workspace, schedule_id: str, status: str) -> ScheduleRecord:
    """Enable or disable a schedule. Enabled again, a recurrence is next due at its next fire
    after now (fires missed while it was Disabled are not made up), and a datastore schedule
    takes a new baseline (changes made while it was Disabled do not fire it)."""
    if status not in STATUSES:
        raise ScheduleError(f"Status must be either Active or Disabled, got {status!r}")
    record = get_schedule(workspace, schedule_id)
    changes: dict[str, Any] = {"status": status}
    if status == ACTIVE and record.status == DISABLED:
        changes.update(_restart(workspace, record))
    return store_of(workspace).update(record.id, **changes)


def _restart(workspace: Workspace, record: ScheduleRecord) -> dict[str, Any]:
    now = time.time()
    if record.recurrence is not None:
        recurrence = ScheduleRecurrence.from_dict(record.recurrence)
        return {"next_due": next_fire(recurrence, utc(record.anchor), utc(now)).timestamp()}
    minutes = record.polling_interval or 5
    return {"watch": baseline(workspace, record), "next_due": now + minutes * minute_seconds()}


def update_schedule(workspace: Workspace, schedule_id: str, **changes: Any) -> ScheduleRecord:
    """Change a schedule (v1 ``Schedule.update``): only the given (not None) fields change.
    A new recurrence counts from now (a start time keeps its own phase); a new datastore or
    path takes a new baseline."""
    record = get_schedule(workspace, schedule_id)
    given = {k: v for k, v in changes.items() if v is not None}
    recurrence, datastore = given.pop("recurrence", None), given.pop("datastore", None)
    if recurrence is not None and record.recurrence is None:
        raise ScheduleError("Can not specify a recurrence for a Datastore schedule.")
    if datastore is not None and record.recurrence is not None:
        raise ScheduleError("Can not specify a Datastore for a Recurrence schedule.")
    for key in ("data_path_parameter_name", "path_on_datastore", "polling_interval"):
        if key in given and record.recurrence is not None:
            raise ScheduleError(f"{key} can only be specified for Datastore schedules.")
    if "status" in given and given["status"] not in STATUSES:
        raise ScheduleError("Status must be either Active or Disabled")
    fields = _plain_changes(workspace, record, given)
    now = time.time()
    if recurrence is not None:
        _check_kind(recurrence, None, None, None)
        recurrence.validate()
        fields.update(recurrence=recurrence.to_dict(), anchor=now)
        fields["next_due"] = next_fire(recurrence, utc(now), utc(now)).timestamp()
    if datastore is not None or "path_on_datastore" in given:
        store = datastore_of(workspace, datastore or record.datastore_name)
        record.datastore_name = fields["datastore_name"] = store.name
        path = given.get("path_on_datastore", record.path_on_datastore)
        record.path_on_datastore = fields["path_on_datastore"] = store.relative(path) or None
        fields["watch"] = baseline(workspace, record)
    status = fields.pop("status", None)
    updated = store_of(workspace).update(record.id, **fields)
    return set_status(workspace, updated.id, status) if status else updated


def _plain_changes(
    workspace: Workspace, record: ScheduleRecord, given: dict[str, Any]
) -> dict[str, Any]:
    """The fields that change as given, checked: name, description, parameters, ..."""
    fields: dict[str, Any] = {}
    for key in ("name", "description", "continue_on_step_failure", "status"):
        if key in given:
            fields[key] = given[key]
    needs_pipeline = "pipeline_parameters" in given or "data_path_parameter_name" in given
    declared = (
        _declared_parameters(workspace, record.pipeline_id, record.pipeline_endpoint_id)
        if needs_pipeline
        else {}
    )
    if "pipeline_parameters" in given:
        fields["parameters"] = parameters_doc(declared, given["pipeline_parameters"])
    if "data_path_parameter_name" in given:
        _check_data_path_parameter(declared, given["data_path_parameter_name"])
        fields["data_path_parameter_name"] = given["data_path_parameter_name"]
    if "polling_interval" in given:
        fields["polling_interval"] = polling_minutes(given["polling_interval"])
    if "experiment_name" in given:
        fields["experiment_name"] = _check_experiment(given["experiment_name"])
    return fields


def delete_schedule(workspace: Workspace, schedule_id: str) -> str:
    """Remove a schedule and its fire history (the runs it started stay); its id."""
    record = get_schedule(workspace, schedule_id)
    store_of(workspace).delete(record.id)
    return record.id


def ensure_scheduler(workspace: Workspace) -> str | None:
    """Make sure a scheduler will fire the workspace's schedules: when no live one holds the
    lease, the Jupyter server serving the workspace (started in the background when none
    does, as reading an ``.endpoint`` does) runs one. None when one will, else a note saying
    why nothing fires for now (``JUPYTER_PIPELINES_BACKGROUND_SERVER=0``, a failed start)."""
    lease = current_lease(workspace.dir)
    if lease is not None and lease.expires >= time.time() and not lease.gone():
        return None
    try:
        ensure_server(Path(workspace.root))
    except StoreError as exc:
        return f"schedules fire only while a Jupyter server serves the workspace: {exc}"
    return None


def next_time(record: ScheduleRecord) -> float | None:
    """When an Active schedule is next due (a fire or a poll), else None."""
    if record.status != ACTIVE or record.next_due is None or math.isnan(record.next_due):
        return None
    return record.next_due


__all__ = [
    "MINUTE_ENV",
    "baseline",
    "create_schedule",
    "datastore_of",
    "delete_schedule",
    "ensure_scheduler",
    "get_schedule",
    "minute_seconds",
    "next_time",
    "parameter_values",
    "parameters_doc",
    "polling_minutes",
    "set_status",
    "stat_cache",
    "store_of",
    "update_schedule",
    "utc",
]
