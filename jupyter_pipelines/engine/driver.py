"""The run driver: a detached process that executes one run to its end.

It dispatches ready steps to their compute targets (independent steps at once, up
to each target's slots), records every status change, publishes the outputs of steps
that succeed, and stops everything on cancel. Started as
``python -m jupyter_pipelines.engine.driver WORKSPACE_DIR RUN_ID``.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import PipelinesError
from ..executors.base import (
    AbstractExecutor,
    StepHandle,
    StepResult,
    StepSpec,
    failure_summary,
)
from ..executors.processes import become_subreaper, leftovers, process_start_time, stop
from ..executors.registry import create_executor
from ..reuse.snapshot import SnapshotStore
from ..runtime.metrics import read_metrics
from ..stores import status as st
from ..stores.compute import target_executor_options
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .inflight import InFlight
from .recovery import run_is_over
from .reuse import PINNED, ReuseIndex, input_hashes, mark_reused
from .step_gpus import GpuWait, StepGpus
from .step_handles import DeferredHandle, DoneHandle
from .step_outputs import mark_incomplete, publish_outputs
from .step_setup import prepare_step, use_environment
from .watchdog import Watchdog

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
        self.gpus = StepGpus(self.target_options)
        self.results: queue.Queue[tuple[str, StepResult]] = queue.Queue()
        self.cancel_reason: str | None = None
        self.failed_step: str | None = None
        self.continue_on_failure = bool(self.run.options.get("continue_on_step_failure"))
        self.snapshots = SnapshotStore(workspace.snapshots_dir)
        self.index = ReuseIndex(self.store, self.snapshots)
        self.inflight = InFlight(self.store, run_id)

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
                if self._waiting_for_others():  # GPUs or results of other runs
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
            # Counted once per pass, not per ready step: a wide run has thousands ready.
            busy = Counter(self.steps[n].target for n in self.running)
            for name in self._ready():
                record = self.steps[name]
                if self._reused(record):
                    again = True
                    continue
                if self.inflight.still_waiting(name):
                    continue
                executor = self._executor(record.target)
                if busy[record.target] >= executor.slots:
                    if record.status != st.QUEUED:
                        record.status = st.QUEUED
                        self.store.update_step(self.run.id, name, status=st.QUEUED)
                    continue
                devices = self._take_gpus(record)
                if devices is not None:
                    again = self._launch(record, executor, devices) or again
                    busy[record.target] += name in self.running
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
            taken = self.gpus.take(record.name, record.target, record.spec.get("resources") or {})
        except PipelinesError as exc:
            self._fail_unrunnable(record.name, str(exc))
            return None
        if isinstance(taken, GpuWait):
            if taken.new:
                record.status = st.QUEUED
                self.store.update_step(
                    self.run.id, record.name, status=st.QUEUED, message=taken.message
                )
            return None
        return taken

    def _waiting_for_others(self) -> bool:
        """Whether a step could start but for GPUs (which only other runs hold now) or
        waits for another run that computes the same step."""
        return any(
            name in self.gpus.waiting or name in self.inflight.waiting for name in self._ready()
        )

    def _fail_unrunnable(self, name: str, reason: str) -> None:
        self.gpus.release(name)
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
        self._mark_reused(record, decision.reuse, decision.reason, decision.document)
        return True

    def _mark_reused(
        self,
        record: StepRecord,
        source: StepRecord,
        reason: str,
        document: dict[str, Any] | None = None,
    ) -> None:
        mark_reused(record, source, reason, document)
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

    def _launch(self, record: StepRecord, executor: AbstractExecutor, devices: list[str]) -> bool:
        """Start a step that has its slot and GPUs, unless another run computes the same
        step now (it then waits for it); True when it reused that one's result instead."""
        on = f"on GPU{'s' if len(devices) > 1 else ''} {', '.join(devices)}" if devices else None
        other = self.inflight.start(record, on, started=time.time())
        if other is not None:
            self.gpus.release(record.name)
            if other.status != st.FINISHED:
                return False  # Queued, waiting for it
            reason = f"reuses step run {other.id}, computed at the same time by run {other.run_id}"
            self._mark_reused(record, other, reason)
            return True
        self.pending.discard(record.name)
        spec = StepSpec.from_dict(record.spec)
        if devices or self.gpus.inventory(record.target).devices:
            # The executors' contract: these devices and no others (none: hide them all).
            spec.resources["gpu_devices"] = list(devices)
        try:
            prepare_step(self.workspace, self.run, record, spec, self.steps, self.snapshots)
        except (PipelinesError, OSError) as exc:
            # A damaged snapshot or an unwritable folder fails this step, not the driver.
            self.running[record.name] = DoneHandle()
            self.results.put(
                (record.name, StepResult(st.FAILED, None, f"cannot prepare the step: {exc}"))
            )
            return False
        deferred = DeferredHandle()
        self.running[record.name] = deferred

        def run() -> None:
            try:
                if not executor.builds_environments:
                    # May build a virtual environment (minutes), logged in the step folder.
                    use_environment(spec, self.workspace.dir)
                if deferred.canceled is not None:
                    result = StepResult(st.CANCELED, None, deferred.canceled)
                else:
                    handle = executor.launch(spec)
                    deferred.attach(handle)
                    self._record_pid(record.name, handle)
                    self._record_placement(record.name, handle)
                    result = handle.wait()
            except Exception as exc:  # a step that cannot start fails alone
                result = StepResult(st.FAILED, None, f"cannot start the step: {exc}")
            self.results.put((record.name, result))

        # The step's processes die with this thread (see die_with_parent): it lives as
        # long as the step does.
        threading.Thread(target=run, name=f"step:{record.name}", daemon=True).start()
        return False

    def _record_pid(self, name: str, handle: StepHandle) -> None:
        pid = getattr(handle, "pid", None)
        if pid is not None:
            self.store.update_step(self.run.id, name, pid=pid, pid_started=process_start_time(pid))

    def _record_placement(self, name: str, handle: StepHandle) -> None:
        """Record where a step runs (a Dask worker, its dashboard) once its executor knows."""
        watch = getattr(handle, "watch_placement", None)
        if watch is not None:
            watch(lambda fields: self.store.update_step(self.run.id, name, **fields))

    # -- completion ------------------------------------------------------------------
    def _complete(self, name: str, result: StepResult) -> None:
        self.running.pop(name, None)
        self.gpus.release(name)
        record = self.steps[name]
        spec = StepSpec.from_dict(record.spec)
        self._ingest_metrics(record, spec)
        if result.status == st.FINISHED:
            try:
                publish_outputs(self.workspace, record, spec)
            except (OSError, PipelinesError) as exc:
                result = StepResult(
                    st.FAILED,
                    result.exit_code,
                    f"step {name!r} finished but its outputs could not be saved: {exc}",
                )
        if result.status != st.FINISHED:
            mark_incomplete(spec, result.status, result.error)
        self.store.update_step(
            self.run.id,
            name,
            status=result.status,
            ended=time.time(),
            exit_code=result.exit_code,
            error=result.error,
            outputs=record.outputs,
            reuse={**record.reuse, "decision": "ran"},
            message=failure_summary(result.error),
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
        self.inflight.forget(name)
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
                error = run_error(
                    self.failed_step, self.store.get_step(self.run.id, self.failed_step).error
                )
        self.store.update_run(self.run.id, status=status, ended=time.time(), error=error)
        for executor in self.executors.values():
            executor.close()
        self.gpus.release_all()
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


def run_error(step: str, error: str | None) -> str:
    """The error of a run that failed at ``step``: the step's headline and its cause."""
    summary = failure_summary(error)
    if summary.startswith(f"step {step!r} "):
        return summary
    return f"step {step!r} failed: {summary}" if summary else f"step {step!r} failed"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the driver process."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m jupyter_pipelines.engine.driver WORKSPACE_DIR RUN_ID", file=sys.stderr
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    workspace, run_id = Workspace.at(args[0]), args[1]
    # Orphans of step processes (``cmd &`` whose shell exited) become ours, to be found.
    become_subreaper()
    watchdog = Watchdog.start(
        str(workspace.dir), run_id, str(workspace.runs_dir / run_id / "driver.log")
    )
    driver = RunDriver(workspace, run_id)
    signal.signal(signal.SIGTERM, lambda *_: driver.request_cancel("the run was canceled"))
    signal.signal(signal.SIGINT, lambda *_: driver.request_cancel("the run was interrupted"))
    try:
        return _drive(driver, workspace, run_id)
    finally:
        # Every step stopped what it started; whatever escaped that goes now.
        keep = [watchdog.pid] if watchdog is not None else []
        for what in stop(leftovers(run_id, keep)):
            log.warning("stopped a process left by a step of run %s: %s", run_id, what)
        if watchdog is not None:
            watchdog.done()


def _drive(driver: RunDriver, workspace: Workspace, run_id: str) -> int:
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
