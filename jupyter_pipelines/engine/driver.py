"""The run driver: a detached process that executes one run to its end.

It dispatches ready steps to their compute targets (independent steps at once, up
to each target's slots), records every status change, promotes outputs of steps
that succeed, and stops everything on cancel. Started as
``python -m jupyter_pipelines.engine.driver WORKSPACE_DIR RUN_ID``.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import PipelinesError
from ..executors.base import AbstractExecutor, StepHandle, StepResult, StepSpec
from ..executors.gpus import (
    GpuAllocator,
    GpuInventory,
    default_lock_dir,
    requested_gpus,
    target_inventory,
)
from ..executors.processes import process_start_time
from ..executors.registry import create_executor
from ..reuse.snapshot import SnapshotStore
from ..runtime.manifest import StepManifest
from ..runtime.metrics import read_metrics
from ..stores import status as st
from ..stores.compute import target_executor_options
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .data import deliver_outputs, stage_data_inputs
from .files import collect_sources, stage_inputs
from .recovery import run_is_over
from .reuse import PINNED, ReuseIndex, hash_outputs, input_hashes, mark_reused

log = logging.getLogger("jupyter_pipelines.driver")

SLOTS_ENV = "JUPYTER_PIPELINES_LOCAL_SLOTS"
POLL_SECONDS = 0.25


class RunDriver:
    """Executes the recorded steps of one run, in dependency order."""

    def __init__(self, workspace: Workspace, run_id: str) -> None:
        self.workspace = workspace
        self.store = workspace.run_store
        self.run: RunRecord = self.store.get_run(run_id)
        self.steps: dict[str, StepRecord] = {s.name: s for s in self.store.get_steps(run_id)}
        self.pending = {n for n, s in self.steps.items() if s.status not in st.TERMINAL}
        self.running: dict[str, StepHandle] = {}
        self.finished: dict[str, str] = {
            n: s.status for n, s in self.steps.items() if s.status in st.TERMINAL
        }
        self.executors: dict[str, AbstractExecutor] = {}
        self.target_options: dict[str, dict[str, Any]] = {}
        #: GPUs: per target what it has, per running step what it holds, and the
        #: message of each step waiting for some (shared by the targets of this machine).
        self.gpus = GpuAllocator(default_lock_dir())
        self.gpu_inventories: dict[str, GpuInventory] = {}
        self.gpu_devices: dict[str, list[str]] = {}
        self.gpu_waiting: dict[str, str] = {}
        self.results: queue.Queue[tuple[str, StepResult]] = queue.Queue()
        self.cancel_reason: str | None = None
        self.failed_step: str | None = None
        self.continue_on_failure = bool(self.run.options.get("continue_on_step_failure"))
        self.snapshots = SnapshotStore(workspace.snapshots_dir)
        self.index = ReuseIndex(self.store, self.snapshots)

    # -- the loop --------------------------------------------------------------------
    def execute(self) -> str:
        """Run every step and return the run's final status."""
        # Only a run still waiting becomes Running: a cancel that came before the driver
        # got here stays requested, and the first loop turn below acts on it.
        self.store.update_run(
            self.run.id,
            started=time.time(),
            driver_pid=os.getpid(),
            driver_started=process_start_time(os.getpid()),
        )
        self.store.set_run_status_if(
            self.run.id, {st.NOT_STARTED, st.QUEUED}, "run started", status=st.RUNNING
        )
        last_check = 0.0
        while self.pending or self.running:
            if self.cancel_reason is None and time.monotonic() - last_check > 0.5:
                last_check = time.monotonic()
                self._check_cancel_request()
            if self.cancel_reason is not None:
                self._cancel_everything()
            self._launch_ready()
            if not self.running:
                if self._waiting_for_gpus():  # held by other runs: they free them
                    time.sleep(POLL_SECONDS)
                elif self.pending:
                    self._settle_unreachable()
                continue
            try:
                name, result = self.results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            self._complete(name, result)
        return self._finish()

    def _ready(self) -> list[str]:
        if self.cancel_reason is not None:
            return []
        if self.failed_step is not None and not self.continue_on_failure:
            return []
        return [
            n
            for n in sorted(self.pending, key=lambda n: self.steps[n].position)
            if all(self.finished.get(d) == st.FINISHED for d in self.steps[n].depends)
        ]

    def _launch_ready(self) -> None:
        """Start ready steps while their targets have slots.

        A step reused here makes the steps after it ready at once, hence the passes.
        """
        again = True
        while again:
            again = False
            for name in self._ready():
                record = self.steps[name]
                if self._reused(record):
                    again = True
                    continue
                executor = self._executor(record.target)
                busy = sum(1 for n in self.running if self.steps[n].target == record.target)
                if busy >= executor.slots:
                    if record.status != st.QUEUED:
                        record.status = st.QUEUED
                        self.store.update_step(self.run.id, name, status=st.QUEUED)
                    continue
                devices = self._take_gpus(record)
                if devices is not None:
                    self._launch(record, executor, devices)
                elif name not in self.pending:  # it failed: what is ready has changed
                    again = True
                    break

    # -- GPUs ------------------------------------------------------------------------
    def _take_gpus(self, record: StepRecord) -> list[str] | None:
        """The GPUs a ready step gets, now held for it (lowest ids first).

        None when it must wait for some (it stays Queued, saying so) or can never have
        them (it fails, naming its target's inventory).
        """
        try:
            inventory = self._gpu_inventory(record.target)
            wanted = requested_gpus(record.spec.get("resources") or {}, inventory)
        except PipelinesError as exc:
            self._fail_unrunnable(record.name, f"step {record.name!r}: {exc}")
            return None
        problem = inventory.problem(wanted, record.name, record.target)
        if problem is not None:
            self._fail_unrunnable(record.name, problem)
            return None
        if not inventory.devices:
            return []  # a target without GPUs: the step runs without (a warning at submit)
        devices = self.gpus.acquire(wanted, inventory.devices)
        if devices is not None:
            self.gpu_waiting.pop(record.name, None)
            return devices
        free, total = self.gpus.free(inventory.devices), len(inventory.devices)
        plural = "GPU" if wanted == 1 else "GPUs"
        message = f"waiting for {wanted} {plural} ({free} free of {total})"
        if self.gpu_waiting.get(record.name) != message:
            self.gpu_waiting[record.name] = message
            record.status = st.QUEUED
            self.store.update_step(self.run.id, record.name, status=st.QUEUED, message=message)
        return None

    def _gpu_inventory(self, target: str) -> GpuInventory:
        if target not in self.gpu_inventories:
            self.gpu_inventories[target] = target_inventory(self.target_options.get(target, {}))
        return self.gpu_inventories[target]

    def _waiting_for_gpus(self) -> bool:
        """Whether a step could start but for GPUs (which only other runs hold now)."""
        return any(name in self.gpu_waiting for name in self._ready())

    def _fail_unrunnable(self, name: str, reason: str) -> None:
        self.gpu_waiting.pop(name, None)
        self._settle(name, st.FAILED, reason)
        self.failed_step = self.failed_step or name
        self._fail_downstream(name)

    def _reused(self, record: StepRecord) -> bool:
        """Decide a step whose inputs just became known; True when it reuses a result."""
        if record.fingerprint is not None or record.reuse.get("mode") == PINNED:
            return False
        hashes = input_hashes(record, self.steps)
        if hashes is None:  # an upstream step ran without hashing (older record): run
            return False
        decision = self.index.decide(record, hashes, self.run.experiment, self.run.created)
        if decision.reuse is None:
            record.fingerprint, record.fingerprint_doc = decision.fingerprint, decision.document
            record.reuse = {**record.reuse, "reason": decision.reason}
            self.store.update_step(
                self.run.id,
                record.name,
                fingerprint=record.fingerprint,
                fingerprint_doc=record.fingerprint_doc,
                reuse=record.reuse,
            )
            return False
        mark_reused(record, decision.reuse, decision.reason, decision.document)
        self.store.update_step(
            self.run.id,
            record.name,
            status=st.FINISHED,
            started=record.started,
            ended=record.ended,
            reused_from=record.reused_from,
            outputs=record.outputs,
            fingerprint=record.fingerprint,
            fingerprint_doc=record.fingerprint_doc,
            reuse=record.reuse,
            message=f"reuses step run {record.reused_from}",
        )
        self.pending.discard(record.name)
        self.finished[record.name] = st.FINISHED
        return True

    def _launch(self, record: StepRecord, executor: AbstractExecutor, devices: list[str]) -> None:
        spec = StepSpec.from_dict(record.spec)
        self.gpu_devices[record.name] = devices
        if devices or self._gpu_inventory(record.target).devices:
            # The executors' contract: these devices and no others (none: hide them all).
            spec.resources["gpu_devices"] = list(devices)
        try:
            self._prepare(record, spec)
        except (PipelinesError, OSError) as exc:
            # A damaged snapshot or an unwritable folder fails this step, not the driver.
            self.store.update_step(self.run.id, record.name, status=st.RUNNING, started=time.time())
            self.pending.discard(record.name)
            self.running[record.name] = _Done()
            self.results.put(
                (record.name, StepResult(st.FAILED, None, f"cannot prepare the step: {exc}"))
            )
            return
        started = time.time()
        on = f"on GPU{'s' if len(devices) > 1 else ''} {', '.join(devices)}" if devices else None
        self.store.update_step(
            self.run.id, record.name, status=st.RUNNING, started=started, message=on
        )
        record.status = st.RUNNING
        self.pending.discard(record.name)
        deferred = _Deferred()
        self.running[record.name] = deferred

        def run() -> None:
            try:
                if not executor.builds_environments:
                    self._use_environment(spec)  # may build a virtual environment: minutes
                if deferred.canceled is not None:
                    result = StepResult(st.CANCELED, None, deferred.canceled)
                else:
                    handle = executor.launch(spec)
                    deferred.attach(handle)
                    self._record_pid(record.name, handle)
                    result = handle.wait()
            except Exception as exc:  # a step that cannot start fails alone
                result = StepResult(st.FAILED, None, f"cannot start the step: {exc}")
            self.results.put((record.name, result))

        threading.Thread(target=run, name=f"step:{record.name}", daemon=True).start()

    def _use_environment(self, spec: StepSpec) -> None:
        """Point the step at its Environment's interpreter, building it the first time."""
        if not spec.environment:
            return
        from ..executors.environments import python_for
        from ..model.environment import Environment

        def log(line: str) -> None:
            with open(spec.stderr_path, "a") as fh:
                fh.write(line if line.endswith("\n") else line + "\n")

        python = python_for(
            Environment.from_dict(spec.environment),
            self.workspace.dir,
            log,
            for_notebooks=spec.kind == "notebook",
        )
        if spec.kind == "notebook":
            spec.python = python
        elif spec.argv and spec.argv[0] == sys.executable:
            spec.argv[0] = python

    def _record_pid(self, name: str, handle: StepHandle) -> None:
        pid = getattr(handle, "pid", None)
        if pid is not None:
            self.store.update_step(self.run.id, name, pid=pid, pid_started=process_start_time(pid))

    def _prepare(self, record: StepRecord, spec: StepSpec) -> None:
        """Create the step's folders and write its manifest before it starts."""
        step_dir = Path(spec.step_dir)
        step_dir.mkdir(parents=True, exist_ok=True)
        for out in spec.outputs.values():
            Path(out["path"]).mkdir(parents=True, exist_ok=True)
        if record.snapshot_id:
            self.snapshots.materialize(record.snapshot_id, spec.working_dir)
        self._link_reused_inputs(record, spec)
        stage_data_inputs(self.workspace, spec)
        stage_inputs(spec)
        StepManifest(
            run_id=self.run.id,
            step_run_id=spec.step_run_id,
            step_name=spec.step_name,
            experiment_name=self.run.experiment,
            workspace_dir=str(self.workspace.dir),
            step_dir=str(step_dir),
            metrics_file=str(step_dir / "metrics.jsonl"),
            files_dir=str(step_dir / "files"),
            inputs={k: v["path"] for k, v in spec.inputs.items()},
            outputs={k: v["path"] for k, v in spec.outputs.items()},
            parameters=dict(self.run.parameters),
            tags=dict(self.run.tags),
            datasets={
                k: {
                    "definition": v["definition"],
                    "path": v["path"],
                    "kind": v["definition"].get("kind"),
                    "dataset": v.get("dataset"),
                }
                for k, v in spec.inputs.items()
                if v.get("kind") == "dataset"
            },
        ).write(step_dir / "manifest.json")

    def _link_reused_inputs(self, record: StepRecord, spec: StepSpec) -> None:
        """Inputs from reused steps live in earlier runs: link them where the step looks."""
        for name, ref in record.reuse.get("inputs", {}).items():
            planned = Path(spec.inputs[name]["path"])
            producer = self.steps.get(ref["step"])
            if planned.exists() or producer is None or producer.reused_from is None:
                continue
            planned.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(producer.outputs[ref["output"]]["path"], planned)

    # -- completion ------------------------------------------------------------------
    def _complete(self, name: str, result: StepResult) -> None:
        self.running.pop(name, None)
        self.gpus.release(self.gpu_devices.pop(name, []))
        record = self.steps[name]
        spec = StepSpec.from_dict(record.spec)
        self._ingest_metrics(record, spec)
        if result.status == st.FINISHED:
            try:
                collect_sources(spec)
                self._promote_outputs(spec)
                record.outputs = hash_outputs(record.outputs)
                for out_name, info in deliver_outputs(self.workspace, spec).items():
                    record.outputs[out_name]["delivered"] = info
            except (OSError, PipelinesError) as exc:
                result = StepResult(
                    st.FAILED,
                    result.exit_code,
                    f"step {name!r} finished but its outputs could not be saved: {exc}",
                )
        self.store.update_step(
            self.run.id,
            name,
            status=result.status,
            ended=time.time(),
            exit_code=result.exit_code,
            error=result.error,
            outputs=record.outputs,
            reuse={**record.reuse, "decision": "ran"},
            message=_first_line(result.error),
        )
        record.status = result.status
        self.finished[name] = result.status
        if result.status == st.FAILED:
            self.failed_step = self.failed_step or name
            self._fail_downstream(name)

    def _ingest_metrics(self, record: StepRecord, spec: StepSpec) -> None:
        path = Path(spec.step_dir) / "metrics.jsonl"
        if path.exists():
            records = read_metrics(path)
            # ``run.parent.log(...)`` inside a step files the metric under the pipeline run.
            mine = [r for r in records if r.get("run_id") in (None, record.id)]
            parent = [r for r in records if r.get("run_id") == self.run.id]
            self.store.add_metrics(self.run.id, record.id, mine)
            self.store.add_metrics(self.run.id, self.run.id, parent)

    @staticmethod
    def _promote_outputs(spec: StepSpec) -> None:
        """Make a successful step's outputs visible: ``outputs.partial`` becomes ``outputs``."""
        if not spec.outputs:
            return
        staging = Path(spec.step_dir) / "outputs.partial"
        final = Path(spec.step_dir) / "outputs"
        nb_output = spec.env.get("JUPYTER_PIPELINES_OUTPUT_NOTEBOOK")
        if nb_output and spec.output_notebook and Path(spec.output_notebook).exists():
            shutil.copy2(spec.output_notebook, staging / nb_output)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)

    def _fail_downstream(self, name: str) -> None:
        for other in sorted(self.pending, key=lambda n: self.steps[n].position):
            if name in self._ancestors(other):
                self._settle(other, st.FAILED, f"not run: upstream step {name!r} failed")

    def _ancestors(self, name: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.steps[name].depends)
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self.steps[dep].depends)
        return seen

    def _settle(self, name: str, status: str, reason: str) -> None:
        self.pending.discard(name)
        self.finished[name] = status
        self.steps[name].status = status
        self.store.update_step(self.run.id, name, status=status, error=reason, message=reason)

    def _settle_unreachable(self) -> None:
        """Nothing runs and nothing can start: close the remaining steps."""
        if self.cancel_reason is not None:
            reason = f"not run: {self.cancel_reason}"
            status = st.CANCELED
        else:
            reason = (
                f"not run: step {self.failed_step!r} failed and continue_on_step_failure is False"
            )
            status = st.CANCELED
        for name in sorted(self.pending, key=lambda n: self.steps[n].position):
            self._settle(name, status, reason)

    # -- cancel ----------------------------------------------------------------------
    def request_cancel(self, reason: str) -> None:
        """Ask the loop to stop every step (called from the signal handler)."""
        if self.cancel_reason is None:
            self.cancel_reason = reason

    def _check_cancel_request(self) -> None:
        if self.store.get_run(self.run.id).status == st.CANCEL_REQUESTED:
            self.request_cancel("the run was canceled")

    def _cancel_everything(self) -> None:
        for handle in list(self.running.values()):
            threading.Thread(
                target=handle.terminate, args=(self.cancel_reason or "canceled",), daemon=True
            ).start()
        if self.pending:
            self._settle_unreachable()

    # -- end -------------------------------------------------------------------------
    def _finish(self) -> str:
        statuses = set(self.finished.values())
        if self.cancel_reason is not None:
            status, error = st.CANCELED, self.cancel_reason
        elif statuses <= {st.FINISHED}:
            status, error = st.FINISHED, None
        else:
            failed = [n for n, s in self.finished.items() if s == st.FAILED]
            status = st.FAILED
            error = f"step {failed[0]!r} failed" if failed else "some steps did not finish"
            if self.failed_step:
                error = f"step {self.failed_step!r} failed: " + _first_line(
                    self.store.get_step(self.run.id, self.failed_step).error
                )
        self.store.update_run(self.run.id, status=status, ended=time.time(), error=error)
        for executor in self.executors.values():
            executor.close()
        self.gpus.release(self.gpus.held())
        return status

    def _executor(self, target: str) -> AbstractExecutor:
        if target not in self.executors:
            kind, options = target_executor_options(self.workspace, target)
            if target == "local" and os.environ.get(SLOTS_ENV):
                options["slots"] = int(os.environ[SLOTS_ENV])
            self.target_options[target] = dict(options)
            executor = create_executor(kind, **options)
            # Leftovers of runs whose driver was killed (containers, ...): removed once.
            executor.sweep(str(self.workspace.dir), partial(run_is_over, self.store))
            self.executors[target] = executor
        return self.executors[target]


