"""What datastores and datasets need of a workspace, as a protocol.

The data modules (``datastore_*``, ``dataset_*``, ``tabular``) sit below ``workspace.py``:
the workspace imports them, never the reverse. They are given a workspace object and use
only these members of it; ``Workspace`` has them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .runstore import RunStore


class WorkspaceLike(Protocol):
    """A workspace as the data modules see it (``stores.workspace.Workspace``)."""

    #: The ``.pipelines`` folder and the project folder holding it.
    dir: Path
    root: Path

    @property
    def run_store(self) -> RunStore: ...

    @property
    def snapshots_dir(self) -> Path: ...

    @property
    def datastores_dir(self) -> Path: ...

    def get_default_datastore(self) -> Any: ...


def reopen(workspace_class: type[Any], workspace_dir: str) -> Any:
    """The workspace at ``workspace_dir``, for unpickling: its class travels in the pickle
    (by reference), so that these modules need not import ``workspace.py``."""
    opener = getattr(workspace_class, "at", workspace_class)
    return opener(workspace_dir)
