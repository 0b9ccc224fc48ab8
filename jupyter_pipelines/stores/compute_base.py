"""The base of every compute target kind: ``ComputeTarget`` (the v1 name) and ``local``.

Each kind (``AmlCompute`` in compute_aml.py, ``DaskCompute`` in compute_dask.py,
``DockerCompute`` in compute_docker.py) subclasses ``ComputeTarget`` and so registers
itself; compute.py, the front door, imports them all so that every kind is known.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, ClassVar

from ..errors import ComputeTargetException, did_you_mean
from .compute_registry import ComputeRecord, ComputeRegistry

LOCAL_TARGET = "local"
#: Slots of an AmlCompute target created without ``max_nodes``.
DEFAULT_SLOTS = 4
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{1,31}")


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

    @staticmethod
    def attach(workspace: Any, name: str, attach_configuration: Any) -> ComputeTarget:
        """Register a target from a configuration, as ``create`` does: here every target is
        on this machine (or its Docker engine), so attaching and creating are the same.
        v1's attach configurations of remote machines (VMs, Databricks, Kubernetes, ...)
        are refused with the local kinds named."""
        if ComputeTarget._kinds.get(getattr(attach_configuration, "_compute_type", "")) is None:
            raise ComputeTargetException(
                f"cannot attach {attach_configuration!r}: remote compute is not available "
                "locally; use AmlCompute.provisioning_configuration(...) (steps on this "
                "machine) or DockerCompute.provisioning_configuration(...) (containers)"
            )
        return ComputeTarget.create(workspace, name, attach_configuration)

    @staticmethod
    def deserialize(workspace: Any, object_dict: dict[str, Any]) -> ComputeTarget:
        """The target described by a ``serialize()`` dict, bound to ``workspace`` (not
        registered by this call)."""
        properties = object_dict.get("properties") or {}
        kind = properties.get("computeType")
        target_cls = ComputeTarget._kinds.get(str(kind))
        name = object_dict.get("name")
        if target_cls is None or not isinstance(name, str):
            raise ComputeTargetException(
                f"not a serialized compute target (need 'name' and a known "
                f"properties.computeType, got {name!r} and {kind!r})"
            )
        record = ComputeRecord(name, str(kind), dict(properties.get("properties") or {}), 0.0)
        created = properties.get("createdOn")
        if isinstance(created, str):
            try:
                record.created = dt.datetime.fromisoformat(created).timestamp()
            except ValueError:
                pass
        return target_cls._from_record(workspace, record)

    def wait_for_completion(
        self, show_output: bool = False, is_delete_operation: bool = False
    ) -> None:
        """Wait for provisioning (or deletion); both are immediate on this machine."""
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
