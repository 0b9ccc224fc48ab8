"""Datasets (v1 ``azureml.core.Dataset``): named, versioned views of files on datastores.

A ``FileDataset`` is a list of files; a ``TabularDataset`` reads delimited files as one
table. Both are defined by (datastore, glob) paths plus options, kept as a JSON-ready
definition (``to_definition``). Registering a version pins the BLAKE3 hash of every file,
so a later change of the data is reported (``verify``), never silently read as the same.

For the engine and the step runtime:

- ``resolve_dataset(workspace, value) -> AbstractDataset``: ``value`` is a dataset object, a
  ``DatasetRef``, a ``"name[:version]"`` string or a definition dict; an unknown name or
  version raises ``UnknownDatasetError`` listing what exists.
- ``register_from_files(workspace, name, datastore, path, kind="file", tabular_options=None,
  description=None, tags=None) -> AbstractDataset``: registers the files at ``path`` on
  ``datastore`` as a new version of ``name`` (``OutputFileDatasetConfig.register_on_complete``);
  ``tabular_options`` are those of ``read_delimited_files`` (``path_glob`` included).
- ``load_input_dataset(workspace_dir, entry) -> str | TabularDataset``: what
  ``Run.input_datasets`` gives a step. ``entry["definition"]`` is ``to_definition()``;
  ``entry["path"]``, when set, is a local folder holding the dataset's files laid out as
  ``to_path()`` gives them (what ``download()`` and ``mount()`` make). File datasets give
  that folder (a fresh mount when there is none); tabular ones give a TabularDataset that
  reads from it (from the datastores when there is none).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import DatasetError
from ..model.data import is_dataset
from . import tabular
from .dataset_classes import KINDS, AbstractDataset, FileDataset, TabularDataset
from .dataset_files import DatasetMount, parse_paths
from .datastores import Datastore
from .tabular import DataType

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = [
    "AbstractDataset", "DataType", "Dataset", "DatasetMount", "FileDataset", "TabularDataset",
    "load_input_dataset", "register_from_files", "resolve_dataset",
]  # fmt: skip


# -- factories (v1 Dataset.File, Dataset.Tabular) -----------------------------------------------
class _FileFactory:
    @staticmethod
    def from_files(path: Any, validate: bool = True, **_v1_arguments: Any) -> FileDataset:
        """Files at ``path``: ``(datastore, 'folder/')``, ``(datastore, 'data/**/*.png')``,
        a DataPath, ``datastore.path('...')``, or a list of them."""
        return _create(FileDataset, path, None, validate)  # type: ignore[return-value]


class _TabularFactory:
    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: dict[str, Any] | None = None,
        separator: str = ",",
        header: bool | str | int = True,
        partition_format: str | None = None,
        support_multi_line: bool = False,
        empty_as_string: bool = False,
        encoding: str = "utf8",
    ) -> TabularDataset:
        """Delimited files at ``path`` read as one table (paths as for ``from_files``)."""
        options = tabular.normalize_options(
            include_path=include_path, infer_column_types=infer_column_types,
            set_column_types=set_column_types, separator=separator, header=header,
            partition_format=partition_format, support_multi_line=support_multi_line,
            empty_as_string=empty_as_string, encoding=encoding,
        )  # fmt: skip
        dataset = _create(TabularDataset, path, options, validate)
        if validate:
            tabular.read_table(dataset._sources()[:1], options, limit=100)  # type: ignore[attr-defined]
        return dataset  # type: ignore[return-value]


class Dataset:
    """v1 ``Dataset``: the ``File`` and ``Tabular`` factories and the registry look-ups."""

    File = _FileFactory
    Tabular = _TabularFactory
    get_by_name = staticmethod(AbstractDataset.get_by_name)
    get_all = staticmethod(AbstractDataset.get_all)


def _create(
    cls: type[AbstractDataset], path: Any, options: dict[str, Any] | None, validate: bool
) -> AbstractDataset:
    workspace, pairs = parse_paths(path)
    if workspace is None:
        raise DatasetError(
            f"the paths {path!r} name datastores only by name; pass a Datastore object "
            "(Datastore.get(ws, name)) so the dataset knows its workspace"
        )
    stores: dict[str, Datastore] = {}
    paths = []
    for store, pattern in pairs:
        resolved = store if isinstance(store, Datastore) else Datastore.get(workspace, store)
        stores[resolved.name] = resolved
        paths.append((resolved.name, resolved.relative(pattern)))
    dataset = cls(workspace, paths, options, None, stores)
    if validate:
        for name, pattern in paths:
            if not stores[name].glob(pattern):
                raise DatasetError(
                    f"path {pattern or '/'!r} on datastore {name!r} matches no file; upload "
                    "the data first (datastore.upload(...)) or fix the path"
                )
    return dataset


# -- for the engine and the step runtime ------------------------------------------------------
def resolve_dataset(workspace: Workspace, value: Any) -> AbstractDataset:
    """The dataset ``value`` names: a dataset, a DatasetRef, ``"name[:version]"`` or a
    definition dict (UnknownDatasetError for an unknown name or version)."""
    if is_dataset(value):
        return cast(AbstractDataset, value)
    if getattr(value, "is_dataset_ref", False):
        return AbstractDataset.get_by_name(workspace, value.name, value.version)
    if isinstance(value, str):
        name, sep, version = value.rpartition(":")
        if sep and (version.isdigit() or version == "latest"):
            return AbstractDataset.get_by_name(workspace, name, version)
        return AbstractDataset.get_by_name(workspace, value)
    if isinstance(value, dict) and "kind" in value:
        return AbstractDataset.from_definition(workspace, value)
    if isinstance(value, dict) and "name" in value:
        return AbstractDataset.get_by_name(
            workspace, value["name"], value.get("version") or "latest"
        )
    raise DatasetError(
        f"cannot use {value!r} as a dataset: pass a dataset, a name or 'name:version'"
    )


def register_from_files(
    workspace: Workspace,
    name: str,
    datastore: Datastore | str | None,
    path: str,
    kind: str = "file",
    tabular_options: dict[str, Any] | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> AbstractDataset:
    """Register the files at ``path`` on ``datastore`` as a new version of dataset ``name``."""
    if kind not in KINDS:
        raise DatasetError(f"dataset kind must be one of {KINDS}, got {kind!r}")
    store = datastore if isinstance(datastore, Datastore) else (
        Datastore.get(workspace, datastore) if datastore else workspace.get_default_datastore()
    )  # fmt: skip
    options = dict(tabular_options or {})
    glob = options.pop("path_glob", None)
    pattern = store.relative(posixpath.join(path, glob) if glob else path)
    if kind == "tabular":
        dataset: AbstractDataset = TabularDataset(
            workspace, [(store.name, pattern)], tabular.normalize_options(**options), None,
            {store.name: store},
        )  # fmt: skip
    else:
        dataset = FileDataset(workspace, [(store.name, pattern)], None, None, {store.name: store})
    return dataset.register(workspace, name, description, tags, create_new_version=True)


def load_input_dataset(workspace_dir: str, entry: dict[str, Any]) -> str | TabularDataset:
    """What a step reads for a dataset input (see the module docstring)."""
    from .workspace import Workspace

    dataset = AbstractDataset.from_definition(Workspace(workspace_dir), entry["definition"])
    info = entry.get("dataset") or {}
    dataset.name, dataset.version = info.get("name"), info.get("version")
    path = entry.get("path") or ""
    if isinstance(dataset, FileDataset):
        return path or DatasetMount(dataset).start().mount_point
    assert isinstance(dataset, TabularDataset)
    dataset._local_root = Path(path) if path else None
    return dataset