class _Deferred(StepHandle):
    """Stands for a step while it is being started; forwards a cancel once it runs."""

    def __init__(self) -> None:
        self.canceled: str | None = None
        self._handle: StepHandle | None = None
        self._lock = threading.Lock()

    def attach(self, handle: StepHandle) -> None:
        with self._lock:
            self._handle = handle
            canceled = self.canceled
        if canceled is not None:
            handle.terminate(canceled)

    def wait(self) -> StepResult:
        raise RuntimeError("waited on by its own thread")

    def terminate(self, reason: str) -> None:
        with self._lock:
            self.canceled = reason
            handle = self._handle
        if handle is not None:
            handle.terminate(reason)


class _Done(StepHandle):
    """Placeholder for a step whose result is already queued."""

    def wait(self) -> StepResult:
        raise RuntimeError("not waitable")

    def terminate(self, reason: str) -> None:
        pass


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the driver process."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m jupyter_pipelines.engine.driver WORKSPACE_DIR RUN_ID", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    workspace, run_id = Workspace(args[0]), args[1]
    driver = RunDriver(workspace, run_id)
    signal.signal(signal.SIGTERM, lambda *_: driver.request_cancel("the run was canceled"))
    signal.signal(signal.SIGINT, lambda *_: driver.request_cancel("the run was interrupted"))
    try:
        status = driver.execute()
    except Exception as exc:
        traceback.print_exc()
        for handle in driver.running.values():
            handle.terminate("the run driver failed")
        workspace.run_store.update_run(
            run_id,
            status=st.FAILED,
            ended=time.time(),
            error=f"the run driver failed: {type(exc).__name__}: {exc}",
        )
        return 1
    log.info("run %s ended: %s", run_id, status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
