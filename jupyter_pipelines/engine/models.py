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
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..compat import refused
from ..errors import ModelNotFoundException, NotSupportedError, PipelinesError, WebserviceException
from ..runtime.run import TERMINAL_STATUSES, Run
from ..stores.model_registry import ModelRecord, check_model_name
from .model_records import (
    copies,
    extras,
    find_record,
    local_files,
    new_record,
    not_found,
    registry,
    run_model_files,
    selected,
)
from .model_support import dataset_references, local_model_path, resolve_dataset

_DEPLOY = (
    "serve the model from your own code (a Flask or FastAPI app, a notebook, a pipeline "
    "step), loading its files from Model.get_model_path(name) or model.download(dir)"
)


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
            record = find_record(
                workspace, name, id, tags, properties, version, run_id, model_framework
            )
            self._load(workspace, record, expand)

    # -- what it is ------------------------------------------------------------------------
    def _load(self, workspace: Any, record: ModelRecord, expand: bool = True) -> Model:
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
        self.url = registry(workspace).path(record).resolve().as_uri()
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
        return registry(self.workspace).path(self._record)

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
        files, entry = local_files(Path(model_path), child_paths)
        print(f"Registering model {model_name}")
        options = {
            "tags": tags,
            "properties": properties,
            "description": description,
            "datasets": datasets,
            "model_framework": model_framework,
            "model_framework_version": model_framework_version,
            "sample_input_dataset": sample_input_dataset,
            "sample_output_dataset": sample_output_dataset,
            "resource_configuration": resource_configuration,
        }
        return _register(workspace, model_name, entry, files, options)

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
        for record in registry(workspace).all(name, run_id, latest):
            if selected(record, tags, properties, model_framework, dataset_id):
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
            record = registry(workspace).get(model_name, version)
            registered = str(registry(workspace).path(record)) if record else None
        if registered and version is None:
            return registered
        found = local_model_path(model_name, version) or registered
        if found:
            return found
        raise ModelNotFoundException(not_found(workspace, model_name, version))

    # -- files ---------------------------------------------------------------------------
    def download(
        self, target_dir: str = ".", exist_ok: bool = False, exists_ok: bool | None = None
    ) -> str:
        """Copy the model's file or folder into ``target_dir``; returns its path there.
        An existing file raises WebserviceException unless ``exist_ok``."""
        exist_ok = bool(exist_ok or exists_ok)
        source = self._path()
        target = Path(target_dir) / source.name
        pairs = copies(source, target)
        if not exist_ok:
            for _, dest in pairs:
                if dest.exists():
                    raise WebserviceException(
                        f"File already exists. To overwrite, set exist_ok to True. {dest}"
                    )
        for src, dest in pairs:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
        return str(target)

    def get_sas_urls(self) -> dict[str, str]:
        """File name -> URL of each of the model's files (here ``file://`` URLs)."""
        source = self._path()
        return {
            str(dest.relative_to(source.parent).as_posix()): src.resolve().as_uri()
            for src, dest in copies(source, source)
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
        added = extras(
            self.workspace, sample_input_dataset, sample_output_dataset, resource_configuration
        )
        if added:
            changes["extras"] = {**record.extras, **added}
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
        if not registry(self.workspace).delete(record.name, record.version):
            raise ModelNotFoundException(f"model {record.id} is no longer registered")

    def _require(self) -> ModelRecord:
        if self._record is None:
            raise WebserviceException("this Model object is not a registered model")
        return self._record

    def _save(self, changes: dict[str, Any]) -> None:
        record = self._require()
        stored = registry(self.workspace).update(record.name, record.version, **changes)
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
    options: dict[str, Any],
    run: Any = None,
) -> Model:
    """Register ``files`` as a new version of ``name``; ``options`` are v1's arguments. A
    finished run's files are hard-linked (they do not change any more), others copied."""
    record = new_record(workspace, name, entry, options, run)
    link = run is not None and run.get_status() in TERMINAL_STATUSES
    stored = registry(workspace).register(record, files, link=link)
    return Model(None)._load(workspace, stored)


def register_run_model(run: Any, model_name: str, model_path: str | None, **options: Any) -> Model:
    """``run.register_model``: the run's file or folder ``model_path`` (default:
    ``model_name``), e.g. ``outputs/model.pkl``, as a new version of ``model_name``, with
    the run's id recorded."""
    check_model_name(model_name)
    entry, files = run_model_files(run, model_path or model_name)
    try:
        workspace = run.experiment.workspace
    except RuntimeError as exc:  # an offline run
        raise NotSupportedError(
            f"{exc}; register the model's files with Model.register(ws, path, name)"
        ) from exc
    return _register(workspace, model_name, entry, files, options, run)


def _active_workspace(given: Any) -> Any:
    """The workspace to look models up in: the given one, the step's, or the nearest."""
    if given is not None:
        return given
    from .workspace import Workspace

    context = Run.get_context()
    if not getattr(context, "offline", True):
        return context.experiment.workspace
    return Workspace.find()
