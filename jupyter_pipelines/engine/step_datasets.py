"""The data a step run read and wrote, as datasets in v1's shape: ``StepRun.get_details()``'s
``inputDatasets`` and ``outputDatasets`` (see runtime/run_datasets.py for the shape).

Every input is listed with the dataset it read: a dataset input is that dataset (its
registered version when it was one); a datastore path is a FileDataset over that path; an
upstream step's output is a FileDataset over where that output is (a TabularDataset when it
was read as a table). Every output is listed with a FileDataset over where it is, or the
dataset version it was registered as (``register_on_complete``). A dataset that cannot be
built any more (its datastore was unregistered since) is None.
"""

from __future__ import annotations

from typing import Any

from ..errors import PipelinesError
from ..runtime.run_datasets import input_dataset_entry, output_dataset_entry
from ..stores.workspace import Workspace
from .port_data import output_location


def step_input_datasets(workspace: Workspace, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """v1's ``inputDatasets`` of a step run whose StepSpec inputs are ``inputs``."""
    return [
        input_dataset_entry(name, _or_none(_input_dataset, workspace, entry), entry)
        for name, entry in inputs.items()
    ]


def step_output_datasets(
    workspace: Workspace, planned: dict[str, Any], produced: dict[str, Any]
) -> list[dict[str, Any]]:
    """v1's ``outputDatasets`` of a step run: its StepSpec outputs ``planned`` and the
    records of what it produced (``produced``: path, hash, delivered)."""
    found = []
    for name, plan in planned.items():
        entry = produced.get(name) or {"path": plan.get("final") or plan.get("path")}
        dataset = _or_none(_output_dataset, workspace, entry)
        found.append(output_dataset_entry(name, dataset, plan.get("mode")))
    return found


def _or_none(build: Any, workspace: Workspace, entry: dict[str, Any]) -> Any:
    try:
        return build(workspace, entry)
    except (PipelinesError, KeyError, OSError):
        return None


def _input_dataset(workspace: Workspace, entry: dict[str, Any]) -> Any:
    from ..stores.datasets import AbstractDataset
    from ..stores.datastores import Datastore

    kind = entry.get("kind")
    definition = entry.get("definition") or {}
    if kind == "dataset" and definition.get("paths"):
        info = entry.get("dataset") or {}
        registered = _registered(workspace, info.get("name"), info.get("version"))
        return registered or AbstractDataset.from_definition(workspace, definition)
    if kind == "datastore":
        source = entry["source"]
        return _files(Datastore.get(workspace, source["datastore"]), source["path"])
    datastore, path = output_location(workspace, entry)  # an upstream step's output
    if kind == "dataset":  # read as a table (read_delimited_files().as_input())
        paths = [{"datastore": datastore.name, "path": path}]
        return AbstractDataset.from_definition(workspace, {**definition, "paths": paths})
    return _files(datastore, path)


def _output_dataset(workspace: Workspace, entry: dict[str, Any]) -> Any:
    registered = (entry.get("delivered") or {}).get("registered") or {}
    found = _registered(workspace, registered.get("name"), registered.get("version"))
    if found is not None:
        return found
    datastore, path = output_location(workspace, entry)
    return _files(datastore, path)


def _registered(workspace: Workspace, name: str | None, version: int | None) -> Any:
    """The registered dataset ``name`` version ``version`` (None when it is none, or is
    unregistered since)."""
    from ..stores.datasets import AbstractDataset

    if not name or version is None:
        return None
    try:
        return AbstractDataset.get_by_name(workspace, name, version)
    except PipelinesError:
        return None


def _files(datastore: Any, path: str) -> Any:
    from ..stores.datasets import Dataset

    return Dataset.File.from_files([(datastore, path or "/")], validate=False)
