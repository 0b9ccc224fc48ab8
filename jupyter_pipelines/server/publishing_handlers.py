"""REST handlers of published pipelines and pipeline endpoints: the v1 run requests (v1's
paths and bodies, v1-shaped errors) and the JSON resources the front end and CLI read."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..errors import PipelinesError
from ..stores.servers import API_PATH
from .errors import v1_error_response
from .handlers import PipelinesHandler
from .publishing import PublishingService


class PublishingHandler(PipelinesHandler):
    """Base of the publishing handlers: the publishing service and the API's own URL."""

    @property
    def publishing(self) -> PublishingService:
        return self.service.publishing

    @property
    def api(self) -> str:
        """The REST base URL of this server, as the client reached it."""
        base = url_path_join(self.base_url, API_PATH)
        return f"{self.request.protocol}://{self.request.host}{base}"

    def active_only(self) -> bool:
        return self.get_query_argument("active_only", "false").lower() in ("1", "true", "yes")


class V1RunRequestHandler(PublishingHandler):
    """Base of the v1 run requests: errors answer with v1's error body."""

    def json_body(self) -> Any:
        """The decoded body (anything JSON; the submission check says what is wrong)."""
        decoded = self.decoded_body()  # decoded and checked by PipelinesHandler.prepare
        return {} if decoded is None else decoded

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(exc, PipelinesError):
            super().write_error(status_code, **kwargs)
            return
        status, body = v1_error_response(exc)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class PublishedSubmitHandler(V1RunRequestHandler):
    """``PipelineRuns/PipelineSubmit/{pipeline_id}``: run a published pipeline (v1 body)."""

    @web.authenticated
    @authorized
    def post(self, pipeline_id: str) -> None:
        self.reply(self.publishing.submit_published(pipeline_id, self.json_body()))


class EndpointSubmitHandler(V1RunRequestHandler):
    """``PipelineRuns/PipelineEndpointSubmit/Id/{endpoint_id}[/{version}]``: run a version of
    a pipeline endpoint (the default unless the path or ``?pipelineVersion=`` names one)."""

    @web.authenticated
    @authorized
    def post(self, endpoint_id: str, version: str | None = None) -> None:
        version = version or self.get_query_argument("pipelineVersion", None) or None
        self.reply(self.publishing.submit_endpoint(endpoint_id, version, self.json_body()))


class PublishedListHandler(PublishingHandler):
    """``published``: list (``?active_only=true``), or publish a pipeline file."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.publishing.published(self.api, self.active_only()))

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        pipeline = await self.untrusted(lambda: self.service.load({"path": body.get("path")}))
        answer = await self.off_loop(lambda: self.publishing.publish(body, pipeline, self.api))
        self.reply(answer, status=201)


class PublishedHandler(PublishingHandler):
    """``published/{pipeline_id}``: one published pipeline; PATCH its ``status``."""

    @web.authenticated
    @authorized
    def get(self, pipeline_id: str) -> None:
        self.reply(self.publishing.published_one(pipeline_id, self.api))

    @web.authenticated
    @authorized
    def patch(self, pipeline_id: str) -> None:
        self.publishing.set_published_status(pipeline_id, self.body())
        self.reply(self.publishing.published_one(pipeline_id, self.api))


class EndpointsHandler(PublishingHandler):
    """``pipeline-endpoints``: list, or create one over a published pipeline."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.publishing.endpoints(self.api, self.active_only()))

    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.publishing.create_endpoint(self.body(), self.api), status=201)


class EndpointHandler(PublishingHandler):
    """``pipeline-endpoints/{endpoint_id}`` (an id or a name): one endpoint; PATCH its
    ``name``, ``description``, ``status`` or ``default_version``."""

    @web.authenticated
    @authorized
    def get(self, endpoint_id: str) -> None:
        self.reply(self.publishing.endpoint(endpoint_id, self.api))

    @web.authenticated
    @authorized
    def patch(self, endpoint_id: str) -> None:
        self.reply(self.publishing.update_endpoint(endpoint_id, self.body(), self.api))


class EndpointVersionsHandler(PublishingHandler):
    """``pipeline-endpoints/{endpoint_id}/versions``: add a published pipeline as a version."""

    @web.authenticated
    @authorized
    def post(self, endpoint_id: str) -> None:
        self.reply(self.publishing.add_version(endpoint_id, self.body(), self.api), status=201)


class EndpointSwaggerHandler(PublishingHandler):
    """``pipeline-endpoints/{endpoint_id}/swagger.json``: the endpoint's request as OpenAPI."""

    @web.authenticated
    @authorized
    def get(self, endpoint_id: str) -> None:
        self.reply(self.publishing.swagger(endpoint_id, self.api))
