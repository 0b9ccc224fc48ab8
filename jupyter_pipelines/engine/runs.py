"""Run objects of the SDK: ``PipelineRun`` and its ``StepRun``s, read from the run store."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RunFailedError, UnknownRunError
from ..stores import status as st
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .recovery import reap_if_orphaned
from .step_files import StepRunFiles

if TYPE_CHECKING:
    from .experiment import Experiment


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts else None


class StepRun(StepRunFiles):
    """One step's run inside a pipeline run (v1 ``StepRun``)."""

    def __init__(self, parent: PipelineRun, record: StepRecord) -> None:
        self.parent = parent
        self._record = record

    def refresh(self) -> StepRun:
        """Re-read the step run from the store."""
        self._record = self.parent._store.get_step(self.parent.id, self.name)
        return self

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    display_name = name

    @property
    def status(self) -> str:
        return self._record.status

    def get_status(self) -> str:
        """The current status (NotStarted, Queued, Running, Finished, Failed, Canceled)."""
        return self.refresh().status

    @property
    def start_time(self) -> float | None:
        return self._record.started

    @property
    def end_time(self) -> float | None:
        return self._record.ended

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (or to now while running)."""
        if self._record.started is None:
            return None
        return (self._record.ended or time.time()) - self._record.started

    @property
    def exit_code(self) -> int | None:
        return self._record.exit_code

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def step_dir(self) -> Path:
        """The step run's folder: logs, manifest, executed notebook, outputs."""
        return Path(self._record.step_dir)

    @property
    def reused_from(self) -> str | None:
        """The id of the step run whose results this one reuses (None when it ran)."""
        return self._record.reused_from

    @property
    def is_reused(self) -> bool:
        return self._record.reused_from is not None

    def origin_record(self) -> StepRecord:
        """The record that holds the logs and files: the reused step run, or this one."""
        if self._record.reused_from is None:
            return self._record
        return self.parent._store.get_step_run(self._record.reused_from)

    def get_reuse_info(self) -> dict[str, Any]:
        """Whether the step was reused, from where, and why it ran or was reused.

        ``differences`` lists what changed since the latest earlier run of the same
        step (files, arguments, parameter values, inputs).
        """
        from ..reuse.snapshot import SnapshotStore
        from .reuse import ReuseIndex

        r = self.refresh()._record
        run = self.parent._record
        info: dict[str, Any] = {
            "step": r.name,
            "reused": r.reused_from is not None,
            "reused_from": r.reused_from,
            "source_run": r.reuse.get("source_run"),
            "mode": r.reuse.get("mode", "normal"),
            "decision": r.reuse.get("decision", "pending"),
            "reason": r.reuse.get("reason"),
            "fingerprint": r.fingerprint,
            "git": r.git,
            "differences": [],
        }
        if r.fingerprint_doc is None:
            return info
        index = ReuseIndex(self.parent._store, SnapshotStore(self.parent.workspace.snapshots_dir))
        earlier = self.parent._store.latest_step_run(run.experiment, r.name, before=run.created)
        diffs = index.differences(
            r.name, r.fingerprint_doc, r.snapshot_id, run.experiment, run.created
        )
        if earlier is not None:
            info["compared_with"] = {"step_run_id": earlier.id, "run_id": earlier.run_id}
        info["differences"] = [
            {"component": d.component, "old": d.old, "new": d.new, "detail": str(d)}
            for d in diffs or []
        ]
        return info

    def get_logs(self) -> dict[str, str]:
        """The step's stdout and stderr, as text (those of the reused run when reused)."""
        spec = self.origin_record().spec
        logs = {}
        for key in ("stdout", "stderr"):
            path = Path(spec[f"{key}_path"])
            logs[key] = path.read_text(errors="replace") if path.exists() else ""
        return logs

    def get_notebook_path(self) -> Path | None:
        """The executed copy of a notebook step (None for other steps or before it ran)."""
        path = self.origin_record().spec.get("output_notebook")
        return Path(path) if path and Path(path).exists() else None

    def get_output_path(self, name: str) -> Path:
        """The folder of output ``name`` (visible once the step finished)."""
        outputs = self._record.outputs
        if name not in outputs:
            from ..errors import did_you_mean

            raise UnknownRunError(
                f"step {self.name!r} has no output {name!r}{did_you_mean(name, outputs)}"
            )
        return Path(outputs[name]["path"])

    def get_metrics(self) -> dict[str, Any]:
        """Metrics logged by the step, shaped as in v1 (a series becomes a list)."""
        return shape_metrics(self.parent._store.get_metrics(self.origin_record().id))

    def get_details_with_logs(self) -> dict[str, Any]:
        """``get_details()`` plus the text of the step's logs under ``logFiles``."""
        logs = self.get_logs()
        return {**self.get_details(), "logFiles": {f"{k}.txt": v for k, v in logs.items()}}

    def get_details(self) -> dict[str, Any]:
        """A summary dict in the spirit of v1 ``get_details()``."""
        r = self._record
        return {
            "runId": r.id,
            "name": r.name,
            "status": r.status,
            "target": r.target,
            "startTimeUtc": _iso(r.started),
            "endTimeUtc": _iso(r.ended),
            "exitCode": r.exit_code,
            "error": r.error,
            "dependsOn": r.depends,
            "reusedFrom": r.reused_from,
            "outputs": r.outputs,
            "stepDir": r.step_dir,
        }

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, status={self.status!r})"


