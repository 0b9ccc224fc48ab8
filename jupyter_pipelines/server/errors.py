"""Errors of the REST API and the one place where every error becomes an HTTP status and body."""

from __future__ import annotations

from typing import Any

from ..errors import (
    ComputeTargetException,
    ModelError,
    ParameterError,
    PipelinesError,
    PipelineValidationError,
    SelectionError,
    ServerError,
    UnknownComputeTargetError,
    UnknownDatasetError,
    UnknownDatastoreError,
    UnknownEnvironmentError,
    UnknownRunError,
)


class BadRequestError(ServerError):
    """A request body or query argument is malformed or missing something."""


class ForbiddenPathError(ServerError):
    """A path given by a client leads outside the server's root folder."""


class NotFoundError(ServerError):
    """A file or object the client asked for does not exist."""


_NOT_FOUND = (
    ComputeTargetException,
    UnknownRunError,
    UnknownDatastoreError,
    UnknownDatasetError,
    UnknownEnvironmentError,
    UnknownComputeTargetError,
    NotFoundError,
)


def error_response(exc: PipelinesError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body that answer ``exc``."""
    body: dict[str, Any] = {"message": str(exc), "error": type(exc).__name__}
    if isinstance(exc, _NOT_FOUND):
        return 404, body
    if isinstance(exc, ForbiddenPathError):
        return 403, body
    if isinstance(exc, PipelineValidationError):
        body["issues"] = [_issue(i) for i in exc.issues]
        return 400, body
    if isinstance(exc, (ModelError, ParameterError, SelectionError, BadRequestError)):
        body["issues"] = []
        return 400, body
    return 500, body


def _issue(issue: Any) -> Any:
    to_dict = getattr(issue, "to_dict", None)
    return to_dict() if callable(to_dict) else str(issue)
