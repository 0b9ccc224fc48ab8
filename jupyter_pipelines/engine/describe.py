"""What the front doors show of a pipeline before it runs: its summary and default experiment."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from ..model.data import DataReference, DatasetConsumptionConfig, InputBinding, StepInput
from ..model.pipeline import Pipeline
from ..model.validation import validate_pipeline


def default_experiment_name(pipeline: Pipeline, file: str | None = None) -> str:
    """The pipeline's name, else its file name up to the first dot, made a valid name."""
    source = file or pipeline.source_path
    stem = Path(source).name.split(".")[0] if source else ""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", pipeline.name or stem).strip("_.-")
    return name or "default"


def describe_input(binding: InputBinding) -> str:
    """Where an input comes from: ``step.output``, ``dataset:name`` or ``datastore:name/path``."""
    if isinstance(binding, StepInput):
        producer = binding.producer.name if binding.producer else "?"
        return f"{producer}.{binding.data.name}"
    if isinstance(binding, DatasetConsumptionConfig):
        dataset = binding.dataset
        return f"dataset:{getattr(dataset, 'name', None) or 'parameter'}"
    if isinstance(binding, DataReference):
        return f"datastore:{binding.datastore_name or 'parameter'}/{binding.path_on_datastore}"
    return repr(binding)


def describe_pipeline(
    pipeline: Pipeline,
    show_path: Callable[[str], str | None] = str,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Steps, data flow, parameters and run order of a pipeline, as a JSON-ready document;
    ``root``: the folder source directories must lie in (see ``validate_pipeline``)."""
    graph = pipeline.graph
    issues = validate_pipeline(pipeline, root=root)
    steps = [
        {
            "name": step.name,
            "type": step.kind,
            "entry": step.entry,
            "source_directory": show_path(str(step.source_path)),
            "depends_on": sorted(graph.predecessors(step.name)),
            "inputs": {b.name: describe_input(b) for b in step.inputs},
            "outputs": [o.name for o in step.outputs],
            "compute_target": step.compute_target or "local",
            "allow_reuse": step.allow_reuse,
        }
        for step in pipeline.steps
    ]
    return {
        "name": pipeline.name,
        "description": pipeline.description,
        "parameters": {
            n: {
                "type": p.type_name,
                "default": str(p.default_value)
                if p.type_name in ("dataset", "datapath")
                else p.default_value,
            }
            for n, p in pipeline.parameters.items()
        },
        "steps": steps,
        "order": pipeline.topological_order() if nx.is_directed_acyclic_graph(graph) else [],
        "issues": [i.to_dict() for i in issues],
    }
