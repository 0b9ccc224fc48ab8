"""Noticing runs whose driver died: such a run is marked failed, with that reason."""

from __future__ import annotations

import time

from ..errors import UnknownRunError
from ..executors.processes import is_alive, kill_tree
from ..stores import status as st
from ..stores.runstore import RunRecord, RunStore

#: A driver that has not recorded its pid this long after submit is considered lost.
START_GRACE_SECONDS = 30.0


def reap_if_orphaned(store: RunStore, run: RunRecord) -> RunRecord:
    """Mark ``run`` failed when it is unfinished but its driver process is gone."""
    if run.status in st.TERMINAL:
        return run
    if run.driver_pid is None:
        if time.time() - run.created < START_GRACE_SECONDS:
            return run
        reason = "the run driver never started"
    elif is_alive(run.driver_pid, run.driver_started, marker=run.id):
        return run
    else:
        reason = (
            f"the run driver (pid {run.driver_pid}) exited before the run ended; "
            f"see runs/{run.id}/driver.log"
        )
    active = set(st.ALL) - st.TERMINAL
    if store.set_run_status_if(
        run.id, active, reason, status=st.FAILED, ended=time.time(), error=reason
    ):
        for step in store.get_steps(run.id):
            if step.status not in st.TERMINAL:
                # Its driver is gone: stop what the step left running.
                if step.pid and is_alive(step.pid, step.pid_started):
                    kill_tree(step.pid)
                store.update_step(
                    run.id,
                    step.name,
                    status=st.FAILED,
                    ended=time.time(),
                    error=reason,
                    message=reason,
                )
        _remove_step_containers(run.id)
    return store.get_run(run.id)


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
    return run.driver_pid is not None and not is_alive(
        run.driver_pid, run.driver_started, marker=run.id
    )