def _distinct(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without repeats, in order (git states of the folders a run's steps came from)."""
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def shape_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Group metric records by name: one scalar -> value, several -> list, rows -> table."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        grouped.setdefault(rec["name"], []).append(rec)
    shaped: dict[str, Any] = {}
    for name, recs in grouped.items():
        kind = recs[-1]["kind"]
        if kind in ("row", "table"):
            table: dict[str, list[Any]] = {}
            for rec in recs:
                value = rec["value"]
                for col, cell in value.items():
                    cells = cell if kind == "table" else [cell]
                    table.setdefault(col, []).extend(cells)
            shaped[name] = table
        elif kind == "list":
            shaped[name] = recs[-1]["value"]
        else:
            values = [r["value"] for r in recs]
            shaped[name] = values[0] if len(values) == 1 else values
    return shaped


class PipelineRun:
    """A submitted run of a pipeline (v1 ``PipelineRun``); state lives in the run store."""

    def __init__(self, experiment: Experiment, run_id: str) -> None:
        self.experiment = experiment
        self._store = experiment.workspace.run_store
        self._record: RunRecord = self._store.get_run(run_id)
        self.id = self._record.id

    @property
    def workspace(self) -> Workspace:
        return self.experiment.workspace

    def refresh(self) -> PipelineRun:
        """Re-read the run; an unfinished run whose driver died is marked failed here."""
        self._record = reap_if_orphaned(self._store, self._store.get_run(self.id))
        return self

    @property
    def status(self) -> str:
        return self._record.status

    def get_status(self) -> str:
        """The current status of the run."""
        return self.refresh().status

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def display_name(self) -> str:
        return self._record.pipeline.get("name") or self.id[:8]

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameter values the run used."""
        return dict(self._record.parameters)

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def run_dir(self) -> Path:
        return self.workspace.runs_dir / self.id

    def get_steps(self) -> list[StepRun]:
        """The step runs, in pipeline order."""
        return [StepRun(self, r) for r in self._store.get_steps(self.id)]

    get_children = get_steps

    def find_step_run(self, name: str) -> list[StepRun]:
        """Step runs with this step name (a list, as in v1)."""
        return [s for s in self.get_steps() if s.name == name]

    def get_step_run(self, name: str) -> StepRun:
        """The step run of step ``name``."""
        return StepRun(self, self._store.get_step(self.id, name))

    def describe_plan(self) -> str:
        """One line per step: "will run (reason)" or "reuses step run ID", as at submit."""
        lines = [f"Submitted run {self.id} (experiment {self.experiment.name!r})"]
        for step in self._store.get_steps(self.id):
            reason = step.reuse.get("reason") or ""
            if step.reused_from is not None:
                what = f"reuses step run {step.reused_from}"
                if step.reuse.get("mode") == "pinned":
                    what += " (pinned: not selected in this partial run)"
            elif reason.startswith("decided when"):
                what = f"will run unless reused: {reason}"
            else:
                what = f"will run ({reason})" if reason else "will run"
            lines.append(f"  {step.name}: {what}")
            lines += [f"    warning: {w}" for w in step.reuse.get("warnings", [])]
        return "\n".join(lines)

    def get_details(self) -> dict[str, Any]:
        """A summary dict in the spirit of v1 ``get_details()``."""
        r = self.refresh()._record
        return {
            "runId": r.id,
            "experiment": r.experiment,
            "status": r.status,
            "startTimeUtc": _iso(r.started),
            "endTimeUtc": _iso(r.ended),
            "submittedTimeUtc": _iso(r.created),
            "description": r.description,
            "pipelineFile": r.pipeline_file,
            "parameters": r.parameters,
            "tags": r.tags,
            "options": r.options,
            "error": r.error,
            "steps": {s.name: s.status for s in self.get_steps()},
            "git": _distinct([s.git for s in self._store.get_steps(self.id) if s.git]),
        }

    def get_metrics(self) -> dict[str, Any]:
        """Metrics logged on the pipeline run itself (``Run.get_context().parent.log``)."""
        return shape_metrics(self._store.get_metrics(self.id))

    def get_tags(self) -> dict[str, Any]:
        """The run's tags."""
        return dict(self.refresh()._record.tags)

    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag (v1 ``tag``)."""
        tags = self.get_tags()
        tags[str(key)] = value
        self._store.update_run(self.id, tags=tags)
        self._record.tags = tags

    def cancel(self) -> None:
        """Stop the run: every running step's process tree is killed, pending steps canceled."""
        record = self.refresh()._record
        if record.status in st.TERMINAL:
            return
        changed = self._store.set_run_status_if(
            self.id, set(st.ALL) - st.TERMINAL, "cancel requested", status=st.CANCEL_REQUESTED
        )
        # A driver that has not started the run yet may not handle SIGTERM yet (it would
        # die and leave the run Failed); it reads the request from the store instead.
        if changed and record.driver_pid and record.status != st.NOT_STARTED:
            try:
                os.kill(record.driver_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.refresh()

    def wait_for_completion(
        self,
        show_output: bool = True,
        timeout_seconds: float | None = None,
        raise_on_error: bool = True,
    ) -> str:
        """Wait until the run ends; with ``show_output``, show live progress and log tails."""
        from .progress import follow_run

        status = follow_run(self, show_output=show_output, timeout_seconds=timeout_seconds)
        if raise_on_error and status in (st.FAILED, st.CANCELED):
            raise RunFailedError(f"run {self.id} ended {status}: {self.error or ''}".rstrip(": "))
        return status

    def _ipython_display_(self) -> None:
        """Show the run in a notebook: the live run widget (see engine/display.py)."""
        from .display import display_run

        display_run(self)

    def __repr__(self) -> str:
        return (
            f"PipelineRun(id={self.id!r}, experiment={self.experiment.name!r}, "
            f"status={self.status!r})"
        )
