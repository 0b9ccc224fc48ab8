"""Interactive runs: ``Experiment.start_logging()`` starts a run you log to, then complete.

Such a run is a record in the run store like a pipeline run, without steps: it is
``Running`` from the start, its metrics go to the store's metrics table as they are
logged (so every other process sees them at once), files go under ``runs/<run-id>/files``,
and ``complete()``, ``fail()`` or ``cancel()`` end it. A small watcher process is recorded
as its driver (engine/interactive_watch.py): canceling the run (``PipelineRun.cancel``, the
sidebar) stops the watcher, not the kernel that logs; when that kernel exits before
completing the run, the watcher marks it failed.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, StoreError
from ..executors.processes import process_start_time
from ..reuse.snapshot import SnapshotError, SnapshotStore
from ..runtime.run import iso_time
from ..runtime.run_annotations import apply_tag_changes
from ..runtime.run_files import run_file_index
from ..stores import status as st
from ..stores.runstore import RunRecord
from .interactive_watch import READY
from .recovery import reap_if_orphaned
from .run_base import StoreRun, run_url
from .run_lookup import INTERACTIVE_RUN as INTERACTIVE_RUN_TYPE

if TYPE_CHECKING:
    from .experiment import Experiment

#: v1's default outputs folder of an interactive run, uploaded when it completes.
OUTPUTS_DIR = "./outputs"
_ACTIVE = set(st.ALL) - st.TERMINAL
#: How long the watcher of a new interactive run may take to start.
WATCHER_START_SECONDS = 60.0


def start_logging(
    experiment: Experiment,
    name: str | None = None,
    run_id: str | None = None,
    outputs: str | bool | None = None,
    snapshot_directory: str | None = ".",
    *,
    display_name: str | None = None,
    description: str | None = None,
    tags: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
    **_v1_arguments: Any,
) -> InteractiveRun:
    """Record a new ``Running`` interactive run of ``experiment`` and return it (v1's
    ``Run._start_logging`` arguments: ``outputs=False`` tracks no outputs folder,
    ``snapshot_directory=None`` takes no snapshot of the code)."""
    workspace = experiment.workspace
    run_id = run_id or str(uuid.uuid4())
    outputs_dir: str | None = OUTPUTS_DIR if outputs is None or outputs is True else None
    if isinstance(outputs, str) and outputs:
        outputs_dir = outputs
    snapshot_id = _snapshot(workspace.snapshots_dir, snapshot_directory)
    now = time.time()
    label = display_name or name or ""
    record = RunRecord(
        id=run_id,
        experiment=experiment.name,
        status=st.RUNNING,
        created=now,
        started=now,
        ended=None,
        description=description or "",
        pipeline_file=None,
        pipeline={"version": 1, "name": label, "steps": {}},
        parameters={},
        tags={str(k): v for k, v in (tags or {}).items()},
        options={
            "run_type": INTERACTIVE_RUN_TYPE,
            "display_name": label,
            "properties": {str(k): str(v) for k, v in (properties or {}).items()},
            "outputs": str(Path(outputs_dir).resolve()) if outputs_dir else None,
            "snapshot_id": snapshot_id,
            "logging_pid": os.getpid(),
        },
        driver_pid=None,
        driver_started=None,
        error=None,
    )
    workspace.run_store.create_run(record, [])
    _start_watcher(workspace, run_id)
    return InteractiveRun(experiment, run_id)


def _start_watcher(workspace: Any, run_id: str) -> None:
    """Start the run's watcher (engine/interactive_watch.py) and record it as its driver."""
    run_dir = workspace.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    store = workspace.run_store
    try:
        with open(run_dir / "driver.log", "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_pipelines.engine.interactive_watch",
                    str(store.path),
                    run_id,
                    str(os.getpid()),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                env=dict(os.environ),
            )
    except OSError as exc:
        reason = f"cannot start the watcher of the interactive run: {exc}"
        store.update_run(run_id, status=st.FAILED, ended=time.time(), error=reason)
        raise EngineError(reason) from exc
    store.update_run(run_id, driver_pid=proc.pid, driver_started=process_start_time(proc.pid))
    _wait_until_ready(proc, run_id, store, run_dir / "driver.log")
    # Reap the watcher when it ends while this process lives (no zombie left behind).
    threading.Thread(target=proc.wait, name=f"reap-watch-{run_id[:8]}", daemon=True).start()


def _wait_until_ready(proc: subprocess.Popen[bytes], run_id: str, store: Any, log: Path) -> None:
    """Wait for the watcher's "ready" line, so that a cancel right away is handled."""
    assert proc.stdout is not None
    with proc.stdout:
        ready, _, _ = select.select([proc.stdout], [], [], WATCHER_START_SECONDS)
        line = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
    if line != READY:
        proc.kill()
        reason = f"the watcher of the interactive run did not start; see {log}"
        store.update_run(run_id, status=st.FAILED, ended=time.time(), error=reason)
        raise EngineError(reason)


def _snapshot(snapshots_dir: Path, folder: str | None) -> str | None:
    if folder is None:
        return None
    try:
        return SnapshotStore(snapshots_dir).take(folder).id
    except (SnapshotError, OSError) as exc:
        raise EngineError(
            f"cannot take a snapshot of {folder!r} for the interactive run: {exc}; pass "
            "snapshot_directory=None to start_logging to take none"
        ) from exc


