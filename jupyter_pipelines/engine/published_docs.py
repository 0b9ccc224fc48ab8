"""Published pipelines and pipeline endpoints as JSON-ready documents: what the REST
resources answer, the CLI prints with ``--json`` and the JupyterLab sidebar shows.

URLs are given under a REST base ``api`` (the server answering, or the one serving the
workspace); without one they are None.
"""

from __future__ import annotations

from typing import Any

from ..stores.published import EndpointRecord, PublishedRecord, PublishedStore
from .publishing import ENDPOINT_SUBMIT_PATH, ENDPOINT_VERSION_SUBMIT_PATH, PUBLISHED_SUBMIT_PATH


def _under(api: str | None, path: str) -> str | None:
    return f"{api}/{path}" if api else None


def published_document(
    store: PublishedStore, record: PublishedRecord, api: str | None
) -> dict[str, Any]:
    """A published pipeline: what it is, its declared parameters, its run URL, and the
    endpoint versions that run it."""
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "version": record.version,
        "status": record.status,
        "graph_id": record.graph_id,
        "total_run_steps": record.total_run_steps,
        "continue_on_step_failure": record.continue_on_step_failure,
        "created": record.created,
        "parameters": record.pipeline.get("parameters") or {},
        "endpoint": _under(api, PUBLISHED_SUBMIT_PATH.format(pipeline_id=record.id)),
        "endpoints": [{"id": e, "version": v} for e, v in store.endpoints_of(record.id)],
    }


def endpoint_document(
    store: PublishedStore, record: EndpointRecord, api: str | None
) -> dict[str, Any]:
    """A pipeline endpoint: its default version, its URL, and each version with its
    published pipeline and URL."""
    versions = []
    for version, pipeline_id in record.versions.items():
        published = store.get(pipeline_id)
        path = ENDPOINT_VERSION_SUBMIT_PATH.format(endpoint_id=record.id, version=version)
        versions.append(
            {
                "version": version,
                "pipeline_id": pipeline_id,
                "pipeline_name": published.name if published else None,
                "pipeline_status": published.status if published else None,
                "default": version == record.default_version,
                "endpoint": _under(api, path),
            }
        )
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "status": record.status,
        "default_version": record.default_version,
        "endpoint": _under(api, ENDPOINT_SUBMIT_PATH.format(endpoint_id=record.id)),
        "versions": versions,
        "created": record.created,
    }


__all__ = ["endpoint_document", "published_document"]
