"""Step-to-step data: outputs (``PipelineData``, ``OutputFileDatasetConfig``) and input bindings.

Each output is a directory. Passing an output to another step (directly or through
``.as_input()``) makes that step depend on the producer.
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

    def __init__(self, name: str, datastore: Any = None, is_directory: bool = True) -> None:
        if not name:
            raise ModelError("PipelineData needs a 'name'")
        super().__init__(name, datastore)
        self.is_directory = is_directory


class OutputFileDatasetConfig(OutputData):
    """A step output written as files to a datastore path (v1 ``OutputFileDatasetConfig``)."""

    def __init__(
        self,
        name: str | None = None,
        destination: Any = None,
        source: str | list[str] | None = None,
    ) -> None:
        super().__init__(name)
        self.destination = destination
        #: Files (globs, relative to the step's working folder) copied into the output
        #: when the step succeeds, as v1 copies ``source`` from the compute target.
        self.source = source


class StepInput:
    """An output of one step bound as an input of another (v1 ``InputPortBinding``)."""

    def __init__(self, data: OutputData, name: str | None = None, mode: str = "mount") -> None:
        if not isinstance(data, OutputData):
            raise ModelError(
                f"an input must be a PipelineData or OutputFileDatasetConfig, got {data!r}"
            )
        self.data = data
        self._name = name
        self.mode = mode
        #: With ``as_download``: where in the step's working folder the files are placed.
        self.path_on_compute: str | None = None

    @property
    def name(self) -> str | None:
        """The input's name inside the consuming step (defaults to the output's name)."""
        return self._name or self.data.name

    def as_mount(self) -> StepInput:
        """Read the input in place (the default)."""
        self.mode = "mount"
        return self

    def as_download(self, path_on_compute: str | None = None) -> StepInput:
        """Copy the input next to the step before it starts."""
        self.mode = "download"
        self.path_on_compute = path_on_compute
        return self

    def __repr__(self) -> str:
        return f"StepInput({self.data!r}, name={self.name!r})"


InputPortBinding = StepInput
