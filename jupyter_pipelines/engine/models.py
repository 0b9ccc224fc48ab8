"""``Model`` (v1): a registered model of the workspace's local model registry.

A model is registered from local files (``Model.register(ws, "model.pkl", "name")``) or from
a run's files (``run.register_model("name", "outputs/model.pkl")``, the run's id recorded),
as a new version of its name: 1, 2, ... Its files are kept in the registry
(``.pipelines/models/<name>/<version>/``, stores/model_registry.py) and found again with
``Model(ws, name)``, ``Model.list(ws)``, ``Model.get_model_path(name)`` (the path of the
registered file or folder itself: read it, never change it) and ``model.download()``.
Deploying models (``deploy``, ``package``, ``profile``) is refused: serve the model from
your own code, loading it from ``Model.get_model_path(name)``.
"""

from __future__ import annotations

import builtins
import os
import posixpath
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..compat import refused
from ..errors import (
    ModelNotFoundException,
    ModelPathNotFoundException,
    NotSupportedError,
    PipelinesError,
    WebserviceException,
)
from ..runtime.run import TERMINAL_STATUSES, Run
from ..stores.model_registry import ModelRecord, ModelRegistry, check_model_name
from .model_support import (
    dataset_id,
    dataset_references,
    local_model_path,
    matches,
    resolve_dataset,
    user_name,
)

_DEPLOY = (
    "serve the model from your own code (a Flask or FastAPI app, a notebook, a pipeline "
    "step), loading its files from Model.get_model_path(name) or model.download(dir)"
)


def _registry(workspace: Any) -> ModelRegistry:
    if workspace is None or not hasattr(workspace, "dir"):
        raise WebserviceException(f"expected a Workspace, got {workspace!r}")
    return ModelRegistry(workspace.dir)


