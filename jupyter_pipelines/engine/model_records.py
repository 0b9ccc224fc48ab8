"""How ``Model`` (engine/models.py) builds, finds and lays out registered model versions:
the record of a new version, the files of a local model or of a run's model, the search of
``Model(ws, ...)`` and ``Model.list``, and what a not-found error says."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any

from ..errors import ModelNotFoundException, ModelPathNotFoundException, WebserviceException
from ..stores.model_registry import ModelRecord, ModelRegistry
from .model_support import dataset_id, dataset_references, matches, user_name


def registry(workspace: Any) -> ModelRegistry:
    """The model registry of ``workspace``."""
    if workspace is None or not hasattr(workspace, "dir"):
        raise WebserviceException(f"expected a Workspace, got {workspace!r}")
    return ModelRegistry(workspace.dir)


# -- a new version ------------------------------------------------------------------------
def new_record(
    workspace: Any, name: str, entry: str, options: dict[str, Any], run: Any = None
) -> ModelRecord:
    """The record of a new version of ``name`` (its number is given when it is stored);
    ``options`` are v1's arguments of ``register`` / ``register_model``."""
    framework = options.get("model_framework")
    if framework is None and options.get("model_framework_version") is not None:
        raise WebserviceException(
            "Model framework version cannot be provided without a valid framework"
        )
    for what in ("tags", "properties"):
        value = options.get(what)
        if value is not None and not isinstance(value, dict):
            raise WebserviceException(f"{what} must be a dict, got {value!r}")
    return ModelRecord(
        name=name,
        version=0,
        entry=entry,
        description=options.get("description"),
        tags=dict(options.get("tags") or {}),
        properties=dict(options.get("properties") or {}),
        framework=framework,
        framework_version=options.get("model_framework_version"),
        run_id=run.id if run is not None else None,
        experiment_name=run.experiment.name if run is not None else None,
        datasets=dataset_references(workspace, options.get("datasets") or []),
        extras=extras(
            workspace,
            options.get("sample_input_dataset"),
            options.get("sample_output_dataset"),
            options.get("resource_configuration"),
        ),
        created_by=user_name(),
    )


def extras(workspace: Any, sample_input: Any, sample_output: Any, resources: Any) -> dict[str, Any]:
    """The v1 facts kept beside a model: sample dataset ids, resource configuration."""
    found: dict[str, Any] = {}
    if sample_input is not None:
        found["sample_input"] = dataset_id(workspace, sample_input)
    if sample_output is not None:
        found["sample_output"] = dataset_id(workspace, sample_output)
    if resources is not None:
        serialize = getattr(resources, "serialize", None)
        found["resource_configuration"] = serialize() if callable(serialize) else resources
    return found


# -- its files ----------------------------------------------------------------------------
def local_files(
    model_path: Path, child_paths: list[str] | None
) -> tuple[list[tuple[Path, str]], str]:
    """(file, name under the version folder) pairs of a local model, and its entry name
    (the file's or folder's base name)."""
    if not model_path.exists():
        raise WebserviceException(f"Error, provided model path {str(model_path)!r} cannot be found")
    entry = model_path.resolve().name
    if model_path.is_file():
        return [(model_path, entry)], entry
    chosen = [model_path / child for child in child_paths] if child_paths else [model_path]
    files: list[tuple[Path, str]] = []
    for item in chosen:
        if not item.exists():
            raise WebserviceException(f"Error, provided child path {str(item)!r} cannot be found")
        found = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
        files += [(p, f"{entry}/{p.relative_to(model_path).as_posix()}") for p in found]
    return files, entry


def run_model_files(run: Any, model_path: str) -> tuple[str, list[tuple[Path, str]]]:
    """The entry name and (file, name under the version folder) pairs of the run's file or
    folder ``model_path`` (one of ``run.get_file_names()``, or a folder of them)."""
    path = posixpath.normpath(str(model_path).replace("\\", "/")).strip("/")
    index = run._file_index()
    chosen = {n: p for n, p in index.items() if n == path or n.startswith(path + "/")}
    if not chosen or path in ("", "."):
        raise ModelPathNotFoundException(
            f"Could not locate the provided model_path {path!r} in the set of files of run "
            f"{run.id}: {sorted(index)}; a step's files are what it wrote to ./outputs and "
            "./logs and what it uploaded (run.upload_file)"
        )
    entry = posixpath.basename(path)
    return entry, [(Path(p), entry + n[len(path) :]) for n, p in sorted(chosen.items())]


def copies(source: Path, target: Path) -> list[tuple[Path, Path]]:
    """(file, where it goes) for copying the file or folder ``source`` to ``target``."""
    if source.is_file():
        return [(source, target)]
    return [(p, target / p.relative_to(source)) for p in sorted(source.rglob("*")) if p.is_file()]


# -- finding ------------------------------------------------------------------------------
def find_record(
    workspace: Any,
    name: str | None,
    id: str | None,
    tags: Any,
    properties: Any,
    version: int | None,
    run_id: str | None,
    framework: str | None,
) -> ModelRecord:
    """The model ``Model(workspace, ...)`` names: the latest version that passes the
    filters (ModelNotFoundException when none does)."""
    if not id and not name:
        raise WebserviceException("Error, one of id or name must be provided.")
    if id:
        name, _, number = str(id).partition(":")
        version = int(number) if number.isdigit() else None
    assert name is not None
    models = registry(workspace)
    if version is not None:
        record = models.get(name, int(version))
        candidates = [record] if record is not None else []
    else:
        candidates = models.all(name, run_id)
    candidates = [r for r in candidates if selected(r, tags, properties, framework, None)]
    if not candidates:
        raise ModelNotFoundException(not_found(workspace, name, version))
    return max(candidates, key=lambda r: r.version)


def selected(
    record: ModelRecord, tags: Any, properties: Any, framework: str | None, dataset: str | None
) -> bool:
    """Whether ``record`` passes v1's filters of ``Model(...)`` and ``Model.list``."""
    if framework is not None and record.framework != framework:
        return False
    if dataset is not None:
        ids = {ref.get("id") for ref in record.datasets}
        ids |= {record.extras.get("sample_input"), record.extras.get("sample_output")}
        if dataset not in ids:
            return False
    return matches(record.tags, tags, "tags") and matches(
        record.properties, properties, "properties"
    )


def not_found(workspace: Any, name: str, version: int | None) -> str:
    """What ModelNotFoundException says: what was looked for, where, and what there is."""
    wanted = f"{name}:{version}" if version is not None else name
    known = [r.id for r in registry(workspace).all()] if workspace is not None else []
    where = f"workspace {str(workspace.root)!r}" if workspace is not None else "no workspace"
    return (
        f"ModelNotFound: model {wanted!r} is not registered in {where}, in "
        f"{os.path.join(os.getcwd(), 'azureml-models')!r} or in the current folder; "
        f"registered: {sorted(known)}; register it with Model.register(ws, path, name) or "
        "run.register_model(name, 'outputs/...')"
    )
