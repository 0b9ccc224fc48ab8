"""The ``dask`` executor: each step is one Dask task that runs the step in a subprocess on a
worker, placed by Dask according to the step's resources (GPU, CPU, memory).

Options come from ``DaskCompute.executor_options()``. The code, inputs and results of a
step travel through the target's artifact store (``transport.py``) unless its workers share
this machine's disk (``shared_disk``: said by the target, or a LocalCluster it starts
without naming a store). The executor never touches the run
store: where a step ran reaches the driver through ``DaskStepHandle.watch_placement``.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from ...stores import status as st
from ..base import AbstractExecutor, StepHandle, StepResult, StepSpec
from .cluster import DEFAULT_CLUSTER, DaskCluster
from .handle import DaskStepHandle
from .task import cancel_step, step_task, topic

log = logging.getLogger(__name__)

#: Seconds between the monitor's looks at the cluster's workers.
MONITOR_S = 1.0
#: Memory units of ``resources.memory`` (a number is GB, as the Docker target reads it).
_UNITS = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def dask_resources(resources: dict[str, Any]) -> dict[str, float]:
    """The Dask resources a step asks for: ``GPU``, ``CPU`` and ``MEMORY`` (bytes), from its
    ``gpu``, ``cpu`` and ``memory`` requests; only workers declaring them take the task."""
    wanted: dict[str, float] = {}
    gpu = resources.get("gpu")
    if isinstance(gpu, int | float) and not isinstance(gpu, bool) and gpu > 0:
        wanted["GPU"] = float(gpu)
    cpu = resources.get("cpu")
    if isinstance(cpu, int | float) and not isinstance(cpu, bool) and cpu > 0:
        wanted["CPU"] = float(cpu)
    memory = memory_bytes(resources.get("memory"))
    if memory:
        wanted["MEMORY"] = memory
    return wanted


def memory_bytes(value: Any) -> float | None:
    """``"4g"``, ``"512m"`` or a number of GB as bytes; None when not given or unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) * 1e9 if value > 0 else None
    text = str(value).strip().lower().rstrip("b")
    try:
        if text and text[-1] in _UNITS:
            return float(text[:-1]) * _UNITS[text[-1]]
        return float(text) or None
    except ValueError:
        return None


