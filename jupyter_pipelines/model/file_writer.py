"""Writing pipeline files: a pipeline to a ``NAME.pipeline.yaml`` document and to disk.

References between steps and to parameters are written as ``${{inputs.NAME}}``,
``${{outputs.NAME}}`` and ``${{parameters.NAME}}``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .data import (
    DataPath,
    DataReference,
    DatasetConsumptionConfig,
    DatasetRef,
    InputBinding,
    OutputData,
    OutputFileDatasetConfig,
    PipelineData,
    StepInput,
    is_dataset,
)
from .data_transfer import DataTransferStep
from .file_schema import FORMAT_VERSION, dump_document
from .file_steps import data_transfer_document, parallel_run_document
from .parallel_run import ParallelRunStep
from .parameters import PipelineParameter
from .parts import PipelineShape
from .steps import CommandStep, NotebookStep, PipelineStep, PythonScriptStep


def pipeline_to_document(
    pipeline: PipelineShape, base_dir: str | os.PathLike[str]
) -> dict[str, Any]:
    """The document of ``pipeline``, with paths relative to ``base_dir``."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION}
    if pipeline.name:
        doc["name"] = pipeline.name
    if pipeline.description:
        doc["description"] = pipeline.description
    params = pipeline.parameters
    if params:
        doc["parameters"] = {n: _parameter_doc(p) for n, p in params.items()}
    doc["steps"] = {s.name: step_to_document(s, Path(base_dir)) for s in pipeline.steps}
    if pipeline.layout:
        doc["layout"] = pipeline.layout
    return doc


def _parameter_doc(p: PipelineParameter) -> dict[str, Any]:
    out: dict[str, Any] = {"type": p.type_name, "default": parameter_value_doc(p.default_value)}
    if p.description:
        out["description"] = p.description
    return out


def _ref(value: Any, step: PipelineStep) -> Any:
    """Write one argument or parameter value, replacing objects by placeholders."""
    if isinstance(value, PipelineParameter):
        return f"${{{{parameters.{value.name}}}}}"
    if isinstance(value, InputBinding):
        return f"${{{{inputs.{value.name}}}}}"
    if isinstance(value, DataPath):
        for binding in step.inputs:
            same = isinstance(binding, DataReference) and (
                binding.path_on_datastore == value.path_on_datastore
            )
            if same:
                return f"${{{{inputs.{binding.name}}}}}"
    if isinstance(value, OutputData):
        for binding in step.inputs:
            if isinstance(binding, StepInput) and binding.data is value:
                return f"${{{{inputs.{binding.name}}}}}"
        return f"${{{{outputs.{value.name}}}}}"
    return value


def step_to_document(step: PipelineStep, base_dir: Path) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": step.kind}
    if isinstance(step, PythonScriptStep):
        doc["script"] = step.script_name
    elif isinstance(step, NotebookStep):
        doc["notebook"] = step.notebook
    elif isinstance(step, CommandStep):
        doc["command"] = (
            step.command if step.command is not None else [_ref(a, step) for a in step.arguments]
        )
    source = os.path.relpath(step.source_path, base_dir.resolve())
    if source != "." and not isinstance(step, DataTransferStep):  # its folder is ours
        doc["source_directory"] = Path(source).as_posix()
    if step.arguments and not isinstance(step, CommandStep):
        doc["arguments"] = [_ref(a, step) for a in step.arguments]
    if step.params:
        key = "parameters" if isinstance(step, NotebookStep) else "params"
        doc[key] = {k: _ref(v, step) for k, v in step.params.items()}
    if step.inputs:
        doc["inputs"] = {b.name: _input_doc(b) for b in step.inputs}
    if step.outputs:
        doc["outputs"] = {o.name: _output_doc(o) for o in step.outputs}
    if step.run_after_steps:
        doc["run_after"] = [s.name for s in step.run_after_steps]
    _optional(doc, step)
    if isinstance(step, ParallelRunStep):
        doc.update(parallel_run_document(step))
    elif isinstance(step, DataTransferStep):
        doc.update(data_transfer_document(step))
    return doc


