"""The one route table of the REST API, and its registration with the Jupyter server."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from jupyter_server.utils import url_path_join

from . import handlers as h
from . import publishing_handlers as ph
from . import schedule_handlers as sh

API_PREFIX = "jupyter-pipelines/api"


class Route(NamedTuple):
    methods: tuple[str, ...]
    path: str  # relative to API_PREFIX, OpenAPI style: runs/{run_id}
    handler: type


#: Path parameters that are not one path segment.
_PATTERNS = {"file_path": ".+"}

ROUTES: list[Route] = [
    Route(("GET",), "pipelines", h.PipelinesListHandler),
    Route(("POST",), "pipelines/validate", h.ValidateHandler),
    Route(("POST",), "pipelines/describe", h.DescribeHandler),
    Route(("POST",), "pipelines/convert", h.ConvertHandler),
    Route(("POST",), "pipelines/parse", h.ParseHandler),
    Route(("POST",), "pipelines/format", h.FormatHandler),
    Route(("GET", "POST"), "runs", h.RunsHandler),
    Route(("GET",), "runs/{run_id}", h.RunHandler),
    Route(("POST",), "runs/{run_id}/cancel", h.CancelHandler),
    Route(("POST",), "runs/{run_id}/rerun", h.RerunHandler),
    Route(("GET",), "runs/{run_id}/events", h.RunEventsHandler),
    Route(("GET",), "runs/{run_id}/steps", h.StepsHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}", h.StepHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}/logs", h.LogsHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}/metrics", h.MetricsHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}/files", h.FilesHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}/files/{file_path}", h.FileHandler),
    Route(("GET",), "runs/{run_id}/steps/{step}/notebook", h.NotebookHandler),
    Route(("GET",), "experiments", h.ExperimentsHandler),
    Route(("GET",), "datastores", h.DatastoresHandler),
    Route(("GET",), "datastores/{name}", h.DatastoreHandler),
    Route(("GET",), "datasets", h.DatasetsHandler),
    Route(("GET",), "datasets/{name}", h.DatasetHandler),
    Route(("GET",), "environments", h.EnvironmentsHandler),
    Route(("GET",), "environments/{name}", h.EnvironmentHandler),
    Route(("GET",), "compute", h.ComputeHandler),
    Route(("GET",), "compute/{name}", h.ComputeTargetHandler),
    Route(("GET", "POST"), "published", ph.PublishedListHandler),
    Route(("GET", "PATCH"), "published/{pipeline_id}", ph.PublishedHandler),
    Route(("GET", "POST"), "pipeline-endpoints", ph.EndpointsHandler),
    Route(("GET", "PATCH"), "pipeline-endpoints/{endpoint_id}", ph.EndpointHandler),
    Route(("POST",), "pipeline-endpoints/{endpoint_id}/versions", ph.EndpointVersionsHandler),
    Route(("GET",), "pipeline-endpoints/{endpoint_id}/swagger.json", ph.EndpointSwaggerHandler),
    Route(("GET", "POST"), "schedules", sh.SchedulesHandler),
    Route(("GET", "PATCH", "DELETE"), "schedules/{schedule_id}", sh.ScheduleItemHandler),
    # v1's run requests, at v1's paths (published_pipeline.endpoint, pipeline_endpoint.endpoint)
    Route(("POST",), "PipelineRuns/PipelineSubmit/{pipeline_id}", ph.PublishedSubmitHandler),
    Route(
        ("POST",), "PipelineRuns/PipelineEndpointSubmit/Id/{endpoint_id}", ph.EndpointSubmitHandler
    ),
    Route(
        ("POST",),
        "PipelineRuns/PipelineEndpointSubmit/Id/{endpoint_id}/{version}",
        ph.EndpointSubmitHandler,
    ),
]


def path_pattern(path: str) -> str:
    """A tornado URL pattern of a table path: ``{name}`` becomes a named group."""
    return re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{_PATTERNS.get(m[1], '[^/]+')})", path)


def setup_routes(web_app: Any) -> None:
    """Register every route of the table under ``<base_url>/jupyter-pipelines/api/``."""
    base_url = web_app.settings["base_url"]
    handlers = [
        (url_path_join(base_url, API_PREFIX, path_pattern(r.path)), r.handler) for r in ROUTES
    ]
    web_app.add_handlers(".*$", handlers)