class DaskExecutor(AbstractExecutor):
    """Runs steps as tasks of the target's Dask cluster, up to ``slots`` submitted at once."""

    name = "dask"
    builds_environments = True  # a worker builds (and caches) the step's Environment

    def __init__(
        self,
        slots: int | None = None,
        *,
        target: str = "dask",
        workspace_dir: str = "",
        address: str | None = None,
        cluster_class: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        min_nodes: int = 0,
        max_nodes: int | None = None,
        artifact_store: str | None = None,
        artifact_store_options: dict[str, Any] | None = None,
        shared_disk: bool | None = None,
        worker_resources: dict[str, float] | None = None,
        max_retries: int = 0,
        connect_timeout: float = 10.0,
        idle_seconds_before_scaledown: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(slots, **options)
        self.target = target
        self.workspace_dir = workspace_dir
        self.max_retries = int(max_retries or 0)
        if shared_disk is None:
            # Workers of a LocalCluster this target starts are on this machine: unless the
            # target names a store, steps run in place rather than through a copy.
            default = cluster_class in (None, DEFAULT_CLUSTER)
            shared_disk = address is None and default and not artifact_store
        self.shared_disk = bool(shared_disk)
        self.artifact_store = artifact_store
        self.artifact_store_options = dict(artifact_store_options or {})
        self.cluster = DaskCluster(
            target,
            address=address,
            cluster_class=cluster_class,
            cluster_kwargs=cluster_kwargs,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            worker_resources=worker_resources,
            idle_seconds_before_scaledown=idle_seconds_before_scaledown,
            connect_timeout=connect_timeout,
        )
        self._handles: dict[str, DaskStepHandle] = {}
        self._topics: set[str] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._monitor: threading.Thread | None = None
        self._dashboard: str | None = None
        self._store: Any = None

    # -- launching -------------------------------------------------------------------------
    def launch(self, spec: StepSpec) -> StepHandle:
        """Submit ``spec`` as a task (connecting to, or starting, the cluster the first
        time); raises ComputeTargetException when the scheduler cannot be reached."""
        spec.check_serializable()
        client = self.cluster.client()
        self._follow(client, spec.run_id)
        handle = DaskStepHandle(self, spec)
        if not self.shared_disk:
            handle.ticket = self._stage(spec)
        with self._lock:
            self._handles[spec.step_run_id] = handle
        try:
            handle.submit()
        except Exception:
            self.forget(handle)
            raise
        return handle

    def submit(self, handle: DaskStepHandle) -> Any:
        """Submit (or resubmit) ``handle``'s task; its future."""
        payload = {
            "spec": handle.spec.to_dict(),
            "driver_python": sys.executable,
            "ticket": handle.ticket,
        }
        return self.cluster.client().submit(
            step_task,
            payload,
            key=handle.key(),
            pure=False,
            resources=dask_resources(handle.spec.resources) or None,
            retries=0,
        )

    def _follow(self, client: Any, run_id: str) -> None:
        """Listen to the run's step events (started, log chunks) and watch the workers."""
        with self._lock:
            name = topic(run_id)
            if name not in self._topics:
                self._topics.add(name)
                client.subscribe_topic(name, self._on_event)
            if self._monitor is None:
                self._monitor = threading.Thread(
                    target=self._watch, name=f"dask-monitor:{self.target}", daemon=True
                )
                self._monitor.start()

    # -- the artifact store ----------------------------------------------------------------
    def _transport(self) -> Any:
        try:
            from . import transport
        except ImportError:
            return None
        return transport

    def _artifact_store(self, transport: Any) -> Any:
        """The target's store: a URL, a registered datastore's name, or by default the
        workspace's own ``.pipelines/artifacts`` folder."""
        if self._store is None:
            where = self.artifact_store
            if not where:
                self._store = transport.ArtifactStore.for_workspace(self.workspace_dir)
            elif "://" in where:
                self._store = transport.ArtifactStore(where, self.artifact_store_options)
            else:
                from ...stores.workspace import Workspace

                self._store = transport.ArtifactStore.resolve(
                    where, Workspace.at(self.workspace_dir)
                )
        return self._store

    def _stage(self, spec: StepSpec) -> dict[str, Any] | None:
        """Upload the step's code, inputs and spec; the ticket its task gets (None: the
        transport is not installed, and the workers must share this machine's disk)."""
        transport = self._transport()
        if transport is None:
            log.warning("no Dask transport: step %r runs in place (shared disk)", spec.step_name)
            return None
        ticket = dict(transport.stage_step(spec, self._artifact_store(transport)))
        ticket.setdefault("driver_python", sys.executable)
        return ticket

    def collect(self, handle: DaskStepHandle, outcome: dict[str, Any]) -> StepResult:
        """The step's result once its task returned: its outputs, logs and files brought
        back first when they travelled through the artifact store."""
        spec = handle.spec
        if handle.ticket is not None:
            handle.streaming = False  # the worker's full logs replace the streamed chunks
            transport = self._transport()
            store = self._artifact_store(transport)
            try:
                outcome = {**outcome, **transport.collect_result(spec, store, handle.ticket)}
                transport.discard_step(store, handle.ticket)
            except Exception as exc:
                return StepResult(
                    st.FAILED,
                    outcome.get("exit_code"),
                    f"step {spec.step_name!r} ran on {handle.worker or 'a Dask worker'} but its "
                    f"results could not be brought back: {type(exc).__name__}: {exc}",
                )
        return StepResult(
            str(outcome.get("status") or st.FAILED), outcome.get("exit_code"), outcome.get("error")
        )

    # -- events and the monitor ------------------------------------------------------------
    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """A step's event, on the client's event loop: keep it short."""
        message = event[1] if isinstance(event, tuple | list) else event
        if not isinstance(message, dict):
            return
        handle = self._handles.get(str(message.get("id")))
        if handle is None:
            return
        kind = message.get("event")
        if kind == "started":
            threading.Thread(target=handle.started, args=(str(message.get("worker")),)).start()
        elif kind == "log" and handle.ticket is not None and handle.streaming:
            _append(handle.spec, str(message.get("stream")), str(message.get("text") or ""))

    def _watch(self) -> None:
        """Fail the steps whose worker left the cluster or whose scheduler is gone."""
        while not self._closed.wait(MONITOR_S):
            with self._lock:
                placed = [h for h in self._handles.values() if h.worker]
            if not placed:
                continue
            try:
                workers = self.cluster.workers()
            except Exception as exc:
                reason = (
                    f"lost the Dask scheduler of compute target {self.target!r} "
                    f"({type(exc).__name__}: {exc})"
                )
                for handle in placed:
                    handle.lost(reason)
                continue
            for handle in placed:
                worker = handle.worker
                if worker and worker not in workers and not handle.future.done():
                    # Seen gone twice in a row: a listing taken while a worker registers
                    # again after a blip is not a death.
                    if handle.missing:
                        log.warning(
                            "worker %s of step %r is gone; workers: %s",
                            worker,
                            handle.spec.step_name,
                            sorted(workers),
                        )
                        handle.lost(handle._worker_died("it left the cluster"))
                    handle.missing = True
                else:
                    handle.missing = False

    def note(self, handle: DaskStepHandle, text: str) -> None:
        """Say something about a step in its log (``stderr.txt``), e.g. a retry."""
        _append(handle.spec, "stderr", f"[jupyter-pipelines] {text}\n")

    def dashboard_link(self) -> str | None:
        """The Dask dashboard of the target's cluster, when it has one."""
        if self._dashboard is None:
            self._dashboard = self.cluster.dashboard_link() or ""
        return self._dashboard or None

    # -- cancel and close ------------------------------------------------------------------
    def cancel(self, handle: DaskStepHandle, reason: str) -> None:
        """Stop the step: its task leaves the queue, its process dies on the worker."""
        future = handle.future
        if future is not None:
            future.cancel()
        try:
            self.cluster.client().run(
                cancel_step, handle.spec.step_run_id, reason, wait=False, on_error="ignore"
            )
        except Exception as exc:  # a scheduler gone has nothing left to stop
            log.warning("cancel of step %r on Dask: %s", handle.spec.step_name, exc)

    def forget(self, handle: DaskStepHandle) -> None:
        with self._lock:
            self._handles.pop(handle.spec.step_run_id, None)

    def close(self) -> None:
        """Stop listening; close the cluster when the target started it."""
        self._closed.set()
        client = self.cluster._client
        for name in list(self._topics):
            try:
                client.unsubscribe_topic(name)
            except Exception:
                pass
        self._topics.clear()
        self.cluster.close()


def _append(spec: StepSpec, stream: str, text: str) -> None:
    path = spec.stdout_path if stream == "stdout" else spec.stderr_path
    try:
        with open(path, "a") as fh:
            fh.write(text)
    except OSError:
        pass
