"""The schedules part of the extension's REST API: request bodies turned into engine calls, and
the schedule documents the front end and the CLI read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine import schedule_records as sr
from ..engine.schedule_docs import schedule_document, scheduler_document
from ..model.recurrence import ScheduleRecurrence
from ..stores.workspace import Workspace
from .errors import BadRequestError

#: The fields of a schedule a POST may give (besides ``recurrence``).
_CREATE_FIELDS = {
    "name",
    "pipeline_id",
    "pipeline_endpoint_id",
    "experiment_name",
    "description",
    "pipeline_parameters",
    "datastore",
    "datastore_name",
    "path_on_datastore",
    "polling_interval",
    "data_path_parameter_name",
    "continue_on_step_failure",
    "recurrence",
}
#: The fields a PATCH may change.
_UPDATE_FIELDS = _CREATE_FIELDS - {"pipeline_id", "pipeline_endpoint_id", "datastore_name"}


class ScheduleService:
    """Schedules of one workspace, for the REST handlers; ``holder``: this server's scheduler
    lease holder id (None when it runs no scheduler)."""

    def __init__(self, workspace: Workspace, holder: str | None) -> None:
        self.workspace = workspace
        self.holder = holder

    def list(self, active_only: bool = False) -> dict[str, Any]:
        records = sr.store_of(self.workspace).all(active_only=active_only)
        return {
            "schedules": [schedule_document(self.workspace, r) for r in records],
            "scheduler": scheduler_document(self.workspace, self.holder),
        }

    def get(self, schedule_id: str, fires: int | None = 20) -> dict[str, Any]:
        record = sr.get_schedule(self.workspace, schedule_id)
        return schedule_document(self.workspace, record, fires=fires)

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new schedule from ``{name, pipeline_id | pipeline_endpoint_id, experiment_name,
        recurrence: {...} | datastore, path_on_datastore, polling_interval,
        data_path_parameter_name, ...}``."""
        _check_fields(body, _CREATE_FIELDS)
        record = sr.create_schedule(
            self.workspace,
            _text(body, "name", required=True) or "",
            _text(body, "experiment_name", required=True) or "",
            pipeline_id=_text(body, "pipeline_id"),
            pipeline_endpoint_id=_text(body, "pipeline_endpoint_id"),
            recurrence=_recurrence(body),
            description=_text(body, "description"),
            pipeline_parameters=_mapping(body, "pipeline_parameters"),
            datastore=_text(body, "datastore") or _text(body, "datastore_name"),
            polling_interval=body.get("polling_interval", 5),
            data_path_parameter_name=_text(body, "data_path_parameter_name"),
            continue_on_step_failure=_flag(body, "continue_on_step_failure"),
            path_on_datastore=_text(body, "path_on_datastore"),
        )
        return schedule_document(self.workspace, record)

    def update(self, schedule_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change a schedule: ``status`` (``Active``/``Disabled``) and the other fields."""
        _check_fields(body, _UPDATE_FIELDS | {"status"})
        record = sr.update_schedule(
            self.workspace,
            schedule_id,
            name=_text(body, "name"),
            description=_text(body, "description"),
            recurrence=_recurrence(body),
            pipeline_parameters=_mapping(body, "pipeline_parameters"),
            status=_text(body, "status"),
            datastore=_text(body, "datastore"),
            polling_interval=body.get("polling_interval"),
            data_path_parameter_name=_text(body, "data_path_parameter_name"),
            continue_on_step_failure=_flag(body, "continue_on_step_failure"),
            path_on_datastore=_text(body, "path_on_datastore"),
            experiment_name=_text(body, "experiment_name"),
        )
        return schedule_document(self.workspace, record)

    def delete(self, schedule_id: str) -> dict[str, Any]:
        return {"deleted": sr.delete_schedule(self.workspace, schedule_id)}


def _check_fields(body: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequestError(
            f"unknown schedule field(s) {', '.join(map(repr, unknown))}; the fields are "
            + ", ".join(sorted(known))
        )


def _recurrence(body: Mapping[str, Any]) -> ScheduleRecurrence | None:
    value = body.get("recurrence")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequestError("'recurrence' must be an object: {frequency, interval, ...}")
    return ScheduleRecurrence.from_dict(value)


def _text(body: Mapping[str, Any], key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and required:
        raise BadRequestError(f"{key!r} is required")
    if value is not None and not isinstance(value, str):
        raise BadRequestError(f"{key!r} must be a string")
    return value


def _mapping(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadRequestError(f"{key!r} must be an object")
    return value


def _flag(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadRequestError(f"{key!r} must be true or false")
    return value


__all__ = ["ScheduleService"]
