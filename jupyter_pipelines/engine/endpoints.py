"""Pipeline endpoints (v1 ``azureml.pipeline.core.PipelineEndpoint``): one named, stable REST
endpoint over versions of published pipelines, one of them the default.

``PipelineEndpoint.publish(ws, name, description, pipeline)`` makes one whose version "0" is
``pipeline`` (published first when it is a Pipeline); ``add``/``add_default`` add versions
("1", "2", ...); ``set_default``/``set_default_version`` move the default; ``submit`` and
a POST to ``endpoint`` (or ``endpoint + "/" + version``) run the default or a chosen
version. The state lives in the workspace's database (stores/published.py).
"""

from __future__ import annotations

import builtins
import logging
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ..errors import PublishingError, StoreError, UnknownPipelineEndpointError
from ..model.pipeline import Pipeline
from ..stores.published import ACTIVE, DISABLED, EndpointRecord
from ..stores.workspace import Workspace
from . import published_runs as pr
from .experiment import Experiment
from .publishing import (
    ENDPOINT_SUBMIT_PATH,
    PublishedPipeline,
    _parameters_argument,
    check_parent,
    local_url,
    rest_url,
    with_parent,
)
from .runs import PipelineRun

log = logging.getLogger(__name__)

#: The route that describes an endpoint's request body as OpenAPI (``swaggerurl``).
ENDPOINT_SWAGGER_PATH = "pipeline-endpoints/{endpoint_id}/swagger.json"


class PipelineIdVersion:
    """A version of a pipeline endpoint and the id of its published pipeline."""

    def __init__(self, version: str, pipeline_id: str) -> None:
        self._version = version
        self._pipeline_id = pipeline_id

    @property
    def version(self) -> str:
        return self._version

    @property
    def pipeline_id(self) -> str:
        return self._pipeline_id

    def __repr__(self) -> str:
        return f"PipelineIdVersion(Version: {self.version},\nPipelineId: {self.pipeline_id})"


class PipelineVersion:
    """A version of a pipeline endpoint and its published pipeline."""

    def __init__(self, version: str, pipeline: PublishedPipeline) -> None:
        self._version = version
        self._pipeline = pipeline

    @property
    def version(self) -> str:
        return self._version

    @property
    def pipeline(self) -> PublishedPipeline:
        return self._pipeline

    def __repr__(self) -> str:
        return f"PipelineVersion(version: {self.version},\npipeline: {self.pipeline.id})"


