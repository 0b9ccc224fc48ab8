"""Compute targets with the v1 names (``ComputeTarget``, ``AmlCompute``), registered per workspace.

Until a cluster backend exists, an ``AmlCompute`` target runs its steps on this machine: its
``max_nodes`` become concurrent step slots and its VM size the GPUs each step may use
(``target.slots``, ``target.gpus_per_node``). The built-in ``local`` target always exists
and is not listed in ``Workspace.compute_targets``, as in v1.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, ClassVar

from ..errors import ComputeTargetException, did_you_mean
from .compute_registry import ComputeRecord, ComputeRegistry
from .vm_sizes import DEFAULT_VM_SIZE, gpus_for_vm_size, supported_vm_sizes

LOCAL_TARGET = "local"
#: Slots of an AmlCompute target created without ``max_nodes``.
DEFAULT_SLOTS = 4
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{1,31}")
_PRIORITIES = ("dedicated", "lowpriority")


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat()


class ComputeTargetStatus:
    """The state of a compute target; ``serialize()`` gives it as a dict (v1 camelCase keys)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields
        self.provisioning_state: str = fields.get("provisioningState", "Succeeded")

    def serialize(self) -> dict[str, Any]:
        copied: dict[str, Any] = json.loads(json.dumps(self._fields))
        return copied

    def __repr__(self) -> str:
        return f"ComputeTargetStatus({self._fields!r})"


class ComputeTarget:
    """A compute target of a workspace (v1 ``ComputeTarget``).

    ``ComputeTarget(ws, name)`` returns the registered target as an instance of its own
    class (``AmlCompute``, ...); an unknown name raises ``ComputeTargetException``.
    """

    #: The kind stored in the registry and shown as ``type``.
    _compute_type: ClassVar[str] = ""
    _kinds: ClassVar[dict[str, type[ComputeTarget]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._compute_type:
            ComputeTarget._kinds[cls._compute_type] = cls

    def __new__(cls, workspace: Any, name: str) -> ComputeTarget:
        if name == LOCAL_TARGET:
            record = ComputeRecord(LOCAL_TARGET, LocalCompute._compute_type, {}, 0.0)
        else:
            record = _lookup(workspace, name)
        target_cls = ComputeTarget._kinds.get(record.kind)
        if target_cls is None:
            raise ComputeTargetException(
                f"compute target {name!r} is of kind {record.kind!r}, which this version of "
                f"jupyter_pipelines does not know"
            )
        if not issubclass(target_cls, cls):
            raise ComputeTargetException(
                f"compute target {name!r} is a {record.kind}, not a {cls.__name__}"
            )
        return target_cls._from_record(workspace, record)

    def __init__(self, workspace: Any, name: str) -> None:
        # __new__ has set everything up; this keeps v1's ComputeTarget(ws, name) signature.
        pass

    @classmethod
    def _from_record(cls, workspace: Any, record: ComputeRecord) -> ComputeTarget:
        target = object.__new__(cls)
        target.workspace = workspace
        target.name = record.name
        target.created = record.created
        target.provisioning_state = "Succeeded"
        target._config = dict(record.config)
        return target

    # -- v1 API --------------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self._compute_type

    @property
    def location(self) -> str:
        return "local"

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._config.get("tags") or {})

    @property
    def description(self) -> str | None:
        return self._config.get("description")

    @property
    def created_on(self) -> str:
        return _iso(self.created)

    @property
    def slots(self) -> int | None:
        """Steps that may run at once on this target (None: the local executor's default)."""
        return None

    @property
    def gpus_per_node(self) -> int | None:
        """GPUs each step may use (None: whatever the machine has)."""
        return None

    @staticmethod
    def create(workspace: Any, name: str, provisioning_configuration: Any) -> ComputeTarget:
        """Register a new target from a provisioning configuration and return it."""
        kind = getattr(provisioning_configuration, "_compute_type", None)
        target_cls = ComputeTarget._kinds.get(kind or "")
        if kind is None or target_cls is None or kind == LOCAL_TARGET:
            raise ComputeTargetException(
                f"{provisioning_configuration!r} is not a provisioning configuration; use "
                "AmlCompute.provisioning_configuration(vm_size=..., max_nodes=...)"
            )
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name == LOCAL_TARGET:
            raise ComputeTargetException(
                f"compute target name {name!r} is invalid: use 2 to 32 letters, digits, '-' or "
                f"'_', starting with a letter ({LOCAL_TARGET!r} is built in)"
            )
        provisioning_configuration.validate_configuration()
        record = ComputeRegistry(workspace).create(name, kind, provisioning_configuration.to_dict())
        return target_cls._from_record(workspace, record)

    @staticmethod
    def list(workspace: Any) -> list[ComputeTarget]:
        """The registered targets of ``workspace`` (``local`` is not listed)."""
        targets = []
        for record in ComputeRegistry(workspace).list():
            target_cls = ComputeTarget._kinds.get(record.kind)
            if target_cls is not None:
                targets.append(target_cls._from_record(workspace, record))
        return targets

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 20,
        is_delete_operation: bool = False,
    ) -> None:
        """Wait for provisioning (or deletion); both are immediate on this machine."""
        del min_node_count, timeout_in_minutes  # nothing to wait for locally
        if show_output:
            print("Deleting" if is_delete_operation else "Creating")
            print("Succeeded")
            if not is_delete_operation:
                print(f"{self.type} wait for completion finished")

    @property
    def status(self) -> ComputeTargetStatus:
        return self.get_status()

    def get_status(self) -> ComputeTargetStatus:
        return ComputeTargetStatus({"provisioningState": self.provisioning_state})

    def refresh_state(self) -> None:
        """Re-read the target's configuration from the workspace."""
        record = _lookup(self.workspace, self.name) if self.name != LOCAL_TARGET else None
        if record is not None:
            self._config = dict(record.config)

    def serialize(self) -> dict[str, Any]:
        """The target as a dict, in the v1 shape."""
        return {
            "id": f"{self.type}/{self.name}",
            "name": self.name,
            "location": self.location,
            "tags": self.tags,
            "properties": {
                "computeType": self.type,
                "description": self.description,
                "provisioningState": self.provisioning_state,
                "createdOn": self.created_on,
                "properties": dict(self._config),
            },
        }

    def delete(self) -> None:
        """Remove the target from the workspace."""
        if self.name == LOCAL_TARGET:
            raise ComputeTargetException(f"the built-in {LOCAL_TARGET!r} target cannot be deleted")
        ComputeRegistry(self.workspace).delete(self.name)
        self.provisioning_state = "Deleting"

    def detach(self) -> None:
        """Remove the target from the workspace (v1: for attached targets)."""
        self.delete()

    def executor_options(self) -> tuple[str, dict[str, Any]]:
        """The executor kind that runs this target's steps, and its options."""
        return LOCAL_TARGET, {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ComputeTarget)
            and type(other) is type(self)
            and other.name == self.name
            and other._config == self._config
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workspace={self.workspace!r}, name={self.name!r})"

    # attributes set by _from_record
    workspace: Any
    name: str
    created: float
    provisioning_state: str
    _config: dict[str, Any]


