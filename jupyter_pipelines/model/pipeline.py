"""The pipeline: a set of steps and the DAG their data and ordering imply (v1 ``Pipeline``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import networkx as nx

from ..errors import ModelError, PipelineValidationError
from .parameters import PipelineParameter
from .steps import PipelineStep, StepSequence, flatten_steps
from .validation import ValidationIssue, validate_pipeline


class Pipeline:
    """Steps plus the graph their inputs, outputs and ``run_after`` imply.

    Steps that produce an input of a listed step, or that a listed step must run
    after, are pulled in even when they are not listed, as in v1.
    """

    def __init__(
        self,
        workspace: Any = None,
        steps: Iterable[Any] | PipelineStep | StepSequence = (),
        description: str | None = None,
        default_source_directory: str | None = None,
        resolve_closure: bool = True,
        default_datastore: Any = None,
        name: str | None = None,
        parameters: Iterable[PipelineParameter] = (),
        layout: dict[str, Any] | None = None,
    ) -> None:
        self.workspace = workspace
        self.description = description or ""
        self.name = name
        self.default_datastore = default_datastore
        self.default_source_directory = default_source_directory
        listed = flatten_steps(steps)
        if not listed:
            raise ModelError("a pipeline needs at least one step")
        self._steps = _with_upstream(listed) if resolve_closure else listed
        self._declared = list(parameters)
        #: Editor layout (node positions, viewport); kept apart from the semantics.
        self.layout: dict[str, Any] = dict(layout or {})
        self.source_path: str | None = None

    @property
    def steps(self) -> list[PipelineStep]:
        """All steps of the pipeline, in the order they were given (upstream ones first)."""
        return list(self._steps)

    def step(self, name: str) -> PipelineStep:
        """The step named ``name``."""
        from ..errors import did_you_mean

        for s in self._steps:
            if s.name == name:
                return s
        names = [s.name for s in self._steps]
        raise ModelError(f"pipeline has no step {name!r}{did_you_mean(name, names)}")

    @property
    def graph(self) -> nx.DiGraph:
        """The DAG of step names; an edge means the target step waits for the source."""
        graph = nx.DiGraph()
        for step in self._steps:
            graph.add_node(step.name, step=step)
        # Steps outside the pipeline are left out: validation reports them, and the graph
        # (and so the topological order) must name only steps that will run.
        members = {id(s) for s in self._steps}
        for step in self._steps:
            upstream = [b.producer for b in step.inputs] + step.run_after_steps
            for before in upstream:
                if before is not None and id(before) in members:
                    graph.add_edge(before.name, step.name)
        return graph

    def _parameter_definitions(self) -> dict[str, list[PipelineParameter]]:
        found: dict[str, list[PipelineParameter]] = {}
        for p in self._declared:
            found.setdefault(p.name, []).append(p)
        for step in self._steps:
            in_inputs = [
                getattr(b, "dataset", None) or getattr(b, "path_on_datastore", None)
                for b in step.inputs
            ]
            for value in [*step.arguments, *step.params.values(), *in_inputs]:
                if isinstance(value, PipelineParameter):
                    same = found.setdefault(value.name, [])
                    if all(value is not p for p in same):
                        same.append(value)
        return found

    @property
    def parameters(self) -> dict[str, PipelineParameter]:
        """The pipeline's parameters by name (declared ones and those used by steps)."""
        return {name: defs[0] for name, defs in self._parameter_definitions().items()}

    def validate(self) -> list[ValidationIssue]:
        """Every problem of the pipeline, as (severity, step, field, message) issues."""
        return validate_pipeline(self)

    def raise_if_invalid(self) -> None:
        """Raise PipelineValidationError listing every error, if there is any."""
        errors = [i for i in self.validate() if i.severity == "error"]
        if errors:
            raise PipelineValidationError(errors, source=self.source_path)

    def topological_order(self) -> list[str]:
        """Step names so that every step comes after those it waits for."""
        return list(nx.topological_sort(self.graph))

    # -- files -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the pipeline to a ``NAME.pipeline.yaml`` file."""
        from .fileformat import save_pipeline

        save_pipeline(self, path)

    @staticmethod
    def load(path: str | os.PathLike[str], workspace: Any = None) -> Pipeline:
        """Read a ``.pipeline.yaml`` (or Elyra ``.pipeline``) file."""
        from .fileformat import load_pipeline

        pipeline = load_pipeline(path)
        pipeline.workspace = workspace
        return pipeline

    @classmethod
    def from_notebook(
        cls, path: str | os.PathLike[str], workspace: Any = None, name: str | None = None
    ) -> Pipeline:
        """The pipeline of a notebook's step cells (tagged ``step:NAME`` or ``%%step NAME``).

        Each cell becomes a NotebookStep whose notebook is written to
        ``<notebook folder>/.pipeline_cells/<name>/<STEP>/step.ipynb``; see docs/notebooks.md.
        """
        from .notebook_cells import pipeline_from_notebook

        return pipeline_from_notebook(path, workspace=workspace, name=name)

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self._steps]!r})"


def _with_upstream(listed: list[PipelineStep]) -> list[PipelineStep]:
    """Add the producers and ``run_after`` targets of listed steps, transitively."""
    seen = {id(s) for s in listed}
    pulled: list[PipelineStep] = []
    stack = list(listed)
    while stack:
        step = stack.pop()
        for up in [b.producer for b in step.inputs] + step.run_after_steps:
            if up is not None and id(up) not in seen:
                seen.add(id(up))
                pulled.append(up)
                stack.append(up)
    return list(reversed(pulled)) + listed
