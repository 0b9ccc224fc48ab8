"""Schedules (v1 ``azureml.pipeline.core.Schedule``): a published pipeline (or a pipeline
endpoint's default version) submitted on a recurrence, or when files are added to or changed
in a datastore folder.

``Schedule.create(ws, name, pipeline_id, experiment_name, recurrence=ScheduleRecurrence(...))``
or ``Schedule.create(..., datastore=ds, path_on_datastore="in", data_path_parameter_name=
"input")`` records a schedule in the workspace's database; the scheduler of the Jupyter server
serving the workspace fires it (server/scheduler.py; engine/scheduler.py). See
docs/schedules.md.
"""

from __future__ import annotations

import builtins
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import ScheduleError
from ..model.recurrence import ScheduleRecurrence, describe, times_of_day
from ..stores.schedules import ACTIVE, DISABLED, RECURRENCE, ScheduleRecord
from ..stores.workspace import Workspace
from . import schedule_records as sr
from .experiment import Experiment
from .runs import PipelineRun

log = logging.getLogger(__name__)

#: The keys of v1's schedule YAML (``Schedule.load_yaml``) and of its ``recurrence``.
_YAML_KEYS = (
    "description",
    "pipeline_parameters",
    "wait_for_provisioning",
    "wait_timeout",
    "datastore_name",
    "polling_interval",
    "data_path_parameter_name",
    "continue_on_step_failure",
    "path_on_datastore",
    "recurrence",
)


