"""Errors of the REST API and the one place where every error becomes an HTTP status and body."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from ..errors import (
    ComputeTargetException,
    ModelError,
    ParameterError,
    PipelineDisabledError,
    PipelinesError,
    PipelineValidationError,
    PublishingError,
    SelectionError,
    ServerError,
    UnknownComputeTargetError,
    UnknownDatasetError,
    UnknownDatastoreError,
    UnknownEnvironmentError,
    UnknownPipelineEndpointError,
    UnknownPublishedPipelineError,
    UnknownRunError,
    UnknownScheduleError,
)


class BadRequestError(ServerError):
    """A request body or query argument is malformed or missing something."""


class ForbiddenPathError(ServerError):
    """A path given by a client leads outside the server's root folder."""


class NotFoundError(ServerError):
    """A file or object the client asked for does not exist."""


class RequestTooLargeError(BadRequestError):
    """A request body is larger than the extension reads."""


class ServerBusyError(ServerError):
    """Reading a request's input took longer than the server gives it."""


_NOT_FOUND = (
    ComputeTargetException,
    UnknownRunError,
    UnknownDatastoreError,
    UnknownDatasetError,
    UnknownEnvironmentError,
    UnknownComputeTargetError,
    UnknownPublishedPipelineError,
    UnknownPipelineEndpointError,
    UnknownScheduleError,
    NotFoundError,
)


def error_response(exc: PipelinesError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body that answer ``exc``."""
    body: dict[str, Any] = {"message": str(exc), "error": type(exc).__name__}
    if isinstance(exc, _NOT_FOUND):
        return 404, body
    if isinstance(exc, ForbiddenPathError):
        return 403, body
    if isinstance(exc, PipelineDisabledError):
        return 409, body
    if isinstance(exc, RequestTooLargeError):
        return 413, body
    if isinstance(exc, ServerBusyError):
        return 503, body
    if isinstance(exc, PipelineValidationError):
        body["issues"] = [_issue(i) for i in exc.issues]
        return 400, body
    bad_input = (ModelError, ParameterError, SelectionError, BadRequestError, PublishingError)
    if isinstance(exc, bad_input):
        body["issues"] = []
        return 400, body
    return 500, body


def _issue(issue: Any) -> Any:
    to_dict = getattr(issue, "to_dict", None)
    return to_dict() if callable(to_dict) else str(issue)


#: v1's inner error code of each status (the ``innerError`` of its error body).
_V1_CODES = {
    400: "BadArgument",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "RequestTooLarge",
    503: "ServiceUnavailable",
}


def v1_error_response(exc: PipelinesError) -> tuple[int, dict[str, Any]]:
    """The status of ``exc`` (as ``error_response``) with v1's error body: ``{"error":
    {"code", "message", "target", "details", "innerError"}, "correlation", "time"}``; the
    ``target`` names the field that is wrong when one is."""
    status, _ = error_response(exc)
    error: dict[str, Any] = {
        "code": "UserError" if status < 500 else "SystemError",
        "message": str(exc),
        "target": getattr(exc, "target", None),
        "details": list(getattr(exc, "details", None) or []),
        "innerError": {"code": getattr(exc, "code", None) or _V1_CODES.get(status, "Internal")},
    }
    if isinstance(exc, PipelineValidationError):
        error["details"] = [
            {"code": "ValidationError", "target": i.step, "message": str(i)} for i in exc.issues
        ]
    return status, {
        "error": error,
        "correlation": {"RequestId": str(uuid.uuid4())},
        "time": datetime.now(timezone.utc).isoformat(),
    }
