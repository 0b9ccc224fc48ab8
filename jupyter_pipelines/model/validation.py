"""Pipeline validation: every problem of a pipeline found at once, as structured issues."""

from __future__ import annotations

import glob
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import networkx as nx

from ..errors import did_you_mean
from .data import DataPath, InputBinding, OutputData, StepInput
from .parameters import PipelineParameter
from .parts import PipelineShape
from .step_paths import entry_field, path_problems
from .steps import CommandStep, PipelineStep

#: ``${{inputs.x}}``, ``${{outputs.x}}``, ``${{parameters.x}}`` in commands and arguments.
PLACEHOLDER = re.compile(r"\$\{\{\s*(inputs|outputs|parameters)\.([^}\s]+)\s*\}\}")


@dataclass(frozen=True)
class ValidationIssue:
    """One problem of a pipeline: how bad, which step and field, and what to do."""

    severity: str  # "error" or "warning"
    step: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.step is not None:
            where.append(f"step {self.step!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{self.severity}: {prefix}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the CLI and the REST API."""
        return asdict(self)


def validate_pipeline(
    pipeline: PipelineShape, *, root: str | os.PathLike[str] | None = None
) -> list[ValidationIssue]:
    """Return every problem of ``pipeline``; an empty list means it can be submitted.

    ``root``: the folder every step's source directory must lie in (the server's root for
    a pipeline that came over REST); None (the SDK, the CLI) allows any folder."""
    issues: list[ValidationIssue] = []
    steps = pipeline.steps
    issues += _duplicate_names(steps)
    issues += _cycles(pipeline.graph)
    issues += _parameter_conflicts(pipeline)
    # Computed once, not per step: both are O(steps) to build.
    members = {id(s) for s in steps}
    parameter_names = set(pipeline.parameters)
    for step in steps:
        missing = _files(step, root)
        issues += missing or _hash_paths(step)
        issues += _step_data(step, members)
        issues += _placeholders(step, parameter_names)
    return issues


def _error(step: str | None, field: str | None, message: str) -> ValidationIssue:
    return ValidationIssue("error", step, field, message)


def _duplicate_names(steps: list[PipelineStep]) -> list[ValidationIssue]:
    counts = Counter(s.name for s in steps)
    return [
        _error(name, "name", f"{n} steps are named {name!r}; give each step a unique name=")
        for name, n in counts.items()
        if n > 1
    ]


def _cycles(graph: nx.DiGraph) -> list[ValidationIssue]:
    if nx.is_directed_acyclic_graph(graph):
        return []
    issues = []
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1 and not graph.has_edge(*(2 * tuple(component))):
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        path = " -> ".join([str(u) for u, _ in cycle] + [str(cycle[0][0])])
        first = sorted(component)[0]
        issues.append(
            _error(first, "inputs", f"steps form a cycle: {path}; a step cannot depend on itself")
        )
    return issues


def _parameter_conflicts(pipeline: PipelineShape) -> list[ValidationIssue]:
    issues = []
    for name, params in pipeline.parameter_definitions().items():
        kinds = {(p.type_name, repr(p.default_value)) for p in params}
        if len(kinds) > 1:
            found = ", ".join(sorted(f"{t} {d}" for t, d in kinds))
            issues.append(
                _error(
                    None,
                    f"parameters.{name}",
                    f"parameter {name!r} is defined more than once with different "
                    f"defaults or types ({found}); use one PipelineParameter object",
                )
            )
    return issues


def _hash_paths(step: PipelineStep) -> list[ValidationIssue]:
    """A ``hash_paths`` entry that matches nothing would make code edits invisible to reuse."""
    source = step.source_path
    if not step.hash_paths or not source.is_dir():
        return []
    issues = []
    for i, entry in enumerate(step.hash_paths):
        pattern = str(source / entry.strip().removeprefix("./"))
        if not glob.glob(pattern, recursive=True):
            issues.append(
                ValidationIssue(
                    "warning",
                    step.name,
                    f"hash_paths[{i}]",
                    f"{entry!r} matches no file in {str(source)!r}, so changes to it cannot "
                    "cause a rerun; check the path (relative to source_directory)",
                )
            )
    return issues


def _files(step: PipelineStep, root: str | os.PathLike[str] | None) -> list[ValidationIssue]:
    # The rule first: nothing is said about a folder outside the root, not even whether
    # it exists.
    confined = [_error(step.name, p.field, p.message) for p in path_problems(step, root)]
    if confined:
        return confined
    source = step.source_path
    if not source.is_dir():
        return [
            _error(
                step.name, "source_directory", f"source directory {str(source)!r} does not exist"
            )
        ]
    fname = entry_field(step)
    if fname is None:
        return []
    entry = Path(step.entry)
    if not (source / entry).is_file():
        siblings = [p.name for p in source.iterdir() if p.is_file()][:200]
        hint = did_you_mean(entry.name, siblings)
        return [_error(step.name, fname, f"file {step.entry!r} not found in {str(source)!r}{hint}")]
    return []


def _escapes(path: str) -> bool:
    """Whether ``path`` is absolute or climbs out of the folder it is relative to."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return PurePosixPath(path).is_absolute() or ".." in parts


def _relative_paths(step: PipelineStep) -> list[ValidationIssue]:
    """``path_on_compute`` of downloads and output ``source`` must stay inside the step's
    working folder (a mounted input is read in place: its ``path_on_compute`` is v1's mount
    point, such as the batch-scoring tutorial's ``/tmp/<uuid>``, and is not used)."""
    issues = []
    for b in step.inputs:
        if b.path_on_compute and b.mode == "download" and _escapes(b.path_on_compute):
            issues.append(
                _error(
                    step.name,
                    f"inputs.{b.name}.path_on_compute",
                    f"path_on_compute {b.path_on_compute!r} must be a relative "
                    "path inside the step's working folder (no '..')",
                )
            )
    for o in step.outputs:
        sources = getattr(o, "source", None) or []
        for src in [sources] if isinstance(sources, str) else sources:
            if _escapes(src):
                issues.append(
                    _error(
                        step.name,
                        f"outputs.{o.name}.source",
                        f"source {src!r} must be a relative path inside the "
                        "step's working folder (no '..')",
                    )
                )
    return issues


def _step_data(step: PipelineStep, members: set[int]) -> list[ValidationIssue]:
    """Problems of a step's inputs, outputs and arguments; ``members``: ids of the steps."""
    issues = _relative_paths(step)
    in_names = Counter(b.name for b in step.inputs)
    out_names = Counter(o.name for o in step.outputs)
    for name, n in in_names.items():
        if n > 1:
            issues.append(
                _error(
                    step.name,
                    f"inputs.{name}",
                    f"input name {name!r} is used {n} times; "
                    "rename one with .as_input('another_name')",
                )
            )
    for name, n in out_names.items():
        if n > 1:
            issues.append(
                _error(step.name, f"outputs.{name}", f"output name {name!r} is used {n} times")
            )
    for binding in step.inputs:
        if not isinstance(binding, StepInput):
            continue  # datasets and datastore paths are checked against the workspace
        producer = binding.data.producer
        if producer is None:
            issues.append(
                _error(
                    step.name,
                    f"inputs.{binding.name}",
                    f"input {binding.name!r} is not produced by any step; "
                    "list it in another step's outputs",
                )
            )
        elif id(producer) not in members:
            issues.append(
                _error(
                    step.name,
                    f"inputs.{binding.name}",
                    f"input {binding.name!r} is produced by step "
                    f"{producer.name!r}, which is not in the pipeline",
                )
            )
    for before in step.run_after_steps:
        if id(before) not in members:
            issues.append(
                _error(
                    step.name,
                    "run_after",
                    f"step {step.name!r} runs after step {before.name!r}, "
                    "which is not in the pipeline",
                )
            )
    for i, arg in enumerate(step.arguments):
        allowed = (
            str | int | float | bool | PipelineParameter | OutputData | InputBinding | DataPath
        )
        if not isinstance(arg, allowed):
            issues.append(
                _error(
                    step.name,
                    f"arguments[{i}]",
                    f"argument {arg!r} of type {type(arg).__name__!r} is not "
                    "supported; use a string, number, parameter or data object",
                )
            )
    for key, value in step.params.items():
        bad = _not_json(value)
        if bad is not None:
            issues.append(
                _error(
                    step.name,
                    f"params.{key}",
                    f"value {bad!r} of type {type(bad).__name__!r} cannot be passed to a "
                    "step; use strings, numbers, booleans, lists and dicts of them, "
                    "parameters or data objects",
                )
            )
    return issues


def _not_json(value: object) -> object | None:
    """The first part of ``value`` that cannot be written as JSON, or None."""
    if value is None or isinstance(
        value, str | int | float | bool | PipelineParameter | OutputData | InputBinding | DataPath
    ):
        return None
    if isinstance(value, list | tuple):
        return next((bad for v in value if (bad := _not_json(v)) is not None), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return value
        return next((bad for v in value.values() if (bad := _not_json(v)) is not None), None)
    return value


def _placeholders(step: PipelineStep, parameter_names: set[str]) -> list[ValidationIssue]:
    texts: list[tuple[str, str]] = [
        (f"arguments[{i}]", a) for i, a in enumerate(step.arguments) if isinstance(a, str)
    ]
    if isinstance(step, CommandStep) and step.command is not None:
        texts.append(("command", step.command))
    texts += [(f"params.{k}", v) for k, v in step.params.items() if isinstance(v, str)]
    known: dict[str, set[str | None]] = {
        "inputs": {b.name for b in step.inputs},
        "outputs": {o.name for o in step.outputs},
        "parameters": set(parameter_names),
    }
    issues = []
    for field, text in texts:
        for match in PLACEHOLDER.finditer(text):
            group, name = match.group(1), match.group(2)
            if name not in known[group]:
                choices = {n for n in known[group] if n}
                have = ", ".join(sorted(choices)) or "none"
                issues.append(
                    _error(
                        step.name,
                        field,
                        f"{match.group(0)} refers to unknown {group[:-1]} "
                        f"{name!r}{did_you_mean(name, choices)}; known: {have}",
                    )
                )
    return issues
