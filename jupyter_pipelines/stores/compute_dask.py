"""``DaskCompute``: a compute target whose steps run as tasks of a Dask cluster.

Created like the other targets::

    # a running scheduler
    ComputeTarget.create(ws, "dask", DaskCompute.provisioning_configuration(
        address="tcp://scheduler:8786"))
    # a cluster the target starts for each run and closes after it (LocalCluster by default)
    ComputeTarget.create(ws, "dask", DaskCompute.provisioning_configuration(
        min_nodes=0, max_nodes=4))
    ComputeTarget.create(ws, "slurm", DaskCompute.provisioning_configuration(
        cluster_class="dask_jobqueue.SLURMCluster",
        cluster_kwargs={"cores": 8, "memory": "32GB"}, max_nodes=20))

``AmlCompute.provisioning_configuration``'s fields are accepted with the same meaning, so an
existing ``AmlCompute`` definition moves to Dask by changing its class name: ``min_nodes``
and ``max_nodes`` become Dask's adaptive scaling, ``vm_size`` and the other fields are
recorded. See docs/compute.md.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ComputeTargetException
from .compute_aml import DEFAULT_IDLE_SECONDS, AmlCompute, ScaleSettings
from .compute_base import ComputeTargetStatus
from .vm_sizes import DEFAULT_VM_SIZE

#: Nodes (Dask workers) of a target created without ``max_nodes``.
DEFAULT_MAX_NODES = 4
#: Steps one run keeps submitted to the cluster at once, by default (Dask queues them).
DEFAULT_CONCURRENT_STEPS = 256
#: Retries of a step whose worker died, at most.
MAX_RETRIES = 10
_ADDRESS = re.compile(r"(tcp|tls|ws|wss|inproc|ucx)://\S+")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_RESOURCE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class DaskComputeProvisioningConfiguration:
    """How to create a ``DaskCompute`` target: where the cluster is, or how to start one."""

    _compute_type = "DaskCompute"

    def __init__(
        self,
        address: str | None = None,
        cluster_class: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        min_nodes: int = 0,
        max_nodes: int | None = DEFAULT_MAX_NODES,
        artifact_store: str | None = None,
        *,
        artifact_store_options: dict[str, Any] | None = None,
        shared_disk: bool | None = None,
        worker_resources: dict[str, float] | None = None,
        max_concurrent_steps: int | None = None,
        max_retries: int = 0,
        connect_timeout: float = 10.0,
        vm_size: str = "",
        vm_priority: str = "dedicated",
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        self.address = address
        self.cluster_class = cluster_class
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.min_nodes = min_nodes
        self.max_nodes = max_nodes
        self.artifact_store = artifact_store
        self.artifact_store_options = dict(artifact_store_options or {})
        self.shared_disk = shared_disk
        self.worker_resources = dict(worker_resources or {})
        self.max_concurrent_steps = max_concurrent_steps
        self.max_retries = max_retries
        self.connect_timeout = connect_timeout
        self.vm_size = vm_size or DEFAULT_VM_SIZE
        self.vm_priority = vm_priority
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        self.tags = dict(tags or {})
        self.description = description

    def validate_configuration(self) -> None:
        """Raise ComputeTargetException naming the first wrong field."""
        if self.address is not None and not (
            isinstance(self.address, str) and _ADDRESS.fullmatch(self.address)
        ):
            raise ComputeTargetException(
                f"address must be a Dask scheduler address such as 'tcp://host:8786', "
                f"got {self.address!r}"
            )
        if self.address and (self.cluster_class or self.cluster_kwargs):
            raise ComputeTargetException(
                "give either address (a running scheduler) or cluster_class/cluster_kwargs "
                "(a cluster the target starts), not both"
            )
        if self.cluster_class is not None and not (
            isinstance(self.cluster_class, str) and _DOTTED.fullmatch(self.cluster_class)
        ):
            raise ComputeTargetException(
                "cluster_class must name a Dask cluster manager by its dotted path, such as "
                f"'dask_jobqueue.SLURMCluster', got {self.cluster_class!r}"
            )
        if self.shared_disk is not None and not isinstance(self.shared_disk, bool):
            raise ComputeTargetException(
                f"shared_disk must be True, False or None (decided), got {self.shared_disk!r}"
            )
        if not all(isinstance(k, str) for k in self.cluster_kwargs):
            raise ComputeTargetException("cluster_kwargs must map argument names to values")
        self._validate_numbers()
        if self.artifact_store is not None and (
            not isinstance(self.artifact_store, str) or not self.artifact_store.strip()
        ):
            raise ComputeTargetException(
                "artifact_store must be an fsspec URL such as 'az://container/prefix' or "
                f"the name of a registered datastore, got {self.artifact_store!r}"
            )
        for name, value in self.worker_resources.items():
            if not (isinstance(name, str) and _RESOURCE.fullmatch(name)) or not _number(value):
                raise ComputeTargetException(
                    f"worker_resources must map resource names to amounts, such as "
                    f"{{'GPU': 1}}, got {name!r}: {value!r}"
                )

    def _validate_numbers(self) -> None:
        if not _whole(self.min_nodes) or self.min_nodes < 0:
            raise ComputeTargetException(f"min_nodes must be an int >= 0, got {self.min_nodes!r}")
        if self.max_nodes is not None and (
            not _whole(self.max_nodes) or self.max_nodes < max(1, self.min_nodes)
        ):
            raise ComputeTargetException(
                f"max_nodes must be an int >= 1 and >= min_nodes ({self.min_nodes}), "
                f"got {self.max_nodes!r}"
            )
        slots = self.max_concurrent_steps
        if slots is not None and (not _whole(slots) or slots < 1):
            raise ComputeTargetException(f"max_concurrent_steps must be an int >= 1, got {slots!r}")
        if not _whole(self.max_retries) or not 0 <= self.max_retries <= MAX_RETRIES:
            raise ComputeTargetException(
                f"max_retries must be an int from 0 to {MAX_RETRIES}, got {self.max_retries!r}"
            )
        if not _number(self.connect_timeout) or self.connect_timeout <= 0:
            raise ComputeTargetException(
                f"connect_timeout must be a number of seconds > 0, got {self.connect_timeout!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "cluster_class": self.cluster_class,
            "cluster_kwargs": dict(self.cluster_kwargs),
            "min_nodes": self.min_nodes,
            "max_nodes": self.max_nodes,
            "artifact_store": self.artifact_store,
            "artifact_store_options": dict(self.artifact_store_options),
            "shared_disk": self.shared_disk,
            "worker_resources": dict(self.worker_resources),
            "max_concurrent_steps": self.max_concurrent_steps,
            "max_retries": self.max_retries,
            "connect_timeout": self.connect_timeout,
            "vm_size": self.vm_size,
            "vm_priority": self.vm_priority,
            "idle_seconds_before_scaledown": self.idle_seconds_before_scaledown,
            "tags": dict(self.tags),
            "description": self.description,
        }

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.to_dict().items() if k != "artifact_store_options"}
        return f"DaskComputeProvisioningConfiguration({shown!r})"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class DaskCompute(AmlCompute):
    """Steps as tasks of a Dask cluster: a running scheduler (``address``) or a cluster the
    target starts for each run (``LocalCluster`` by default, or ``cluster_class``).

    It is an ``AmlCompute`` to v1 code: ``AmlCompute(ws, name)`` finds it, and its members
    (``wait_for_completion(min_node_count=...)``, ``scale_settings``, ``update``,
    ``get_active_runs``, ...) work, with the nodes being Dask workers.
    """

    _compute_type = "DaskCompute"
    _config_class = DaskComputeProvisioningConfiguration

    @staticmethod
    def provisioning_configuration(  # type: ignore[override]  # Dask's fields first
        address: str | None = None,
        cluster_class: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        min_nodes: int = 0,
        max_nodes: int | None = DEFAULT_MAX_NODES,
        artifact_store: str | None = None,
        *,
        artifact_store_options: dict[str, Any] | None = None,
        shared_disk: bool | None = None,
        worker_resources: dict[str, float] | None = None,
        max_concurrent_steps: int | None = None,
        max_retries: int = 0,
        connect_timeout: float = 10.0,
        vm_size: str = "",
        vm_priority: str = "dedicated",
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> DaskComputeProvisioningConfiguration:
        """A configuration for ``ComputeTarget.create``.

        ``address``: a running scheduler (``tcp://host:8786``); otherwise the target starts
        ``cluster_class`` (a dotted path, default ``distributed.LocalCluster``) with
        ``cluster_kwargs`` for each run and scales it between ``min_nodes`` and
        ``max_nodes`` workers (``cluster.adapt``). ``artifact_store``: the fsspec URL (or
        registered datastore name) code and data travel through (default: the
        workspace's ``.pipelines/artifacts``);
        ``shared_disk=True`` runs steps in place when workers see the workspace (the
        default for a ``LocalCluster`` the target starts without an ``artifact_store``:
        its workers are on this machine), ``False`` always copies.
        ``worker_resources``: the Dask resources of the workers a target-owned cluster
        starts (``{"GPU": 1}``). ``max_retries``: times a step whose worker died is run
        again. AmlCompute's other fields (admin, network, identity, location) are accepted
        and ignored, so an AmlCompute definition moves here by its class name alone.
        """
        del kwargs  # AmlCompute's admin, network and identity settings: no meaning here
        return DaskComputeProvisioningConfiguration(
            address=address,
            cluster_class=cluster_class,
            cluster_kwargs=cluster_kwargs,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            artifact_store=artifact_store,
            artifact_store_options=artifact_store_options,
            shared_disk=shared_disk,
            worker_resources=worker_resources,
            max_concurrent_steps=max_concurrent_steps,
            max_retries=max_retries,
            connect_timeout=connect_timeout,
            vm_size=vm_size,
            vm_priority=vm_priority,
            idle_seconds_before_scaledown=idle_seconds_before_scaledown,
            tags=tags,
            description=description,
        )

    @property
    def address(self) -> str | None:
        """The scheduler's address, or None: the target starts its own cluster."""
        return self._config.get("address")

    @property
    def cluster_class(self) -> str:
        """The cluster manager a target without ``address`` starts."""
        return str(self._config.get("cluster_class") or "distributed.LocalCluster")

    @property
    def slots(self) -> int:
        """Steps one run keeps submitted at once (Dask places and queues them)."""
        return int(self._config.get("max_concurrent_steps") or DEFAULT_CONCURRENT_STEPS)

    @property
    def gpus_per_node(self) -> int | None:  # type: ignore[override]
        """None: Dask places GPU steps on the workers that declare GPUs."""
        return None

    @property
    def scale_settings(self) -> ScaleSettings:
        """The Dask workers the target's own cluster scales between (``cluster.adapt``)."""
        config = self._config
        return ScaleSettings(
            int(config.get("min_nodes") or 0),
            int(config.get("max_nodes") or 0),
            config.get("idle_seconds_before_scaledown"),
        )

    def get_status(self) -> ComputeTargetStatus:
        status = super().get_status().serialize()
        status["address"] = self.address
        status["clusterClass"] = None if self.address else self.cluster_class
        return ComputeTargetStatus(status)

    def executor_options(self) -> tuple[str, dict[str, Any]]:
        config = self._config
        options = {
            key: config.get(key)
            for key in (
                "address",
                "cluster_class",
                "cluster_kwargs",
                "min_nodes",
                "max_nodes",
                "artifact_store",
                "artifact_store_options",
                "shared_disk",
                "worker_resources",
                "max_retries",
                "connect_timeout",
                "idle_seconds_before_scaledown",
            )
        }
        options["target"] = self.name
        options["workspace_dir"] = str(getattr(self.workspace, "dir", "") or "")
        options["slots"] = self.slots
        # Dask places GPU steps on workers that declare GPUs: the driver hands out none of
        # this machine's, and submit does not warn that the step "runs without".
        options["gpus"] = "none"
        options["places_gpus"] = True
        return "dask", options
