"""ParallelRunStep and DataTransferStep in pipeline files: their own keys, written and read.

A ``parallel_run`` step keeps the generic keys (``source_directory``, ``inputs``, ``outputs``,
``arguments``, ``compute_target``, ``environment``, ``environment_variables``,
``allow_reuse``), names its whole-read inputs in ``side_inputs`` (the others are cut into
mini-batches) and holds the rest of v1's ``ParallelRunConfig`` under
``parallel_run_config`` (``entry_script``, ``mini_batch_size``, ``error_threshold``, ...);
a value may be ``${{parameters.NAME}}``. A ``data_transfer`` step has one input (the
source), a ``destination`` (``{datastore, path}`` or ``{parameter}``; none when the copy is
the step's output), ``source_reference_type`` / ``destination_reference_type`` and, as
``compute_target``, v1's Data Factory name (recorded, ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .data import DataReference, InputBinding, OutputData
from .data_transfer import DataTransferStep
from .parallel_run import ParallelRunStep
from .parallel_run_config import ParallelRunConfig
from .parameters import PipelineParameter

#: ParallelRunConfig fields written under ``parallel_run_config``, in this order.
CONFIG_KEYS = (
    "entry_script",
    "mini_batch_size",
    "partition_keys",
    "error_threshold",
    "allowed_failed_count",
    "allowed_failed_percent",
    "output_action",
    "append_row_file_name",
    "node_count",
    "process_count_per_node",
    "run_invocation_timeout",
    "run_max_try",
    "logging_level",
    "description",
)
#: Keys only these step types use (other types are told to remove them).
PARALLEL_RUN_KEYS = frozenset({"parallel_run_config", "side_inputs"})
DATA_TRANSFER_KEYS = frozenset(
    {"destination", "source_reference_type", "destination_reference_type"}
)


def _written(value: Any) -> Any:
    return f"${{{{parameters.{value.name}}}}}" if isinstance(value, PipelineParameter) else value


def parallel_run_document(step: ParallelRunStep) -> dict[str, Any]:
    """The keys of a parallel_run step beyond the generic ones."""
    config = step.parallel_run_config
    values = {"entry_script": step.entry_script}
    for key in CONFIG_KEYS[1:]:
        value = getattr(config, key)
        if value is not None:
            values[key] = _written(value)
    doc: dict[str, Any] = {"parallel_run_config": values}
    if step.side_inputs:
        doc["side_inputs"] = [b.name for b in step.side_inputs]
    return doc


def data_transfer_document(step: DataTransferStep) -> dict[str, Any]:
    """The keys of a data_transfer step beyond the generic ones."""
    doc: dict[str, Any] = {}
    reference = step.destination
    if reference is not None:
        path = reference.path_on_datastore
        doc["destination"] = (
            {"parameter": path.name}
            if isinstance(path, PipelineParameter)
            else {"datastore": reference.datastore_name, "path": str(path or "")}
        )
    for key in ("source_reference_type", "destination_reference_type"):
        if getattr(step, key):
            doc[key] = getattr(step, key)
    if step.data_factory:
        doc["compute_target"] = str(step.data_factory)
    return doc


def read_parallel_run(
    name: str,
    spec: dict[str, Any],
    inputs: dict[str, InputBinding],
    outputs: list[OutputData],
    arguments: list[Any],
    value: Callable[[Any, str], Any],
    common: dict[str, Any],
) -> ParallelRunStep:
    """A ParallelRunStep from its document; ``value(v, field)`` turns a placeholder into
    its parameter."""
    raw = spec["parallel_run_config"]
    values = {k: value(v, f"parallel_run_config.{k}") for k, v in raw.items()}
    runconfig = common.get("runconfig")
    config = ParallelRunConfig(
        environment=getattr(runconfig, "environment", None),
        entry_script=values.pop("entry_script"),
        error_threshold=values.pop("error_threshold", -1),
        output_action=values.pop("output_action", "append_row"),
        compute_target=common.get("compute_target"),
        node_count=values.pop("node_count", 1),
        source_directory=common.get("source_directory", "."),
        environment_variables=common.get("environment_variables"),
        **values,
    )
    sides = list(spec.get("side_inputs", []))
    step = ParallelRunStep(
        name,
        config,
        [b for n, b in inputs.items() if n not in sides],
        output=outputs[0] if outputs else None,
        side_inputs=[inputs[n] for n in sides if n in inputs],
        arguments=arguments,
        allow_reuse=common.get("allow_reuse", True),
    )
    step.base_dir = common["base_dir"]
    return step


def read_data_transfer(
    name: str,
    spec: dict[str, Any],
    inputs: dict[str, InputBinding],
    outputs: list[OutputData],
    parameter: Callable[[str], Any],
    common: dict[str, Any],
) -> DataTransferStep:
    """A DataTransferStep from its document; ``parameter(name)`` gives a pipeline parameter."""
    where = spec.get("destination")
    destination: Any
    if where is None:
        destination = outputs[0] if outputs else None
    elif "parameter" in where:
        destination = DataReference(None, "destination", parameter(where["parameter"]))
    else:
        destination = DataReference(where["datastore"], "destination", where.get("path", ""))
    return DataTransferStep(
        name,
        source_data_reference=next(iter(inputs.values()), None),
        destination_data_reference=destination,
        compute_target=spec.get("compute_target"),
        source_reference_type=spec.get("source_reference_type"),
        destination_reference_type=spec.get("destination_reference_type"),
        allow_reuse=common.get("allow_reuse", True),
        output=outputs[0] if outputs and where is not None else None,
    )
