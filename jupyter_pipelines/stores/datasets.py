"""Datasets (v1 ``azureml.core.Dataset``): the public entry to the dataset modules, and what
the engine and the step runtime use of them.

A ``FileDataset`` is a list of files; a ``TabularDataset`` reads them as one table. Both are
definitions over (datastore, glob) paths, http(s) URLs or local paths (``to_definition``).
Registering a version pins a hash of every file, so a later change is reported.

The modules, each importing only those listed after it: ``datasets`` (this one) >
``dataset_factories`` > ``dataset_classes`` > ``tabular_exports`` > ``dataset_base`` >
``dataset_files`` > ``dataset_sources``, ``datastores``, ``dataset_registry``, ``tabular``
(> ``tabular_formats``), ``dataset_ops`` (> ``dataset_expressions``); the datastore modules
are ``datastores`` > ``datastore_cloud``, ``datastore_registry``, ``datastore_files``. None of
them imports ``workspace.py`` except this one (for the step runtime), and the workspace
imports ``dataset_classes`` and ``datastores`` only.

For the engine and the step runtime:

- ``resolve_dataset(workspace, value) -> AbstractDataset``: ``value`` is a dataset object, a
  ``DatasetRef``, a ``"name[:version]"`` string or a definition dict; an unknown name or
  version raises ``UnknownDatasetError`` listing what exists. A dataset without a workspace
  is bound to ``workspace``.
- ``register_from_files(workspace, name, datastore, path, kind="file", tabular_options=None,
  description=None, tags=None) -> AbstractDataset``: registers the files at ``path`` on
  ``datastore`` as a new version of ``name`` (``OutputFileDatasetConfig.register_on_complete``).
- ``load_input_dataset(workspace_dir, entry) -> str | TabularDataset``: what
  ``Run.input_datasets`` gives a step. ``entry["definition"]`` is ``to_definition()``;
  ``entry["path"]``, when set, is where the step finds the files: a folder laid out as
  ``to_path()`` gives them, or the one file of a single-file dataset.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any, cast

from ..compat import refused
from ..errors import DatasetError
from ..model.data import is_dataset
from . import tabular
from .dataset_base import AbstractDataset
from .dataset_classes import FileDataset, TabularDataset
from .dataset_expressions import Expression
from .dataset_factories import FileDatasetFactory, TabularDatasetFactory
from .dataset_files import DatasetMount
from .datastores import Datastore
from .tabular import DataType
from .workspace import open_workspace
from .workspace_like import WorkspaceLike

__all__ = [
    "AbstractDataset", "DataType", "Dataset", "DatasetMount", "Expression", "FileDataset",
    "FileDatasetFactory", "TabularDataset", "TabularDatasetFactory", "load_input_dataset",
    "register_from_files", "resolve_dataset",
]  # fmt: skip

_LEGACY = "https://aka.ms/dataset-deprecation"
_FILE = "use Dataset.File.from_files(path) (this v1 method was deprecated in v1 itself)"
_TABLE = "use Dataset.Tabular.from_delimited_files(path) (deprecated in v1 itself)"
_OBJECTS = (
    "datasets made by Dataset.File and Dataset.Tabular (FileDataset, TabularDataset) have "
    "this member or its replacement; this v1 Dataset class was deprecated in v1 itself"
)


class Dataset:
    """v1 ``Dataset``: the ``File`` and ``Tabular`` factories and the registry look-ups.

    Its older (pre-2020) members were deprecated in v1 for the factories; the simple ones
    are mapped onto them, the others are refused with the replacement named.
    """

    File = FileDatasetFactory
    Tabular = TabularDatasetFactory
    get_by_name = staticmethod(AbstractDataset.get_by_name)
    get_by_id = staticmethod(AbstractDataset.get_by_id)
    get_all = staticmethod(AbstractDataset.get_all)

    @refused("make datasets with Dataset.File.from_files or Dataset.Tabular.from_delimited_files")
    def __init__(
        self, definition: Any, workspace: Any = None, name: str | None = None, id: str | None = None
    ) -> None:
        """v1: a dataset of the deprecated Dataset class (refused here)."""

    @staticmethod
    def get(workspace: WorkspaceLike, name: str | None = None, id: str | None = None) -> Any:
        """The dataset named ``name`` (latest version) or with id ``id``."""
        if name is not None:
            found = AbstractDataset.get_by_name(workspace, name)
            if id is not None and found.id != id:
                raise DatasetError(f"dataset {name!r} does not have id {id!r}")
            return found
        if id is None:
            raise DatasetError("Dataset.get needs a name or an id")
        return AbstractDataset.get_by_id(workspace, id)

    @staticmethod
    def list(workspace: WorkspaceLike) -> list[Any]:
        """The latest version of every registered dataset."""
        return list(AbstractDataset.get_all(workspace).values())

    @staticmethod
    def from_delimited_files(
        path: Any,
        separator: str = ",",
        header: bool | str | int = True,
        encoding: str = "utf8",
        quoting: bool = False,
        infer_column_types: bool = True,
        skip_rows: int = 0,
        skip_mode: Any = None,
        comment: str | None = None,
        include_path: bool = False,
        archive_options: Any = None,
        partition_format: str | None = None,
    ) -> TabularDataset:
        """A TabularDataset of delimited files (as ``Dataset.Tabular.from_delimited_files``);
        ``skip_rows``, ``comment`` and ``archive_options`` are not supported."""
        if skip_rows or comment or archive_options:
            raise DatasetError(
                "skip_rows, comment and archive_options are not supported: clean the files "
                "first and use Dataset.Tabular.from_delimited_files"
            )
        return TabularDatasetFactory.from_delimited_files(
            path, include_path=include_path, infer_column_types=infer_column_types,
            separator=separator, header=header, partition_format=partition_format,
            support_multi_line=bool(quoting), encoding=encoding,
        )  # fmt: skip

    @staticmethod
    def from_parquet_files(
        path: Any, include_path: bool = False, partition_format: str | None = None
    ) -> TabularDataset:
        """A TabularDataset of parquet files (as ``Dataset.Tabular.from_parquet_files``)."""
        return TabularDatasetFactory.from_parquet_files(
            path, include_path=include_path, partition_format=partition_format
        )

    @staticmethod
    def from_binary_files(path: Any) -> FileDataset:
        """A FileDataset (as ``Dataset.File.from_files``)."""
        return FileDatasetFactory.from_files(path)

    @staticmethod
    @refused(_TABLE)
    def auto_read_files(
        path: Any, include_path: bool = False, partition_format: str | None = None
    ) -> Any:
        """v1 (deprecated): guess the format of the files (refused here)."""

    @staticmethod
    @refused("save the sheets as CSV and " + _TABLE)
    def from_excel_files(
        path: Any,
        sheet_name: str | None = None,
        use_column_headers: bool = False,
        skip_rows: int = 0,
        include_path: bool = False,
        infer_column_types: bool = True,
        partition_format: str | None = None,
    ) -> Any:
        """v1 (deprecated): a table from Excel files (refused here)."""

    @staticmethod
    @refused("use Dataset.Tabular.from_json_lines_files for files of one JSON object per line")
    def from_json_files(
        path: Any,
        encoding: str = "utf8",
        flatten_nested_arrays: bool = False,
        include_path: bool = False,
        partition_format: str | None = None,
    ) -> Any:
        """v1 (deprecated): a table from JSON files (refused here)."""

    @staticmethod
    @refused("use Dataset.Tabular.register_pandas_dataframe(dataframe, target, name)")
    def from_pandas_dataframe(dataframe: Any, path: Any = None, in_memory: bool = False) -> Any:
        """v1 (deprecated): a dataset of a DataFrame (refused here)."""

    @staticmethod
    @refused("query the database, save the result as CSV and " + _TABLE)
    def from_sql_query(data_source: Any, query: str) -> Any:
        """v1 (deprecated): a table from an SQL datastore (refused here)."""


def _legacy_property(name: str) -> property:
    @refused(_OBJECTS)
    def getter(self: Any) -> Any:
        """v1 (deprecated Dataset class); see FileDataset / TabularDataset."""

    getter.__name__ = getter.__qualname__ = name
    return property(getter)


def _legacy_method(name: str, *params: str) -> Any:
    @refused(_OBJECTS)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        """v1 (deprecated Dataset class); see FileDataset / TabularDataset."""

    method.__name__ = name
    method.__qualname__ = f"Dataset.{name}"
    return method


for _name in ("name", "workspace", "id", "definition_version", "definition", "is_visible",
              "tags", "description", "state"):  # fmt: skip
    setattr(Dataset, _name, _legacy_property(_name))
for _name in ("get_definitions", "get_definition", "register", "update", "update_definition",
              "to_pandas_dataframe", "to_spark_dataframe", "head", "create_snapshot",
              "get_snapshot", "delete_snapshot", "get_all_snapshots", "generate_profile",
              "get_profile", "deprecate", "archive", "reactivate", "compare_profiles", "diff",
              "sample"):  # fmt: skip
    setattr(Dataset, _name, _legacy_method(_name))


# -- for the engine and the step runtime ------------------------------------------------------
def resolve_dataset(workspace: WorkspaceLike, value: Any) -> AbstractDataset:
    """The dataset ``value`` names, in ``workspace``: a dataset (bound to ``workspace`` when
    it has none), a DatasetRef, ``"name[:version]"`` or a definition dict."""
    if is_dataset(value):
        return cast(AbstractDataset, value).bind(workspace)
    if getattr(value, "is_dataset_ref", False) and getattr(value, "definition", None):
        return AbstractDataset.from_definition(workspace, value.definition)  # type: ignore[no-any-return]
    if getattr(value, "is_dataset_ref", False):
        return AbstractDataset.get_by_name(workspace, value.name, value.version)  # type: ignore[no-any-return]
    if isinstance(value, str):
        name, sep, version = value.rpartition(":")
        if sep and (version.isdigit() or version == "latest"):
            return AbstractDataset.get_by_name(workspace, name, version)  # type: ignore[no-any-return]
        return AbstractDataset.get_by_name(workspace, value)  # type: ignore[no-any-return]
    if isinstance(value, dict) and "kind" in value:
        return AbstractDataset.from_definition(workspace, value)  # type: ignore[no-any-return]
    if isinstance(value, dict) and "name" in value:
        return AbstractDataset.get_by_name(  # type: ignore[no-any-return]
            workspace, value["name"], value.get("version") or "latest"
        )
    raise DatasetError(
        f"cannot use {value!r} as a dataset: pass a dataset, a name or 'name:version'"
    )


def register_from_files(
    workspace: WorkspaceLike,
    name: str,
    datastore: Datastore | str | None,
    path: str,
    kind: str = "file",
    tabular_options: dict[str, Any] | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    transformations: list[dict[str, Any]] | None = None,
) -> AbstractDataset:
    """Register the files at ``path`` on ``datastore`` as a new version of dataset ``name``
    (``transformations``, for a tabular one: what ``keep_columns``... asked for; also read
    from ``tabular_options["transformations"]``, where an output's config keeps them)."""
    if kind not in AbstractDataset._kinds:
        raise DatasetError(
            f"dataset kind must be one of {sorted(AbstractDataset._kinds)}, got {kind!r}"
        )
    store = datastore if isinstance(datastore, Datastore) else (
        Datastore.get(workspace, datastore) if datastore else workspace.get_default_datastore()
    )  # fmt: skip
    options = dict(tabular_options or {})
    glob = options.pop("path_glob", None)
    steps = list(transformations or options.pop("transformations", None) or [])
    options.pop("transformations", None)
    pattern = store.relative(posixpath.join(path, glob) if glob else path)
    parts: dict[str, Any] = {
        "workspace": workspace, "paths": [(store.name, pattern)],
        "datastores": {store.name: store},
    }  # fmt: skip
    dataset: AbstractDataset
    if kind == "tabular":
        dataset = TabularDataset(
            **parts, tabular_options=tabular.normalize_options(**options),
            transformations=steps,
        )  # fmt: skip
    else:
        dataset = FileDataset(**parts)
    return dataset.register(workspace, name, description, tags, create_new_version=True)


def load_input_dataset(workspace_dir: str, entry: dict[str, Any]) -> str | TabularDataset:
    """What a step reads for a dataset input (see the module docstring)."""
    dataset = AbstractDataset.from_definition(open_workspace(workspace_dir), entry["definition"])
    info = entry.get("dataset") or {}
    dataset._name, dataset._version = info.get("name"), info.get("version")
    path = entry.get("path") or ""
    if isinstance(dataset, FileDataset):
        return path or DatasetMount(dataset).start().mount_point
    assert isinstance(dataset, TabularDataset)
    dataset._local_root = Path(path) if path else None
    return dataset
