"""In-flight deduplication: a step whose fingerprint another run is computing right now
waits for that computation and reuses its result, rather than computing it twice.

The claim is the step run's own row: a step run becomes Running only in a transaction
that finds no other step run with its fingerprint Running under a live driver (nor
Finished: then its result is reused). A step that finds one is Queued, "waiting for step
run X of run Y (same fingerprint)", and is decided again when that one ends: reused when
it finished, run here when it failed, was canceled or its driver died.
"""

from __future__ import annotations

from typing import Any

from ..errors import UnknownRunError
from ..stores import status as st
from ..stores.runstore import RunStore, StepRecord
from .recovery import driver_alive, reap_if_orphaned
from .reuse import FORCED, results_available


class InFlight:
    """Starts the steps of one run, once per fingerprint across runs and processes."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        #: Step name -> the step run (of another run) it waits for.
        self.waiting: dict[str, StepRecord] = {}

    def start(self, record: StepRecord, message: str | None, **fields: Any) -> StepRecord | None:
        """Mark ``record`` Running (with ``fields``) and return None, unless its result
        is being computed elsewhere: then the step run computing it (``record`` is now
        Queued, waiting for it), or one that finished it and whose results are there."""
        if record.fingerprint is None or record.reuse.get("mode") == FORCED:
            self.store.update_step(
                self.run_id, record.name, status=st.RUNNING, message=message, **fields
            )
            self._started(record)
            return None
        finished_too = True
        while True:
            other = self.store.start_step_once(
                self.run_id,
                record.name,
                record.fingerprint,
                self._live,
                finished_too=finished_too,
                message=message,
                **fields,
            )
            if other is None:
                self._started(record)
                return None
            if other.status != st.FINISHED:
                self._wait_for(record, other)
                return other
            if results_available(other, record.outputs):
                self.waiting.pop(record.name, None)
                return other
            finished_too = False  # its outputs are gone: only a running one counts

    def still_waiting(self, name: str) -> bool:
        """Whether step ``name`` must go on waiting: the step run it waits for is still
        Running under a live driver (read without a write transaction: it is polled)."""
        other = self.waiting.get(name)
        if other is None:
            return False
        try:
            now = self.store.get_step_run(other.id)
            run = self.store.get_run(now.run_id)
        except UnknownRunError:
            return False
        if now.status != st.RUNNING:
            return False
        if now.run_id == self.run_id or (run.status not in st.TERMINAL and driver_alive(run)):
            return True
        reap_if_orphaned(self.store, run)  # its driver died: say so there, then run it here
        return False

    def forget(self, name: str) -> None:
        """Step ``name`` was settled otherwise (canceled, failed upstream)."""
        self.waiting.pop(name, None)

    def _started(self, record: StepRecord) -> None:
        self.waiting.pop(record.name, None)
        record.status = st.RUNNING

    def _live(self, run_id: str) -> bool:
        """Whether run ``run_id`` is going on (its driver lives); this run always is."""
        if run_id == self.run_id:
            return True
        try:
            run = self.store.get_run(run_id)
        except UnknownRunError:
            return False
        return run.status not in st.TERMINAL and driver_alive(run)

    def _wait_for(self, record: StepRecord, other: StepRecord) -> None:
        known = self.waiting.get(record.name)
        self.waiting[record.name] = other
        if known is None or known.id != other.id:
            record.status = st.QUEUED
            self.store.update_step(
                self.run_id,
                record.name,
                status=st.QUEUED,
                message=f"waiting for step run {other.id} of run {other.run_id} (same fingerprint)",
            )
