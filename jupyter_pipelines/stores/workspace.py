"""The workspace: a ``.pipelines/`` folder holding the run store, runs, snapshots and datastores."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from .runstore import RunStore

if TYPE_CHECKING:
    from ..model.environment import Environment
    from .compute import ComputeTarget
    from .datasets import AbstractDataset
    from .datastores import Datastore
    from .environments import EnvironmentRegistry

WORKSPACE_DIRNAME = ".pipelines"
ENV_VAR = "JUPYTER_PIPELINES_WORKSPACE"


class Workspace:
    """A local workspace (v1 ``Workspace``), rooted at a project folder.

    ``Workspace(path)`` accepts the project folder or its ``.pipelines`` folder and
    creates the workspace when it does not exist yet.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        name: str | None = None,
        **_v1_arguments: Any,
    ) -> None:
        root = Path(path) if path is not None else Path.cwd()
        root = root.expanduser().resolve()
        self.dir = root if root.name == WORKSPACE_DIRNAME else root / WORKSPACE_DIRNAME
        self.root = self.dir.parent
        self.name = name or self.root.name
        try:
            for sub in (
                "runs",
                "snapshots",
                "datastores/workspaceblobstore",
                "datastores/workspacefilestore",
            ):
                (self.dir / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create workspace in {str(self.dir)!r}: {exc}") from exc

    @classmethod
    def from_config(
        cls, path: str | os.PathLike[str] | None = None, **_v1_arguments: Any
    ) -> Workspace:
        """The nearest workspace from ``path`` (default: the current folder) upwards.

        ``$JUPYTER_PIPELINES_WORKSPACE`` wins when set; when no ``.pipelines`` folder
        is found, one is created in the starting folder.
        """
        env = os.environ.get(ENV_VAR)
        if env and path is None:
            return cls(env)
        start = Path(path) if path is not None else Path.cwd()
        start = start.expanduser().resolve()
        if start.is_file():
            start = start.parent
        for folder in (start, *start.parents):
            if (folder / WORKSPACE_DIRNAME).is_dir():
                return cls(folder)
        return cls(start)

    @classmethod
    def find(cls, path: str | os.PathLike[str] | None = None) -> Workspace | None:
        """The nearest existing workspace from ``path`` upwards, without creating one."""
        env = os.environ.get(ENV_VAR)
        if env and path is None:
            return cls(env)
        start = Path(path) if path is not None else Path.cwd()
        start = start.expanduser().resolve()
        for folder in (start, *start.parents):
            if (folder / WORKSPACE_DIRNAME).is_dir():
                return cls(folder)
        return None

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

    # -- datasets (v1 name) ------------------------------------------------------------
    @property
    def datasets(self) -> dict[str, AbstractDataset]:
        """The latest version of every registered dataset, by name."""
        from .datasets import AbstractDataset

        return AbstractDataset.get_all(self)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.dir == self.dir

    def __hash__(self) -> int:
        return hash(self.dir)
