"""The Dask cluster of a compute target: a client of a running scheduler, or a cluster the
target starts (``LocalCluster`` by default, any cluster manager by its dotted path) and
owns until the run that needed it ends."""

from __future__ import annotations

import logging
import threading
from importlib import import_module
from typing import Any

from ...errors import ComputeTargetException

log = logging.getLogger(__name__)

DEFAULT_CLUSTER = "distributed.LocalCluster"
#: Seconds between the adaptive scaler's looks at the cluster.
ADAPT_INTERVAL_S = 1.0


def missing_dask(target: str) -> ComputeTargetException:
    """The error of a Dask target on a machine without dask.distributed."""
    return ComputeTargetException(
        f"compute target {target!r} runs steps on Dask, which is not installed: "
        "pip install 'jupyter_pipelines[dask]'"
    )


class DaskCluster:
    """Connects (once, when a step first needs it) to the target's scheduler, or starts
    the target's cluster, and closes what it started."""

    def __init__(
        self,
        target: str,
        *,
        address: str | None = None,
        cluster_class: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        min_nodes: int = 0,
        max_nodes: int | None = None,
        worker_resources: dict[str, float] | None = None,
        idle_seconds_before_scaledown: int | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.target = target
        self.address = address
        self.cluster_class = cluster_class or DEFAULT_CLUSTER
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.min_nodes = int(min_nodes or 0)
        self.max_nodes = max_nodes
        self.worker_resources = dict(worker_resources or {})
        self.idle_seconds = idle_seconds_before_scaledown
        self.connect_timeout = float(connect_timeout or 10.0)
        self.cluster: Any = None
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def owned(self) -> bool:
        """True when the target started this cluster (and closes it)."""
        return self.address is None

    def client(self) -> Any:
        """The ``distributed.Client``: connected, or the cluster started, on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._connect() if self.address else self._start()
            return self._client

    def _connect(self) -> Any:
        try:
            from distributed import Client
        except ImportError as exc:
            raise missing_dask(self.target) from exc
        try:
            return Client(  # type: ignore[no-untyped-call]
                self.address, timeout=self.connect_timeout, set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            raise ComputeTargetException(
                f"cannot reach the Dask scheduler {self.address!r} of compute target "
                f"{self.target!r} within {self.connect_timeout:g} s ({exc}); start it "
                "(dask scheduler) or correct the target's address"
            ) from exc

    def _start(self) -> Any:
        try:
            import dask
            from distributed import Client
        except ImportError as exc:
            raise missing_dask(self.target) from exc
        cls = _cluster_class(self.cluster_class, self.target)
        kwargs = self._cluster_kwargs()
        # A step whose worker dies fails with that reason (the executor retries it when
        # the target asks), rather than being rerun elsewhere by the scheduler.
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            try:
                self.cluster = cls(**kwargs)
            except Exception as exc:
                raise ComputeTargetException(
                    f"cannot start the Dask cluster of compute target {self.target!r} "
                    f"({self.cluster_class}({_shown(kwargs)})): {type(exc).__name__}: {exc}"
                ) from exc
        self._scale()
        return Client(self.cluster, set_as_default=False)  # type: ignore[no-untyped-call]

    def _cluster_kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.cluster_kwargs)
        if self.cluster_class == DEFAULT_CLUSTER:
            # Steps are processes: one thread per worker runs one step at a time, and the
            # dashboard takes any free port (several runs may have clusters at once).
            kwargs.setdefault("processes", True)
            kwargs.setdefault("threads_per_worker", 1)
            kwargs.setdefault("n_workers", self._initial_workers())
            kwargs.setdefault("dashboard_address", ":0")
            kwargs.setdefault("silence_logs", logging.WARNING)
            if self.worker_resources:
                kwargs.setdefault("resources", dict(self.worker_resources))
        return kwargs

    def _initial_workers(self) -> int:
        if self.max_nodes is not None and self.min_nodes == self.max_nodes:
            return self.max_nodes
        return self.min_nodes

    def _scale(self) -> None:
        """``min_nodes``..``max_nodes`` as Dask's adaptive scaling (a fixed size when equal;
        none when the target gives no ``max_nodes``: the cluster manager's own size)."""
        if self.max_nodes is None or self.min_nodes == self.max_nodes:
            return
        idle = self.idle_seconds
        wait_count = max(3, int(idle / ADAPT_INTERVAL_S)) if idle else 3
        self.cluster.adapt(
            minimum=self.min_nodes,
            maximum=self.max_nodes,
            interval=f"{ADAPT_INTERVAL_S}s",
            wait_count=wait_count,
        )

    def workers(self) -> set[str]:
        """The addresses of the workers the scheduler knows now."""
        client = self._client
        if client is None:
            return set()
        info = client.scheduler_info(n_workers=-1)
        return set((info or {}).get("workers") or {})

    def dashboard_link(self) -> str | None:
        """The scheduler's dashboard, when it serves one (bokeh installed)."""
        client = self._client
        if client is None:
            return None
        try:
            services = (client.scheduler_info(n_workers=0) or {}).get("services") or {}
            return str(client.dashboard_link) if "dashboard" in services else None
        except Exception:  # a scheduler gone: no link
            return None

    def close(self) -> None:
        """Disconnect; close the cluster when the target started it."""
        with self._lock:
            client, cluster = self._client, self.cluster
            self._client = self.cluster = None
        for what in (client, cluster):
            if what is None:
                continue
            try:
                what.close()
            except Exception as exc:  # closing must not fail the run
                log.warning("closing the Dask %s of %r: %s", type(what).__name__, self.target, exc)


def _cluster_class(path: str, target: str) -> Any:
    module, _, name = path.rpartition(".")
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ComputeTargetException(
            f"compute target {target!r} names the Dask cluster manager {path!r}, which "
            f"cannot be imported ({exc}); install the package that provides it"
        ) from exc


def _shown(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