class Schedule:
    """A schedule on which a published pipeline is submitted (v1 ``Schedule``); its state
    lives in the workspace's database and the serving Jupyter server fires it."""

    def __init__(
        self,
        workspace: Workspace,
        id: str,
        name: str,
        description: str | None,
        pipeline_id: str | None,
        status: str,
        recurrence: ScheduleRecurrence | None,
        datastore_name: str | None,
        polling_interval: int | None,
        data_path_parameter_name: str | None,
        continue_on_step_failure: bool | None,
        path_on_datastore: str | None,
        _schedule_provider: Any = None,
        pipeline_endpoint_id: str | None = None,
    ) -> None:
        self._workspace = workspace
        self._id = id
        self._name = name
        self._description = description
        self._pipeline_id = pipeline_id
        self._status = status
        self._recurrence = recurrence
        self._datastore_name = datastore_name
        self._polling_interval = polling_interval
        self._data_path_parameter_name = data_path_parameter_name
        self._continue_on_step_failure = continue_on_step_failure
        self._path_on_datastore = path_on_datastore
        self._pipeline_endpoint_id = pipeline_endpoint_id

    @classmethod
    def _of(cls, workspace: Workspace, record: ScheduleRecord) -> Schedule:
        recurrence = record.recurrence
        return cls(
            workspace,
            record.id,
            record.name,
            record.description,
            record.pipeline_id,
            record.status,
            ScheduleRecurrence.from_dict(recurrence) if recurrence is not None else None,
            record.datastore_name,
            record.polling_interval,
            record.data_path_parameter_name,
            record.continue_on_step_failure,
            record.path_on_datastore,
            pipeline_endpoint_id=record.pipeline_endpoint_id,
        )

    @classmethod
    def _started(cls, workspace: Workspace, record: ScheduleRecord) -> Schedule:
        """The schedule of an Active record, with a scheduler to fire it (see
        ``ensure_scheduler``: the serving Jupyter server, started in the background if need
        be); a warning says so when none can run."""
        if record.status == ACTIVE:
            note = sr.ensure_scheduler(workspace)
            if note:
                log.warning("schedule %r: %s", record.name, note)
        return cls._of(workspace, record)

    def _refresh(self, record: ScheduleRecord) -> None:
        fresh = Schedule._of(self._workspace, record)
        self.__dict__.update(fresh.__dict__)

    # -- what it is ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str | None:
        return self._description

    @property
    def pipeline_id(self) -> str | None:
        """The published pipeline it submits (None for an endpoint's schedule)."""
        return self._pipeline_id

    @property
    def pipeline_endpoint_id(self) -> str | None:
        """The pipeline endpoint whose default version it submits (None otherwise)."""
        return self._pipeline_endpoint_id

    @property
    def status(self) -> str:
        """``Active`` or ``Disabled`` (as last read or set by this object)."""
        return self._status

    @property
    def recurrence(self) -> ScheduleRecurrence | None:
        """When it fires (None for a datastore schedule)."""
        return self._recurrence

    @property
    def datastore_name(self) -> str | None:
        """The datastore it watches (None for a recurrence schedule)."""
        return self._datastore_name

    @property
    def polling_interval(self) -> int | None:
        """Minutes between two looks at the watched folder."""
        return self._polling_interval

    @property
    def data_path_parameter_name(self) -> str | None:
        """The DataPath parameter set to the changed file's path in the runs it submits."""
        return self._data_path_parameter_name

    @property
    def continue_on_step_failure(self) -> bool | None:
        """Overrides the published pipeline's setting when not None."""
        return self._continue_on_step_failure

    @property
    def path_on_datastore(self) -> str | None:
        """The folder (or file) it watches on its datastore (None: the datastore's root);
        files in its sub-folders are not watched, as in v1."""
        return self._path_on_datastore

    # -- making --------------------------------------------------------------------------
    @staticmethod
    def create(
        workspace: Workspace,
        name: str,
        pipeline_id: str,
        experiment_name: str,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> Schedule:
        """A schedule of published pipeline ``pipeline_id``: on ``recurrence``, or when files
        are added to or changed in ``path_on_datastore`` of ``datastore`` (polled every
        ``polling_interval`` minutes). Without a start time a recurrence fires at once, as v1.
        It is ready at once (``wait_for_provisioning`` has nothing to wait for)."""
        record = sr.create_schedule(
            workspace,
            name,
            experiment_name,
            pipeline_id=pipeline_id,
            recurrence=recurrence,
            description=description,
            pipeline_parameters=pipeline_parameters,
            datastore=datastore,
            polling_interval=polling_interval,
            data_path_parameter_name=data_path_parameter_name,
            continue_on_step_failure=continue_on_step_failure,
            path_on_datastore=path_on_datastore,
        )
        return Schedule._started(workspace, record)

    @staticmethod
    def create_for_pipeline_endpoint(
        workspace: Workspace,
        name: str,
        pipeline_endpoint_id: str,
        experiment_name: str,
        recurrence: ScheduleRecurrence | None = None,
        description: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int = 5,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> Schedule:
        """``create`` for a pipeline endpoint: each fire submits its default version then."""
        record = sr.create_schedule(
            workspace,
            name,
            experiment_name,
            pipeline_endpoint_id=pipeline_endpoint_id,
            recurrence=recurrence,
            description=description,
            pipeline_parameters=pipeline_parameters,
            datastore=datastore,
            polling_interval=polling_interval,
            data_path_parameter_name=data_path_parameter_name,
            continue_on_step_failure=continue_on_step_failure,
            path_on_datastore=path_on_datastore,
        )
        return Schedule._started(workspace, record)

    # -- changing ------------------------------------------------------------------------
    def update(
        self,
        name: str | None = None,
        description: str | None = None,
        recurrence: ScheduleRecurrence | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        status: str | None = None,
        wait_for_provisioning: bool = False,
        wait_timeout: int = 3600,
        datastore: Any = None,
        polling_interval: int | None = None,
        data_path_parameter_name: str | None = None,
        continue_on_step_failure: bool | None = None,
        path_on_datastore: str | None = None,
    ) -> None:
        """Change what is given (None leaves a field as it is), with v1's checks."""
        record = sr.update_schedule(
            self._workspace,
            self.id,
            name=name,
            description=description,
            recurrence=recurrence,
            pipeline_parameters=pipeline_parameters,
            status=status,
            datastore=datastore,
            polling_interval=polling_interval,
            data_path_parameter_name=data_path_parameter_name,
            continue_on_step_failure=continue_on_step_failure,
            path_on_datastore=path_on_datastore,
        )
        self._refresh(record)
        if status == ACTIVE:
            Schedule._started(self._workspace, record)

    def enable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Make the schedule Active: it fires again (from its next fire after now)."""
        record = sr.set_status(self._workspace, self.id, ACTIVE)
        self._refresh(record)
        Schedule._started(self._workspace, record)

    def disable(self, wait_for_provisioning: bool = False, wait_timeout: int = 3600) -> None:
        """Make the schedule Disabled: it no longer fires."""
        self._refresh(sr.set_status(self._workspace, self.id, DISABLED))

    # -- its runs ------------------------------------------------------------------------
    def get_pipeline_runs(self) -> builtins.list[PipelineRun]:
        """The runs the schedule started, newest first."""
        fires = sr.store_of(self._workspace).fires(self.id)
        return [self._run(f.run_id, f.experiment) for f in fires if f.run_id and f.experiment]

    def get_last_pipeline_run(self) -> PipelineRun | None:
        """The last run the schedule started, or None."""
        runs = self.get_pipeline_runs()
        return runs[0] if runs else None

    def _run(self, run_id: str, experiment: str) -> PipelineRun:
        return PipelineRun(Experiment(self._workspace, experiment), run_id)

    # -- finding -------------------------------------------------------------------------
    @staticmethod
    def get(
        workspace: Workspace, id: str, _workflow_provider: Any = None, _service_endpoint: Any = None
    ) -> Schedule:
        """The schedule with id ``id``."""
        return Schedule._of(workspace, sr.get_schedule(workspace, id))

    @staticmethod
    def list(
        workspace: Workspace,
        active_only: bool = True,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[Schedule]:
        """The workspace's schedules, oldest first: only Active ones by default; all those of
        ``pipeline_id`` or ``pipeline_endpoint_id`` when given (``active_only`` applies only
        without them, as v1)."""
        if pipeline_id is not None:
            return Schedule.get_schedules_for_pipeline_id(workspace, pipeline_id)
        if pipeline_endpoint_id is not None:
            return Schedule.get_schedules_for_pipeline_endpoint_id(workspace, pipeline_endpoint_id)
        records = sr.store_of(workspace).all(active_only=active_only)
        return [Schedule._of(workspace, r) for r in records]

    @staticmethod
    def get_all(
        workspace: Workspace,
        active_only: bool = True,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[Schedule]:
        """(Deprecated in v1) ``Schedule.list``."""
        log.warning(
            "Schedule.get_all(workspace) is being deprecated. Use Schedule.list(workspace) instead."
        )
        return Schedule.list(workspace, active_only, pipeline_id, pipeline_endpoint_id)

    @staticmethod
    def get_schedules_for_pipeline_id(
        workspace: Workspace,
        pipeline_id: str,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[Schedule]:
        """Every schedule (Active or not) of published pipeline ``pipeline_id``."""
        records = sr.store_of(workspace).all(pipeline_id=pipeline_id)
        return [Schedule._of(workspace, r) for r in records]

    @staticmethod
    def get_schedules_for_pipeline_endpoint_id(
        workspace: Workspace,
        pipeline_endpoint_id: str,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[Schedule]:
        """Every schedule (Active or not) of pipeline endpoint ``pipeline_endpoint_id``."""
        records = sr.store_of(workspace).all(pipeline_endpoint_id=pipeline_endpoint_id)
        return [Schedule._of(workspace, r) for r in records]

    @staticmethod
    def load_yaml(
        workspace: Workspace,
        filename: str,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> dict[str, Any]:
        """The schedule settings of a v1 schedule YAML file (a ``Schedule:`` section), ready
        for ``Schedule.create``: ``recurrence`` as a ScheduleRecurrence, ``datastore_name``
        as a Datastore."""
        import yaml

        doc = yaml.safe_load(Path(filename).read_text())
        if not isinstance(doc, dict) or "Schedule" not in doc:
            raise ScheduleError(
                f'schedule YAML file {str(filename)!r} must have a "Schedule:" section'
            )
        section = doc["Schedule"] or {}
        found: dict[str, Any] = {}
        for key in _YAML_KEYS:
            if key not in section:
                continue
            value = section[key]
            if value == "None":
                value = None  # v1's sample file writes None for "not set"
            if key == "datastore_name" and value is not None:
                value = sr.datastore_of(workspace, str(value))
            elif key == "recurrence" and value is not None:
                value = ScheduleRecurrence.from_dict(dict(value))
            found[key] = value
        return found

    # -- shown ---------------------------------------------------------------------------
    def _info(self) -> OrderedDict[str, Any]:
        info: OrderedDict[str, Any] = OrderedDict(
            [
                ("Name", self.name),
                ("Id", self.id),
                ("Status", self.status),
                ("Pipeline Id", self.pipeline_id),
                ("Pipeline Endpoint Id", self.pipeline_endpoint_id),
            ]
        )
        if self.recurrence is not None:
            info["Recurrence Details"] = _v1_details(self.recurrence)
        else:
            info["Datastore"] = self.datastore_name
            if self.path_on_datastore is not None:
                info["Path on Datastore"] = self.path_on_datastore
        return info

    def __str__(self) -> str:
        return "Pipeline({})".format(",\n".join(f"{k}: {v}" for k, v in self._info().items()))

    def __repr__(self) -> str:
        return self.__str__()

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
            for k, v in self._info().items()
        )
        return f"<table>{rows}</table>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def _schedule_type(self) -> str:
        return RECURRENCE if self.recurrence is not None else "DataStore"


def _v1_details(recurrence: ScheduleRecurrence) -> str:
    """v1's "Recurrence Details" text ("Runs at 10:30 on Monday every 2 Weeks"), followed by
    the recurrence in words."""
    text = "Runs"
    if recurrence.hours is not None or recurrence.minutes is not None:
        text += " at " + ", ".join(times_of_day(recurrence.hours, recurrence.minutes))
    if recurrence.week_days:
        text += " on " + ", ".join(recurrence.week_days)
    if recurrence.interval == 1:
        text += f" every {recurrence.frequency}"
    else:
        text += f" every {recurrence.interval} {recurrence.frequency}s"
    return f"{text} ({describe(recurrence)})"


__all__ = ["Schedule"]
