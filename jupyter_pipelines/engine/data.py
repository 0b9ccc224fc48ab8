"""Datasets and datastore paths around a step: resolved at submit and staged before it
starts (outputs are delivered and registered by engine/output_delivery.py).

Resolution happens against the workspace, so that a pipeline file can name datastores
and datasets that only the workspace knows. Everything a step needs is written into
its StepSpec as plain data, so that other executors can stage it too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EngineError
from ..executors.base import StepSpec
from ..model.data import (
    DataPath,
    DataReference,
    DatasetConsumptionConfig,
    InputBinding,
    OutputData,
    OutputDatasetConfig,
)
from ..model.parameters import PipelineParameter
from ..stores.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class ResolvedInput:
    """A dataset or datastore input of one step, as the step will see it."""

    entry: dict[str, Any]  # the StepSpec input entry
    content_hash: str
    warnings: list[str] = field(default_factory=list)


class DataBindings:
    """Resolves the dataset and datastore inputs and the output destinations of one run."""

    def __init__(self, workspace: Workspace, parameters: dict[str, Any]) -> None:
        self.workspace = workspace
        self.parameters = parameters
        self._checked: set[str] = set()

    # -- datastores --------------------------------------------------------------------
    def datastore(self, name: Any) -> Any:
        """The datastore ``name`` (or object, or the default one). A remote store that can
        check its access (Azure: account, credentials, container) is checked once per
        submit, so that a wrong key fails the submit, naming the datastore, before any
        step runs."""
        from ..stores.datastores import Datastore

        if name is None or name == "":
            store = self.workspace.get_default_datastore()
        else:
            store = name if not isinstance(name, str) else Datastore.get(self.workspace, name)
        if hasattr(store, "check_access") and store.name not in self._checked:
            store.check_access()
            self._checked.add(store.name)
        return store

    # -- inputs ------------------------------------------------------------------------
    def resolve(self, binding: InputBinding, step_dir: Path) -> ResolvedInput:
        """The spec entry and content hash of a dataset or datastore input."""
        staged = str(step_dir / "inputs" / str(binding.name))
        if isinstance(binding, DataReference):
            return self._datastore_input(binding, staged)
        if isinstance(binding, DatasetConsumptionConfig):
            return self._dataset_input(binding, staged)
        raise EngineError(f"input {binding.name!r}: cannot resolve {binding!r}")

    def _datastore_input(self, binding: DataReference, staged: str) -> ResolvedInput:
        store, path = binding.datastore, binding.path_on_datastore
        if isinstance(path, PipelineParameter):
            value = self.parameters[path.name]
            if not isinstance(value, DataPath):
                raise EngineError(f"parameter {path.name!r} must be a DataPath, got {value!r}")
            store, path = value.datastore, value.path_on_datastore
        datastore = self.datastore(store)
        rel = str(path or "")
        datastore.full_path(rel)  # refuses paths that leave the datastore
        # The files and their content hash, as a file dataset over that path has them
        # (local files go through the stat cache). A path that holds nothing yet is given
        # to the step all the same, as v1 does, with a warning on the plan line.
        files = _as_file_dataset(datastore, rel)
        warnings = []
        if not files.resolve_files():
            warnings.append(
                f"input {binding.name!r}: path {rel or '/'!r} on datastore {datastore.name!r} "
                "holds no file; the step gets it as it is"
            )
        local = datastore.local_path(rel)
        direct = binding.mode == "mount" and local is not None
        entry = {
            "path": str(local) if direct else staged,
            "mode": binding.mode,
            "kind": "datastore",
            "source": {"datastore": datastore.name, "path": rel},
            **({"path_on_compute": binding.path_on_compute} if binding.path_on_compute else {}),
            **({} if direct else {"stage": "datastore"}),
        }
        return ResolvedInput(entry, files.content_hash(), warnings)

    def _dataset_input(self, binding: DatasetConsumptionConfig, staged: str) -> ResolvedInput:
        from ..stores.datasets import resolve_dataset

        value = binding.dataset
        if isinstance(value, PipelineParameter):
            value = self.parameters[value.name]
        dataset = resolve_dataset(self.workspace, value)
        warnings = []
        if dataset.version is not None:
            changes = dataset.verify()
            if changes:
                warnings.append(
                    f"dataset {dataset.name!r} version {dataset.version} changed since it was "
                    f"registered: {', '.join(changes[:5])}"
                )
        dataset.record_id()  # Dataset.get_by_id finds what a run used
        tabular = dataset.kind == "tabular"
        entry = {
            "path": staged,
            "mode": binding.mode,
            "kind": "dataset",
            "definition": dataset.to_definition(),
            "dataset": {"name": dataset.name, "version": dataset.version},
            "stage": "dataset",
            **({"path_on_compute": binding.path_on_compute} if binding.path_on_compute else {}),
        }
        single = dataset.single_file() if not tabular else None
        if single is not None:  # one file reaches the step as that file's path, as in v1
            entry["stage_dir"] = staged
            entry["path"] = str(Path(staged) / single.lstrip("/"))
        if tabular and binding.mode == "direct":
            entry.pop("stage")  # read through the dataset object, not as files
            entry["path"] = ""
        return ResolvedInput(entry, dataset.content_hash(), warnings)

    # -- outputs -----------------------------------------------------------------------
    def destination(
        self, data: OutputData, step_run_id: str, default_datastore: Any = None
    ) -> dict[str, Any]:
        """Where an output is put on a datastore when its step succeeds.

        An output with a ``destination`` (``OutputFileDatasetConfig(destination=...)``) is
        copied there. Any other output is where v1 keeps it: on its datastore (for a
        ``PipelineData``) or the default one (``default_datastore``, the pipeline's, else
        the workspace's), at ``azureml/{run-id}/{output-name}``, or
        ``dataset/{run-id}/{output-name}`` for an output dataset config; that place
        holds the run folder's files themselves (``"link": True``, see
        ``output_delivery``). ``{run-id}`` is the step run's id.
        """
        target = getattr(data, "destination", None)
        if target is not None:
            store, path = target if isinstance(target, tuple) else (target, None)
        else:
            store, path = data.datastore or default_datastore, None
        template = (
            "dataset/{run-id}/{output-name}"
            if isinstance(data, OutputDatasetConfig)
            else "azureml/{run-id}/{output-name}"
        )
        datastore = self.datastore(store)
        rel = (path or template).replace("{run-id}", step_run_id)
        rel = rel.replace("{output-name}", str(data.name))
        datastore.full_path(rel)  # refuses destinations that leave the datastore
        local = datastore.local_path(rel)
        out: dict[str, Any] = {
            "datastore": datastore.name,
            "path": rel,
            "local": str(local) if local is not None else None,
            "overwrite": bool(data.overwrite),
            **({} if target is not None else {"link": True}),
        }
        if data.source_globs:
            out["globs"] = list(data.source_globs)
        registration = getattr(data, "registration", None)
        if isinstance(data, OutputDatasetConfig) and registration:
            tabular = getattr(data, "tabular", None)
            out["register"] = {
                **registration,
                "kind": "tabular" if tabular else "file",
                "tabular": tabular,
            }
        return out


def _as_file_dataset(datastore: Any, rel: str) -> Any:
    from ..stores.datasets import Dataset

    return Dataset.File.from_files([(datastore, rel or "/")], validate=False)


# -- in the driver ---------------------------------------------------------------------
def stage_data_inputs(workspace: Workspace, spec: StepSpec) -> None:
    """Make dataset and datastore inputs that need it present at their planned path."""
    from ..stores.datastores import Datastore

    for name, entry in spec.inputs.items():
        kind = entry.get("stage")
        if not kind:
            continue
        target = Path(entry.get("stage_dir") or entry["path"])
        target.mkdir(parents=True, exist_ok=True)
        if kind == "datastore":
            source = entry["source"]
            store = Datastore.get(workspace, source["datastore"])
            if entry.get("mode") == "mount" and hasattr(store, "cached_file"):
                # a remote mount: links into the workspace's cache of the store's files
                _as_file_dataset(store, source["path"]).stage(target, link=True, overwrite=True)
            elif store.exists(source["path"]):  # else: an empty folder, as planned
                store.get_dir(source["path"], str(target))
        else:
            _stage_dataset(workspace, entry, target, link=entry.get("mode") == "mount")
        log.info("staged input %s of step %s into %s", name, spec.step_name, target)


def _stage_dataset(workspace: Workspace, entry: dict[str, Any], target: Path, link: bool) -> None:
    from ..stores.datasets import AbstractDataset

    dataset = AbstractDataset.from_definition(workspace, entry["definition"])
    dataset.stage(target, link=link and dataset.kind == "file", overwrite=True)