class PipelineEndpoint:
    """A named REST endpoint over versions of published pipelines (v1 ``PipelineEndpoint``)."""

    def __init__(
        self,
        workspace: Workspace,
        id: str,
        name: str,
        description: str,
        status: str,
        default_version: str,
        endpoint: str | None,
        pipeline_version_list: builtins.list[PipelineIdVersion],
        _pipeline_endpoint_provider: Any = None,
        _published_pipeline_provider: Any = None,
        _swaggerurl: str | None = None,
    ) -> None:
        self._workspace = workspace
        self._id = id
        self._name = name
        self._description = description
        self._status = status
        self._default_version = default_version
        self._endpoint = endpoint
        self._pipeline_version_list = list(pipeline_version_list)
        self._swaggerurl = _swaggerurl

    @classmethod
    def _of(cls, workspace: Workspace, record: EndpointRecord) -> PipelineEndpoint:
        endpoint = cls(
            workspace,
            record.id,
            record.name,
            record.description,
            record.status,
            record.default_version,
            None,
            [],
        )
        endpoint._load(record)
        return endpoint

    def _load(self, record: EndpointRecord) -> PipelineEndpoint:
        self._name, self._description = record.name, record.description
        self._status, self._default_version = record.status, record.default_version
        self._pipeline_version_list = [PipelineIdVersion(v, p) for v, p in record.versions.items()]
        return self

    def _reload(self) -> EndpointRecord:
        record = pr.get_endpoint(self._workspace, self._id)
        self._load(record)
        return record

    # -- what it is ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def status(self) -> str:
        """``Active`` or ``Disabled`` (as last read or set by this object)."""
        return self._status

    @property
    def default_version(self) -> str:
        return self._default_version

    @property
    def endpoint(self) -> str:
        """The REST URL to POST a run request to (v1's body): it runs the default version;
        ``endpoint + "/" + version`` (or ``?pipelineVersion=``) runs another. A route of the
        Jupyter server serving the workspace, started in the background if needed."""
        if self._endpoint:
            return self._endpoint
        return rest_url(self._workspace, ENDPOINT_SUBMIT_PATH.format(endpoint_id=self.id))

    @property
    def pipeline_version_list(self) -> builtins.list[PipelineIdVersion]:
        """Each version and the id of its published pipeline, oldest first."""
        return list(self._pipeline_version_list)

    @property
    def swaggerurl(self) -> str:
        """The URL of an OpenAPI description of this endpoint's request body (its parameters
        and their types), on the server serving the workspace."""
        if self._swaggerurl:
            return self._swaggerurl
        return rest_url(self._workspace, ENDPOINT_SWAGGER_PATH.format(endpoint_id=quote(self.id)))

    def get_portal_url(self) -> str:
        """Where to see the endpoint: its REST resource on a running server, else the
        workspace folder naming it."""
        return local_url(
            self._workspace, f"pipeline-endpoints/{quote(self.id)}", f"endpoint={self.id}"
        )

    # -- making and finding ----------------------------------------------------------------
    @staticmethod
    def publish(
        workspace: Workspace,
        name: str,
        description: str,
        pipeline: Pipeline | PublishedPipeline,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> PipelineEndpoint:
        """A new endpoint named ``name`` whose version "0" (the default) is ``pipeline``: a
        PublishedPipeline, or a Pipeline (published first, named as v1 names it). The name
        must be new in the workspace."""
        store = pr.store_of(workspace)
        if not isinstance(name, str) or not name.strip():
            raise PublishingError(f"a pipeline endpoint needs a non-empty name, got {name!r}")
        if store.get_endpoint(name=name) is not None:
            raise PublishingError(
                f"a pipeline endpoint named {name!r} already exists; choose a unique name, or "
                f"add a version with PipelineEndpoint.get(ws, name={name!r}).add(pipeline)"
            )
        if isinstance(pipeline, Pipeline):
            stamp = datetime.now().strftime("%m-%d-%Y-%H-%M")
            published = f"{name}-{stamp}-Pipeline"
            made = pr.publish(
                workspace, pipeline, published, f"Description for {published}", None, None
            )
            pipeline = PublishedPipeline._of(workspace, made)
        if not isinstance(pipeline, PublishedPipeline):
            raise PublishingError(
                "pipeline should be either a Pipeline or a PublishedPipeline, got "
                f"{type(pipeline).__name__}"
            )
        try:
            created = store.create_endpoint(str(uuid.uuid4()), name, description, pipeline.id)
        except StoreError as exc:
            raise PublishingError(str(exc)) from exc
        return PipelineEndpoint._of(workspace, created)

    @staticmethod
    def get(
        workspace: Workspace,
        id: str | None = None,
        name: str | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> PipelineEndpoint:
        """The endpoint with id ``id`` or name ``name``."""
        return PipelineEndpoint._of(workspace, pr.get_endpoint(workspace, id, name))

    @staticmethod
    def list(
        workspace: Workspace,
        active_only: bool = True,
        max_results: int = 100,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[PipelineEndpoint]:
        """The workspace's endpoints, oldest first (only Active ones by default), at most
        ``max_results``."""
        records = pr.store_of(workspace).endpoints(active_only=active_only)
        return [PipelineEndpoint._of(workspace, r) for r in records[: max(0, int(max_results))]]

    @staticmethod
    def get_all(
        workspace: Workspace,
        active_only: bool = True,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[PipelineEndpoint]:
        """(Deprecated in v1) ``PipelineEndpoint.list``."""
        log.warning(
            "PipelineEndpoint.get_all(workspace) is being deprecated. "
            "Use PipelineEndpoint.list(workspace) instead."
        )
        return PipelineEndpoint.list(workspace, active_only)

    # -- versions ----------------------------------------------------------------------
    def get_default_version(self) -> str:
        return self._default_version

    def get_pipeline(self, version: str | None = None) -> PublishedPipeline:
        """The published pipeline of ``version`` (default: the default version)."""
        _, pipeline_id = pr.endpoint_version(self._reload(), version)
        return PublishedPipeline.get(self._workspace, pipeline_id)

    def list_versions(
        self, _workflow_provider: Any = None, _service_endpoint: Any = None
    ) -> builtins.list[PipelineVersion]:
        """Every version with its published pipeline, oldest first."""
        record = self._reload()
        return [
            PipelineVersion(v, PublishedPipeline.get(self._workspace, p))
            for v, p in record.versions.items()
        ]

    def get_all_versions(
        self, _workflow_provider: Any = None, _service_endpoint: Any = None
    ) -> builtins.list[PipelineVersion]:
        """(Deprecated in v1) ``list_versions``."""
        log.warning("get_all_versions() is being deprecated. Use list_versions() instead.")
        return self.list_versions()

    def list_pipelines(
        self,
        active_only: bool = True,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[PublishedPipeline]:
        """The published pipelines of its versions (only Active ones by default)."""
        pipelines = [v.pipeline for v in self.list_versions()]
        return [p for p in pipelines if not active_only or p.status == ACTIVE]

    def get_all_pipelines(
        self,
        active_only: bool = True,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> builtins.list[PublishedPipeline]:
        """(Deprecated in v1) ``list_pipelines``."""
        log.warning("get_all_pipelines() is being deprecated. Use list_pipelines() instead.")
        return self.list_pipelines(active_only)

    def add(self, pipeline: PublishedPipeline) -> None:
        """Add ``pipeline`` as the next version (a pipeline already in it keeps its version)."""
        self._add(pipeline, make_default=False)

    def add_default(self, pipeline: PublishedPipeline) -> None:
        """Add ``pipeline`` as the next version and make it the default."""
        self._add(pipeline, make_default=True)

    def _add(self, pipeline: PublishedPipeline, make_default: bool) -> None:
        if not isinstance(pipeline, PublishedPipeline):
            raise PublishingError(
                f"add a PublishedPipeline to pipeline endpoint {self.name!r} "
                f"(pipeline.publish(...) makes one), got {type(pipeline).__name__}"
            )
        try:
            pr.store_of(self._workspace).add_version(self.id, pipeline.id, make_default)
        except StoreError as exc:
            raise PublishingError(str(exc)) from exc
        self._reload()

    def set_default_version(self, version: str) -> None:
        """Make ``version`` the default; an error when the endpoint has no such version."""
        record = self._reload()
        if str(version) not in record.versions:
            raise PublishingError(
                f"cannot set version {version!r}: pipeline endpoint {self.name!r} has versions "
                f"{', '.join(record.versions)}; use add() or add_default() to add one"
            )
        self._update(default_version=str(version))

    def set_default(self, pipeline: PublishedPipeline) -> None:
        """Make the version of ``pipeline`` the default; an error when it is not in it."""
        record = self._reload()
        version = next((v for v, p in record.versions.items() if p == pipeline.id), None)
        if version is None:
            raise PublishingError(
                f"cannot set pipeline {pipeline.id!r}: it is not a version of pipeline endpoint "
                f"{self.name!r}; use add() or add_default() to add it"
            )
        self._update(default_version=version)

    # -- naming and status --------------------------------------------------------------
    def set_name(self, name: str) -> None:
        """Rename the endpoint (the name must be free; its id and URL stay)."""
        if not isinstance(name, str) or not name.strip():
            raise PublishingError(f"a pipeline endpoint needs a non-empty name, got {name!r}")
        self._update(name=name)

    def enable(self) -> None:
        """Make the endpoint Active: it runs again."""
        self._update(status=ACTIVE)

    def disable(self) -> None:
        """Make the endpoint Disabled: submits and REST posts are refused (409)."""
        self._update(status=DISABLED)

    def archive(self) -> None:
        """Disable the endpoint and free its name (it is renamed to a UUID, as in v1)."""
        self._update(name=str(uuid.uuid4()), status=DISABLED)

    def reactivate(self, name: str) -> PipelineEndpoint:
        """Make an archived endpoint Active again under ``name``."""
        self._update(name=name, status=ACTIVE)
        return self

    def _update(self, **changes: Any) -> None:
        try:
            record = pr.store_of(self._workspace).update_endpoint(self.id, **changes)
        except StoreError as exc:
            if pr.store_of(self._workspace).get_endpoint(self.id) is None:
                raise UnknownPipelineEndpointError(str(exc)) from exc
            raise PublishingError(str(exc)) from exc
        self._load(record)

    # -- running -------------------------------------------------------------------------
    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        pipeline_version: str | None = None,
    ) -> PipelineRun:
        """Start a run of ``pipeline_version`` (default: the default version) in
        ``experiment_name``; the endpoint must be Active."""
        return self._start(
            experiment_name, pipeline_parameters, pipeline_version, None, parent_run_id
        )

    def _start(
        self,
        experiment_name: str,
        parameters: dict[str, Any] | None,
        version: str | None,
        tags: dict[str, Any] | None,
        parent_run_id: str | None = None,
    ) -> PipelineRun:
        check_parent(self._workspace, parent_run_id, experiment_name)
        run_id = pr.run_endpoint(
            self._workspace,
            self.id,
            experiment_name,
            pipeline_version=version,
            pipeline_parameters=parameters,
            tags=tags,
        )
        run = PipelineRun(Experiment(self._workspace, experiment_name), run_id)
        return with_parent(run, parent_run_id)

    def _submit_to_experiment(
        self, experiment: Experiment, tags: dict[str, Any] | None, **kwargs: Any
    ) -> PipelineRun:
        """``Experiment(ws, name).submit(endpoint, pipeline_parameters=...,
        pipeline_version=..., parent_run_id=...)``."""
        parameters = _parameters_argument(kwargs)
        if kwargs.get("continue_on_step_failure") is not None:
            raise PublishingError(
                "a pipeline endpoint runs with its published continue_on_step_failure; "
                "submit the published pipeline itself to change it"
            )
        return self._start(
            experiment.name,
            parameters,
            kwargs.get("pipeline_version"),
            tags,
            kwargs.get("parent_run_id"),
        )

    def __repr__(self) -> str:
        versions = [(v.version, v.pipeline_id) for v in self._pipeline_version_list]
        return (
            f"PipelineEndpoint(Name: {self.name},\nId: {self.id},\n"
            f"Description: {self.description},\nStatus: {self.status},\n"
            f"Default version: {self.default_version},\nPipelines: {versions})"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PipelineEndpoint) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


__all__ = ["PipelineEndpoint", "PipelineIdVersion", "PipelineVersion"]
