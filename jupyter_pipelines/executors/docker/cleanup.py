"""Removing step containers by label: after a run, and for runs whose driver died."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import engine

log = logging.getLogger(__name__)


def containers_of(client: Any, run_id: str | None = None) -> list[Any]:
    """Step containers (running or not) of run ``run_id``, or of every run when None."""
    label = f"{engine.LABEL_RUN}={run_id}" if run_id else engine.LABEL_RUN
    found: list[Any] = client.containers.list(all=True, sparse=True, filters={"label": label})
    return found


def remove_containers(client: Any, run_id: str | None = None) -> int:
    """Force-remove the step containers of ``run_id`` (every run when None); how many went."""
    return sum(_remove(c) for c in containers_of(client, run_id))


def _remove(container: Any) -> bool:
    """Force-remove one container; False when it could not be (a warning says why)."""
    try:
        container.remove(force=True)
        return True
    except Exception as exc:
        if not engine.is_not_found(exc):
            log.warning("cannot remove container %s: %s", container.name, exc)
        return False


def remove_orphaned_run_containers(run_id: str) -> int:
    """Remove run ``run_id``'s containers when an engine is configured; never raises.

    Called when a run's driver is found dead (engine/recovery.py): its steps' containers
    would otherwise run on, and stay behind.
    """
    if not engine.engine_reachable():
        return 0
    try:
        return remove_containers(engine.client(), run_id)
    except Exception as exc:  # no engine, no docker-py: nothing of ours can be running there
        log.debug("no container cleanup for run %s: %s", run_id, exc)
        return 0


def remove_containers_of_runs(
    client: Any, workspace_dir: str, is_over: Callable[[str], bool]
) -> int:
    """Remove the step containers of ``workspace_dir``'s runs for which ``is_over(run_id)``
    (the engine decides: it knows the run store); how many went."""
    label = f"{engine.LABEL_WORKSPACE}={workspace_dir}"
    removed = 0
    for container in client.containers.list(all=True, filters={"label": label}):
        run_id = (container.labels or {}).get(engine.LABEL_RUN)
        if (not run_id or is_over(run_id)) and _remove(container):
            removed += 1
    return removed
