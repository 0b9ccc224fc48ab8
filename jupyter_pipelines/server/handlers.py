"""The REST and WebSocket handlers: each turns one request into one service call."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web, websocket

from ..errors import PipelinesError
from . import SETTINGS_KEY
from .errors import BadRequestError, error_response
from .event_reader import Cursor
from .service import PipelinesService

AUTH_RESOURCE = "jupyter_pipelines"


class PipelinesHandler(APIHandler):
    """Base of the REST handlers: the service, request helpers, and the error translation."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> PipelinesService:
        service: PipelinesService = self.settings[SETTINGS_KEY]
        return service

    def body(self) -> dict[str, Any]:
        """The JSON object of the request body ({} when empty)."""
        if not self.request.body:
            return {}
        try:
            doc = json.loads(self.request.body)
        except ValueError as exc:
            raise BadRequestError(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise BadRequestError("the request body must be a JSON object")
        return doc

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.get_query_argument(name, None)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise BadRequestError(f"query argument {name!r} must be an integer") from None

    def reply(self, doc: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(doc))

    # -- the one place where errors become HTTP statuses ---------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(exc, PipelinesError):
            super().write_error(status_code, **kwargs)
            return
        status, body = error_response(exc)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, PipelinesError) and error_response(value)[0] < 500:
            self.log.info("%s %s: %s", self.request.method, self.request.uri, value)
        else:
            super().log_exception(typ, value, tb)


class PipelinesListHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.list_pipelines())


class ValidateHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.service.validate(self.body()))


class ParseHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.service.parse(self.body()))


class FormatHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.service.format(self.body()))


class ConvertHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.service.convert(self.body()))


class DescribeHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply(self.service.describe(self.body()))


class RunsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        arg = self.get_query_argument
        self.reply(
            self.service.list_runs(
                experiment=arg("experiment", None) or None,
                status=arg("status", None) or None,
                pipeline=arg("pipeline", None) or None,
                limit=self.int_arg("limit", 50) or 0,
                offset=self.int_arg("offset", 0) or 0,
            )
        )

    @web.authenticated
    @authorized
    def post(self) -> None:
        self.reply({"run": self.service.submit(self.body())}, status=201)


class RunHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.reply(self.service.get_run(run_id))


class CancelHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.reply(self.service.cancel(run_id))


class RerunHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def post(self, run_id: str) -> None:
        self.reply({"run": self.service.rerun(run_id, self.body())}, status=201)


class StepsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        self.reply(self.service.list_steps(run_id))


class StepHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str) -> None:
        self.reply(self.service.get_step(run_id, step))


class LogsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str) -> None:
        stream = self.get_query_argument("stream", "stdout")
        offset, tail = self.int_arg("offset"), self.int_arg("tail")
        limit = self.int_arg("max_bytes")
        self.reply(self.service.get_logs(run_id, step, stream, offset, tail, limit))


class MetricsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str) -> None:
        self.reply(self.service.get_metrics(run_id, step))


class FilesHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str) -> None:
        self.reply(self.service.list_files(run_id, step))


class FileHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str, file_path: str) -> None:
        path, content_type = self.service.file_path(run_id, step, file_path)
        self.set_header("Content-Type", content_type)
        self.finish(path.read_bytes())


class NotebookHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str, step: str) -> None:
        path = self.service.notebook_path(run_id, step)
        self.set_header("Content-Type", "application/json")
        self.finish(path.read_bytes())


class ExperimentsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.experiments())


class DatastoresHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.datastores())


class DatastoreHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(self.service.datastore(name))


class DatasetsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.datasets())


class DatasetHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(self.service.dataset(name, self.get_query_argument("version", None)))


class EnvironmentsHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.environments())


class EnvironmentHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(self.service.environment(name, self.get_query_argument("version", None)))


class ComputeHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.reply(self.service.compute())


class ComputeTargetHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    def get(self, name: str) -> None:
        self.reply(self.service.compute_target(name))


class RunEventsHandler(JupyterHandler, websocket.WebSocketHandler):
    """``runs/{id}/events``: every message of the run after ``?after=<id>``, then live ones."""

    auth_resource = AUTH_RESOURCE

    @ws_authenticated
    async def get(self, run_id: str) -> None:
        user = self.current_user
        if not await ensure_async(self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        service: PipelinesService = self.settings[SETTINGS_KEY]
        try:
            self.hub = service.events.hub(run_id)
            self.after = Cursor.parse(self.get_query_argument("after", "0") or "0")
        except PipelinesError as exc:
            raise web.HTTPError(error_response(exc)[0], str(exc)) from None
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        await super().get(run_id)

    def open(self, run_id: str) -> None:  # type: ignore[override]
        self.pump = asyncio.ensure_future(self._follow())

    async def _follow(self) -> None:
        try:
            await self.hub.follow(self.after, self._send)
        except websocket.WebSocketClosedError:
            return
        except Exception:
            self.log.exception("following the events of run %s failed", self.hub.run_id)
        self.close()

    async def _send(self, text: str) -> None:
        await self.write_message(text)

    def on_message(self, message: str | bytes) -> None:
        """Clients only listen."""

    def on_close(self) -> None:
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.cancel()
