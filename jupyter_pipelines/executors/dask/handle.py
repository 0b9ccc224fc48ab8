"""A step running as a Dask task: submitted, placed on a worker, waited for, stopped.

``wait`` wakes on whatever ends the task: its future (a result, an error, a worker killed
under it), a cancel, or the executor's monitor finding the task's worker gone or the
scheduler unreachable. A lost worker is retried only when the target allows retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...stores import status as st
from ..base import StepHandle, StepResult, StepSpec

#: Seconds ``wait`` sleeps between looks when nothing wakes it.
WAKE_S = 1.0


class DaskStepHandle(StepHandle):
    """One step's Dask task (and its retries, when a worker died under it)."""

    def __init__(self, executor: Any, spec: StepSpec) -> None:
        self.executor = executor
        self.spec = spec
        #: The address of the worker that runs (or ran) the step, once it started.
        self.worker: str | None = None
        self.attempt = 0
        self.ticket: dict[str, Any] | None = None
        #: Whether log chunks from the worker are still appended to the step's logs.
        self.streaming = True
        #: Whether the executor's monitor found the step's worker gone at its last look.
        self.missing = False
        self.future: Any = None
        self._canceled: str | None = None
        self._lost: str | None = None
        self._wake = threading.Event()
        self._placed: Callable[[dict[str, Any]], None] | None = None
        self._lock = threading.Lock()

    # -- submitting ----------------------------------------------------------------------
    def submit(self) -> None:
        """Send the step to the cluster (again, for a retry)."""
        self.worker = None
        self.future = self.executor.submit(self)
        self.future.add_done_callback(lambda _future: self._wake.set())

    def key(self) -> str:
        """The Dask key of this attempt: it names the step (the dashboard shows it)."""
        suffix = f"-retry{self.attempt}" if self.attempt else ""
        return f"step-{self.spec.step_name}-{self.spec.step_run_id}{suffix}"

    # -- what the executor tells it --------------------------------------------------------
    def started(self, worker: str) -> None:
        """The task started on ``worker`` (its event came)."""
        with self._lock:
            self.worker = worker
            placed = self._placed
        if placed is not None:
            placed({"worker": worker, "dashboard_link": self.executor.dashboard_link()})

    def lost(self, reason: str) -> None:
        """The task's worker or scheduler is gone: the task will not come back."""
        self._lost = reason
        self._wake.set()

    def watch_placement(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call ``callback({"worker", "dashboard_link"})`` when the step starts on a worker
        (at once when it already has); the driver records it on the step."""
        with self._lock:
            self._placed = callback
            worker = self.worker
        if worker is not None:
            callback({"worker": worker, "dashboard_link": self.executor.dashboard_link()})

    # -- StepHandle ------------------------------------------------------------------------
    def wait(self) -> StepResult:
        try:
            while True:
                result = self._settled()
                if result is not None:
                    return result
                self._wake.wait(WAKE_S)
                self._wake.clear()
        finally:
            self.executor.forget(self)

    def _settled(self) -> StepResult | None:
        """How the step ended, or None while it goes on (a retry was just submitted)."""
        if self._canceled is not None:
            self.future.cancel()
            return StepResult(st.CANCELED, None, self._canceled)
        lost, self._lost = self._lost, None
        if lost is not None:
            self.future.cancel()
            return self._retry_or_fail(lost)
        if not self.future.done():
            return None
        return self._outcome()

    def _outcome(self) -> StepResult | None:
        future = self.future
        if future.cancelled():
            reason = f"the Dask scheduler dropped the task of step {self.spec.step_name!r}"
            return self._retry_or_fail(reason)
        error = future.exception()
        if error is not None:
            if type(error).__name__ == "KilledWorker":
                return self._retry_or_fail(self._worker_died(str(error)))
            return StepResult(
                st.FAILED,
                None,
                f"step {self.spec.step_name!r} failed on Dask worker "
                f"{self.worker or '?'}: {type(error).__name__}: {error}",
            )
        outcome: dict[str, Any] = future.result()
        self.worker = outcome.get("worker") or self.worker
        result: StepResult = self.executor.collect(self, outcome)
        return result

    def _worker_died(self, detail: str) -> str:
        where = f"worker {self.worker}" if self.worker else "its Dask worker"
        return f"step {self.spec.step_name!r} failed: {where} died while running it ({detail})"

    def _retry_or_fail(self, reason: str) -> StepResult | None:
        if self.attempt < self.executor.max_retries and self._canceled is None:
            self.attempt += 1
            self.executor.note(self, f"{reason}; retrying (attempt {self.attempt + 1})")
            self.submit()
            return None
        if self.attempt:
            reason = f"{reason} (after {self.attempt + 1} attempts)"
        return StepResult(st.FAILED, None, reason)

    def terminate(self, reason: str) -> None:
        self._canceled = reason
        self.executor.cancel(self, reason)
        self._wake.set()