class InteractiveRun(StoreRun):
    """A run you log to yourself (v1 ``Run`` from ``Experiment.start_logging()``): every
    member of v1's ``Run`` (runtime/run.py) over the run store."""

    def __init__(self, experiment: Experiment, run_id: str, **kwargs: Any) -> None:
        if self._ready:
            return
        self.experiment = experiment
        self._store = experiment.workspace.run_store
        self._record = self._store.get_run(run_id)
        self.id = self._record.id
        self.parent = None
        self._step_dir = str(experiment.workspace.runs_dir / self.id)
        self._files_dir = os.path.join(self._step_dir, "files")
        self._metrics_file = os.path.join(self._step_dir, "metrics.jsonl")
        self._ready = True

    def refresh(self) -> InteractiveRun:
        """Re-read the run from the store (a run whose watcher died is marked failed)."""
        self._record = reap_if_orphaned(self._store, self._store.get_run(self.id))
        return self

    # -- what it is ------------------------------------------------------------------
    @property
    def type(self) -> str:
        return INTERACTIVE_RUN_TYPE

    @property
    def display_name(self) -> str:
        return str(self._record.options.get("display_name") or self.id[:8])

    @property
    def description(self) -> str:
        return self._record.description

    def get_status(self) -> str:
        """Running until completed (Finished), failed or canceled."""
        return self.refresh()._record.status

    def get_portal_url(self) -> str:
        """The run on a Jupyter server serving its workspace, else its folder (file://)."""
        return run_url(self.workspace, self._step_dir, self.id)

    def _code_snapshot_id(self) -> str | None:
        snapshot = self._record.options.get("snapshot_id")
        return str(snapshot) if snapshot else None

    def _details(self) -> dict[str, Any]:
        r = self.refresh()._record
        return {
            "experiment": r.experiment,
            "runType": INTERACTIVE_RUN_TYPE,
            "startTimeUtc": iso_time(r.started),
            "endTimeUtc": iso_time(r.ended),
            "description": r.description,
            "displayName": self.display_name,
            "error": r.error,
        }

    def _log_files(self) -> dict[str, str]:
        log = Path(self._step_dir) / "driver.log"
        return {"watcher.log": str(log)} if log.exists() else {}

    def _file_index(self) -> dict[str, str]:
        index = run_file_index(self._step_dir)
        index.pop("driver.log", None)  # the watcher's log: a log file, not an upload
        return index

    # -- metrics, tags and properties: the run store ---------------------------------
    def _append_metric(self, record: dict[str, Any], data: bytes) -> None:
        self._check_active(f"log metric {record.get('name')!r}")
        super()._append_metric(record, data)

    def _load_tags(self) -> dict[str, Any]:
        return dict(self.refresh()._record.tags)

    def _change_tags(self, changes: Mapping[str, Any]) -> None:
        tags = apply_tag_changes(self.refresh()._record.tags, changes)
        self._store.update_run(self.id, tags=tags)
        self._record.tags = tags

    def _load_properties(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "azureml.runsource": INTERACTIVE_RUN_TYPE,
            "experiment_name": self._record.experiment,
        }
        found.update(self.refresh()._record.options.get("properties") or {})
        return found

    def _store_properties(self, added: Mapping[str, Any]) -> None:
        options = dict(self.refresh()._record.options)
        options["properties"] = {**(options.get("properties") or {}), **added}
        self._store.update_run(self.id, options=options)
        self._record.options = options

    def _environment(self) -> Any:
        raise EngineError(
            f"interactive run {self.id} has no environment of its own: it ran in the process "
            "that logged to it"
        )

    # -- ending ----------------------------------------------------------------------
    def complete(self, _set_status: bool = True) -> None:
        """End the run as Finished, after copying its outputs folder into its files."""
        self._upload_outputs()
        super().complete(_set_status)

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """End the run as Failed, with ``error_details`` as its error."""
        self._upload_outputs()
        if error_details is None and error_code is None:
            error_details = "marked failed"
        super().fail(error_details, error_code, _set_status)

    def _set_status(self, status: str, error: str | None = None) -> None:
        """Record start/complete/fail/cancel; the store names a completed run Finished."""
        if status == "Running":
            self._check_active("start")
            return
        status = st.FINISHED if status == "Completed" else status
        fields: dict[str, Any] = {"error": error} if error else {}
        message = error or f"run {status.lower()}"
        changed = self._store.set_run_status_if(
            self.id, _ACTIVE, message, status=status, ended=time.time(), **fields
        )
        self.refresh()
        if not changed and self._record.status != status:
            raise EngineError(
                f"run {self.id} already ended {self._record.status}; it cannot be {status}"
            )

    def _can_wait(self) -> str | None:
        logging_here = self._record.options.get("logging_pid") == os.getpid()
        if logging_here and self.get_status() not in st.TERMINAL:
            return (
                "this interactive run is logged to from this process and would never end "
                "while waiting: call run.complete() (or fail()) first"
            )
        return None

    def _check_active(self, what: str) -> None:
        if self.refresh()._record.status in st.TERMINAL:
            raise EngineError(
                f"cannot {what}: run {self.id} already ended {self._record.status}; start a "
                "new one with experiment.start_logging()"
            )

    def _upload_outputs(self) -> None:
        """Copy the run's outputs folder (when it exists) to its files, at once."""
        source = self._record.options.get("outputs")
        if not source or not Path(source).is_dir() or self.get_status() in st.TERMINAL:
            return
        dest = Path(self._files_dir) / "outputs"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".outputs-", dir=dest.parent))
        try:
            shutil.copytree(source, tmp, dirs_exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(tmp, dest)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"cannot copy outputs {source!r} into run {self.id}: {exc}") from exc

    def __repr__(self) -> str:
        return (
            f"Run(id={self.id!r}, experiment={self.experiment.name!r}, "
            f"type={INTERACTIVE_RUN_TYPE!r}, status={self._record.status!r})"
        )
