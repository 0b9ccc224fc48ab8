"""Step outputs: ``PipelineData`` and the v1 output dataset configs
(``OutputDatasetConfig``, ``OutputFileDatasetConfig``, ``OutputTabularDatasetConfig``).

Each output is a directory that one step writes. Passing it to another step (directly or
through ``.as_input()``) makes that step depend on the producer. An output is one object
for its whole life: ``read_delimited_files()`` turns an ``OutputFileDatasetConfig`` into an
``OutputTabularDatasetConfig`` in place (the same output, now read as a table), so that a
step listing either variable sees one output.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..compat import refused
from ..errors import ModelError
from .data_inputs import InputPortBinding

if TYPE_CHECKING:
    from .steps import PipelineStep

#: How an output directory reaches its destination.
OUTPUT_MODES = ("mount", "upload")


class OutputData:
    """Base of step outputs: a named directory that one step writes and others read."""

    is_step_output = True
    #: The datastore the output is kept on when its step succeeds, at
    #: ``azureml/{run-id}/{output-name}`` (None: the pipeline's or workspace's default).
    datastore: Any = None
    mode = "mount"
    overwrite = False
    #: Set by ``as_upload``: only files matching these globs are delivered.
    source_globs: list[str] | None = None

    def __init__(self, name: str | None = None, datastore: Any = None) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ModelError(f"an output name must be a non-empty string, got {name!r}")
        self._name = name
        self.datastore = datastore
        self.mode = "mount"
        self.overwrite = False
        self._producer: PipelineStep | None = None

    @property
    def name(self) -> str | None:
        """The output's name (given by the producing step when it had none)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

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

    def as_input(self, name: str | None = None) -> InputPortBinding:
        """Bind this output as an input of another step (optionally under another name)."""
        return InputPortBinding(name, self, tabular=bool(getattr(self, "tabular", None)))

    def as_upload(self, overwrite: bool = False, source_globs: list[str] | None = None) -> Any:
        """Write the output locally and copy it to its destination when the step succeeds
        (only the files matching ``source_globs``, when given)."""
        self.mode = "upload"
        self.overwrite = overwrite
        self.source_globs = list(source_globs) if source_globs else None
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
        is_directory: bool | None = None,
        pipeline_output_name: str | None = None,
        training_output: Any = None,
    ) -> None:
        if not name:
            raise ModelError("PipelineData needs a 'name'")
        super().__init__(output_name or name, datastore)
        self.is_directory = is_directory
        self._data_type = data_type
        self.pipeline_output_name = pipeline_output_name
        self.training_output = training_output
        if output_mode == "upload":
            self.as_upload(bool(output_overwrite))

    @property
    def data_type(self) -> str:
        """v1's type name: ``AnyDirectory`` unless given (or ``is_directory=False``)."""
        if self._data_type:
            return self._data_type
        return "AnyFile" if self.is_directory is False else "AnyDirectory"

    def create_input_binding(
        self,
        input_name: str | None = None,
        mode: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> InputPortBinding:
        """This output as an input of another step, read by ``mode`` (mount or download)."""
        return InputPortBinding(input_name, self, mode or "mount", path_on_compute, overwrite)

    def as_input(self, input_name: str | None = None) -> InputPortBinding:
        """This output as an input of another step, named ``input_name`` there (default:
        the output's name)."""
        return self.create_input_binding(input_name)

    def as_mount(self, input_name: str | None = None) -> InputPortBinding:
        """This output as an input read in place."""
        return self.create_input_binding(input_name, "mount")

    def as_download(
        self,
        input_name: str | None = None,
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
    ) -> InputPortBinding:
        """This output as an input copied next to the step (into ``path_on_compute``)."""
        return self.create_input_binding(input_name, "download", path_on_compute, overwrite)

    def as_dataset(self) -> PipelineData:
        """v1: promote the output to a dataset for the steps that read it. Here every output
        already reaches its readers as a folder (and in ``input_datasets``): returns itself."""
        return self

    @refused("pass the PipelineData itself in the step's arguments: it becomes the output's path")
    def get_env_variable_name(self) -> str:
        """v1: the environment variable holding the output's path (refused here)."""
        raise NotImplementedError


class OutputDatasetConfig(OutputData):
    """Base of the v1 output dataset configs: an output that can be registered as a dataset
    when its step succeeds (v1 ``OutputDatasetConfig``)."""

    def __init__(self, mode: str = "mount", name: str | None = None, **kwargs: Any) -> None:
        if mode not in OUTPUT_MODES:
            raise ModelError(f"output {name!r}: mode must be one of {OUTPUT_MODES}, got {mode!r}")
        super().__init__(name)
        self.mode = mode
        #: Set by ``register_on_complete``: the dataset registered when the step succeeds.
        self.registration: dict[str, Any] | None = None
        #: Set by ``read_delimited_files``: how the files are read as a table.
        self.tabular: dict[str, Any] | None = None
        self.source_globs: list[str] | None = None

    def register_on_complete(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> Any:
        """Register the output as a new version of dataset ``name`` when the step succeeds."""
        if not isinstance(name, str) or not name.strip():
            raise ModelError("register_on_complete needs a dataset 'name'")
        self.registration = {
            "name": name,
            "description": description or "",
            "tags": dict(tags or {}),
        }
        return self


class OutputFileDatasetConfig(OutputDatasetConfig):
    """A step output written as files, optionally to a datastore path (v1 name).

    ``destination`` is ``(datastore, "path/{run-id}/{output-name}")`` or a datastore;
    without it the output is kept on the default datastore at
    ``dataset/{run-id}/{output-name}``, as in v1. ``{run-id}`` is the step run's id and
    ``{output-name}`` the output's name.
    """

    def __init__(
        self,
        name: str | None = None,
        destination: Any = None,
        source: str | list[str] | None = None,
        partition_format: str | None = None,
    ) -> None:
        super().__init__("mount", name)
        self.destination = destination
        #: Files (globs, relative to the step's working folder) copied into the output
        #: when the step succeeds, as v1 copies ``source`` from the compute target.
        self.source = source
        self.partition_format = partition_format

    def as_mount(self, disable_metadata_cache: bool = False) -> Any:
        """Write the output directly into its destination (the default)."""
        self.mode = "mount"
        return self

    def read_delimited_files(
        self,
        include_path: bool = False,
        separator: str = ",",
        header: bool | str = True,
        partition_format: str | None = None,
        path_glob: str | None = None,
        set_column_types: dict[str, Any] | None = None,
        *,
        format: str = "delimited",
        transformations: list[dict[str, Any]] | None = None,
    ) -> OutputTabularDatasetConfig:
        """Read the output as a table: registered and consumed as a TabularDataset. This
        output becomes an ``OutputTabularDatasetConfig`` (the same object)."""
        self.tabular = {
            "include_path": include_path,
            "separator": separator,
            "header": header,
            "path_glob": path_glob,
            "set_column_types": {k: str(v) for k, v in (set_column_types or {}).items()},
            **({"partition_format": partition_format} if partition_format else {}),
            **({"format": format} if format != "delimited" else {}),
            **({"transformations": list(transformations)} if transformations else {}),
        }
        self.__class__ = OutputTabularDatasetConfig
        assert isinstance(self, OutputTabularDatasetConfig)
        return self

    def read_parquet_files(
        self,
        include_path: bool = False,
        partition_format: str | None = None,
        path_glob: str | None = None,
        set_column_types: dict[str, Any] | None = None,
    ) -> OutputTabularDatasetConfig:
        """Read the output's parquet files as a table (needs pandas and pyarrow)."""
        return self.read_delimited_files(
            include_path, partition_format=partition_format, path_glob=path_glob,
            set_column_types=set_column_types, format="parquet",
        )  # fmt: skip

    def as_input(self, name: str | None = None) -> InputPortBinding:
        """This output as an input of another step (a table when read as one)."""
        return InputPortBinding(name, self, tabular=self.tabular is not None)


class OutputTabularDatasetConfig(OutputFileDatasetConfig):
    """An output read as a table (v1 ``OutputTabularDatasetConfig``): what
    ``read_delimited_files()`` and ``read_parquet_files()`` make of an output."""

    def __init__(self, **kwargs: Any) -> None:
        keys = ("name", "destination", "source", "partition_format")
        super().__init__(**{k: kwargs[k] for k in keys if k in kwargs})
        self.read_delimited_files()

    def _add(self, step: dict[str, Any]) -> OutputTabularDatasetConfig:
        assert self.tabular is not None
        self.tabular["transformations"] = [*self.tabular.get("transformations", []), step]
        return self

    def keep_columns(self, columns: str | list[str]) -> OutputTabularDatasetConfig:
        """Keep only ``columns`` when the table is read or registered."""
        return self._add({"op": "keep_columns", "columns": _names(columns)})

    def drop_columns(self, columns: str | list[str]) -> OutputTabularDatasetConfig:
        """Drop ``columns`` when the table is read or registered."""
        return self._add({"op": "drop_columns", "columns": _names(columns)})

    def random_split(
        self, percentage: float, seed: int | None = None
    ) -> tuple[InputPortBinding, InputPortBinding]:
        """Two inputs reading about ``percentage`` of the rows and the others, named
        ``<output>_1`` and ``<output>_2`` unless renamed with ``.as_input(name)``."""
        if isinstance(percentage, bool) or not 0 <= float(percentage) <= 1:
            raise ModelError(f"percentage must be between 0.0 and 1.0, got {percentage!r}")
        chosen = random.SystemRandom().randrange(2**31) if seed is None else int(seed)
        parts = [
            {"op": "split", "percentage": float(percentage), "seed": chosen, "part": p}
            for p in (0, 1)
        ]
        first, second = (
            InputPortBinding(
                None,
                self,
                tabular=True,
                additional_transformations=[part],
                default_suffix=f"_{i + 1}",
            )
            for i, part in enumerate(parts)
        )
        return first, second


def _names(columns: str | list[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else [str(c) for c in columns]
