"""Paths on datastores read by steps: ``DataReference`` (an input), ``DataPath`` (a path,
usable as a PipelineParameter default) and ``DataPathComputeBinding`` (how a DataPath
reaches a step), as in v1. The datastore is a Datastore object or its name.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..compat import refused
from ..errors import ModelError
from .data_inputs import INPUT_MODES, InputBinding


@dataclass
class DataReferenceConfiguration:
    """What ``DataReference.to_config()`` gives (v1 ``azureml.core.runconfig``'s class)."""

    datastore_name: str | None = None
    mode: str = "mount"
    path_on_datastore: str | None = None
    path_on_compute: str | None = None
    overwrite: bool = False


class DataPathComputeBinding:
    """How a DataPath reaches a step: mounted or downloaded (v1 name)."""

    def __init__(
        self, mode: str = "mount", path_on_compute: str | None = None, overwrite: bool = False
    ) -> None:
        if mode not in INPUT_MODES:
            raise ModelError(f"DataPathComputeBinding mode must be one of {INPUT_MODES}")
        self.mode = mode
        self.path_on_compute = path_on_compute
        self.overwrite = overwrite

    def create_data_reference(
        self, data_reference_name: str | None = None, datapath: DataPath | None = None
    ) -> DataReference:
        """A step input reading ``datapath`` this way."""
        if datapath is None:
            raise ModelError("create_data_reference needs a 'datapath'")
        return datapath.create_data_reference(data_reference_name, self)

    @staticmethod
    def create_from_data_reference(data_reference: DataReference) -> DataPathComputeBinding:
        """How ``data_reference`` reaches its step."""
        return DataPathComputeBinding(
            data_reference.mode, data_reference.path_on_compute, bool(data_reference.overwrite)
        )


class DataPath:
    """A path on a datastore, usable as a PipelineParameter default (v1 name)."""

    is_datapath = True
    #: The path relative to the datastore's root ('' for the root).
    path_on_datastore: str = ""

    def __init__(
        self, datastore: Any = None, path_on_datastore: str | None = None, name: str | None = None
    ) -> None:
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore or ""
        self.name = name

    @property
    def datastore_name(self) -> str:
        return self.datastore if isinstance(self.datastore, str) else self.datastore.name

    def create_data_reference(
        self,
        data_reference_name: str | None = None,
        datapath_compute_binding: DataPathComputeBinding | None = None,
    ) -> DataReference:
        """A step input reading this path."""
        binding = datapath_compute_binding or DataPathComputeBinding()
        return DataReference(
            self.datastore,
            data_reference_name or self.name,
            self.path_on_datastore,
            binding.mode,
            binding.path_on_compute,
            binding.overwrite,
        )

    @staticmethod
    def create_from_data_reference(data_reference: DataReference) -> DataPath:
        """The path ``data_reference`` reads."""
        path = data_reference.path_on_datastore
        if path is not None and not isinstance(path, str):
            raise ModelError(f"{data_reference!r}: its path comes from a pipeline parameter")
        return DataPath(data_reference.datastore, path, data_reference.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataPath) and (other.datastore_name, other.path_on_datastore) == (
            self.datastore_name,
            self.path_on_datastore,
        )

    def __hash__(self) -> int:
        return hash((self.datastore_name, self.path_on_datastore))

    def __repr__(self) -> str:
        return f"DataPath({self.datastore_name!r}, {self.path_on_datastore!r})"


class DataReference(InputBinding):
    """A path on a datastore read by a step (v1 ``DataReference``).

    ``datastore`` is a Datastore object or its name; ``path_on_datastore`` may be a
    PipelineParameter whose value is a DataPath (v1 ``(param, DataPathComputeBinding)``).
    ``as_mount``, ``as_download`` and ``path`` return new references, as in v1.
    """

    kind = "datastore"

    def __init__(
        self,
        datastore: Any,
        data_reference_name: str | None = None,
        path_on_datastore: Any = None,
        mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool = False,
    ) -> None:
        if datastore is None and not _is_parameter(path_on_datastore):
            raise ModelError("a DataReference needs a 'datastore'")
        super().__init__(
            data_reference_name or _default_reference_name(path_on_datastore), mode, path_on_compute
        )
        self.datastore = datastore
        self.path_on_datastore = path_on_datastore
        self.overwrite = overwrite

    @property
    def datastore_name(self) -> str:
        """The datastore's name ('' when a parameter gives the path and datastore)."""
        if self.datastore is None:
            return ""
        return self.datastore if isinstance(self.datastore, str) else self.datastore.name

    @property
    def data_reference_name(self) -> str | None:
        """The reference's name (the input's name in the step)."""
        return self.name

    def path(
        self, path: str | None = None, data_reference_name: str | None = None
    ) -> DataReference:
        """A reference to ``path`` under this reference's path, on the same datastore."""
        if not path or path in ("/", ".", "./"):
            if not data_reference_name:
                return self
            return DataReference(self.datastore, data_reference_name, self.path_on_datastore)
        base = self.path_on_datastore
        if base is not None and not isinstance(base, str):
            raise ModelError(f"{self!r}: a parameter's path cannot be extended")
        joined = (
            f"{base.rstrip('/')}/{path.lstrip('/')}" if base and base not in ("/", ".") else path
        )
        return DataReference(self.datastore, data_reference_name, joined)

    def as_mount(self, path_on_compute: str | None = None) -> DataReference:
        """A copy of this reference read in place."""
        clone = copy.copy(self)
        clone.mode = "mount"
        clone.path_on_compute = path_on_compute or self.path_on_compute
        return clone

    def as_download(
        self, path_on_compute: str | None = None, overwrite: bool = False
    ) -> DataReference:
        """A copy of this reference copied next to the step before it starts (into
        ``path_on_compute`` when given)."""
        clone = copy.copy(self)
        clone.mode, clone.path_on_compute, clone.overwrite = "download", path_on_compute, overwrite
        return clone

    @refused(
        "declare step outputs with OutputFileDatasetConfig(destination=(datastore, 'path')) "
        "or PipelineData(name, datastore=datastore)"
    )
    def as_upload(
        self, path_on_compute: str | None = None, overwrite: bool = False
    ) -> DataReference:
        """v1: use the reference as an output uploaded after the step (refused here)."""
        raise NotImplementedError

    def to_config(self) -> DataReferenceConfiguration:
        """The reference as a run configuration's data reference."""
        path = self.path_on_datastore if isinstance(self.path_on_datastore, str) else None
        return DataReferenceConfiguration(
            self.datastore_name or None, self.mode, path, self.path_on_compute, bool(self.overwrite)
        )

    @staticmethod
    def create(
        data_reference_name: str | None = None,
        datapath: DataPath | None = None,
        datapath_compute_binding: DataPathComputeBinding | None = None,
    ) -> DataReference:
        """A reference reading ``datapath`` as ``datapath_compute_binding`` says."""
        if datapath is None or datapath_compute_binding is None:
            raise ModelError("DataReference.create needs a datapath and a datapath_compute_binding")
        return datapath.create_data_reference(data_reference_name, datapath_compute_binding)


def _is_parameter(value: object) -> bool:
    from .parameters import PipelineParameter

    return isinstance(value, PipelineParameter)


def _default_reference_name(path: Any) -> str:
    text = str(getattr(path, "name", None) or path or "").strip("/").split("/")[-1]
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_")
    return cleaned or "datastore_input"
