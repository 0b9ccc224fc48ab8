"""``AmlCompute``: a v1 Azure ML compute cluster, run on this machine.

Until a cluster backend exists, an ``AmlCompute`` target runs its steps on this machine: its
``max_nodes`` become concurrent step slots and its VM size the GPUs each step may use
(``target.slots``, ``target.gpus_per_node``). Network, identity, admin, quota and
scale-down settings are accepted with v1's signatures and mean nothing here.
"""

from __future__ import annotations

import re
from typing import Any

from ..compat import cloud_only
from ..errors import ComputeTargetException, did_you_mean
from . import status as st
from .compute_base import DEFAULT_SLOTS, ComputeTarget, ComputeTargetStatus
from .compute_registry import ComputeRegistry
from .vm_sizes import DEFAULT_VM_SIZE, gpus_for_vm_size, supported_vm_sizes

_PRIORITIES = ("dedicated", "lowpriority")
#: v1's default idle time before a cluster scales down (seconds); recorded, never used.
DEFAULT_IDLE_SECONDS = 1800
_IDENTITY = "managed identities let Azure clusters reach Azure resources"
_QUOTAS = "quotas and usages count Azure cores of a subscription"


class AmlComputeProvisioningConfiguration:
    """How to create an ``AmlCompute`` target (v1 ``AmlComputeProvisioningConfiguration``)."""

    _compute_type = "AmlCompute"

    def __init__(
        self,
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        self.vm_size = vm_size or DEFAULT_VM_SIZE
        self.vm_priority = vm_priority
        self.min_nodes = min_nodes
        self.max_nodes = max_nodes
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        self.tags = dict(tags or {})
        self.description = description

    def validate_configuration(self) -> None:
        """Raise ComputeTargetException naming the first wrong field."""
        if self.vm_priority not in _PRIORITIES:
            raise ComputeTargetException(
                f"vm_priority {self.vm_priority!r} is not one of {', '.join(_PRIORITIES)}"
                f"{did_you_mean(str(self.vm_priority), _PRIORITIES)}"
            )
        if not isinstance(self.min_nodes, int) or self.min_nodes < 0:
            raise ComputeTargetException(f"min_nodes must be an int >= 0, got {self.min_nodes!r}")
        if self.max_nodes is not None and (
            not isinstance(self.max_nodes, int) or self.max_nodes < max(1, self.min_nodes)
        ):
            raise ComputeTargetException(
                f"max_nodes must be an int >= 1 and >= min_nodes ({self.min_nodes}), "
                f"got {self.max_nodes!r}"
            )
        if not isinstance(self.vm_size, str) or not re.fullmatch(r"[A-Za-z0-9_]+", self.vm_size):
            raise ComputeTargetException(f"vm_size {self.vm_size!r} is not a VM size name")

    def to_dict(self) -> dict[str, Any]:
        return {
            "vm_size": self.vm_size,
            "vm_priority": self.vm_priority,
            "min_nodes": self.min_nodes,
            "max_nodes": self.max_nodes,
            "idle_seconds_before_scaledown": self.idle_seconds_before_scaledown,
            "tags": dict(self.tags),
            "description": self.description,
        }

    def __repr__(self) -> str:
        return f"AmlComputeProvisioningConfiguration({self.to_dict()!r})"


class ScaleSettings:
    """The node limits of an ``AmlCompute`` target (v1 ``ScaleSettings``)."""

    def __init__(
        self, minimum_node_count: int, maximum_node_count: int, idle_seconds: int | None
    ) -> None:
        self.minimum_node_count = minimum_node_count
        self.maximum_node_count = maximum_node_count
        self.idle_seconds_before_scaledown = idle_seconds

    def serialize(self) -> dict[str, Any]:
        idle = self.idle_seconds_before_scaledown
        return {
            "minNodeCount": self.minimum_node_count,
            "maxNodeCount": self.maximum_node_count,
            "nodeIdleTimeBeforeScaleDown": f"PT{idle}S" if idle is not None else None,
        }


class AmlCompute(ComputeTarget):
    """A v1 Azure ML compute cluster, run on this machine: ``max_nodes`` steps at once,
    each with the GPUs of one node of its VM size."""

    _compute_type = "AmlCompute"
    #: the configuration class that ``update`` re-validates (a subclass's own)
    _config_class: type[Any] = AmlComputeProvisioningConfiguration

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        admin_username: str | None = None,
        admin_user_password: str | None = None,
        admin_user_ssh_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        remote_login_port_public_access: str = "NotSpecified",
        identity_type: str | None = None,
        identity_id: list[str] | None = None,
        location: str | None = None,
        enable_node_public_ip: bool = True,
    ) -> AmlComputeProvisioningConfiguration:
        """A configuration for ``ComputeTarget.create``; the admin, network, identity and
        location settings of v1 are accepted and ignored (they mean nothing on this
        machine)."""
        return AmlComputeProvisioningConfiguration(
            vm_size=vm_size,
            vm_priority=vm_priority,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            idle_seconds_before_scaledown=idle_seconds_before_scaledown,
            tags=tags,
            description=description,
        )

    @staticmethod
    def supported_vmsizes(workspace: Any, location: str | None = None) -> list[dict[str, Any]]:
        """The VM sizes this package knows: name, vCPUs, gpus, memoryGB."""
        del workspace, location
        return supported_vm_sizes()

    @property
    def vm_size(self) -> str:
        return str(self._config.get("vm_size") or DEFAULT_VM_SIZE)

    @property
    def vm_priority(self) -> str:
        return str(self._config.get("vm_priority") or "dedicated")

    @property
    def scale_settings(self) -> ScaleSettings:
        return ScaleSettings(
            int(self._config.get("min_nodes") or 0),
            self.slots,
            self._config.get("idle_seconds_before_scaledown"),
        )

    @property
    def slots(self) -> int:
        return int(self._config.get("max_nodes") or DEFAULT_SLOTS)

    @property
    def gpus_per_node(self) -> int:
        return gpus_for_vm_size(self.vm_size)

    def get_status(self) -> ComputeTargetStatus:
        nodes = self.scale_settings.minimum_node_count
        running = len(self.list_nodes())
        return ComputeTargetStatus(
            {
                "currentNodeCount": max(nodes, running),
                "targetNodeCount": max(nodes, running),
                "nodeStateCounts": {
                    "idleNodeCount": max(nodes - running, 0),
                    "leavingNodeCount": 0,
                    "preemptedNodeCount": 0,
                    "preparingNodeCount": 0,
                    "runningNodeCount": running,
                    "unusableNodeCount": 0,
                },
                "allocationState": "Steady",
                "allocationStateTransitionTime": self.created_on,
                "errors": None,
                "creationTime": self.created_on,
                "modifiedTime": self.created_on,
                "provisioningState": self.provisioning_state,
                "provisioningStateTransitionTime": None,
                "scaleSettings": self.scale_settings.serialize(),
                "vmPriority": self.vm_priority.capitalize(),
                "vmSize": self.vm_size,
            }
        )

    def get(self) -> dict[str, Any]:
        """The target as the service would describe it (``serialize()``, re-read first)."""
        self.refresh_state()
        return self.serialize()

    def list_nodes(self) -> list[dict[str, Any]]:
        """One node per step running on this target now, with its step run id (a local
        cluster has no idle nodes to show)."""
        active = ComputeRegistry(self.workspace).active_steps(self.name, {st.RUNNING})
        return [
            {
                "nodeId": f"{self.name}-{i}",
                "port": None,
                "publicIpAddress": None,
                "privateIpAddress": "127.0.0.1",
                "nodeState": "running",
                "runId": step_id,
            }
            for i, (step_id, _run_id, _status) in enumerate(active)
        ]

    def get_active_runs(
        self,
        type: str | None = None,
        tags: Any = None,
        properties: Any = None,
        status: str | None = None,
    ) -> list[Any]:
        """The step runs queued or running on this target (as ``StepRun`` objects when the
        workspace is a ``jupyter_pipelines.Workspace``, else their ids); ``status``
        filters; ``type``, ``tags`` and ``properties`` are accepted (step runs have none)."""
        del type, tags, properties
        active = {st.NOT_STARTED, st.QUEUED, st.RUNNING, st.CANCEL_REQUESTED}
        wanted = {status} if status else active
        steps = ComputeRegistry(self.workspace).active_steps(self.name, wanted & active)
        get_run = getattr(self.workspace, "get_run", None)
        return [get_run(step_id) if get_run else step_id for step_id, _, _ in steps]

    def wait_for_completion(  # type: ignore[override]  # v1's parameters, in v1's order
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 25,
        is_delete_operation: bool = False,
    ) -> None:
        """Provisioning (or deletion) is immediate on this machine."""
        del min_node_count, timeout_in_minutes  # nothing to wait for locally
        super().wait_for_completion(show_output, is_delete_operation)
        if show_output and not is_delete_operation:
            print("\nMinimum number of nodes requested have been provisioned")

    def update(
        self,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
    ) -> None:
        """Change the node limits of the target (its slots; a Dask target's workers)."""
        config = self._config_class(**self._config)
        if min_nodes is not None:
            config.min_nodes = min_nodes
        if max_nodes is not None:
            config.max_nodes = max_nodes
        if idle_seconds_before_scaledown is not None:
            config.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        config.validate_configuration()
        ComputeRegistry(self.workspace).update(self.name, config.to_dict())
        self._config = config.to_dict()

    @cloud_only(_IDENTITY)
    def add_identity(self, identity_type: str, identity_id: list[str] | None = None) -> None:
        return None

    @cloud_only(_IDENTITY)
    def remove_identity(self, identity_id: list[str] | None = None) -> None:
        return None

    @staticmethod
    @cloud_only(_QUOTAS)
    def list_usages(
        workspace: Any, show_all: bool = False, location: str | None = None
    ) -> list[dict[str, Any]]:
        return []

    @staticmethod
    @cloud_only(_QUOTAS)
    def list_quotas(workspace: Any, location: str | None = None) -> list[dict[str, Any]]:
        return []

    @staticmethod
    @cloud_only(_QUOTAS)
    def update_quotas(
        workspace: Any, vm_family: str, limit: int | None = None, location: str | None = None
    ) -> None:
        return None

    def executor_options(self) -> tuple[str, dict[str, Any]]:
        return "local", {"slots": self.slots, "gpus_per_node": self.gpus_per_node}
