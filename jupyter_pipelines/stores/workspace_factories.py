"""The v1 class methods that make or list workspaces (``Workspace.create``,
``Workspace.list``), mixed into ``Workspace`` (stores/workspace.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..errors import StoreError
from .workspace_config import (
    DEFAULT_RESOURCE_GROUP,
    DEFAULT_SUBSCRIPTION_ID,
    ENV_VAR,
    WORKSPACE_DIRNAME,
)


class _MadeWorkspace(Protocol):
    """What ``create`` and ``list`` use of the ``Workspace`` they are mixed into (a protocol,
    so that this module need not import workspace.py)."""

    DEFAULT_CPU_CLUSTER_NAME: str
    DEFAULT_GPU_CLUSTER_NAME: str
    _identity: Any
    dir: Path

    @property
    def name(self) -> str: ...

    @property
    def compute_targets(self) -> dict[str, Any]: ...

    @classmethod
    def _named(cls: type[W], root: Path, given: dict[str, Any], auth: Any = None) -> W: ...

    @classmethod
    def find(cls: type[W], path: str | os.PathLike[str] | None = None) -> W | None: ...


W = TypeVar("W", bound=_MadeWorkspace)


class WorkspaceFactories:
    """``create`` and ``list`` of v1's ``Workspace``."""

    # A mixin's methods are typed for the Workspace they are mixed into.
    @classmethod
    def create(
        cls: type[W],
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        create_resource_group: bool = True,
        sku: str = "basic",
        tags: dict[str, str] | None = None,
        friendly_name: str | None = None,
        storage_account: str | None = None,
        key_vault: str | None = None,
        app_insights: str | None = None,
        container_registry: str | None = None,
        adb_workspace: str | None = None,
        primary_user_assigned_identity: str | None = None,
        cmk_keyvault: str | None = None,
        resource_cmk_uri: str | None = None,
        hbi_workspace: bool = False,
        default_cpu_compute_target: Any = None,
        default_gpu_compute_target: Any = None,
        private_endpoint_config: Any = None,
        private_endpoint_auto_approval: bool = True,
        exist_ok: bool = False,
        show_output: bool = True,
        user_assigned_identity_for_cmk_encryption: str | None = None,
        system_datastores_auth_mode: str = "accessKey",
        v1_legacy_mode: bool | None = None,
        **_v1_arguments: Any,
    ) -> W:
        """Create a workspace named ``name`` in ``$JUPYTER_PIPELINES_WORKSPACE`` or the current
        folder; with ``exist_ok`` an existing one there is returned (renamed), else refused.

        ``default_cpu_compute_target`` / ``default_gpu_compute_target`` (AmlCompute
        provisioning configurations) are registered as ``cpu-cluster`` / ``gpu-cluster``.
        Storage, key vault, registry, network and encryption arguments are accepted and
        ignored: everything lives in the ``.pipelines/`` folder.
        """
        env = os.environ.get(ENV_VAR)
        root = Path(env) if env else Path.cwd()
        folder = root if root.name == WORKSPACE_DIRNAME else root / WORKSPACE_DIRNAME
        if folder.is_dir() and not exist_ok:
            raise StoreError(
                f"a workspace already exists in {str(folder.parent)!r}; open it with "
                "Workspace.from_config(), or pass exist_ok=True"
            )
        given = {
            "workspace_name": name,
            "subscription_id": subscription_id,
            "resource_group": resource_group,
            "location": location,
            "tags": dict(tags) if tags is not None else None,
            "friendly_name": friendly_name,
        }
        workspace = cls._named(root, given, auth)
        for target, config in (
            (cls.DEFAULT_CPU_CLUSTER_NAME, default_cpu_compute_target),
            (cls.DEFAULT_GPU_CLUSTER_NAME, default_gpu_compute_target),
        ):
            if config is not None and target not in workspace.compute_targets:
                from .compute import ComputeTarget

                ComputeTarget.create(workspace, target, config)
        if show_output:
            print(f"Workspace {name!r} is ready in {str(workspace.dir)!r}")
        return workspace

    @classmethod
    def list(
        cls: type[W],
        subscription_id: str | None,
        auth: Any = None,
        resource_group: str | None = None,
    ) -> dict[str, list[W]]:
        """``{name: [workspace]}`` for the local workspace (see ``find``), when it exists and
        its recorded ids match the given ones (default ids match any); else ``{}``."""
        del auth
        found = cls.find()
        if found is None:
            return {}
        identity = found._identity
        if subscription_id and identity.subscription_id not in (
            subscription_id,
            DEFAULT_SUBSCRIPTION_ID,
        ):
            return {}
        if resource_group and identity.resource_group not in (
            resource_group,
            DEFAULT_RESOURCE_GROUP,
        ):
            return {}
        return {found.name: [found]}
