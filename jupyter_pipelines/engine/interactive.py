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

import builtins
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, StoreError
from ..executors.processes import process_start_time
from ..reuse.snapshot import SnapshotError, SnapshotStore
from ..runtime.metrics import summarize_metrics
from ..runtime.recording import RunRecorder
from ..stores import status as st
from ..stores.runstore import RunRecord
from .interactive_watch import READY
from .recovery import reap_if_orphaned
from .run_filters import INTERACTIVE_RUN_TYPE

if TYPE_CHECKING:
    from .experiment import Experiment

#: v1's default outputs folder of an interactive run, uploaded when it completes.
OUTPUTS_DIR = "./outputs"
_ACTIVE = set(st.ALL) - st.TERMINAL
#: How long the watcher of a new interactive run may take to start.
WATCHER_START_SECONDS = 60.0


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts else None


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
        tags={str(k): "" if v is None else v for k, v in (tags or {}).items()},
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


class InteractiveRun(RunRecorder):
    """A run you log to yourself (v1 ``Run`` from ``Experiment.start_logging()``)."""

    def __init__(self, experiment: Experiment, run_id: str) -> None:
        self.experiment = experiment
        self._store = experiment.workspace.run_store
        self._record = self._store.get_run(run_id)
        self.id = self._record.id
        self._step = ""
        self._step_dir = str(experiment.workspace.runs_dir / self.id)
        self._metrics_file = os.path.join(self._step_dir, "metrics.jsonl")
        self._files_dir = os.path.join(self._step_dir, "files")
        self._echo = False

    # -- what it is ------------------------------------------------------------------
    @property
    def workspace(self) -> Any:
        return self.experiment.workspace

    @property
    def type(self) -> str:
        return INTERACTIVE_RUN_TYPE

    @property
    def name(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return str(self._record.options.get("display_name") or self.id[:8])

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def parent(self) -> None:
        """None: an interactive run is a top-level run."""
        return None

    @property
    def status(self) -> str:
        return self._record.status

    def refresh(self) -> InteractiveRun:
        """Re-read the run; it is marked failed here when the process logging to it died."""
        self._record = reap_if_orphaned(self._store, self._store.get_run(self.id))
        return self

    def get_status(self) -> str:
        """The current status: Running until completed, failed or canceled."""
        return self.refresh().status

    def get_children(self, *args: Any, **kwargs: Any) -> list[Any]:
        """An interactive run has no child runs."""
        return []

    def get_details(self) -> dict[str, Any]:
        """A v1-like summary of the run."""
        r = self.refresh()._record
        return {
            "runId": r.id,
            "experiment": r.experiment,
            "status": r.status,
            "type": INTERACTIVE_RUN_TYPE,
            "startTimeUtc": _iso(r.started),
            "endTimeUtc": _iso(r.ended),
            "description": r.description,
            "properties": self.get_properties(),
            "tags": dict(r.tags),
            "error": r.error,
            "snapshotId": r.options.get("snapshot_id"),
        }

    def get_snapshot_id(self) -> str | None:
        """The id of the code snapshot taken when the run started (None when none was)."""
        return self._record.options.get("snapshot_id")

    def get_portal_url(self) -> str:
        """The run's folder, as a ``file://`` URL (its files and outputs are there)."""
        return Path(self._step_dir).resolve().as_uri()

    # -- metrics and files -----------------------------------------------------------
    def _append_metric(self, record: dict[str, Any], data: bytes) -> None:
        """Metrics go to the run store (``RunRecorder`` encoded ``record`` already)."""
        self._check_active(f"log metric {record.get('name')!r}")
        self._store.add_metrics(self.id, self.id, [record])

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """What was logged to the run, in the shapes of v1's ``get_metrics``."""
        return summarize_metrics(self._store.get_metrics(self.id), name)

    def get_file_names(self) -> list[str]:
        """Paths, relative to the run's files folder, of the files uploaded to the run."""
        root = Path(self._files_dir)
        if not root.is_dir():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    # -- tags and properties ---------------------------------------------------------
    def get_tags(self) -> dict[str, Any]:
        return dict(self.refresh()._record.tags)

    @property
    def tags(self) -> dict[str, Any]:
        return self.get_tags()

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Add or change tags (a tag without a value has the value ``""``)."""
        current = self.get_tags()
        current.update({str(k): "" if v is None else v for k, v in tags.items()})
        self._store.update_run(self.id, tags=current)
        self._record.tags = current

    def tag(self, key: str, value: Any = None) -> None:
        self.set_tags({key: value})

    def remove_tags(self, tags: Iterable[str] | str) -> None:
        """Remove the tags named in ``tags``."""
        names = [tags] if isinstance(tags, str) else list(tags)
        current = {k: v for k, v in self.get_tags().items() if k not in names}
        self._store.update_run(self.id, tags=current)
        self._record.tags = current

    def get_properties(self) -> dict[str, str]:
        return dict(self._record.options.get("properties") or {})

    @property
    def properties(self) -> dict[str, str]:
        return self.get_properties()

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; as in v1 they are immutable: an existing one keeps its value."""
        options = dict(self.refresh()._record.options)
        current = dict(options.get("properties") or {})
        for key, value in properties.items():
            if key in current and current[key] != str(value):
                raise EngineError(
                    f"property {key!r} of run {self.id} is already {current[key]!r}; "
                    "properties cannot be changed once added (use tags for mutable values)"
                )
            current[str(key)] = str(value)
        options["properties"] = current
        self._store.update_run(self.id, options=options)
        self._record.options = options

    # -- ending ----------------------------------------------------------------------
    def start(self) -> None:
        """Nothing to do: an interactive run is Running from the start."""

    def complete(self, _set_status: bool = True) -> None:
        """End the run as Finished, after copying its outputs folder into the run."""
        self._upload_outputs()
        self._end(st.FINISHED, "run completed")

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """End the run as Failed, with ``error_details`` as its error."""
        self._upload_outputs()
        reason = str(error_details) if error_details is not None else "marked failed"
        if error_code:
            reason = f"{error_code}: {reason}"
        self._end(st.FAILED, reason, error=reason)

    def cancel(self) -> None:
        """End the run as Canceled."""
        self._end(st.CANCELED, "run canceled")

    def flush(self, timeout_seconds: int = 300) -> None:
        """Nothing to do: every metric is written to the store when it is logged."""

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Wait until the run ends (another process completes it); its details."""
        while self.get_status() not in st.TERMINAL:
            if self._record.options.get("logging_pid") == os.getpid():
                raise EngineError(
                    f"interactive run {self.id} is logged to from this process and would "
                    "never end while waiting: call run.complete() (or fail()) first"
                )
            time.sleep(0.5)
        if raise_on_error and self.status == st.FAILED:
            from ..errors import RunFailedError

            raise RunFailedError(f"run {self.id} ended Failed: {self._record.error or ''}")
        return self.get_details()

    def _end(self, status: str, message: str, **fields: Any) -> None:
        changed = self._store.set_run_status_if(
            self.id, _ACTIVE, message, status=status, ended=time.time(), **fields
        )
        self.refresh()
        if not changed and self.status != status:
            raise EngineError(f"run {self.id} already ended {self.status}; it cannot be {status}")

    def _check_active(self, what: str) -> None:
        if self.refresh().status in st.TERMINAL:
            raise EngineError(
                f"cannot {what}: run {self.id} already ended {self.status}; start a new one "
                "with experiment.start_logging()"
            )

    def _upload_outputs(self) -> None:
        """Copy the run's outputs folder (when it exists) to ``files/outputs`` at once."""
        source = self._record.options.get("outputs")
        if not source or not Path(source).is_dir() or self.refresh().status in st.TERMINAL:
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

    # -- context manager (v1: ``with exp.start_logging() as run:``) -----------------
    def __enter__(self) -> InteractiveRun:
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.refresh().status in st.TERMINAL:
            return
        if exc is None:
            self.complete()
        else:
            self.fail(error_details=f"{exc_type.__name__ if exc_type else 'Error'}: {exc}")

    def __repr__(self) -> str:
        return (
            f"Run(id={self.id!r}, experiment={self.experiment.name!r}, "
            f"type={INTERACTIVE_RUN_TYPE!r}, status={self.status!r})"
        )
