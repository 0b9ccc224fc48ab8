"""Step data: outputs (``PipelineData``, ``OutputFileDatasetConfig``) and what steps read.

Each output is a directory. Passing an output to another step (directly or through
``.as_input()``) makes that step depend on the producer. Steps also read datasets
(``DatasetConsumptionConfig``) and datastore paths (``DataReference``, ``DataPath``);
the objects here only describe them: the engine resolves them against a workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ModelError

if TYPE_CHECKING:
    from .steps import PipelineStep

#: How an output or input directory is made available to a step.
OUTPUT_MODES = ("mount", "upload")
INPUT_MODES = ("mount", "download")


class OutputData:
    """Base of step outputs: a named directory that one step writes and others read."""

    def __init__(self, name: str | None = None, datastore: Any = None) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ModelError(f"an output name must be a non-empty string, got {name!r}")
        self.name = name
        self.datastore = datastore
        self.mode = "mount"
        self.overwrite = False
        self._producer: PipelineStep | None = None

    @property
    def producer(self) -> PipelineStep | None:
        """The step that writes this output, once a step lists it."""
        return self._producer

    def _bind_producer(self, step: PipelineStep) -> None:
        if self._producer is not None and self._producer is not step:
            raise ModelError(
                f"output {self.name!r} is already produced by step "
                f"{self._producer.name!r}; step {step.name!r} cannot produce it too "
                "(create a separate output object for each step)"
            )
        self._producer = step

    def as_input(self, name: str | None = None) -> StepInput:
        """Bind this output as an input of another step (optionally under another name)."""
        return StepInput(self, name=name)

    def as_mount(self) -> OutputData:
        """Write the output directly into its destination (the default)."""
        self.mode = "mount"
        return self

    def as_upload(self, overwrite: bool = False) -> OutputData:
        """Write the output locally and copy it to its destination when the step succeeds."""
        self.mode = "upload"
        self.overwrite = overwrite
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class PipelineData(OutputData):
    """Intermediate data written by one step and read by others (v1 ``PipelineData``)."""

    def __init__(
        self,
        name: str,
        datastore: Any = None,
        output_name: str | None = None,
        output_mode: str = "mount",
        output_path_on_compute: str | None = None,
        output_overwrite: bool | None = None,
        data_type: str | None = None,
        is_directory: bool = True,
        pipeline_output_name: str | None = None,
    ) -> None:
        if not name:
            raise ModelError("PipelineData needs a 'name'")
        super().__init__(output_name or name, datastore)
        self.is_directory = is_directory
        if output_mode == "upload":
            self.as_upload(bool(output_overwrite))


class OutputFileDatasetConfig(OutputData):
    """A step output written as files, optionally to a datastore path (v1 name).

    ``destination`` is ``(datastore, "path/{run-id}/{output-name}")`` or a datastore;
    without it the output stays in the step run's folder. ``{run-id}`` is the step
    run's id and ``{output-name}`` the output's name.
    """

    def __init__(
        self,
        name: str | None = None,
        destination: Any = None,
        source: str | list[str] | None = None,
        partition_format: str | None = None,
    ) -> None:
        super().__init__(name)
        self.destination = destination
        #: Files (globs, relative to the step's working folder) copied into the output
        #: when the step succeeds, as v1 copies ``source`` from the compute target.
        self.source = source
        self.partition_format = partition_format
        #: Set by ``register_on_complete``: the dataset registered when the step succeeds.
        self.registration: dict[str, Any] | None = None
        #: Set by ``read_delimited_files``: how the files parse as a table.
        self.tabular: dict[str, Any] | None = None

    def register_on_complete(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> OutputFileDatasetConfig:
        """Register the output as a new version of dataset ``name`` when the step succeeds."""
        if not isinstance(name, str) or not name.strip():
            raise ModelError("register_on_complete needs a dataset 'name'")
        self.registration = {
            "name": name,
            "description": description or "",
            "tags": dict(tags or {}),
        }
        return self

    def read_delimited_files(
        self,
        include_path: bool = False,
        separator: str = ",",
        header: bool | str = True,
        partition_format: str | None = None,
        path_glob: str | None = None,
        set_column_types: dict[str, Any] | None = None,
    ) -> OutputFileDatasetConfig:
        """Read the output as a table: registered and consumed as a TabularDataset."""
        self.tabular = {
            "include_path": include_path,
            "separator": separator,
            "header": header,
            "path_glob": path_glob,
            "set_column_types": {k: str(v) for k, v in (set_column_types or {}).items()},
        }
        return self

    def as_input(self, name: str | None = None) -> StepInput:
        return StepInput(self, name=name, tabular=self.tabular is not None)


OutputTabularDatasetConfig = OutputFileDatasetConfig


class InputBinding:
    """Base of what a step reads: a name, how it is provided, and where in the working folder.

    ``mode`` is ``mount`` (read in place) or ``download`` (copied next to the step,
    into ``path_on_compute`` when given); datasets may also be ``direct`` (tabular).
    """

    #: The kind written in pipeline files: "output", "dataset" or "datastore".
    kind = ""

    def __init__(
        self, name: str | None, mode: str = "mount", path_on_compute: str | None = None
    ) -> None:
        self._name = name
        self.mode = mode
        self.path_on_compute = path_on_compute

    @property
    def name(self) -> str | None:
        """The input's name inside the consuming step."""
        return self._name

    @property
    def producer(self) -> PipelineStep | None:
        """The step whose output this is (None for datasets and datastore paths)."""
        return None

    def as_named_input(self, name: str) -> InputBinding:
        """Give the input a name (what ``Run.get_context().input_datasets`` is keyed by)."""
        self._name = name
        return self

    def as_mount(self, path_on_compute: str | None = None) -> InputBinding:
        """Read the input in place (the default)."""
        self.mode = "mount"
        self.path_on_compute = path_on_compute or self.path_on_compute
        return self

    def as_download(self, path_on_compute: str | None = None) -> InputBinding:
        """Copy the input next to the step before it starts."""
        self.mode = "download"
        self.path_on_compute = path_on_compute
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, mode={self.mode!r})"


