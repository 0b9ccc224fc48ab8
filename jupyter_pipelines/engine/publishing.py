"""Published pipelines (v1 ``azureml.pipeline.core.PublishedPipeline``): a pipeline frozen with
the code of its steps, run again and again by id, from the SDK or its REST endpoint.

Make one with ``pipeline.publish(name, description, version)`` or
``pipeline_run.publish_pipeline(...)``; find it again with ``PublishedPipeline.get(ws, id)``
or ``PublishedPipeline.list(ws)``; run it with ``published.submit(ws, experiment_name,
pipeline_parameters)``, ``Experiment(ws, name).submit(published)`` or an HTTP POST to
``published.endpoint`` (a route of the Jupyter server serving the workspace; reading it
starts a background server when none serves it). See docs/publishing.md.
"""

from __future__ import annotations

import builtins
import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx

from ..errors import PublishingError
from ..model.pipeline import Pipeline
from ..stores.background import ensure_server, serving
from ..stores.published import ACTIVE, DISABLED, PublishedRecord
from ..stores.workspace import Workspace
from . import published_runs as pr
from .experiment import Experiment
from .runs import PipelineRun

log = logging.getLogger(__name__)

#: The REST routes v1 client code posts to, under the extension's API base
#: (v1: ``.../PipelineRuns/PipelineSubmit/{id}`` and ``.../PipelineEndpointSubmit/Id/{id}``).
PUBLISHED_SUBMIT_PATH = "PipelineRuns/PipelineSubmit/{pipeline_id}"
ENDPOINT_SUBMIT_PATH = "PipelineRuns/PipelineEndpointSubmit/Id/{endpoint_id}"
ENDPOINT_VERSION_SUBMIT_PATH = ENDPOINT_SUBMIT_PATH + "/{version}"


def rest_url(workspace: Workspace, path: str) -> str:
    """``path`` under the REST API of the server serving ``workspace`` (started in the
    background when none serves it)."""
    return f"{ensure_server(Path(workspace.root)).api}/{path}"


def local_url(workspace: Workspace, path: str, anchor: str) -> str:
    """``path`` on the server serving ``workspace`` when one runs (none is started), else the
    workspace folder as a ``file://`` URL with ``anchor``."""
    server = serving(Path(workspace.root))
    if server is not None:
        return f"{server.api}/{path}"
    return f"{Path(workspace.dir).resolve().as_uri()}#{anchor}"


