"""The REST and WebSocket handlers: each turns one request into one service call.

Request bodies, and the pipelines that requests carry, are untrusted input: a body is
bounded in size (``MAX_BODY_BYTES``), decoded and checked (untrusted.py's limits) in a
worker thread before any verb runs, and parsing and validating a pipeline runs in the same
pool, within ``INPUT_SECONDS``, so that no request holds the server's event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from tornado import web, websocket

from ..errors import PipelinesError
from ..model.untrusted import MAX_INT, load_json, path_problem
from . import SETTINGS_KEY
from .errors import BadRequestError, RequestTooLargeError, ServerBusyError, error_response
from .event_reader import Cursor
from .service import PipelinesService

AUTH_RESOURCE = "jupyter_pipelines"
#: The most bytes of a request body the extension's routes read.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: The most seconds that decoding a body, or parsing and validating the pipeline a request
#: carries, may take before the request is answered 503 (the work is bounded by the
#: limits of untrusted.py, so this is a last guard for a server that is very busy).
INPUT_SECONDS = 30.0
#: Threads that read untrusted input, off the event loop: few, since the work is CPU-bound
#: and shares the interpreter lock with the loop (requests beyond them wait their turn).
_INPUT_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jupyter-pipelines-input")
#: Threads that submit runs and publish pipelines (snapshots: mostly file I/O).
_WORKERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="jupyter-pipelines-work")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")

T = TypeVar("T")


class PipelinesHandler(APIHandler):
    """Base of the REST handlers: the service, request helpers, and the error translation."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> PipelinesService:
        service: PipelinesService = self.settings[SETTINGS_KEY]
        return service

    async def prepare(self) -> None:  # type: ignore[override]
        """Check the path and query arguments, and decode the body off the event loop."""
        await super().prepare()
        self._decoded: Any = None
        if self._finished or self.current_user is None:
            return  # the verb's @web.authenticated answers
        self._check_arguments()
        if self.request.method in _BODY_METHODS and self.request.body:
            body = self.request.body
            if len(body) > MAX_BODY_BYTES:
                raise RequestTooLargeError(
                    f"the request body has {len(body):,} bytes; this API reads at most "
                    f"{MAX_BODY_BYTES:,} (a pipeline file may hold 4 MiB)"
                )
            self._decoded = await self.untrusted(
                lambda: load_json(body, "request body", BadRequestError, MAX_BODY_BYTES)
            )

    def _check_arguments(self) -> None:
        """A path or query argument that no path, name or id can be: a 400 naming it."""
        for name, value in self.path_kwargs.items():
            problem = path_problem(value) if isinstance(value, str) else ""
            if problem:
                raise BadRequestError(f"path parameter {name!r} {problem}")
        for name, values in self.request.query_arguments.items():
            if any(b"\x00" in v for v in values):
                raise BadRequestError(f"query argument {name!r} holds a NUL character")

    def body(self) -> dict[str, Any]:
        """The JSON object of the request body ({} when empty), decoded by ``prepare``."""
        doc = self.decoded_body()
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            raise BadRequestError("the request body must be a JSON object")
        return doc

    def decoded_body(self) -> Any:
        """The request body's JSON value (None when the body is empty)."""
        return getattr(self, "_decoded", None)

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        value = self.get_query_argument(name, None)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise BadRequestError(f"query argument {name!r} must be an integer") from None
        if not -MAX_INT <= number <= MAX_INT:
            raise BadRequestError(f"query argument {name!r} must be an integer of 64 bits")
        return number

    async def untrusted(self, work: Callable[[], T]) -> T:
        """``work()`` (decoding or parsing untrusted input) on a worker thread, within
        ``INPUT_SECONDS``; a 503 when it takes longer (the thread cannot be stopped, but
        the limits of untrusted.py bound what it still does)."""
        future = asyncio.get_running_loop().run_in_executor(_INPUT_WORKERS, work)
        try:
            return await asyncio.wait_for(future, INPUT_SECONDS)
        except asyncio.TimeoutError:
            raise ServerBusyError(
                f"reading the request's input took more than {INPUT_SECONDS:g} s; the "
                "pipeline is too large or the server too busy: try again, or split it"
            ) from None

    async def off_loop(self, work: Callable[[], T]) -> T:
        """``work()`` (submitting a run, publishing: trusted and possibly long) on a worker
        thread, without a time limit."""
        return await asyncio.get_running_loop().run_in_executor(_WORKERS, work)

    async def reply_untrusted(self, work: Callable[[], Any], status: int = 200) -> None:
        """Answer with the JSON of ``work()``, run and encoded by ``untrusted``."""
        text = await self.untrusted(lambda: json.dumps(work()))
        self.set_status(status)
        self.finish(text)

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
    async def post(self) -> None:
        await self.reply_untrusted(lambda: self.service.validate(self.body()))


class ParseHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.reply_untrusted(lambda: self.service.parse(self.body()))


class FormatHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.reply_untrusted(lambda: self.service.format(self.body()))


class ConvertHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.reply_untrusted(lambda: self.service.convert(self.body()))


class DescribeHandler(PipelinesHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        await self.reply_untrusted(lambda: self.service.describe(self.body()))


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
    async def post(self) -> None:
        submission = await self.untrusted(lambda: self.service.load_submission(self.body()))
        run = await self.off_loop(lambda: self.service.submit_loaded(*submission))
        self.reply({"run": run}, status=201)


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
    async def post(self, run_id: str) -> None:
        body = self.body()
        submission = await self.untrusted(lambda: self.service.load_rerun(run_id, body))
        run = await self.off_loop(lambda: self.service.submit_loaded(*submission))
        self.reply({"run": run}, status=201)


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