class Model:
    """A registered model (v1 ``azureml.core.Model``): its name, version, files and facts.

    ``Model(ws, name)`` is the latest version of ``name`` (``version=`` picks one, ``id=``
    is ``"<name>:<version>"``; ``tags``, ``properties``, ``run_id`` and ``model_framework``
    narrow the search); ModelNotFoundException when none matches.
    """

    class Framework:
        """v1's framework names, for ``model_framework``."""

        CUSTOM = "Custom"
        TENSORFLOW = "TensorFlow"
        SCIKITLEARN = "ScikitLearn"
        ONNX = "Onnx"
        TFKERAS = "TfKeras"
        PYTORCH = "PyTorch"
        MULTI = "Multi"

    def __init__(
        self,
        workspace: Any,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | None = None,
        run_id: str | None = None,
        model_framework: str | None = None,
        expand: bool = True,
        **kwargs: Any,
    ) -> None:
        self._record: ModelRecord | None = None
        self.workspace = workspace
        self.created_by: dict[str, Any] | None = None
        self.created_time: datetime | None = None
        self.description: str | None = None
        self.id: str | None = None
        self.mime_type: str | None = None
        self.name: str | None = None
        self.model_framework: str | None = None
        self.model_framework_version: str | None = None
        self.tags: dict[str, Any] | None = None
        self.properties: dict[str, Any] | None = None
        self.unpack: bool | None = None
        self.url: str | None = None
        self.version: int | None = None
        self.experiment_name: str | None = None
        self.run_id: str | None = None
        self.datasets: dict[str, builtins.list[Any]] = {}
        self.sample_input_dataset: Any = None
        self.sample_output_dataset: Any = None
        self.resource_configuration: Any = None
        self.parent_id: str | None = None
        self.derived_model_ids: builtins.list[str] | None = None
        if workspace is not None:
            record = _find(workspace, name, id, tags, properties, version, run_id, model_framework)
            self._load(workspace, record, expand)

    # -- what it is ------------------------------------------------------------------------
    def _load(self, workspace: Any, record: ModelRecord, expand: bool = True) -> Model:
        registry = _registry(workspace)
        self.workspace, self._record = workspace, record
        self.name, self.version, self.id = record.name, record.version, record.id
        self.description = record.description
        self.tags, self.properties = dict(record.tags), dict(record.properties)
        self.model_framework = record.framework
        self.model_framework_version = record.framework_version
        self.run_id, self.experiment_name = record.run_id, record.experiment_name
        self.created_time = datetime.fromtimestamp(record.created, tz=timezone.utc)
        self.created_by = {"userName": record.created_by}
        self.mime_type, self.unpack = "application/octet-stream", False
        self.url = registry.path(record).resolve().as_uri()
        self.resource_configuration = record.extras.get("resource_configuration")
        if expand:
            self.datasets = {}
            for ref in record.datasets:
                found = resolve_dataset(workspace, ref.get("id"))
                self.datasets.setdefault(str(ref.get("name")), []).append(found)
            extras = record.extras
            self.sample_input_dataset = resolve_dataset(workspace, extras.get("sample_input"))
            self.sample_output_dataset = resolve_dataset(workspace, extras.get("sample_output"))
        return self

    @property
    def run(self) -> Run | None:
        """The run the model was registered from (None when it came from local files)."""
        if not self.run_id or self.workspace is None:
            return None
        try:
            return Run.get(self.workspace, self.run_id)
        except PipelinesError:
            return None

    def _path(self) -> Path:
        if self._record is None:
            raise WebserviceException("this Model object is not a registered model")
        return _registry(self.workspace).path(self._record)

    def __repr__(self) -> str:
        return (
            f"Model(workspace={self.workspace!r}, name={self.name}, id={self.id}, "
            f"version={self.version}, tags={self.tags}, properties={self.properties})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and (self.id, self.workspace) == (other.id, other.workspace)

    def __hash__(self) -> int:
        return hash(self.id)

    # -- registering -----------------------------------------------------------------------
    @staticmethod
    def register(
        workspace: Any,
        model_path: str,
        model_name: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        datasets: builtins.list[tuple[str, Any]] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        child_paths: builtins.list[str] | None = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
    ) -> Model:
        """Register the local file or folder ``model_path`` (with ``child_paths``: only
        those files of the folder) as a new version of model ``model_name``; the files are
        copied into the workspace's model registry."""
        check_model_name(model_name)
        files, entry = _local_files(Path(model_path), child_paths)
        print(f"Registering model {model_name}")
        return _register(
            workspace, model_name, entry, files, False, tags, properties, description, datasets,
            model_framework, model_framework_version, sample_input_dataset,
            sample_output_dataset, resource_configuration, run=None,
        )  # fmt: skip

    # -- finding ---------------------------------------------------------------------------
    @staticmethod
    def list(
        workspace: Any,
        name: str | None = None,
        tags: Any = None,
        properties: Any = None,
        run_id: str | None = None,
        latest: bool = False,
        dataset_id: str | None = None,
        expand: bool = True,
        page_count: int = 255,
        model_framework: str | None = None,
    ) -> builtins.list[Model]:
        """The registered models of ``workspace``, newest first, filtered: by ``name``,
        ``tags`` / ``properties`` (``["key", ["key2", "value"]]`` or a dict), ``run_id``,
        the dataset they used, their framework; ``latest``: only each name's latest."""
        found = []
        for record in _registry(workspace).all(name, run_id, latest):
            if _selected(record, tags, properties, model_framework, dataset_id):
                found.append(Model(None)._load(workspace, record, expand))
        return found

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The local path of the registered file or folder of model ``model_name`` (the
        latest version when ``version`` is None).

        Looked up in the registry of ``_workspace``, else of the workspace of the step this
        code runs in, else of the workspace found from the current folder; then, as v1 does,
        in ``./azureml-models/<name>/<version>/`` and as ``./<model_name>``. The path is the
        registry's own copy: read it, never change it.
        """
        if version is not None and not isinstance(version, int):
            raise WebserviceException("version should be an int")
        check_model_name(model_name)
        workspace = _active_workspace(_workspace)
        registered = None
        if workspace is not None:
            record = _registry(workspace).get(model_name, version)
            registered = str(_registry(workspace).path(record)) if record else None
        if registered and version is None:
            return registered
        found = local_model_path(model_name, version) or registered
        if found:
            return found
        raise ModelNotFoundException(_not_found(workspace, model_name, version))

    # -- files ---------------------------------------------------------------------------
    def download(
        self, target_dir: str = ".", exist_ok: bool = False, exists_ok: bool | None = None
    ) -> str:
        """Copy the model's file or folder into ``target_dir``; returns its path there.
        An existing file raises WebserviceException unless ``exist_ok``."""
        exist_ok = bool(exist_ok or exists_ok)
        source = self._path()
        target = Path(target_dir) / source.name
        pairs = _copies(source, target)
        if not exist_ok:
            for _, dest in pairs:
                if dest.exists():
                    raise WebserviceException(
                        f"File already exists. To overwrite, set exist_ok to True. {dest}"
                    )
        import shutil

        for src, dest in pairs:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        return str(target)

    def get_sas_urls(self) -> dict[str, str]:
        """File name -> URL of each of the model's files (here ``file://`` URLs)."""
        source = self._path()
        return {
            str(dest.relative_to(source.parent).as_posix()): src.resolve().as_uri()
            for src, dest in _copies(source, source)
        }

    # -- changing --------------------------------------------------------------------------
    def update(
        self,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
    ) -> None:
        """Replace the model's tags, description, sample datasets or resource configuration
        (those given)."""
        record = self._require()
        changes: dict[str, Any] = {}
        if tags:
            changes["tags"] = dict(tags)
        if description:
            changes["description"] = description
        extras = _extras(self.workspace, sample_input_dataset, sample_output_dataset,
                         resource_configuration)  # fmt: skip
        if extras:
            changes["extras"] = {**record.extras, **extras}
        if changes:
            self._save(changes)

    def update_tags_properties(
        self,
        add_tags: dict[str, Any] | None = None,
        remove_tags: Any = None,
        add_properties: dict[str, Any] | None = None,
    ) -> None:
        """Add and remove tags, and add properties (which cannot be changed once added)."""
        record = self._require()
        duplicate = sorted(set(add_properties or {}) & set(record.properties))
        if duplicate:
            raise WebserviceException(
                "Error, properties are immutable, the following keys cannot be "
                f"added/modified: {','.join(duplicate)}"
            )
        tags = dict(record.tags)
        tags.update(add_tags or {})
        removed = [remove_tags] if isinstance(remove_tags, str) else list(remove_tags or [])
        for key in removed:
            if key not in tags:
                print(f"Tag with key {key} not found.")
            tags.pop(key, None)
        changes: dict[str, Any] = {"tags": tags}
        if add_properties:
            changes["properties"] = {**record.properties, **add_properties}
        self._save(changes)

    def add_tags(self, tags: dict[str, Any]) -> None:
        """Add (or replace) tags."""
        self.update_tags_properties(add_tags=tags)
        print("Model tag add operation complete.")

    def remove_tags(self, tags: Any) -> None:
        """Remove the tags named in ``tags``."""
        self.update_tags_properties(remove_tags=tags)
        print("Model tag remove operation complete.")

    def add_properties(self, properties: dict[str, Any]) -> None:
        """Add properties (a property cannot be changed once added)."""
        self.update_tags_properties(add_properties=properties)
        print("Model properties add operation complete.")

    def add_dataset_references(self, datasets: builtins.list[tuple[str, Any]]) -> None:
        """Record more ``(purpose, dataset)`` pairs the model was made with."""
        record = self._require()
        added = dataset_references(self.workspace, datasets)
        self._save({"datasets": [*record.datasets, *added]})

    def delete(self) -> None:
        """Remove this version of the model and its files from the registry."""
        record = self._require()
        if not _registry(self.workspace).delete(record.name, record.version):
            raise ModelNotFoundException(f"model {record.id} is no longer registered")

    def _require(self) -> ModelRecord:
        if self._record is None:
            raise WebserviceException("this Model object is not a registered model")
        return self._record

    def _save(self, changes: dict[str, Any]) -> None:
        record = self._require()
        stored = _registry(self.workspace).update(record.name, record.version, **changes)
        self._load(self.workspace, stored)

    # -- serialization -----------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        """The model as a JSON-serializable dict (v1's keys)."""
        record = self._record
        return {
            "createdTime": self.created_time.isoformat() if self.created_time else None,
            "createdBy": self.created_by,
            "description": self.description,
            "id": self.id,
            "mimeType": self.mime_type,
            "name": self.name,
            "framework": self.model_framework,
            "frameworkVersion": self.model_framework_version,
            "tags": self.tags,
            "properties": self.properties,
            "unpack": self.unpack,
            "url": self.url,
            "version": self.version,
            "experimentName": self.experiment_name,
            "runId": self.run_id,
            "runDetails": str(self.run) if self.run_id else None,
            "datasets": list(record.datasets) if record else [],
            "resourceConfiguration": self.resource_configuration,
            "sampleInputDatasetId": (record.extras.get("sample_input") if record else None),
            "sampleOutputDatasetId": (record.extras.get("sample_output") if record else None),
        }

    @staticmethod
    def deserialize(workspace: Any, model_payload: dict[str, Any]) -> Model:
        """The registered model a ``serialize()`` dict names, in ``workspace``."""
        return Model(workspace, id=str(model_payload["id"]))

    # -- deployment (refused) ------------------------------------------------------------
    @staticmethod
    @refused(_DEPLOY)
    def print_configuration(
        models: Any, inference_config: Any, deployment_config: Any, deployment_target: Any
    ) -> None:
        """(Refused) there are no deployments locally."""

    @staticmethod
    @refused(_DEPLOY)
    def deploy(
        workspace: Any,
        name: str,
        models: Any,
        inference_config: Any = None,
        deployment_config: Any = None,
        deployment_target: Any = None,
        overwrite: bool = False,
        show_output: bool = False,
    ) -> Any:
        """(Refused) there are no web services locally."""

    @staticmethod
    @refused(_DEPLOY + "; build an image with your own Dockerfile that copies those files")
    def package(
        workspace: Any,
        models: Any,
        inference_config: Any = None,
        generate_dockerfile: bool = False,
        image_name: str | None = None,
        image_label: str | None = None,
    ) -> Any:
        """(Refused) there is no image building service locally."""

    @staticmethod
    @refused(_DEPLOY + "; time your own service with the sample data")
    def profile(
        workspace: Any,
        profile_name: str,
        models: Any,
        inference_config: Any,
        input_dataset: Any,
        cpu: float | None = None,
        memory_in_gb: float | None = None,
        description: str | None = None,
    ) -> Any:
        """(Refused) there is no profiling service locally."""


# -- registering --------------------------------------------------------------------------
def _register(
    workspace: Any,
    name: str,
    entry: str,
    files: builtins.list[tuple[Path, str]],
    link: bool,
    tags: Any,
    properties: Any,
    description: str | None,
    datasets: Any,
    framework: str | None,
    framework_version: str | None,
    sample_input: Any,
    sample_output: Any,
    resource_configuration: Any,
    run: Any,
) -> Model:
    if framework is None and framework_version is not None:
        raise WebserviceException(
            "Model framework version cannot be provided without a valid framework"
        )
    for what, value in (("tags", tags), ("properties", properties)):
        if value is not None and not isinstance(value, dict):
            raise WebserviceException(f"{what} must be a dict, got {value!r}")
    record = ModelRecord(
        name=name,
        version=0,
        entry=entry,
        description=description,
        tags=dict(tags or {}),
        properties=dict(properties or {}),
        framework=framework,
        framework_version=framework_version,
        run_id=run.id if run is not None else None,
        experiment_name=run.experiment.name if run is not None else None,
        datasets=dataset_references(workspace, datasets or []),
        extras=_extras(workspace, sample_input, sample_output, resource_configuration),
        created_by=user_name(),
    )
    stored = _registry(workspace).register(record, files, link=link)
    return Model(None)._load(workspace, stored)


def register_run_model(run: Any, model_name: str, model_path: str | None, **options: Any) -> Model:
    """``run.register_model``: the run's file or folder ``model_path`` (default:
    ``model_name``), e.g. ``outputs/model.pkl``, as a new version of ``model_name``, with
    the run's id recorded. A finished run's files are hard-linked, not copied."""
    check_model_name(model_name)
    path = posixpath.normpath(str(model_path or model_name).replace("\\", "/")).strip("/")
    index = run._file_index()
    chosen = {n: p for n, p in index.items() if n == path or n.startswith(path + "/")}
    if not chosen or path in ("", "."):
        raise ModelPathNotFoundException(
            f"Could not locate the provided model_path {path!r} in the set of files of run "
            f"{run.id}: {sorted(index)}; a step's files are what it wrote to ./outputs and "
            "./logs and what it uploaded (run.upload_file)"
        )
    try:
        workspace = run.experiment.workspace
    except RuntimeError as exc:  # an offline run
        raise NotSupportedError(
            f"{exc}; register the model's files with Model.register(ws, path, name)"
        ) from exc
    entry = posixpath.basename(path)
    files = [(Path(p), entry + n[len(path) :]) for n, p in sorted(chosen.items())]
    link = run.get_status() in TERMINAL_STATUSES
    return _register(
        workspace, model_name, entry, files, link,
        options.get("tags"), options.get("properties"), options.get("description"),
        options.get("datasets"), options.get("model_framework"),
        options.get("model_framework_version"), options.get("sample_input_dataset"),
        options.get("sample_output_dataset"), options.get("resource_configuration"), run=run,
    )  # fmt: skip


def _extras(
    workspace: Any, sample_input: Any, sample_output: Any, resources: Any
) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if sample_input is not None:
        extras["sample_input"] = dataset_id(workspace, sample_input)
    if sample_output is not None:
        extras["sample_output"] = dataset_id(workspace, sample_output)
    if resources is not None:
        extras["resource_configuration"] = (
            resources.serialize() if hasattr(resources, "serialize") else resources
        )
    return extras


def _local_files(
    model_path: Path, child_paths: builtins.list[str] | None
) -> tuple[builtins.list[tuple[Path, str]], str]:
    """(file, name under the version folder) pairs of a local model, and its entry name."""
    if not model_path.exists():
        raise WebserviceException(f"Error, provided model path {str(model_path)!r} cannot be found")
    entry = model_path.resolve().name
    if model_path.is_file():
        return [(model_path, entry)], entry
    chosen = [model_path / child for child in child_paths] if child_paths else [model_path]
    files: builtins.list[tuple[Path, str]] = []
    for item in chosen:
        if not item.exists():
            raise WebserviceException(f"Error, provided child path {str(item)!r} cannot be found")
        found = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
        files += [(p, f"{entry}/{p.relative_to(model_path).as_posix()}") for p in found]
    return files, entry


def _copies(source: Path, target: Path) -> builtins.list[tuple[Path, Path]]:
    """(file, where it goes) for copying the file or folder ``source`` to ``target``."""
    if source.is_file():
        return [(source, target)]
    return [(p, target / p.relative_to(source)) for p in sorted(source.rglob("*")) if p.is_file()]


# -- finding ------------------------------------------------------------------------------
def _find(
    workspace: Any,
    name: str | None,
    id: str | None,
    tags: Any,
    properties: Any,
    version: int | None,
    run_id: str | None,
    framework: str | None,
) -> ModelRecord:
    """The model ``Model(workspace, ...)`` names (ModelNotFoundException when none)."""
    if not id and not name:
        raise WebserviceException("Error, one of id or name must be provided.")
    registry = _registry(workspace)
    if id:
        name, _, number = str(id).partition(":")
        version = int(number) if number.isdigit() else None
    assert name is not None
    if version is not None:
        record = registry.get(name, int(version))
        candidates = [record] if record is not None else []
    else:
        candidates = registry.all(name, run_id)
    candidates = [r for r in candidates if _selected(r, tags, properties, framework, None)]
    if not candidates:
        raise ModelNotFoundException(_not_found(workspace, name, version))
    return max(candidates, key=lambda r: r.version)


def _selected(
    record: ModelRecord, tags: Any, properties: Any, framework: str | None, dataset: str | None
) -> bool:
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


def _active_workspace(given: Any) -> Any:
    """The workspace to look models up in: the given one, the step's, or the nearest."""
    if given is not None:
        return given
    from .workspace import Workspace

    context = Run.get_context()
    if not getattr(context, "offline", True):
        return context.experiment.workspace
    return Workspace.find()


def _not_found(workspace: Any, name: str, version: int | None) -> str:
    wanted = f"{name}:{version}" if version is not None else name
    known = []
    if workspace is not None:
        known = [r.id for r in _registry(workspace).all()]
    where = f"workspace {str(workspace.root)!r}" if workspace is not None else "no workspace"
    return (
        f"ModelNotFound: model {wanted!r} is not registered in {where}, in "
        f"{os.path.join(os.getcwd(), 'azureml-models')!r} or in the current folder; "
        f"registered: {sorted(known)}; register it with Model.register(ws, path, name) or "
        "run.register_model(name, 'outputs/...')"
    )