class StepInput(InputBinding):
    """An output of one step bound as an input of another (v1 ``InputPortBinding``)."""

    kind = "output"

    def __init__(
        self, data: OutputData, name: str | None = None, mode: str = "mount", tabular: bool = False
    ) -> None:
        if not isinstance(data, OutputData):
            raise ModelError(
                f"an input must be a PipelineData or OutputFileDatasetConfig, got {data!r}"
            )
        super().__init__(name, mode)
        self.data = data
        #: Read as a TabularDataset (the output was declared with ``read_delimited_files``).
        self.tabular = tabular

    @property
    def name(self) -> str | None:
        """The input's name inside the consuming step (defaults to the output's name)."""
        return self._name or self.data.name

    @property
    def producer(self) -> PipelineStep | None:
        return self.data.producer

    def __repr__(self) -> str:
        return f"StepInput({self.data!r}, name={self.name!r})"


InputPortBinding = StepInput


def is_dataset(value: object) -> bool:
    """Whether ``value`` is a dataset object (defined in the stores layer)."""
    return getattr(value, "is_dataset", False) is True


class DatasetRef:
    """A dataset named in a pipeline file: resolved against the workspace at submit."""

    is_dataset_ref = True

    def __init__(self, name: str, version: int | str = "latest") -> None:
        self.name = name
        self.version = version

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetRef) and (other.name, other.version) == (
            self.name,
            self.version,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.version))

    def __repr__(self) -> str:
        return f"DatasetRef({self.name!r}, version={self.version!r})"


class DatasetConsumptionConfig(InputBinding):
    """A dataset read by a step (v1 ``DatasetConsumptionConfig``, from ``as_named_input``).

    ``dataset`` is a dataset object, a DatasetRef, or a PipelineParameter whose value
    is a dataset (swapped at submit).
    """

    kind = "dataset"

    def __init__(
        self, name: str, dataset: Any, mode: str = "direct", path_on_compute: str | None = None
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError("a dataset input needs a name: use dataset.as_named_input('name')")
        super().__init__(name, mode, path_on_compute)
        self.dataset = dataset


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


class DataPath:
    """A path on a datastore, usable as a PipelineParameter default (v1 name)."""

    is_datapath = True

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


def _is_parameter(value: object) -> bool:
    from .parameters import PipelineParameter

    return isinstance(value, PipelineParameter)


def _default_reference_name(path: Any) -> str:
    text = str(getattr(path, "name", None) or path or "").strip("/").split("/")[-1]
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_")
    return cleaned or "datastore_input"


def as_binding(item: Any) -> InputBinding:
    """Turn what v1 code puts in ``inputs`` into an input binding."""
    if isinstance(item, InputBinding):
        return item
    if isinstance(item, OutputData):
        return StepInput(item)
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], DataPathComputeBinding):
        source, binding = item
        if isinstance(source, DataPath):
            return source.create_data_reference(datapath_compute_binding=binding)
        if not _is_parameter(source):
            raise ModelError(
                "(x, DataPathComputeBinding) needs a DataPath or a PipelineParameter whose "
                f"default is one, got {source!r}"
            )
        return DataReference(
            None, source.name, source, binding.mode, binding.path_on_compute, binding.overwrite
        )
    if isinstance(item, DataPath):
        return item.create_data_reference()
    if is_dataset(item):
        return DatasetConsumptionConfig(getattr(item, "name", None) or "dataset", item)
    raise ModelError(
        f"an input must be an output, a dataset input, a DataReference or a DataPath, got {item!r}"
    )
