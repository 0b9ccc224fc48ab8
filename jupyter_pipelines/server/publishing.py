"""The publishing part of the extension's service: published pipelines and pipeline endpoints
as JSON for the front end and CLI, publishing a pipeline file, and the v1 REST run requests.

Every answer that names a REST endpoint gives its URL on the server that answers (the
``api`` base of the request), so what the sidebar shows can be copied and posted to.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from typing import Any

from ..engine import published_runs as pr
from ..engine.published_docs import endpoint_document, published_document
from ..engine.publishing import ENDPOINT_SUBMIT_PATH
from ..errors import PublishingError, StoreError
from ..model.pipeline import Pipeline
from ..stores.published import EndpointRecord, PublishedRecord
from ..stores.workspace import Workspace
from .errors import BadRequestError
from .submissions import Submission, parse_submission, run_entity


class PublishingService:
    """Published pipelines and endpoints of one workspace, for the REST handlers."""

    def __init__(self, workspace: Workspace, root: str | os.PathLike[str] | None = None) -> None:
        self.workspace = workspace
        #: The folder a pipeline published over REST must keep its source directories in.
        self.root = root
        self.store = pr.store_of(workspace)

    # -- published pipelines --------------------------------------------------------------
    def published(self, api: str, active_only: bool = False) -> dict[str, Any]:
        records = self.store.all(active_only=active_only)
        return {"published": [self.published_summary(r, api) for r in records]}

    def published_one(self, pipeline_id: str, api: str) -> dict[str, Any]:
        record = pr.get_published(self.workspace, pipeline_id)
        pipeline = pr.pipeline_of(self.workspace, record)
        return {
            **self.published_summary(record, api),
            "steps": [s.name for s in pipeline.steps],
            "document": record.pipeline,
            "code": record.code,
            "source": record.source,
        }

    def published_summary(self, record: PublishedRecord, api: str) -> dict[str, Any]:
        return published_document(self.store, record, api)

    def publish(self, body: Mapping[str, Any], pipeline: Pipeline, api: str) -> dict[str, Any]:
        """Publish ``pipeline`` (loaded from the body's ``path``) as ``name``; with
        ``endpoint``: also add it to that endpoint (made when new), as its default unless
        ``default`` is false."""
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequestError("'name' must be the published pipeline's name (a string)")
        version = body.get("version")
        record = pr.publish(
            self.workspace,
            pipeline,
            name,
            _text(body, "description"),
            None if version in (None, "") else str(version),
            _flag(body, "continue_on_step_failure"),
            source={"file": str(pipeline.source_path)} if pipeline.source_path else {},
            root=self.root,
        )
        answer = self.published_summary(record, api)
        endpoint_name = body.get("endpoint")
        if endpoint_name:
            endpoint = self._add_to_endpoint(str(endpoint_name), record, body)
            answer["endpoint_added"] = self.endpoint_summary(endpoint, api)
        return answer

    def _add_to_endpoint(
        self, name: str, record: PublishedRecord, body: Mapping[str, Any]
    ) -> EndpointRecord:
        current = self.store.get_endpoint(name=name)
        if current is None:
            description = _text(body, "endpoint_description") or ""
            return self.store.create_endpoint(str(uuid.uuid4()), name, description, record.id)
        self.store.add_version(current.id, record.id, _flag(body, "default") is not False)
        found = self.store.get_endpoint(current.id)
        assert found is not None
        return found

    def set_published_status(self, pipeline_id: str, body: Mapping[str, Any]) -> None:
        pr.get_published(self.workspace, pipeline_id)
        self.store.set_status(pipeline_id, _status(body))

    # -- endpoints ------------------------------------------------------------------------
    def endpoints(self, api: str, active_only: bool = False) -> dict[str, Any]:
        records = self.store.endpoints(active_only=active_only)
        return {"endpoints": [self.endpoint_summary(e, api) for e in records]}

    def endpoint(self, endpoint_id: str, api: str) -> dict[str, Any]:
        return self.endpoint_summary(self._endpoint(endpoint_id), api)

    def _endpoint(self, endpoint_id: str) -> EndpointRecord:
        """An endpoint by id, else by name (the sidebar and CLI know endpoints by name)."""
        found = self.store.get_endpoint(endpoint_id) or self.store.get_endpoint(name=endpoint_id)
        return found or pr.get_endpoint(self.workspace, endpoint_id)

    def endpoint_summary(self, record: EndpointRecord, api: str) -> dict[str, Any]:
        return endpoint_document(self.store, record, api)

    def create_endpoint(self, body: Mapping[str, Any], api: str) -> dict[str, Any]:
        name, pipeline_id = body.get("name"), body.get("pipeline_id")
        if not isinstance(name, str) or not name.strip():
            raise BadRequestError("'name' must be the endpoint's name (a string)")
        if not isinstance(pipeline_id, str):
            raise BadRequestError("'pipeline_id' must be a published pipeline's id")
        pr.get_published(self.workspace, pipeline_id)
        if self.store.get_endpoint(name=name) is not None:
            raise PublishingError(f"a pipeline endpoint named {name!r} already exists")
        record = self.store.create_endpoint(
            str(uuid.uuid4()), name, _text(body, "description") or "", pipeline_id
        )
        return self.endpoint_summary(record, api)

    def update_endpoint(
        self, endpoint_id: str, body: Mapping[str, Any], api: str
    ) -> dict[str, Any]:
        """Rename, enable/disable, describe or move the default version of an endpoint."""
        current = self._endpoint(endpoint_id)
        changes: dict[str, Any] = {}
        for key in ("name", "description", "default_version"):
            if body.get(key) is not None:
                changes[key] = str(body[key])
        if body.get("status") is not None:
            changes["status"] = _status(body)
        try:
            record = self.store.update_endpoint(current.id, **changes)
        except StoreError as exc:
            raise PublishingError(str(exc)) from exc
        return self.endpoint_summary(record, api)

    def add_version(self, endpoint_id: str, body: Mapping[str, Any], api: str) -> dict[str, Any]:
        current = self._endpoint(endpoint_id)
        pipeline_id = body.get("pipeline_id")
        if not isinstance(pipeline_id, str):
            raise BadRequestError("'pipeline_id' must be a published pipeline's id")
        pr.get_published(self.workspace, pipeline_id)
        self.store.add_version(current.id, pipeline_id, bool(_flag(body, "default")))
        return self.endpoint(current.id, api)

    def swagger(self, endpoint_id: str, api: str) -> dict[str, Any]:
        """An OpenAPI description of an endpoint's run request: its parameters and types."""
        from .swagger import endpoint_openapi

        record = self._endpoint(endpoint_id)
        _, pipeline_id = pr.endpoint_version(record, None)
        published = pr.get_published(self.workspace, pipeline_id)
        url = f"{api}/{ENDPOINT_SUBMIT_PATH.format(endpoint_id=record.id)}"
        return endpoint_openapi(record.name, url, published.pipeline.get("parameters") or {})

    # -- v1 run requests ---------------------------------------------------------------
    def submit_published(self, pipeline_id: str, body: Any) -> dict[str, Any]:
        """Run a published pipeline for a v1 request body; its v1 PipelineRunEntity."""
        record = pr.get_published(self.workspace, pipeline_id)
        submission = self._parse(body, record)
        run_id = pr.run_published(
            self.workspace,
            record.id,
            submission.experiment_name,
            pipeline_parameters=submission.parameters,
            continue_on_step_failure=submission.continue_on_step_failure,
            tags=submission.tags,
            description=submission.description,
            origin=_origin(submission),
        )
        return run_entity(self.workspace.run_store.get_run(run_id), record, submission)

    def submit_endpoint(self, endpoint_id: str, version: str | None, body: Any) -> dict[str, Any]:
        """Run a version (from the path, else ``?pipelineVersion=``/``PipelineVersion``, else
        the default) of an endpoint for a v1 request body."""
        endpoint = pr.get_endpoint(self.workspace, endpoint_id)
        wanted = version or (body.get("PipelineVersion") if isinstance(body, dict) else None)
        chosen, pipeline_id = pr.endpoint_version(
            endpoint, None if wanted in (None, "") else str(wanted)
        )
        record = pr.get_published(self.workspace, pipeline_id)
        submission = self._parse(body, record)
        run_id = pr.run_endpoint(
            self.workspace,
            endpoint.id,
            submission.experiment_name,
            pipeline_version=chosen,
            pipeline_parameters=submission.parameters,
            tags=submission.tags,
            origin=_origin(submission),
        )
        return run_entity(self.workspace.run_store.get_run(run_id), record, submission)

    def _parse(self, body: Any, record: PublishedRecord) -> Submission:
        from ..stores.datasets import Dataset

        def resolve(reference: Mapping[str, Any]) -> Any:
            if reference.get("Id"):
                return Dataset.get_by_id(self.workspace, str(reference["Id"]))
            version = reference.get("Version") or "latest"
            return Dataset.get_by_name(self.workspace, str(reference["Name"]), version)

        declared = pr.pipeline_of(self.workspace, record).parameters
        return parse_submission(body, declared, resolve, set(self.workspace.datastores))


def _origin(submission: Submission) -> dict[str, Any]:
    # "request_type", not "run_type": the run's type (its class) stays a pipeline run
    origin: dict[str, Any] = {"run_source": submission.run_source, "request_type": "HTTP"}
    if submission.schedule_id:
        origin["schedule_id"] = submission.schedule_id
    return origin


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequestError(f"{key!r} must be a string")
    return value


def _flag(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadRequestError(f"{key!r} must be true or false")
    return value


def _status(body: Mapping[str, Any]) -> str:
    status = body.get("status")
    if status not in ("Active", "Disabled"):
        raise BadRequestError(f"'status' must be 'Active' or 'Disabled', got {status!r}")
    return str(status)


__all__ = ["PublishingService"]
