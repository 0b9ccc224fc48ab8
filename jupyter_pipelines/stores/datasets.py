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

from typing import TYPE_CHECKING

from .dataset_classes import AbstractDataset, FileDataset, TabularDataset
from .dataset_files import DatasetMount
from .tabular import DataType

if TYPE_CHECKING:
    pass

__all__ = [
    "AbstractDataset", "DataType", "Dataset", "DatasetMount", "FileDataset", "TabularDataset",
    "load_input_dataset", "register_from_files", "resolve_dataset",
]  # fmt: skip



