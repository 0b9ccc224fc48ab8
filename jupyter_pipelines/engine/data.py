"""Datasets and datastore paths around a step: resolved at submit, staged before it starts,
and outputs delivered to their destinations (and registered) when it succeeds.

Resolution happens against the workspace, so that a pipeline file can name datastores
and datasets that only the workspace knows. Everything a step needs is written into
its StepSpec as plain data, so that other executors can stage it too.
"""

from __future__ import annotations

import fnmatch
import logging
import shutil
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
    OutputFileDatasetConfig,
    PipelineData,
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

    # -- datastores --------------------------------------------------------------------
    def datastore(self, name: Any) -> Any:
        from ..stores.datastores import Datastore

        if name is None or name == "":
            return self.workspace.get_default_datastore()
        return name if not isinstance(name, str) else Datastore.get(self.workspace, name)

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
    def destination(self, data: OutputData, step_run_id: str) -> dict[str, Any] | None:
        """Where an output goes when its step succeeds (None: it stays in the run folder)."""
        target = getattr(data, "destination", None)
        if target is None and isinstance(data, PipelineData) and data.datastore is not None:
            target = (data.datastore, "azureml/{run-id}/{output-name}")
        registering = isinstance(data, OutputFileDatasetConfig) and data.registration
        if target is None and not registering:
            return None
        store, path = target if isinstance(target, tuple) else (target, None)
        datastore = self.datastore(store)
        rel = (path or "dataset/{run-id}/{output-name}").replace("{run-id}", step_run_id)
        rel = rel.replace("{output-name}", str(data.name))
        datastore.full_path(rel)  # refuses destinations that leave the datastore
        local = datastore.local_path(rel)
        out: dict[str, Any] = {
            "datastore": datastore.name,
            "path": rel,
            "local": str(local) if local is not None else None,
            "overwrite": bool(data.overwrite),
        }
        if data.source_globs:
            out["globs"] = list(data.source_globs)
        if registering:
            assert isinstance(data, OutputFileDatasetConfig) and data.registration
            out["register"] = {
                **data.registration,
                "kind": "tabular" if data.tabular else "file",
                "tabular": data.tabular,
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
            if store.exists(source["path"]):  # else: an empty folder, as planned
                store.get_dir(source["path"], str(target))
        else:
            _stage_dataset(workspace, entry, target, link=entry.get("mode") == "mount")
        log.info("staged input %s of step %s into %s", name, spec.step_name, target)


def _stage_dataset(workspace: Workspace, entry: dict[str, Any], target: Path, link: bool) -> None:
    from ..stores.datasets import AbstractDataset

    dataset = AbstractDataset.from_definition(workspace, entry["definition"])
    dataset.stage(target, link=link and dataset.kind == "file", overwrite=True)


def deliver_outputs(workspace: Workspace, spec: StepSpec) -> dict[str, dict[str, Any]]:
    """Move or copy finished outputs to their destinations and register datasets.

    Returns, per output with a destination, where it went and what was registered.
    """
    from ..stores.datastores import Datastore

    delivered: dict[str, dict[str, Any]] = {}
    for name, out in spec.outputs.items():
        dest = out.get("destination")
        if not dest:
            continue
        datastore = Datastore.get(workspace, dest["datastore"])
        if (
            datastore.exists(dest["path"])
            and not dest.get("overwrite")
            and any(datastore.glob(dest["path"]))
        ):
            raise EngineError(
                f"output {name!r}: destination {dest['path']!r} on datastore "
                f"{datastore.name!r} already holds files; use as_upload(overwrite=True) or a "
                "path with {run-id}"
            )
        _copy_output(Path(out["final"]), datastore, dest)
        info: dict[str, Any] = {"datastore": datastore.name, "path": dest["path"]}
        if dest.get("register"):
            info["registered"] = _register(workspace, datastore, dest)
        delivered[name] = info
    return delivered


def _copy_output(source: Path, datastore: Any, dest: dict[str, Any]) -> None:
    """Copy an output folder to its destination: only the files matching its
    ``as_upload(source_globs=...)`` when there are some."""
    globs = dest.get("globs")
    if source.is_file():  # the step wrote one file at the output's path: that file goes there
        if not globs or any(fnmatch.fnmatch(source.name, g) for g in globs):
            datastore._put_files([(source, dest["path"])], True, False)
        return
    if not globs and dest.get("local"):
        local = Path(dest["local"])
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, local, dirs_exist_ok=True)
        return
    if not globs:
        datastore.put_dir(str(source), dest["path"], overwrite=True)
        return
    chosen = sorted({p for pattern in globs for p in source.glob(pattern) if p.is_file()})
    pairs = [(p, f"{dest['path']}/{p.relative_to(source).as_posix()}") for p in chosen]
    datastore._put_files(pairs, True, False)


def _register(workspace: Workspace, datastore: Any, dest: dict[str, Any]) -> dict[str, Any]:
    from ..stores.datasets import register_from_files

    reg = dest["register"]
    dataset = register_from_files(
        workspace,
        reg["name"],
        datastore,
        dest["path"],
        reg["kind"],
        reg.get("tabular"),
        reg.get("description") or "",
        reg.get("tags") or {},
    )
    return {"name": dataset.name, "version": dataset.version}
