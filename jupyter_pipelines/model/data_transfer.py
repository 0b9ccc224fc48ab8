"""``DataTransferStep``: copy a file or folder from one datastore to another (v1 names).

v1 runs the copy on Azure Data Factory; here it runs on this machine as an ordinary step
(``python -m jupyter_pipelines.engine.data_transfer``), streaming each file and skipping the
files whose content is already at the destination. See docs/batch-scoring.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..compat import warn_cloud_only
from ..errors import ModelError
from .data import DataPath, DataReference, InputBinding, OutputData, PipelineData, as_binding
from .parameters import PipelineParameter
from .steps import PipelineStep

REFERENCE_TYPES = ("file", "directory")
#: The output's name when the destination is a datastore path (v1's port name).
OUTPUT_NAME = "_data_transfer_output"
#: The step's code folder: it runs the package's own copier, so its snapshot holds only a
#: note (the user's folder is neither snapshotted nor copied for it).
CODE_FOLDER = Path(__file__).parent / "transfer_code"


def _reference_type(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in REFERENCE_TYPES:
        raise ModelError(
            f"{field} must be one of {', '.join(REFERENCE_TYPES)} (or None), got {value!r}"
        )
    return value.lower()


def _destination(step: str, value: Any) -> tuple[DataReference | None, OutputData | None]:
    """The destination as a datastore path, or as an output of the step."""
    if isinstance(value, tuple) and len(value) == 2:
        value = as_binding(value)
    if isinstance(value, DataPath):
        value = value.create_data_reference()
    if isinstance(value, DataReference):
        if value.datastore is None and not isinstance(value.path_on_datastore, PipelineParameter):
            raise ModelError(f"step {step!r}: destination_data_reference needs a datastore")
        return value, None
    data = getattr(value, "data", None) if isinstance(value, InputBinding) else value
    if isinstance(data, OutputData):
        return None, data
    raise ModelError(
        f"step {step!r}: destination_data_reference must be a DataReference, a DataPath or a "
        f"PipelineData, got {value!r}"
    )


class DataTransferStep(PipelineStep):
    """Copy data between datastores (v1 ``DataTransferStep``).

    ``source_data_reference``: a DataReference, DataPath, dataset input or another step's
    output; ``destination_data_reference``: a DataReference or DataPath (a place on a
    datastore), or a PipelineData (the copy is then this step's output). ``compute_target``
    (v1: a Data Factory) is recorded and ignored: copies run on this machine.
    ``get_output()`` is what later steps read; it holds the copied files. ``output`` (ours)
    gives that output object when the destination is a datastore path.
    """

    kind = "data_transfer"

    def __init__(
        self,
        name: str,
        source_data_reference: Any = None,
        destination_data_reference: Any = None,
        compute_target: Any = None,
        source_reference_type: str | None = None,
        destination_reference_type: str | None = None,
        allow_reuse: bool = True,
        *,
        output: OutputData | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError("DataTransferStep needs a 'name' (a string)")
        if source_data_reference is None:
            raise ModelError(f"step {name!r}: source_data_reference is required")
        if destination_data_reference is None:
            raise ModelError(f"step {name!r}: destination_data_reference is required")
        source = source_data_reference
        source = source.as_input() if isinstance(source, OutputData) else as_binding(source)
        destination, into = _destination(name, destination_data_reference)
        output = into or output  # ``output``: the object a pipeline file names (ours)
        if output is None:
            assert destination is not None
            output = PipelineData(OUTPUT_NAME, datastore=destination.datastore)
        self.source_reference_type = _reference_type("source_reference_type", source_reference_type)
        self.destination_reference_type = _reference_type(
            "destination_reference_type", destination_reference_type
        )
        #: v1's Data Factory target: kept for the record, the copy runs here.
        self.data_factory = getattr(compute_target, "name", compute_target)
        if compute_target is not None:
            warn_cloud_only(
                "DataTransferStep(compute_target=...)",
                "copies run on this machine, without Azure Data Factory",
            )
        self.destination = destination
        self._output = output
        super().__init__(
            name,
            source_directory=CODE_FOLDER,
            inputs=[source],
            outputs=[output],
            allow_reuse=allow_reuse,
        )

    @property
    def source(self) -> InputBinding:
        """The input copied."""
        return self.inputs[0]

    @property
    def entry(self) -> str:
        where = (
            f"{self.destination.datastore_name}/{self.destination.path_on_datastore}"
            if self.destination is not None and isinstance(self.destination.path_on_datastore, str)
            else str(self._output.name)
        )
        return f"copy {self.source.name} -> {where}"

    @property
    def parameter_values(self) -> list[PipelineParameter]:
        """A destination path given by a parameter (found by the pipeline)."""
        path = getattr(self.destination, "path_on_datastore", None)
        return [path] if isinstance(path, PipelineParameter) else []

    def get_output(self) -> OutputData:
        """The copied data, for later steps' inputs (v1: a PipelineData)."""
        return self._output
