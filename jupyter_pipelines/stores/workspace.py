"""The workspace: a ``.pipelines/`` folder holding the run store, runs, snapshots and datastores,
known to v1 code by the ids of its Azure ML workspace.

Two ways in:

- v1 code: ``Workspace.from_config()``, ``Workspace(subscription_id, resource_group,
  workspace_name)``, ``Workspace.get(name)``, ``Workspace.create(name)``. They open the local
  workspace (``$JUPYTER_PIPELINES_WORKSPACE``, else the nearest folder from the current one
  upwards that holds a ``.pipelines/`` folder or a v1 ``config.json``, else the current
  folder) and report the ids v1 gave (see workspace_config.py).
- this project's code: ``Workspace.at(path)`` opens (or creates) the workspace of a given
  project folder; ``Workspace(path)`` with a path as its only argument does the same.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from ..errors import ComputeTargetException, StoreError
from .compute import AmlCompute
from .runstore import RunStore
from .workspace_cloud import WorkspaceCloudMembers
from .workspace_config import (
    ENV_VAR,
    WORKSPACE_DIRNAME,
    Identity,
    config_in,
    load_identity,
    local_root,
    nearest_root,
    read_config,
    record,
    root_of_config,
)
from .workspace_config import write_config as _write_config
from .workspace_factories import WorkspaceFactories

if TYPE_CHECKING:
    from ..model.environment import Environment
    from .compute import ComputeTarget
    from .dataset_base import AbstractDataset
    from .datastores import Datastore
    from .environments import EnvironmentRegistry
    from .keyvault import Keyvault

__all__ = ["ENV_VAR", "WORKSPACE_DIRNAME", "Identity", "Workspace", "open_workspace"]

log = logging.getLogger(__name__)
W = TypeVar("W", bound="Workspace")
_SUBFOLDERS = (
    "runs",
    "snapshots",
    "datastores/workspaceblobstore",
    "datastores/workspacefilestore",
)


class Workspace(WorkspaceFactories, WorkspaceCloudMembers):
    """A local workspace (v1 ``Workspace``), rooted at a project folder.

    ``Workspace(subscription_id, resource_group, workspace_name)`` opens the local workspace
    (see the module docstring) under those ids, recording them; ``Workspace.at(path)`` (or
    ``Workspace(path)``) opens the workspace of the project folder ``path`` (or of its
    ``.pipelines`` folder), creating it when it does not exist yet.
    """

    DEFAULT_CPU_CLUSTER_CONFIGURATION = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_DS2_V2", vm_priority="dedicated", min_nodes=0, max_nodes=2
    )
    DEFAULT_CPU_CLUSTER_NAME = "cpu-cluster"
    DEFAULT_GPU_CLUSTER_CONFIGURATION = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_NC6", vm_priority="dedicated", min_nodes=0, max_nodes=2
    )
    DEFAULT_GPU_CLUSTER_NAME = "gpu-cluster"

    #: The class users get (the engine's subclass once it is imported); see open_workspace.
    _public_class: ClassVar[type[Workspace] | None] = None

    def __init__(
        self,
        subscription_id: str | os.PathLike[str] | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        auth: Any = None,
        sku: str = "basic",
        tags: dict[str, str] | None = None,
        **_v1_arguments: Any,
    ) -> None:
        if workspace_name is None:
            if resource_group is not None:
                raise StoreError(
                    "Workspace(subscription_id, resource_group, workspace_name) needs "
                    "workspace_name; to open a project folder use Workspace.at(path)"
                )
            # This project's own form: Workspace(path), or Workspace() for the current folder.
            path = Path(subscription_id) if subscription_id is not None else Path.cwd()
            self._open(path, {}, auth)
            return
        given = {
            "subscription_id": str(subscription_id) if subscription_id is not None else None,
            "resource_group": resource_group,
            "workspace_name": workspace_name,
            "location": _v1_arguments.get("_location"),
            "tags": dict(tags) if tags is not None else None,
        }
        self._open(local_root(), given, auth)

    # -- opening -------------------------------------------------------------------------
    def _open(self, path: Path, given: dict[str, Any], auth: Any) -> None:
        """Open (creating when needed) the workspace of ``path``; ``given``: v1 ids and
        fields that name it, recorded in ``.pipelines/workspace.json``."""
        root = path.expanduser().resolve()
        self.dir = root if root.name == WORKSPACE_DIRNAME else root / WORKSPACE_DIRNAME
        self.root = self.dir.parent
        try:
            for sub in _SUBFOLDERS:
                (self.dir / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create workspace in {str(self.dir)!r}: {exc}") from exc
        identity, from_config = load_identity(self.root, self.dir)
        wanted = {k: v for k, v in given.items() if v is not None}
        if wanted:
            named = identity.updated(**wanted)
            if from_config and named.ids() != identity.ids():
                log.warning(
                    "workspace %s: %s names it %s, this call %s; using the call's ids",
                    self.root,
                    config_in(self.root),
                    "/".join(identity.ids()),
                    "/".join(named.ids()),
                )
            identity = named
        if wanted or from_config:
            identity = record(self.dir, identity)
        self._identity = identity
        self._auth = auth
        bind = getattr(auth, "_bind_workspace", None)
        if callable(bind):
            bind(self.root)

    @classmethod
    def at(cls: type[W], path: str | os.PathLike[str]) -> W:
        """The workspace of the project folder ``path`` (or of its ``.pipelines`` folder),
        created when it does not exist yet; named by the folder's config file or record."""
        workspace = cls.__new__(cls)
        workspace._open(Path(path), {}, None)
        return workspace

    @classmethod
    def _named(cls: type[W], root: Path, given: dict[str, Any], auth: Any = None) -> W:
        workspace = cls.__new__(cls)
        workspace._open(root, given, auth)
        return workspace

    @classmethod
    def from_config(
        cls: type[W],
        path: str | os.PathLike[str] | None = None,
        auth: Any = None,
        _logger: Any = None,
        _file_name: str | None = None,
        **_v1_arguments: Any,
    ) -> W:
        """The workspace a v1 ``config.json`` names, or the nearest one, or a new one.

        ``path`` (default: the current folder; ``$JUPYTER_PIPELINES_WORKSPACE`` wins when no
        path is given) is a config file or the folder to search from: the nearest folder
        upwards holding a ``.pipelines/`` folder or a config file (in it, in ``.azureml/``
        or in ``aml_config/``) is the workspace's root. When there is none, a workspace is
        created in the starting folder, named after it (local default ids).
        """
        env = os.environ.get(ENV_VAR)
        if env and path is None:
            return cls._named(Path(env), {}, auth)
        start = Path(path).expanduser() if path is not None else Path.cwd()
        if start.is_file():
            return cls._named(root_of_config(start.resolve()), _ids(start), auth)
        root = nearest_root(start, _file_name) or start
        config = config_in(root, _file_name) if _file_name else None
        (_logger or log).debug("workspace root %s (config %s)", root, config)
        return cls._named(root, _ids(config) if config else {}, auth)

    @classmethod
    def find(cls: type[W], path: str | os.PathLike[str] | None = None) -> W | None:
        """The workspace ``from_config(path)`` would open, when it exists; never creates one."""
        env = os.environ.get(ENV_VAR)
        if env and path is None:
            return cls.at(env)
        root = nearest_root(Path(path) if path is not None else Path.cwd())
        if root is None or not (root / WORKSPACE_DIRNAME).is_dir():
            return None
        return cls.at(root)

    @classmethod
    def get(
        cls: type[W],
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        cloud: str = "AzureCloud",
        id: str | None = None,
        **_v1_arguments: Any,
    ) -> W:
        """The local workspace (see the module docstring) under the name ``name``; the ids
        not given keep their recorded (or config file's, or default) values."""
        del cloud, id  # which Azure cloud and which ARM id mean nothing locally
        given = {
            "workspace_name": name,
            "subscription_id": subscription_id,
            "resource_group": resource_group,
            "location": location,
        }
        return cls._named(local_root(), given, auth)

    @classmethod
    def setup(cls: type[W]) -> W:
        """v1's interactive set-up: here simply ``from_config()`` (no prompts)."""
        return cls.from_config()

    # -- identity (v1 properties) ----------------------------------------------------------
    @property
    def name(self) -> str:
        """The workspace name: from v1's ids or config file, else the project folder's name."""
        return self._identity.workspace_name

    @property
    def subscription_id(self) -> str:
        """The v1 subscription id (``00000000-...`` when nothing named one)."""
        return self._identity.subscription_id

    @property
    def resource_group(self) -> str:
        """The v1 resource group (``local`` when nothing named one)."""
        return self._identity.resource_group

    @property
    def location(self) -> str:
        """The v1 location (``local`` unless given to ``create``/``get``)."""
        return self._identity.location

    @property
    def sku(self) -> str:
        """``basic``: v1 keeps the SKU for backward compatibility only."""
        return self._identity.sku

    @property
    def tags(self) -> dict[str, str]:
        """The workspace's tags (a copy; change them with ``update(tags=...)``)."""
        return dict(self._identity.tags)

    def get_details(self) -> dict[str, Any]:
        """The workspace in v1's ``get_details()`` shape (camelCase keys), plus its folder."""
        identity = self._identity
        return {
            "id": identity.scope,
            "name": identity.workspace_name,
            "location": identity.location,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "tags": dict(identity.tags),
            "sku": identity.sku,
            "workspaceid": self._workspace_id,
            "description": identity.description or "",
            "friendlyName": identity.friendly_name or identity.workspace_name,
            "creationTime": self._creation_time,
            "storageAccount": str(self.datastores_dir),
            "containerRegistry": None,
            "keyVault": None,
            "applicationInsights": None,
            "hbiWorkspace": False,
            "discoveryUrl": None,
            "workspaceFolder": str(self.dir),
        }

    def write_config(
        self, path: str | os.PathLike[str] | None = None, file_name: str | None = None
    ) -> None:
        """Write this workspace's ids as a v1 ``config.json`` that ``from_config`` reads back:
        to ``<path>/.azureml/<file_name or config.json>``, ``path`` being the project folder
        by default (v1: the current folder, which may not be the workspace's root)."""
        _write_config(self._identity, path if path is not None else self.root, file_name)

    def update(
        self,
        friendly_name: str | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        image_build_compute: str | None = None,
        service_managed_resources_settings: Any = None,
        primary_user_assigned_identity: str | None = None,
        allow_public_access_when_behind_vnet: bool | None = None,
        v1_legacy_mode: bool | None = None,
    ) -> dict[str, Any]:
        """Change the friendly name, description or tags (recorded); the cloud settings are
        accepted and ignored. Returns ``get_details()``."""
        self._identity = record(
            self.dir,
            self._identity.updated(
                friendly_name=friendly_name,
                description=description,
                tags=dict(tags) if tags is not None else None,
            ),
        )
        return self.get_details()

    @property
    def _workspace_id(self) -> str:
        return self._identity.workspace_id or str(uuid.uuid5(uuid.NAMESPACE_URL, self.dir.as_uri()))

    @property
    def _creation_time(self) -> str:
        created = self._identity.created or self.dir.stat().st_mtime
        return dt.datetime.fromtimestamp(created, dt.timezone.utc).isoformat()

    # -- folders and the run store ---------------------------------------------------------
    @cached_property
    def run_store(self) -> RunStore:
        """The workspace's SQLite run store."""
        return RunStore(self.dir / "workspace.db")

    @property
    def runs_dir(self) -> Path:
        """Folder of run artifacts: ``runs/<run-id>/<step>/``."""
        return self.dir / "runs"

    @property
    def snapshots_dir(self) -> Path:
        """Content-addressed copies of step source folders."""
        return self.dir / "snapshots"

    @property
    def datastores_dir(self) -> Path:
        """Folder of the built-in local datastores."""
        return self.dir / "datastores"

    def get_mlflow_tracking_uri(self) -> str:
        """An MLflow tracking URI in the workspace (a ``file:`` store in ``.pipelines/mlruns``);
        MLflow logs there, apart from this package's own metrics."""
        return (self.dir / "mlruns").as_uri()

    # -- datastores (v1 names); imported here because datastores.py imports this module --
    def get_default_datastore(self) -> Datastore:
        """The default datastore: ``workspaceblobstore`` unless another was set."""
        from .datastores import Datastore

        return Datastore.get_default(self)

    @property
    def datastores(self) -> dict[str, Datastore]:
        """Every datastore of the workspace by name, the two built-in ones included."""
        from .datastore_registry import load_records
        from .datastores import Datastore

        return {n: Datastore._from_record(self, r) for n, r in load_records(self).items()}

    def set_default_datastore(self, name: str) -> None:
        """Make the datastore ``name`` the default one."""
        from .datastore_registry import set_default

        set_default(self, name)

    def get_default_keyvault(self) -> Keyvault:
        """The workspace's secrets: environment variables of this process (see keyvault.py)."""
        from .keyvault import Keyvault

        return Keyvault(self)

    # -- environments and compute targets (v1 names); imported on first use -----------
    @cached_property
    def environments_registry(self) -> EnvironmentRegistry:
        """The registered environments (used by ``Environment.get/register/list``)."""
        from .environments import EnvironmentRegistry

        return EnvironmentRegistry(self.dir / "workspace.db")

    @property
    def environments(self) -> dict[str, Environment]:
        """Name -> environment: the curated ones and the latest version of each registered."""
        from ..model.environment import Environment

        return Environment.list(self)

    @property
    def compute_targets(self) -> dict[str, ComputeTarget]:
        """Name -> registered compute target (the built-in ``local`` is not listed, as in v1)."""
        from .compute import compute_targets

        return compute_targets(self)

    def get_default_compute_target(self, type: str) -> ComputeTarget:
        """The ``cpu-cluster`` (type ``"CPU"``) or ``gpu-cluster`` (``"GPU"``) target when
        registered, else the built-in ``local`` target (v1 answers None there)."""
        from .compute import ComputeTarget

        kind = str(type).lower()
        if kind not in ("cpu", "gpu"):
            raise ComputeTargetException(f"compute type {type!r} is not 'CPU' or 'GPU'")
        name = self.DEFAULT_CPU_CLUSTER_NAME if kind == "cpu" else self.DEFAULT_GPU_CLUSTER_NAME
        return self.compute_targets.get(name) or ComputeTarget(self, "local")

    # -- datasets (v1 name) ------------------------------------------------------------
    @property
    def datasets(self) -> dict[str, AbstractDataset]:
        """The latest version of every registered dataset, by name."""
        from .dataset_classes import AbstractDataset  # with the kinds get_all builds

        return AbstractDataset.get_all(self)

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, folder={str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.dir == self.dir

    def __hash__(self) -> int:
        return hash(self.dir)


def _ids(config: Path) -> dict[str, Any]:
    sub, group, name = read_config(config)
    return {"subscription_id": sub, "resource_group": group, "workspace_name": name}


def open_workspace(path: str | os.PathLike[str]) -> Workspace:
    """The workspace at ``path`` as the class users get (``jupyter_pipelines.Workspace``)
    when the engine has been imported; for stores code that rebuilds a workspace."""
    cls = Workspace._public_class or Workspace
    return cls.at(path)
