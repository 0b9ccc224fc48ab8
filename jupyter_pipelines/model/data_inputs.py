"""What a step reads: ``InputBinding`` and its kinds for step outputs (``InputPortBinding``)
and datasets (``DatasetConsumptionConfig``); datastore paths are in ``data_paths.py``.

The objects only describe inputs; the engine resolves datasets and datastores against a
workspace at submit. Step outputs are recognised by their ``is_step_output`` marker (they are
defined in ``data_outputs.py``, which imports this module), datasets by ``is_dataset``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ..compat import cloud_only, refused
from ..errors import ModelError

if TYPE_CHECKING:
    from .steps import PipelineStep

#: How an input directory is made available to a step.
INPUT_MODES = ("mount", "download")


def is_dataset(value: object) -> bool:
    """Whether ``value`` is a dataset object (defined in the stores layer)."""
    return getattr(value, "is_dataset", False) is True


def is_step_output(value: object) -> bool:
    """Whether ``value`` is a step output (PipelineData, OutputFileDatasetConfig, ...)."""
    return getattr(value, "is_step_output", False) is True


class InputBinding:
    """Base of what a step reads: a name, how it is provided, and where in the working folder.

    ``mode`` is ``mount`` (read in place) or ``download`` (copied next to the step,
    into ``path_on_compute`` when given); datasets may also be ``direct`` (tabular).
    """

    #: The kind written in pipeline files: "output", "dataset" or "datastore".
    kind = ""
    mode = "mount"
    #: For ``download``: where in the step's working folder the files are placed.
    path_on_compute: str | None = None
    #: For ``download``: whether existing files there are replaced.
    overwrite: bool | None = None

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


class InputPortBinding(InputBinding):
    """An output of one step bound as an input of another (v1 ``InputPortBinding``).

    ``name`` is the input's name in the consuming step (None: the output's name);
    ``bind_object`` the output. ``additional_transformations`` (for an output read as a
    table) are dataset transformations applied when the step reads it.
    """

    kind = "output"

    def __init__(
        self,
        name: str | None = None,
        bind_object: Any = None,
        bind_mode: str = "mount",
        path_on_compute: str | None = None,
        overwrite: bool | None = None,
        is_resource: bool = False,
        additional_transformations: list[dict[str, Any]] | None = None,
        *,
        tabular: bool = False,
        default_suffix: str = "",
        **kwargs: Any,
    ) -> None:
        if not is_step_output(bind_object):
            raise ModelError(
                f"an input must be a PipelineData or OutputFileDatasetConfig, got {bind_object!r}"
            )
        if bind_mode not in (*INPUT_MODES, "direct"):
            raise ModelError(f"input {name!r}: bind_mode must be one of {INPUT_MODES}")
        super().__init__(name, bind_mode, path_on_compute)
        self.data = bind_object
        self.overwrite = overwrite
        self._is_resource = is_resource
        self._transformations = list(additional_transformations or [])
        #: Read as a TabularDataset (the output was declared with ``read_delimited_files``).
        self.tabular = tabular
        self._suffix = default_suffix

    @property
    def name(self) -> str | None:
        """The input's name inside the consuming step (defaults to the output's name)."""
        if self._name or self.data.name is None:
            return self._name
        return f"{self.data.name}{self._suffix}"

    def as_input(self, name: str | None = None) -> InputPortBinding:
        """This input, named ``name`` in the consuming step when given."""
        self._name = name or self._name
        return self

    @property
    def producer(self) -> PipelineStep | None:
        return self.data.producer  # type: ignore[no-any-return]

    @property
    def bind_object(self) -> Any:
        """The output this input reads."""
        return self.data

    @property
    def bind_mode(self) -> str:
        """``mount`` or ``download`` (v1's name for ``mode``)."""
        return self.mode

    @bind_mode.setter
    def bind_mode(self, value: str) -> None:
        self.mode = value

    @property
    def data_reference_name(self) -> str | None:
        """The name of the output this input reads."""
        return self.get_bind_object_name()

    @property
    def data_type(self) -> str:
        return self.get_bind_object_data_type()

    @property
    def is_resource(self) -> bool:
        return self._is_resource

    @property
    def additional_transformations(self) -> list[dict[str, Any]]:
        """Dataset transformations applied when the step reads the output as a table."""
        return list(self._transformations)

    def get_bind_object_name(self) -> str | None:
        """The name of the bound output."""
        return self.data.name  # type: ignore[no-any-return]

    def get_bind_object_data_type(self) -> str:
        """``AnyDirectory`` (outputs are folders) unless the output says otherwise."""
        return str(getattr(self.data, "data_type", None) or "AnyDirectory")

    @cloud_only("resources are an Azure ML scheduling detail; the input reaches the step as usual")
    def as_resource(self) -> InputPortBinding:
        """A copy of this binding marked as a resource."""
        clone = copy.copy(self)
        clone._is_resource = True
        return clone

    def __repr__(self) -> str:
        return f"InputPortBinding({self.name!r}, {self.data!r}, mode={self.mode!r})"


#: The name the engine and the pipeline file code use for an output bound as an input.
StepInput = InputPortBinding


class DatasetRef:
    """A dataset named in a pipeline file: resolved against the workspace at submit. An
    unregistered one (a parameter's default) is given by its ``definition`` instead."""

    is_dataset_ref = True

    def __init__(
        self, name: str, version: int | str = "latest", definition: dict[str, Any] | None = None
    ) -> None:
        self.name = name
        self.version = version
        self.definition = definition

    def to_definition(self) -> dict[str, Any] | None:
        """The definition of an unregistered dataset (None for one named)."""
        return None if self.definition is None else dict(self.definition)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatasetRef) and (other.name, other.version, other.definition) == (
            self.name,
            self.version,
            self.definition,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.version))

    def __repr__(self) -> str:
        if self.definition is not None:
            return f"DatasetRef(definition={self.definition!r})"
        return f"DatasetRef({self.name!r}, version={self.version!r})"


class DatasetConsumptionConfig(InputBinding):
    """A dataset read by a step (v1 ``DatasetConsumptionConfig``, from ``as_named_input``).

    ``dataset`` is a dataset object, a DatasetRef, or a PipelineParameter whose value
    is a dataset (swapped at submit). A file dataset of one file reaches the step as that
    file's path; other file datasets as a folder; tabular ones (``direct``) as a
    TabularDataset in ``Run.get_context().input_datasets``.
    """

    kind = "dataset"

    def __init__(
        self, name: str, dataset: Any, mode: str = "direct", path_on_compute: str | None = None
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError("a dataset input needs a name: use dataset.as_named_input('name')")
        super().__init__(name, mode, path_on_compute)
        self.dataset = dataset

    @refused("use as_mount() or as_download(): HDFS inputs exist only on Azure Synapse Spark")
    def as_hdfs(self) -> DatasetConsumptionConfig:
        """v1: the dataset as an HDFS path on a Synapse Spark pool (refused here)."""
        raise NotImplementedError
