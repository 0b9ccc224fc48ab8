"""``StepRun`` (v1): one step's run inside a pipeline run, read from the run store; a ``Run``.

Its tags, properties, uploads and child runs live in its step folder, where the step's own
``Run.get_context()`` keeps them too, so both sides see the same run. A reused step run
shows the logs, files, outputs and metrics of the step run it reused, plus what was recorded
on itself afterwards.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RunFailedError, UnknownRunError
from ..runtime.file_run import CHILDREN, RECORD_FILE, FileRun
from ..runtime.run import Run, iso_time
from ..runtime.run_annotations import (
    apply_tag_changes,
    read_properties,
    read_tag_changes,
    write_properties,
    write_tag_changes,
)
from ..runtime.run_files import WORKING_FOLDER, WORKING_FOLDER_FILES
from ..stores import status as st
from ..stores.runstore import StepRecord
from .progress import poll_interval
from .run_base import StoreRun, run_url
from .step_datasets import step_input_datasets, step_output_datasets
from .step_files import StepRunFiles

if TYPE_CHECKING:
    from .experiment import Experiment
    from .runs import PipelineRun


class StepRun(StepRunFiles, StoreRun):
    """One step's run inside a pipeline run (v1 ``StepRun``).

    ``StepRun(experiment, step_run_id, pipeline_run_id, node_id)`` finds it by id (here a
    node id is the step's name); the engine builds them with ``StepRun._of``.
    """

    _pipeline: PipelineRun

    def __init__(
        self,
        experiment: Experiment,
        step_run_id: str,
        pipeline_run_id: str | None = None,
        node_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        if self._ready:
            return
        from .experiment import Experiment
        from .runs import PipelineRun

        store = experiment.workspace.run_store
        record = store.get_step_run(step_run_id)
        if pipeline_run_id is not None and record.run_id != pipeline_run_id:
            raise UnknownRunError(
                f"step run {step_run_id!r} belongs to pipeline run {record.run_id!r}, "
                f"not {pipeline_run_id!r}"
            )
        if node_id is not None and node_id not in (record.name, record.id):
            raise UnknownRunError(
                f"step run {step_run_id!r} is step {record.name!r}, not {node_id!r}"
            )
        # As in v1, a step run reused from another experiment's run belongs to that one.
        owner = store.get_run(record.run_id).experiment
        if owner != experiment.name:
            experiment = Experiment(experiment.workspace, owner)
        self._attach(PipelineRun(experiment, record.run_id), record)

    @classmethod
    def _of(cls, parent: PipelineRun, record: StepRecord) -> StepRun:
        """The step run of ``record`` in ``parent`` (what the engine builds)."""
        step = object.__new__(cls)
        step._attach(parent, record)
        return step

    def _attach(self, parent: PipelineRun, record: StepRecord) -> None:
        self._pipeline = self._parent = parent
        self.experiment = parent.experiment
        self._store = parent._store
        self._record = record
        self.id = record.id
        self._step = record.name
        self._step_dir = record.step_dir
        self._files_dir = os.path.join(record.step_dir, "files")
        self._metrics_file = os.path.join(record.step_dir, "metrics.jsonl")
        self._ready = True

    def refresh(self) -> StepRun:
        """Re-read the step run from the store."""
        self._record = self._store.get_step(self.parent.id, self.name)
        return self

    # -- what it is ----------------------------------------------------------------------
    @property
    def parent(self) -> PipelineRun:
        """The pipeline run this step run belongs to."""
        return self._pipeline

    @parent.setter
    def parent(self, value: Run | None) -> None:
        from .runs import PipelineRun

        if not isinstance(value, PipelineRun):
            raise TypeError(f"a step run's parent is its PipelineRun, got {value!r}")
        self._pipeline = self._parent = value

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def display_name(self) -> str:
        return self._record.name

    @property
    def type(self) -> str:
        return "azureml.StepRun"

    @property
    def number(self) -> int:
        """The step's position in its pipeline run, from 1."""
        return self._record.position + 1

    @property
    def pipeline_run_id(self) -> str:
        """The id of the pipeline run this step run belongs to."""
        return self._record.run_id

    @property
    def status(self) -> str:
        return self._record.status

    def get_status(self) -> str:
        """The current status (NotStarted, Queued, Running, Finished, Failed, Canceled)."""
        return self.refresh().status

    def _status_details(self) -> str | None:
        return self._record.error

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

    def get_portal_url(self) -> str:
        """The step on a Jupyter server serving its workspace, else its folder (file://)."""
        folder = self.origin_record().step_dir
        return run_url(self.workspace, folder, self.pipeline_run_id, "steps", self.name)

    def _context(self) -> Any:
        return self.experiment

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
            "notes": list(r.reuse.get("notes", [])),
            "fingerprint": r.fingerprint,
            "git": r.git,
            "differences": [],
        }
        if r.fingerprint_doc is None:
            return info
        index = ReuseIndex(self._store, SnapshotStore(self.workspace.snapshots_dir))
        earlier = self._store.latest_step_run(run.experiment, r.name, before=run.created)
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

    # -- storage hooks -------------------------------------------------------------------
    def _pipeline_run_id(self) -> str:
        return self._record.run_id

    def _metric_records(self) -> builtins.list[dict[str, Any]]:
        origin = self.origin_record().id
        records = self._store.get_metrics(origin)
        return records + (self._store.get_metrics(self.id) if origin != self.id else [])

    def _load_tags(self) -> dict[str, Any]:
        manifest = Path(self.origin_record().step_dir) / "manifest.json"
        try:
            tags = json.loads(manifest.read_text()).get("tags") or {}
        except (OSError, ValueError, AttributeError):
            tags = {}
        for folder in self._folders():
            tags = apply_tag_changes(tags, read_tag_changes(folder))
        return dict(tags)

    def _change_tags(self, changes: Mapping[str, Any]) -> None:
        write_tag_changes(self._step_dir, changes)

    def _load_properties(self) -> dict[str, Any]:
        r = self._record
        found: dict[str, Any] = {
            "azureml.runsource": "azureml.StepRun",
            "azureml.pipelinerunid": r.run_id,
            "azureml.nodeid": r.name,
            "StepType": r.spec.get("kind", ""),
        }
        if r.snapshot_id:
            found["ContentSnapshotId"] = r.snapshot_id
        if r.reused_from is not None:
            found["azureml.reusedrunid"] = r.reused_from
            found["azureml.reusedpipelinerunid"] = self.origin_record().run_id
        for folder in self._folders():
            found.update(read_properties(folder))
        return found

    def _store_properties(self, added: Mapping[str, Any]) -> None:
        write_properties(self._step_dir, added)

    def _child_runs(self) -> builtins.list[Run]:
        """The child runs the step made (``Run.get_context().child_run()``)."""
        found: builtins.list[tuple[float, Run]] = []
        for folder in self._folders():
            children = Path(folder) / CHILDREN
            for entry in sorted(children.iterdir()) if children.is_dir() else []:
                record = _read_record(entry / RECORD_FILE)
                if record.get("id"):
                    run = FileRun._at(str(entry), str(record["id"]), self.experiment, self)
                    found.append((float(record.get("created") or 0), run))
        return [run for _, run in sorted(found, key=lambda pair: pair[0])]

    def _new_child(
        self, name: str | None, run_id: str | None, tags: dict[str, Any], status: str
    ) -> Run:
        raise NotImplementedError("Child run is unsupported for Step run.")

    def _code_snapshot_id(self) -> str | None:
        return self._record.snapshot_id or self.origin_record().snapshot_id

    def _details(self) -> dict[str, Any]:
        r = self._record
        return {
            "name": r.name,
            "runType": self.type,
            "target": r.target,
            "startTimeUtc": iso_time(r.started),
            "endTimeUtc": iso_time(r.ended),
            "exitCode": r.exit_code,
            "error": r.error,
            "dependsOn": r.depends,
            "reusedFrom": r.reused_from,
            "outputs": r.outputs,
            "stepDir": r.step_dir,
            "inputDatasets": step_input_datasets(self.workspace, r.spec.get("inputs", {})),
            "outputDatasets": step_output_datasets(
                self.workspace, r.spec.get("outputs", {}), self._outputs()
            ),
        }

    def get_details(self) -> dict[str, Any]:
        """v1's details of the step run (its times, target, exit code, error, outputs...)."""
        self.refresh()
        return super().get_details()

    def get_details_with_logs(self) -> dict[str, Any]:
        """``get_details()`` with each log's text under ``logFiles`` (``stdout.txt``,
        ``stderr.txt``, and v1's ``STDOUT``, ``STDERR``, ``JOBLOG``)."""
        details = super().get_details_with_logs()
        details["logFiles"].update(
            STDOUT=self.get_stdout_log(), STDERR=self.get_stderr_log(), JOBLOG=self.get_job_log()
        )
        return details

    def _environment(self) -> Any:
        from ..model.environment import Environment

        spec = self.origin_record().spec
        if spec.get("environment"):
            return Environment.from_dict(spec["environment"])
        # No environment of its own: it ran with the run driver's Python as it is.
        env = Environment("local-python")
        env.python.user_managed_dependencies = True
        env.python.interpreter_path = sys.executable
        return env

    def _clean(self) -> builtins.list[str]:
        """Remove the step's working copy of its code and its staged inputs once it ended;
        what it wrote to ``./outputs`` and ``./logs`` stays (they are run files)."""
        if self.is_reused or self.get_status() not in st.TERMINAL:
            return []
        removed = []
        working = Path(self._record.spec.get("working_dir") or self.step_dir / WORKING_FOLDER)
        if not working.resolve().is_relative_to(self.step_dir.resolve()):
            working = self.step_dir / WORKING_FOLDER  # never a folder outside the run's
        for entry in sorted(working.iterdir()) if working.is_dir() else []:
            if entry.name not in WORKING_FOLDER_FILES:
                _remove(entry)
                removed.append(str(entry))
        inputs = self.step_dir / "inputs"
        if inputs.is_dir():
            shutil.rmtree(inputs)
            removed.append(str(inputs))
        return removed

    # -- running -------------------------------------------------------------------------
    def complete(self, _set_status: bool = True) -> None:
        """Unsupported, as in v1: the run driver ends a step run."""
        raise NotImplementedError("Complete is unsupported for Step run.")

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """Unsupported, as in v1: the run driver ends a step run."""
        raise NotImplementedError("Fail is unsupported for Step run.")

    def start(self) -> None:
        """Nothing to do: the run driver starts the step when its inputs are ready."""

    def cancel(self) -> None:
        """Cancel the pipeline run this step belongs to (a step cannot be stopped alone:
        the steps after it would wait for it forever)."""
        self.parent.cancel()

    def wait_for_completion(  # type: ignore[override]
        self,
        show_output: bool = True,
        timeout_seconds: float | None = None,
        raise_on_error: bool = True,
    ) -> str:
        """Wait until the step run ends and return its status; with ``show_output``, print
        its status changes and its output as it comes, then a summary (as v1 does)."""
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        if show_output:
            print("StepRunId:", self.id)
            print("Link to the run:", self.get_portal_url())
        shown, printed = None, 0
        began = time.monotonic()
        while True:
            self.parent.refresh()  # marks the steps of a run whose driver died as failed
            status = self.get_status()
            if show_output:
                if status != shown:
                    print("StepRun(", self.name, ") Status:", status, flush=True)
                    shown = status
                printed = self._print_output(printed)
            if status in st.TERMINAL:
                break
            if deadline is not None and time.monotonic() > deadline:
                print("Timed out of waiting for step run", self.id)
                break
            time.sleep(poll_interval(time.monotonic() - began))
        if show_output:
            title = f"\nStepRun({self.name}) Execution Summary"
            print(f"{title}\n{'=' * len(title)}\nStepRun( {self.name} ) Status: {status}")
        if raise_on_error and status in (st.FAILED, st.CANCELED):
            raise RunFailedError(
                f"step run {self.id} ({self.name!r}) ended {status}: {self.error or ''}".rstrip(
                    ": "
                )
            )
        return status

    def _print_output(self, offset: int) -> int:
        """Print the step's stdout after ``offset`` characters; returns the new offset."""
        text = self.get_stdout_log()
        if len(text) > offset:
            print(text[offset:], end="", flush=True)
        return max(offset, len(text))

    def __repr__(self) -> str:
        return f"StepRun(name={self.name!r}, status={self.status!r})"


def _remove(path: Path) -> None:
    """Remove a file, link or folder (a link to a folder is removed, not followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _read_record(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}
