"""Noticing runs whose driver died: such a run is marked failed, with that reason, and
every process its steps left is stopped.

Any reader of the run store does it: a run looked up (``reap_if_orphaned``), runs listed
(``reap_orphaned_runs``, which looks only at unfinished runs), and the driver's own
watchdog, which notices at once (``reap_dead_driver``).
"""

from __future__ import annotations

import logging
import time

from ..errors import UnknownRunError
from ..executors.processes import is_alive, kill_tree, sweep_run
from ..stores import status as st
from ..stores.runstore import RunRecord, RunStore

log = logging.getLogger(__name__)

#: A driver that has not recorded its pid this long after submit is considered lost.
START_GRACE_SECONDS = 30.0
#: The statuses of a run that has not ended.
UNFINISHED = tuple(s for s in st.ALL if s not in st.TERMINAL)


def driver_alive(run: RunRecord) -> bool:
    """Whether the driver process recorded for ``run`` still runs."""
    return is_alive(run.driver_pid, run.driver_started, marker=run.id)


def reap_if_orphaned(store: RunStore, run: RunRecord) -> RunRecord:
    """Mark ``run`` failed when it is unfinished but its driver process is gone."""
    if run.status in st.TERMINAL:
        return run
    if run.driver_pid is None:
        if time.time() - run.created < START_GRACE_SECONDS:
            return run
        reason = "the run driver never started"
    elif driver_alive(run):
        return run
    else:
        reason = (
            f"the run driver (pid {run.driver_pid}) exited before the run ended; "
            f"see runs/{run.id}/driver.log"
        )
    _fail(store, run, reason)
    return store.get_run(run.id)


def _fail(store: RunStore, run: RunRecord, reason: str) -> list[str]:
    """Mark ``run`` and its unfinished steps failed (once: a concurrent reaper that came
    first wins) and stop what its steps left running; what was stopped.

    Its driver is gone, so what its steps left (processes by their run marker, containers
    by label) is stopped first: whoever reads the run as failed finds them gone."""
    stopped = sweep_run(run.id)
    _remove_step_containers(run.id)
    steps = store.fail_unfinished_run(run.id, reason)
    if steps is None:
        return stopped
    for step in steps:
        # Its driver is gone: stop what the step left running.
        if step.pid and is_alive(step.pid, step.pid_started):
            kill_tree(step.pid, found=stopped)
    stopped += sweep_run(run.id)
    return stopped


def reap_dead_driver(store: RunStore, run_id: str) -> list[str]:
    """Run ``run_id``'s driver is known dead (its watchdog saw it die): fail the run if it
    was unfinished, and stop whatever of its steps still runs; what was stopped."""
    try:
        run = store.get_run(run_id)
    except UnknownRunError:
        return sweep_run(run_id)
    stopped = []
    if run.status not in st.TERMINAL and not driver_alive(run):
        reason = (
            f"the run driver (pid {run.driver_pid}) exited before the run ended; "
            f"see runs/{run.id}/driver.log"
        )
        stopped = _fail(store, run, reason)
    return stopped + sweep_run(run_id)


def reap_orphaned_runs(store: RunStore) -> int:
    """Mark every unfinished run whose driver died failed (what listings call first, so
    that no list shows such a run as running); how many were. Finished runs cost nothing:
    only unfinished ones are read."""
    reaped = 0
    for status in UNFINISHED:
        for run in store.list_runs(status=status, limit=1_000_000):
            try:
                if reap_if_orphaned(store, run).status != run.status:
                    reaped += 1
            except UnknownRunError:
                continue
    return reaped


def _remove_step_containers(run_id: str) -> None:
    """Remove containers the dead driver's steps left on a Docker engine (found by label)."""
    from ..executors.docker.cleanup import remove_orphaned_run_containers

    remove_orphaned_run_containers(run_id)


def run_is_over(store: RunStore, run_id: str) -> bool:
    """True when run ``run_id`` ended, is unknown, or its driver process is gone: nothing of
    it runs any more, so what its steps left in a backend can be removed."""
    try:
        run = store.get_run(run_id)
    except UnknownRunError:
        return True
    if run.status in st.TERMINAL:
        return True
    return run.driver_pid is not None and not driver_alive(run)
