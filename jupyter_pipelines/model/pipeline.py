"""The pipeline: a set of steps and the DAG their data and ordering imply (v1 ``Pipeline``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, ClassVar

import networkx as nx

from ..compat import cloud_only, warn_cloud_only
from ..errors import ModelError, PipelineValidationError, did_you_mean
from .cell_steps import notebook_cell_parts
from .file_reader import read_pipeline_file
from .file_writer import write_pipeline_file
from .parameters import PipelineParameter
from .parts import PipelineParts, parameter_definitions
from .steps import PipelineStep, StepSequence, flatten_steps
from .v1_yaml import read_v1_yaml
from .validation import ValidationIssue, validate_pipeline

#: v1's keyword arguments that mean nothing here: accepted, and the first warns.
_CLOUD_KWARGS = {
    "enable_email_notification": "there is no Azure ML service to send e-mail",
}
#: v1's private keyword arguments (its own callers pass them): accepted silently.
_PRIVATE_KWARGS = ("_workflow_provider", "_service_endpoint")


class Pipeline:
    """Steps plus the graph their inputs, outputs and ``run_after`` imply.

    Steps that produce an input of a listed step, or that a listed step must run
    after, are pulled in even when they are not listed (``resolve_closure``), as in v1.
    ``default_source_directory`` is the source directory of every step created without
    one (a script or notebook path given to such a step is relative to it), as in v1.
    ``name``, ``parameters`` (declared even when no step uses them) and ``layout`` (the
    editor's node positions) are ours.

    Users get ``jupyter_pipelines.Pipeline``, the engine's subclass that adds ``submit``
    (engine/pipeline.py). Once it is imported, every pipeline this class builds (its
    constructor, ``load``, ``load_yaml``, ``from_notebook``, the file readers) is one.
    """

    #: The class users get; set by engine/pipeline.py (the model cannot import the engine).
    _public_class: ClassVar[type[Pipeline] | None] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Pipeline:
        if cls is Pipeline and Pipeline._public_class is not None:
            cls = Pipeline._public_class
        return super().__new__(cls)

    def __init__(
        self,
        workspace: Any = None,
        steps: Iterable[Any] | PipelineStep | StepSequence = (),
        description: str | None = None,
        default_datastore: Any = None,
        default_source_directory: str | os.PathLike[str] | None = None,
        resolve_closure: bool = True,
        *,
        name: str | None = None,
        parameters: Iterable[PipelineParameter] = (),
        layout: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._service_endpoint: str | None = kwargs.get("_service_endpoint")
        _check_kwargs(kwargs)
        self.workspace = workspace
        self.description = description or ""
        self.name = name
        self.default_datastore = default_datastore
        self.default_source_directory = (
            os.fspath(default_source_directory) if default_source_directory is not None else None
        )
        listed = flatten_steps(steps)
        if not listed:
            raise ModelError("a pipeline needs at least one step")
        self._steps = _with_upstream(listed) if resolve_closure else listed
        if self.default_source_directory is not None:
            for step in self._steps:
                step._apply_default_source_directory(self.default_source_directory)
        self._declared = list(parameters)
        #: Editor layout (node positions, viewport); kept apart from the semantics.
        self.layout: dict[str, Any] = dict(layout or {})
        #: The file the pipeline was loaded from or last saved to.
        self.source_path: str | None = None

    @classmethod
    def from_parts(cls, parts: PipelineParts, workspace: Any = None) -> Pipeline:
        """The Pipeline of ``parts`` read from a file or a notebook (every step is listed)."""
        pipeline = cls(
            workspace,
            parts.steps,
            parts.description,
            resolve_closure=False,
            name=parts.name,
            parameters=parts.parameters,
            layout=parts.layout,
        )
        pipeline.source_path = parts.source_path
        return pipeline

    @property
    def steps(self) -> list[PipelineStep]:
        """All steps of the pipeline, in the order they were given (upstream ones first)."""
        return list(self._steps)

    def step(self, name: str) -> PipelineStep:
        """The step named ``name``."""
        for s in self._steps:
            if s.name == name:
                return s
        names = [s.name for s in self._steps]
        raise ModelError(f"pipeline has no step {name!r}{did_you_mean(name, names)}")

    @property
    def graph(self) -> nx.DiGraph:
        """The DAG of step names; an edge means the target step waits for the source.

        v1 returns its service's graph object; here it is a networkx DiGraph whose nodes
        are step names (each node's ``step`` attribute is the step).
        """
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

    def parameter_definitions(self) -> dict[str, list[PipelineParameter]]:
        """Every PipelineParameter object of the pipeline by name (more than one: a conflict)."""
        return parameter_definitions(self._steps, self._declared)

    @property
    def parameters(self) -> dict[str, PipelineParameter]:
        """The pipeline's parameters by name (declared ones and those used by steps)."""
        return {name: defs[0] for name, defs in self.parameter_definitions().items()}

    def validate(self) -> list[ValidationIssue]:
        """Every problem of the pipeline, as (severity, step, field, message) issues.

        An empty list means it can be submitted (the workspace checks compute targets,
        datasets and datastores at submit).
        """
        return validate_pipeline(self)

    def raise_if_invalid(self) -> None:
        """Raise PipelineValidationError listing every error, if there is any."""
        errors = [i for i in self.validate() if i.severity == "error"]
        if errors:
            raise PipelineValidationError(errors, source=self.source_path)

    def topological_order(self) -> list[str]:
        """Step names so that every step comes after those it waits for."""
        return list(nx.topological_sort(self.graph))

    @cloud_only("pipelines run on this machine, without an Azure ML service endpoint")
    def service_endpoint(self) -> str | None:
        """v1's service endpoint: the one given to the constructor, else None."""
        return self._service_endpoint

    # -- files -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the pipeline to a ``NAME.pipeline.yaml`` file."""
        write_pipeline_file(self, path)

    @staticmethod
    def load(path: str | os.PathLike[str], workspace: Any = None) -> Pipeline:
        """Read a ``.pipeline.yaml`` (or Elyra ``.pipeline``) file."""
        return Pipeline.from_parts(read_pipeline_file(path), workspace=workspace)

    @staticmethod
    def load_yaml(
        workspace: Any,
        filename: str | os.PathLike[str],
        _workflow_provider: Any = None,
        _service_endpoint: str | None = None,
    ) -> Pipeline:
        """Read a v1 pipeline YAML file (a ``pipeline:`` section of ``PythonScriptStep`` steps).

        docs/pipeline-file.md says what is read. Module, parallel-run, data transfer,
        Databricks, ADLA and Azure Batch steps need the Azure ML service: they are refused
        with an error that names our own pipeline file format.
        """
        pipeline = Pipeline.from_parts(read_v1_yaml(filename), workspace=workspace)
        pipeline._service_endpoint = _service_endpoint
        return pipeline

    @classmethod
    def from_notebook(
        cls, path: str | os.PathLike[str], workspace: Any = None, name: str | None = None
    ) -> Pipeline:
        """The pipeline of a notebook's step cells (tagged ``step:NAME`` or ``%%step NAME``).

        Each cell becomes a NotebookStep whose notebook is written to
        ``<notebook folder>/.pipeline_cells/<name>/<STEP>/step.ipynb``; see docs/notebooks.md.
        """
        return cls.from_parts(notebook_cell_parts(path, name), workspace=workspace)

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self._steps]!r})"


def _check_kwargs(kwargs: dict[str, Any]) -> None:
    """Accept v1's own keyword arguments; refuse others, naming the one meant."""
    for key in kwargs:
        if key in _CLOUD_KWARGS:
            warn_cloud_only(f"Pipeline({key}=...)", _CLOUD_KWARGS[key])
        elif key not in _PRIVATE_KWARGS:
            known = ["name", "parameters", "layout", *_CLOUD_KWARGS]
            raise ModelError(
                f"Pipeline got an unexpected keyword argument {key!r}{did_you_mean(key, known)}"
            )


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
