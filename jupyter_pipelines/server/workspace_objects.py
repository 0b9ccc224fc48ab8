"""The workspace objects part of the REST service: experiments, datastores, datasets,
environments and compute targets, as the JupyterLab front end and the REST API list them
(public settings only, never a credential)."""

from __future__ import annotations

from typing import Any

from ..model.untrusted import MAX_INT
from ..stores.runstore import RunStore
from ..stores.workspace import Workspace
from .errors import BadRequestError


class WorkspaceObjects:
    """The workspace objects of a service (PipelinesService mixes this in)."""

    workspace: Workspace
    store: RunStore

    def experiments(self) -> dict[str, Any]:
        return {"experiments": self.store.list_experiments()}

    def datastores(self) -> dict[str, Any]:
        return {"datastores": [_datastore(d) for d in self.workspace.datastores.values()]}

    def datastore(self, name: str) -> dict[str, Any]:
        from ..stores.datastores import Datastore

        return _datastore(Datastore.get(self.workspace, name))

    def datasets(self) -> dict[str, Any]:
        return {"datasets": [_dataset(d) for d in self.workspace.datasets.values()]}

    def dataset(self, name: str, version: str | None) -> dict[str, Any]:
        from ..stores.datasets import Dataset

        number = _version_arg(version)
        return _dataset(Dataset.get_by_name(self.workspace, name, number or "latest"))

    def environments(self) -> dict[str, Any]:
        return {
            "environments": [
                {"name": name, "version": getattr(env, "version", None)}
                for name, env in sorted(self.workspace.environments.items())
            ]
        }

    def environment(self, name: str, version: str | None) -> dict[str, Any]:
        from ..model.environment import Environment

        env = Environment.get(self.workspace, name, version)
        return env.to_dict()

    def compute(self) -> dict[str, Any]:
        targets = [t.serialize() for t in self.workspace.compute_targets.values()]
        return {"compute": [{"name": "local", "type": "local"}, *targets]}

    def compute_target(self, name: str) -> dict[str, Any]:
        from ..stores.compute import ComputeTarget

        if name == "local":
            return {"name": "local", "type": "local"}
        return dict(ComputeTarget(self.workspace, name).serialize())


def _version_arg(version: str | None) -> int | None:
    """A ``version`` query argument: 'latest' (or none) is None, else a number from 1."""
    if version in (None, "", "latest"):
        return None
    assert version is not None
    if not (version.isascii() and version.isdigit()) or not 1 <= int(version) <= MAX_INT:
        raise BadRequestError(f"'version' must be 'latest' or a version number, not {version!r}")
    return int(version)


def _datastore(store: Any) -> dict[str, Any]:
    """A datastore as the REST API shows it: its public settings (for Azure: the account
    and container), never a credential."""
    shown = {k: v for k, v in store.public_settings().items() if k != "datastore_type"}
    return {"name": store.name, "type": store.datastore_type, **shown}


def _dataset(dataset: Any) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "version": dataset.version,
        "kind": dataset.kind,
        "description": dataset.description,
        "tags": dataset.tags,
        "id": dataset.id,
    }


__all__ = ["WorkspaceObjects"]