class LocalCompute(ComputeTarget):
    """The built-in ``local`` target: steps run as processes of this machine."""

    _compute_type = "local"


class AmlComputeProvisioningConfiguration:
    """How to create an ``AmlCompute`` target (v1 ``AmlComputeProvisioningConfiguration``)."""

    _compute_type = "AmlCompute"

    def __init__(
        self,
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
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

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        **_v1_cluster_settings: Any,
    ) -> AmlComputeProvisioningConfiguration:
        """A configuration for ``ComputeTarget.create``; network, identity and admin
        settings of v1 are accepted and ignored (they mean nothing on this machine)."""
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
        return ComputeTargetStatus(
            {
                "currentNodeCount": nodes,
                "targetNodeCount": nodes,
                "nodeStateCounts": {
                    "idleNodeCount": nodes,
                    "leavingNodeCount": 0,
                    "preemptedNodeCount": 0,
                    "preparingNodeCount": 0,
                    "runningNodeCount": 0,
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

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 20,
        is_delete_operation: bool = False,
    ) -> None:
        super().wait_for_completion(
            show_output, min_node_count, timeout_in_minutes, is_delete_operation
        )
        if show_output and not is_delete_operation:
            print("\nMinimum number of nodes requested have been provisioned")

    def update(
        self,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
    ) -> None:
        """Change the node limits (and so the slots) of the target."""
        config = AmlComputeProvisioningConfiguration(**self._config)
        if min_nodes is not None:
            config.min_nodes = min_nodes
        if max_nodes is not None:
            config.max_nodes = max_nodes
        if idle_seconds_before_scaledown is not None:
            config.idle_seconds_before_scaledown = idle_seconds_before_scaledown
        config.validate_configuration()
        ComputeRegistry(self.workspace).update(self.name, config.to_dict())
        self._config = config.to_dict()

    def executor_options(self) -> tuple[str, dict[str, Any]]:
        return LOCAL_TARGET, {"slots": self.slots, "gpus_per_node": self.gpus_per_node}


def _lookup(workspace: Any, name: str) -> ComputeRecord:
    registry = ComputeRegistry(workspace)
    record = registry.get(name)
    if record is None:
        known = [LOCAL_TARGET, *(r.name for r in registry.list())]
        raise ComputeTargetException(
            f"no compute target {name!r} in this workspace{did_you_mean(name, known)}; "
            f"known: {', '.join(known)}; create one with "
            "ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration(...))"
        )
    return record


def compute_targets(workspace: Any) -> dict[str, ComputeTarget]:
    """Name -> registered target of ``workspace`` (``Workspace.compute_targets``)."""
    return {t.name: t for t in ComputeTarget.list(workspace)}


def target_executor_options(workspace: Any, name: str | None) -> tuple[str, dict[str, Any]]:
    """The executor kind and options that run steps of the target ``name``.

    ``local`` (or None) -> ``("local", {})``; an AmlCompute target ->
    ``("local", {"slots": max_nodes or 4, "gpus_per_node": n})``.
    """
    return ComputeTarget(workspace, name or LOCAL_TARGET).executor_options()


# Registers the DockerCompute kind with ComputeTarget (it subclasses ComputeTarget, so it
# is defined after it); imported here so that every target kind is known once this loads.
from .compute_docker import (  # noqa: E402
    DockerCompute,
    DockerComputeProvisioningConfiguration,
)

__all__ = [
    "AmlCompute",
    "AmlComputeProvisioningConfiguration",
    "ComputeTarget",
    "DockerCompute",
    "DockerComputeProvisioningConfiguration",
    "LocalCompute",
]
