"""Schedules as JSON-ready documents: what the REST resources answer, the CLI prints with
``--json`` and the JupyterLab sidebar shows (the recurrence in words, the next fire time, the
last run)."""

from __future__ import annotations

import time
from typing import Any

from ..errors import PipelinesError
from ..model.recurrence import ScheduleRecurrence, describe
from ..stores.published import PublishedStore
from ..stores.scheduler_lease import current_lease
from ..stores.schedules import FireRecord, ScheduleRecord
from ..stores.workspace import Workspace
from . import schedule_records as sr
from .scheduler import iso


def schedule_document(
    workspace: Workspace, record: ScheduleRecord, fires: int | None = 1
) -> dict[str, Any]:
    """A schedule: what it runs, when (in words and as the next fire time), and its last
    ``fires`` fires (all with None) with the runs they started, newest first."""
    store = sr.store_of(workspace)
    history = store.fires(record.id, limit=fires)
    next_due = sr.next_time(record)
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "status": record.status,
        "kind": record.kind,
        "pipeline_id": record.pipeline_id,
        "pipeline_endpoint_id": record.pipeline_endpoint_id,
        "pipeline_name": _pipeline_name(workspace, record),
        "experiment_name": record.experiment_name,
        "pipeline_parameters": record.parameters,
        "continue_on_step_failure": record.continue_on_step_failure,
        "recurrence": record.recurrence,
        "datastore_name": record.datastore_name,
        "path_on_datastore": record.path_on_datastore,
        "polling_interval": record.polling_interval,
        "data_path_parameter_name": record.data_path_parameter_name,
        "trigger_text": trigger_text(record),
        "next_fire": iso(next_due) if next_due is not None else None,
        "next_fire_ts": next_due,
        "last_run": fire_document(workspace, history[0]) if history else None,
        "fires": [fire_document(workspace, f) for f in history],
        "created": iso(record.created),
        "updated": iso(record.updated),
    }


def trigger_text(record: ScheduleRecord) -> str:
    """When the schedule fires, in words: "every 15 minutes", "when files are added to or
    changed in workspaceblobstore/incoming (checked every 5 minutes)"."""
    if record.recurrence is not None:
        try:
            return describe(ScheduleRecurrence.from_dict(record.recurrence))
        except PipelinesError as exc:  # a record written by another version
            return f"(unreadable recurrence: {exc})"
    where = f"{record.datastore_name}/{record.path_on_datastore or ''}".rstrip("/")
    minutes = record.polling_interval or 5
    every = "every minute" if minutes == 1 else f"every {minutes} minutes"
    return f"when files are added to or changed in {where} (checked {every})"


def fire_document(workspace: Workspace, fire: FireRecord) -> dict[str, Any]:
    """One fire: its due time, what triggered it, and its run (with the run's status now)."""
    status = None
    if fire.run_id:
        try:
            status = workspace.run_store.get_run(fire.run_id).status
        except PipelinesError:
            status = None  # the run was deleted
    return {
        "due": iso(fire.due),
        "fired": iso(fire.fired),
        "missed_since": iso(fire.missed_since) if fire.missed_since is not None else None,
        "trigger": fire.trigger,
        "changed_path": fire.changed_path,
        "run_id": fire.run_id,
        "experiment": fire.experiment,
        "run_status": status,
        "error": fire.error,
    }


def scheduler_document(workspace: Workspace, holder: str | None = None) -> dict[str, Any]:
    """Which process fires the workspace's schedules: the lease's holder and whether it is
    live (renewed within its term); ``this_server`` when ``holder`` is this server's."""
    lease = current_lease(workspace.dir)
    if lease is None:
        return {"holder": None, "live": False, "this_server": False}
    return {
        "holder": lease.holder,
        "pid": lease.pid,
        "host": lease.host,
        "renewed": iso(lease.renewed),
        "expires": iso(lease.expires),
        "live": lease.expires >= time.time() and not lease.gone(),
        "this_server": holder is not None and lease.holder == holder,
    }


def _pipeline_name(workspace: Workspace, record: ScheduleRecord) -> str | None:
    published = PublishedStore(workspace.dir)
    if record.pipeline_endpoint_id:
        endpoint = published.get_endpoint(record.pipeline_endpoint_id)
        return endpoint.name if endpoint else None
    found = published.get(str(record.pipeline_id))
    return found.name if found else None


__all__ = ["fire_document", "schedule_document", "scheduler_document", "trigger_text"]