class PublishedPipeline:
    """A pipeline published for later runs, with its steps' code frozen (v1
    ``PublishedPipeline``); its state lives in the workspace's database."""

    def __init__(
        self,
        name: str,
        graph_id: str,
        description: str,
        version: str | None,
        published_pipeline_id: str,
        status: str,
        endpoint: str | None,
        total_run_steps: int,
        workspace: Workspace,
        continue_on_step_failure: bool | None = None,
        _pipeline_provider: Any = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - {"enable_email_notification"}
        if unknown:
            raise PublishingError(
                f"parameter {sorted(unknown)[0]!r} is not recognized for PublishedPipeline"
            )
        self._name = name
        self._graph_id = graph_id
        self._description = description
        self._version = version
        self._published_pipeline_id = published_pipeline_id
        self._status = status
        self._endpoint = endpoint
        self._total_run_steps = total_run_steps
        self._continue_on_step_failure = continue_on_step_failure
        self.workspace = workspace

    @classmethod
    def _of(cls, workspace: Workspace, record: PublishedRecord) -> PublishedPipeline:
        return cls(
            record.name,
            record.graph_id,
            record.description,
            record.version,
            record.id,
            record.status,
            None,
            record.total_run_steps,
            workspace,
            record.continue_on_step_failure,
        )

    # -- what it is ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def id(self) -> str:
        return self._published_pipeline_id

    @property
    def graph_id(self) -> str:
        """A content id of what it runs: its document and the snapshots of its code (two
        publishes of the same pipeline and code share it)."""
        return self._graph_id

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def status(self) -> str:
        """``Active`` or ``Disabled`` (as last read or set by this object)."""
        return self._status

    @property
    def endpoint(self) -> str:
        """The REST URL to POST a run request to (v1's body; see docs/publishing.md): a route
        of the Jupyter server serving the workspace, started in the background if needed."""
        if self._endpoint:
            return self._endpoint
        return rest_url(self.workspace, PUBLISHED_SUBMIT_PATH.format(pipeline_id=self.id))

    @property
    def total_run_steps(self) -> int:
        return self._total_run_steps

    @property
    def continue_on_step_failure(self) -> bool | None:
        return self._continue_on_step_failure

    @property
    def portal_url(self) -> str:
        """The local "portal" of the workspace: the Jupyter server serving it, else its
        folder (``file://``)."""
        server = serving(Path(self.workspace.root))
        return server.url if server else Path(self.workspace.dir).resolve().as_uri()

    def get_portal_url(self) -> str:
        """Where to see this published pipeline: its REST resource on the server serving the
        workspace when one runs, else the workspace folder naming it."""
        return local_url(self.workspace, f"published/{quote(self.id)}", f"published={self.id}")

    # -- finding -------------------------------------------------------------------------
    @staticmethod
    def get(
        workspace: Workspace,
        id: str,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> PublishedPipeline:
        """The published pipeline with id ``id``."""
        return PublishedPipeline._of(workspace, pr.get_published(workspace, id))

    @staticmethod
    def list(
        workspace: Workspace, active_only: bool = True, _service_endpoint: Any = None
    ) -> builtins.list[PublishedPipeline]:
        """The workspace's published pipelines, oldest first (only Active ones by default)."""
        records = pr.store_of(workspace).all(active_only=active_only)
        return [PublishedPipeline._of(workspace, r) for r in records]

    @staticmethod
    def get_all(
        workspace: Workspace, active_only: bool = True, _service_endpoint: Any = None
    ) -> builtins.list[PublishedPipeline]:
        """(Deprecated in v1) ``PublishedPipeline.list``."""
        log.warning(
            "PublishedPipeline.get_all(workspace) is being deprecated. "
            "Use PublishedPipeline.list(workspace) instead."
        )
        return PublishedPipeline.list(workspace, active_only)

    # -- running -------------------------------------------------------------------------
    def submit(
        self,
        workspace: Workspace,
        experiment_name: str,
        pipeline_parameters: dict[str, Any] | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
        parent_run_id: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> PipelineRun:
        """Start a run in ``experiment_name`` (as ``Experiment.submit``); return it at once.

        ``pipeline_parameters`` override the parameters' defaults; ``continue_on_step_failure``
        (when given) the published setting; ``parent_run_id`` (a run of the experiment) is
        recorded as the run's ``azureml.parentRunId`` property.
        """
        run = self._start(
            workspace,
            experiment_name,
            pipeline_parameters,
            continue_on_step_failure,
            None,
            parent_run_id,
        )
        print("Submitted PipelineRun", run.id)
        print("Link to the run:", run.get_portal_url())
        return run

    def _start(
        self,
        workspace: Workspace,
        experiment_name: str,
        parameters: dict[str, Any] | None,
        continue_on_step_failure: bool | None,
        tags: dict[str, Any] | None,
        parent_run_id: str | None = None,
    ) -> PipelineRun:
        check_parent(workspace, parent_run_id, experiment_name)
        run_id = pr.run_published(
            workspace,
            self.id,
            experiment_name,
            pipeline_parameters=parameters,
            continue_on_step_failure=continue_on_step_failure,
            tags=tags,
        )
        return with_parent(
            PipelineRun(Experiment(workspace, experiment_name), run_id), parent_run_id
        )

    def _submit_to_experiment(
        self, experiment: Experiment, tags: dict[str, Any] | None, **kwargs: Any
    ) -> PipelineRun:
        """``Experiment(ws, name).submit(published, pipeline_parameters=...,
        continue_on_step_failure=..., parent_run_id=...)``."""
        parameters = _parameters_argument(kwargs)
        return self._start(
            experiment.workspace,
            experiment.name,
            parameters,
            kwargs.get("continue_on_step_failure"),
            tags,
            kwargs.get("parent_run_id"),
        )

    def enable(self) -> None:
        """Make the published pipeline Active: it can run again."""
        self._set_status(ACTIVE)

    def disable(self) -> None:
        """Make the published pipeline Disabled: submits and REST posts are refused (409)."""
        self._set_status(DISABLED)

    def _set_status(self, status: str) -> None:
        pr.store_of(self.workspace).set_status(self.id, status)
        self._status = status

    # -- what it runs --------------------------------------------------------------------
    def _pipeline(self) -> Pipeline:
        """The pipeline it runs, built from its frozen document."""
        return pr.pipeline_of(self.workspace, pr.get_published(self.workspace, self.id))

    def get_graph(self, _workflow_provider: Any = None) -> nx.DiGraph:
        """The graph of its pipeline: step names, an edge where a step waits for another."""
        return self._pipeline().graph

    def get_step_names(self, _workflow_provider: Any = None) -> builtins.list[str]:
        """The names of its steps, in pipeline order."""
        return [s.name for s in self._pipeline().steps]

    def save(self, path: str | None = None, _workflow_provider: Any = None) -> None:
        """Write its pipeline as a pipeline file at ``path`` (a folder gets ``<name>.yml``;
        default: the current folder); ``Pipeline.load`` reads it back. The file names the
        steps' source folders; the code frozen at publish stays with the published pipeline."""
        target = Path(path) if path else Path.cwd()
        if target.is_dir():
            target = target / f"{self._sanitize_name()}.yml"
        self._pipeline().save(target)

    def _sanitize_name(self) -> str:
        return pr.sanitized_name(self.name)

    def __repr__(self) -> str:
        return (
            f"Pipeline(Name: {self.name},\nId: {self.id},\nStatus: {self.status},\n"
            f"Version: {self.version})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublishedPipeline) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def check_parent(workspace: Workspace, parent_run_id: str | None, experiment_name: str) -> None:
    """Refuse, before anything is recorded, a parent run outside ``experiment_name`` (v1)."""
    if parent_run_id is not None:
        from .pipeline import _check_parent

        _check_parent(workspace, parent_run_id, experiment_name)


def with_parent(run: PipelineRun, parent_run_id: str | None) -> PipelineRun:
    """``run`` with its parent run recorded as ``Pipeline.submit`` records it."""
    if parent_run_id is not None:
        from .pipeline import PARENT_RUN_PROPERTY

        run.add_properties({PARENT_RUN_PROPERTY: parent_run_id})
    return run


def publish_from_run(
    run: PipelineRun,
    name: str,
    description: str | None,
    version: str | None,
    continue_on_step_failure: bool | None,
    kwargs: dict[str, Any],
) -> PublishedPipeline:
    """``PipelineRun.publish_pipeline``: the run's pipeline, published with the code its
    steps ran."""
    _publish_options(kwargs, "PipelineRun.publish_pipeline")
    record = pr.publish_run(
        run.workspace, run.id, name, description, version, continue_on_step_failure
    )
    return PublishedPipeline._of(run.workspace, record)


def publish_pipeline(
    pipeline: Pipeline,
    name: str | None,
    description: str | None,
    version: str | None,
    continue_on_step_failure: bool | None,
    **kwargs: Any,
) -> PublishedPipeline:
    """``Pipeline.publish``: validate, freeze its document and its steps' code, record it.
    The workspace is the pipeline's, else ``Workspace.from_config()``."""
    from .workspace import Workspace as PublicWorkspace

    _publish_options(kwargs, "Pipeline.publish")
    workspace = pipeline.workspace if pipeline.workspace is not None else None
    workspace = workspace or PublicWorkspace.from_config()
    source = {"file": str(pipeline.source_path)} if pipeline.source_path else {}
    record = pr.publish(
        workspace, pipeline, name, description, version, continue_on_step_failure, source
    )
    return PublishedPipeline._of(workspace, record)


def _publish_options(kwargs: dict[str, Any], what: str) -> None:
    """v1's ``enable_email_notification`` is cloud-only (warned about); others are refused."""
    from ..compat import warn_cloud_only

    if kwargs.pop("enable_email_notification", None) is not None:
        warn_cloud_only(f"{what}(enable_email_notification=...)", "there is no mail service")
    if kwargs:
        raise PublishingError(f"parameter {sorted(kwargs)[0]!r} is not recognized for {what}")


def _parameters_argument(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """``pipeline_parameters`` (or v1's deprecated ``pipeline_params``) of a submit; other
    unknown arguments are refused, naming them."""
    known = {"pipeline_parameters", "pipeline_params", "continue_on_step_failure"}
    known |= {"parent_run_id", "pipeline_version", "show_output"}
    unknown = set(kwargs) - known
    if unknown:
        raise PublishingError(
            f"unknown submit argument(s) for a published pipeline: {', '.join(sorted(unknown))}; "
            f"accepted: {', '.join(sorted(known - {'pipeline_params', 'show_output'}))}"
        )
    if "pipeline_params" in kwargs:
        log.warning("The 'pipeline_params' argument is deprecated; use 'pipeline_parameters'.")
    value = kwargs.get("pipeline_parameters", kwargs.get("pipeline_params"))
    return dict(value) if value else None


__all__ = [
    "ENDPOINT_SUBMIT_PATH",
    "ENDPOINT_VERSION_SUBMIT_PATH",
    "PUBLISHED_SUBMIT_PATH",
    "PublishedPipeline",
    "check_parent",
    "local_url",
    "publish_from_run",
    "publish_pipeline",
    "rest_url",
    "with_parent",
]
