"""Step data: what steps write (outputs) and read (inputs), as the v1 SDK names them.

- ``data_outputs.py``: ``PipelineData``, ``OutputDatasetConfig``, ``OutputFileDatasetConfig``,
  ``OutputTabularDatasetConfig``;
- ``data_inputs.py``: ``InputBinding``, ``InputPortBinding`` (``StepInput``), datasets
  (``DatasetConsumptionConfig``, ``DatasetRef``);
- ``data_paths.py``: ``DataReference``, ``DataPath``, ``DataPathComputeBinding``.

This module gathers them (every name is importable from here) and turns what v1 code puts
in a step's ``inputs`` into input bindings (``as_binding``). The objects only describe data:
the engine resolves datasets and datastores against a workspace.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .data_inputs import (
    INPUT_MODES,
    DatasetConsumptionConfig,
    DatasetRef,
    InputBinding,
    InputPortBinding,
    StepInput,
    is_dataset,
    is_step_output,
)
from .data_outputs import (
    OUTPUT_MODES,
    OutputData,
    OutputDatasetConfig,
    OutputFileDatasetConfig,
    OutputTabularDatasetConfig,
    PipelineData,
)
from .data_paths import (
    DataPath,
    DataPathComputeBinding,
    DataReference,
    DataReferenceConfiguration,
    _is_parameter,
)

__all__ = [
    "INPUT_MODES", "OUTPUT_MODES", "DataPath", "DataPathComputeBinding", "DataReference",
    "DataReferenceConfiguration", "DatasetConsumptionConfig", "DatasetRef", "InputBinding",
    "InputPortBinding", "OutputData", "OutputDatasetConfig", "OutputFileDatasetConfig",
    "OutputTabularDatasetConfig", "PipelineData", "StepInput", "as_binding", "is_dataset",
    "is_step_output",
]  # fmt: skip


def as_binding(item: Any) -> InputBinding:
    """Turn what v1 code puts in ``inputs`` into an input binding."""
    if isinstance(item, InputBinding):
        return item
    if isinstance(item, OutputData):
        return item.as_input() if isinstance(item, PipelineData) else InputPortBinding(None, item)
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