def _input_doc(binding: InputBinding) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(binding, StepInput):
        producer = binding.data.producer
        out = {"step": producer.name if producer else "", "output": binding.data.name}
        if binding.tabular:
            out["tabular"] = True
    elif isinstance(binding, DatasetConsumptionConfig):
        out = _dataset_doc(binding.dataset)
    elif isinstance(binding, DataReference):
        path = binding.path_on_datastore
        if isinstance(path, PipelineParameter):
            out = {"parameter": path.name}
        else:
            out = {"datastore": binding.datastore_name, "path": str(path or "")}
        if binding.overwrite:
            out["overwrite"] = True
    else:
        raise ModelError(f"cannot write input {binding!r} to a pipeline file")
    # A dataset input's mode is always written: its default ("direct") is not the
    # default of the other inputs ("mount"), so an omitted mode would load as another one.
    if binding.mode != "mount" or isinstance(binding, DatasetConsumptionConfig):
        out["mode"] = binding.mode
    if binding.path_on_compute:
        out["path_on_compute"] = binding.path_on_compute
    return out


def _dataset_doc(dataset: Any) -> dict[str, Any]:
    """A dataset input: a parameter, or a registered dataset by name and version."""
    if isinstance(dataset, PipelineParameter):
        return {"parameter": dataset.name}
    if isinstance(dataset, dict) and "kind" in dataset:
        return {"definition": dict(dataset)}  # an inline definition, as a file loads it
    name, version = getattr(dataset, "name", None), getattr(dataset, "version", None)
    if not name and hasattr(dataset, "to_definition"):
        return {"definition": dataset.to_definition()}  # not registered: written inline
    if not name:
        raise ModelError(
            f"dataset {dataset!r} is not registered, so a pipeline file cannot name it; "
            "register it first (dataset.register(ws, name))"
        )
    return {"dataset": name, "version": version if version is not None else "latest"}


def parameter_value_doc(value: Any) -> Any:
    """A parameter default as written in a file (datasets and DataPaths as mappings)."""
    if isinstance(value, DataPath):
        return {"datastore": value.datastore_name, "path": value.path_on_datastore}
    if is_dataset(value) or isinstance(value, DatasetRef):
        return _dataset_doc(value)
    return value


def _output_doc(data: OutputData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, OutputFileDatasetConfig):
        out["kind"] = "output_file_dataset"
    if data.mode != "mount":
        out["mode"] = data.mode
    if data.overwrite:
        out["overwrite"] = True
    source = getattr(data, "source", None)
    if source:
        out["source"] = source
    destination = getattr(data, "destination", None) or (
        data.datastore if isinstance(data, PipelineData) else None
    )
    if destination is not None:
        store, path = destination if isinstance(destination, tuple) else (destination, None)
        doc = {"datastore": store if isinstance(store, str) else store.name}
        if path:
            doc["path"] = path
        out["destination"] = doc
    if isinstance(data, OutputFileDatasetConfig):
        if data.registration:
            out["register"] = dict(data.registration)
        if data.tabular:
            out["tabular"] = dict(data.tabular)
    return out


def _optional(doc: dict[str, Any], step: PipelineStep) -> None:
    if step.compute_target:
        doc["compute_target"] = step.compute_target
    environment = getattr(step.runconfig, "environment", None)
    if environment is not None and hasattr(environment, "to_dict"):
        doc["environment"] = environment.to_dict()
    if not step.allow_reuse:
        doc["allow_reuse"] = False
    if step.hash_paths:
        doc["hash_paths"] = list(step.hash_paths)
    if step.timeout is not None:
        doc["timeout"] = step.timeout
    if step.resources:
        doc["resources"] = dict(step.resources)
    if step.environment_variables:
        doc["environment_variables"] = dict(step.environment_variables)
    if isinstance(step, NotebookStep):
        if step.kernel_name:
            doc["kernel_name"] = step.kernel_name
        if step.output_notebook is not None:
            doc["output_notebook"] = step.output_notebook.name
        if step.executed_notebook is not None:
            doc["executed_notebook"] = step.executed_notebook
        if step.cell_timeout is not None:
            doc["cell_timeout"] = step.cell_timeout
        if step.log_output:
            doc["log_output"] = True


def write_pipeline_file(pipeline: PipelineShape, path: str | os.PathLike[str]) -> None:
    """Write ``pipeline`` to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    text = dump_document(pipeline_to_document(pipeline, target.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    pipeline.source_path = str(target)
