"""Publishing and running published pipelines: the engine calls behind ``Pipeline.publish``,
``PipelineRun.publish_pipeline``, ``PipelineDraft.publish``, ``PublishedPipeline.submit``,
``PipelineEndpoint.submit``, the REST endpoints and the scheduler.

Publishing validates the pipeline, freezes its document and the snapshots of its steps'
code (engine/frozen.py) and records it in one INSERT (stores/published.py). Running one
builds the pipeline from the frozen document and submits it with the frozen code, so a
published pipeline runs what it was published with; the run's options name the published
pipeline (and endpoint, version, schedule) that started it.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import (
    PipelineDisabledError,
    PipelineValidationError,
    PublishingError,
    UnknownPipelineEndpointError,
    UnknownPublishedPipelineError,
    did_you_mean,
)
from ..model.fileformat import document_to_pipeline, pipeline_to_document
from ..model.pipeline import Pipeline
from ..stores.published import ACTIVE, EndpointRecord, PublishedRecord, PublishedStore
from ..stores.workspace import Workspace
from .experiment import check_experiment_name
from .frozen import FrozenCode, freeze_pipeline, freeze_run
from .submit import check_pipeline, submit_pipeline

#: Where a run came from, as v1's ``RunSource`` (SDK, REST, a schedule).
SOURCE_SDK, SOURCE_REST, SOURCE_SCHEDULE = "SDK", "HTTP", "Schedule"


def store_of(workspace: Workspace) -> PublishedStore:
    return PublishedStore(workspace.dir)


# -- publishing ---------------------------------------------------------------------------
def publish(
    workspace: Workspace,
    pipeline: Pipeline,
    name: str | None,
    description: str | None,
    version: str | None,
    continue_on_step_failure: bool | None,
    source: Mapping[str, Any] | None = None,
    frozen: FrozenCode | None = None,
    root: str | os.PathLike[str] | None = None,
) -> PublishedRecord:
    """Validate ``pipeline``, freeze its document and code, and record it; nothing is
    recorded when it is invalid. ``frozen``: code frozen earlier (a run's snapshots);
    ``root``: the folder source directories must lie in (see ``check_pipeline``)."""
    name = _published_name(name, pipeline)
    issues = check_pipeline(workspace, pipeline, root=root)
    if frozen is not None:
        frozen = frozen.completed(workspace, pipeline)
        issues = frozen.check(workspace, pipeline, issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise PipelineValidationError(errors, source=pipeline.source_path)
    if frozen is None:
        document, frozen = freeze_pipeline(workspace, pipeline)
    else:
        document = pipeline_to_document(pipeline, frozen.base_dir)
    document.setdefault("name", name)
    record = PublishedRecord(
        id=str(uuid.uuid4()),
        name=name,
        description=description or "",
        version=None if version is None else str(version),
        continue_on_step_failure=continue_on_step_failure,
        graph_id=frozen.graph_id(document),
        total_run_steps=len(pipeline.steps),
        pipeline=document,
        base_dir=str(frozen.base_dir),
        code=frozen.to_record(),
        source=dict(source or {}),
    )
    return store_of(workspace).create(record)


def publish_run(
    workspace: Workspace,
    run_id: str,
    name: str,
    description: str | None,
    version: str | None,
    continue_on_step_failure: bool | None,
) -> PublishedRecord:
    """Publish the pipeline a run ran, with the code its steps ran."""
    store = workspace.run_store
    record = store.get_run(run_id)
    document, frozen = freeze_run(record, store.get_steps(run_id), workspace.root)
    pipeline = document_to_pipeline(document, frozen.base_dir, f"run {run_id}")
    pipeline.workspace = workspace
    return publish(
        workspace,
        pipeline,
        name,
        description,
        version,
        continue_on_step_failure,
        source={"run_id": run_id},
        frozen=frozen,
    )


def _published_name(name: Any, pipeline: Pipeline) -> str:
    if name is None:
        stem = Path(pipeline.source_path).name.split(".")[0] if pipeline.source_path else None
        name = pipeline.name or stem or "pipeline"
    if not isinstance(name, str) or not name.strip():
        raise PublishingError(f"a published pipeline needs a non-empty name, got {name!r}")
    return name


# -- finding ------------------------------------------------------------------------------
def get_published(workspace: Workspace, pipeline_id: str) -> PublishedRecord:
    """The published pipeline ``pipeline_id``, else an error listing close ids."""
    store = store_of(workspace)
    found = store.get(str(pipeline_id))
    if found is None:
        hint = did_you_mean(str(pipeline_id), [r.id for r in store.all()])
        raise UnknownPublishedPipelineError(
            f"no published pipeline {pipeline_id!r} in {workspace!r}{hint}; "
            "PublishedPipeline.list(ws) (or 'jupyter-pipelines published') lists them"
        )
    return found


def get_endpoint(
    workspace: Workspace, endpoint_id: str | None = None, name: str | None = None
) -> EndpointRecord:
    """The pipeline endpoint with id ``endpoint_id`` or name ``name``."""
    if endpoint_id is None and name is None:
        raise PublishingError("PipelineEndpoint.get needs id= or name=")
    store = store_of(workspace)
    found = store.get_endpoint(endpoint_id, None if endpoint_id is not None else name)
    if found is None:
        wanted = str(endpoint_id if endpoint_id is not None else name)
        known = [e.id if endpoint_id is not None else e.name for e in store.endpoints()]
        what = f"id {wanted!r}" if endpoint_id is not None else f"name {wanted!r}"
        raise UnknownPipelineEndpointError(
            f"no pipeline endpoint with {what} in {workspace!r}{did_you_mean(wanted, known)}; "
            "PipelineEndpoint.list(ws) (or 'jupyter-pipelines endpoints') lists them"
        )
    return found


# -- running ------------------------------------------------------------------------------
def pipeline_of(workspace: Workspace, record: PublishedRecord) -> Pipeline:
    """The pipeline a published pipeline runs, built from its frozen document."""
    pipeline = document_to_pipeline(
        record.pipeline, record.base_dir, f"published pipeline {record.name!r}"
    )
    pipeline.workspace = workspace
    return pipeline


def run_published(
    workspace: Workspace,
    pipeline_id: str,
    experiment_name: str,
    *,
    pipeline_parameters: Mapping[str, Any] | None = None,
    continue_on_step_failure: bool | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    origin: Mapping[str, Any] | None = None,
) -> str:
    """Start a run of published pipeline ``pipeline_id`` in ``experiment_name``; its run id.

    A Disabled published pipeline is refused (PipelineDisabledError) before anything is
    recorded, as is an invalid parameter value or experiment name.
    """
    record = get_published(workspace, pipeline_id)
    if record.status != ACTIVE:
        raise PipelineDisabledError(
            f"published pipeline {record.name!r} ({record.id}) is {record.status}; "
            "enable() it to run it"
        )
    check_experiment_name(experiment_name)
    from .experiment import Experiment

    Experiment(workspace, experiment_name)._write_access()  # recorded, and active again
    if continue_on_step_failure is None:
        continue_on_step_failure = record.continue_on_step_failure
    return submit_pipeline(
        workspace,
        experiment_name,
        pipeline_of(workspace, record),
        pipeline_parameters=pipeline_parameters,
        tags=tags,
        continue_on_step_failure=bool(continue_on_step_failure),
        description=description or record.description or None,
        frozen=FrozenCode.from_record(record.base_dir, record.code),
        origin={
            "published_pipeline_id": record.id,
            "published_pipeline_name": record.name,
            "run_source": SOURCE_SDK,
            **dict(origin or {}),
        },
    )


def endpoint_version(record: EndpointRecord, version: str | None) -> tuple[str, str]:
    """(version, published pipeline id) of ``version`` of an endpoint (its default when
    None), else an error listing its versions."""
    chosen = record.default_version if version is None else str(version)
    pipeline_id = record.pipeline_id(chosen)
    if pipeline_id is None:
        raise UnknownPipelineEndpointError(
            f"pipeline endpoint {record.name!r} has no version {chosen!r}; its versions: "
            f"{', '.join(record.versions) or 'none'} (add one with add() or add_default())"
        )
    return chosen, pipeline_id


def run_endpoint(
    workspace: Workspace,
    endpoint_id: str,
    experiment_name: str,
    *,
    pipeline_version: str | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    origin: Mapping[str, Any] | None = None,
    continue_on_step_failure: bool | None = None,
    description: str | None = None,
) -> str:
    """Start a run of a version (default: the default one) of an Active pipeline endpoint."""
    record = get_endpoint(workspace, endpoint_id)
    if record.status != ACTIVE:
        raise PipelineDisabledError(
            f"pipeline endpoint {record.name!r} ({record.id}) is {record.status}; "
            "enable() it to run it"
        )
    version, pipeline_id = endpoint_version(record, pipeline_version)
    return run_published(
        workspace,
        pipeline_id,
        experiment_name,
        pipeline_parameters=pipeline_parameters,
        continue_on_step_failure=continue_on_step_failure,
        tags=tags,
        description=description,
        origin={
            "pipeline_endpoint_id": record.id,
            "pipeline_endpoint_name": record.name,
            "pipeline_version": version,
            **dict(origin or {}),
        },
    )


def sanitized_name(name: str) -> str:
    """A published pipeline's name as an experiment name (v1 ``_sanitize_name``)."""
    return re.sub(r"[^0-9a-zA-Z_\-]+", "_", name).strip("_") or "published"


__all__ = [
    "SOURCE_REST",
    "SOURCE_SCHEDULE",
    "SOURCE_SDK",
    "endpoint_version",
    "get_endpoint",
    "get_published",
    "pipeline_of",
    "publish",
    "publish_run",
    "run_endpoint",
    "run_published",
    "sanitized_name",
    "store_of",
]
