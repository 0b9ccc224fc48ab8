"""The one exception hierarchy of jupyter_pipelines: a root class and a subclass per layer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PipelinesError(Exception):
    """Root of every error this package raises on purpose."""


class ModelError(PipelinesError):
    """A step, parameter, data reference or pipeline was defined wrongly."""


class PipelineFileError(ModelError):
    """A pipeline file could not be read, parsed or understood."""


class PipelineValidationError(ModelError):
    """A pipeline has problems that prevent it from being submitted.

    ``issues`` holds every problem found, not only the first one.
    """

    def __init__(self, issues: list, source: str | None = None) -> None:
        self.issues = list(issues)
        where = f" in {source!r}" if source else ""
        lines = [f"pipeline{where} is invalid ({len(self.issues)} problem(s)):"]
        lines += [f"  - {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))


class ParameterError(ModelError):
    """A pipeline parameter value is unknown or of the wrong type."""


class RecurrenceError(ModelError, ValueError):
    """A schedule recurrence is malformed (a frequency, hour or week day v1 does not accept);
    v1 raises ValueError there."""


class StoreError(PipelinesError):
    """The workspace or its run store could not be read or written."""


class UnknownRunError(StoreError):
    """No run (or step run) has the given id or name."""


class DatastoreError(StoreError):
    """A datastore could not be registered, opened, read or written, or a path escapes it."""


class UnknownDatastoreError(DatastoreError):
    """No datastore of the workspace has the given name."""


class DatasetError(StoreError):
    """A dataset could not be defined, registered, resolved, read or parsed."""


class UnknownDatasetError(DatasetError):
    """No registered dataset has the given name (or version)."""


class UnknownPipelineDraftError(StoreError):
    """No pipeline draft of the workspace has the given id."""


class WebserviceException(StoreError):
    """A model could not be registered, found, downloaded, changed or deleted (the v1 name)."""


class ModelNotFoundException(WebserviceException):
    """No registered model has the given name, id or version (the v1 name)."""


class ModelPathNotFoundException(WebserviceException):
    """``Run.register_model``'s ``model_path`` is none of the run's files (the v1 name)."""


class UnknownPublishedPipelineError(StoreError):
    """No published pipeline of the workspace has the given id."""


class UnknownScheduleError(StoreError):
    """No schedule has the id asked for."""


class UnknownPipelineEndpointError(StoreError):
    """No pipeline endpoint of the workspace has the given id or name (or version)."""


class ExecutorError(PipelinesError):
    """A compute target could not launch, watch or stop a step."""


class UnknownComputeTargetError(ExecutorError):
    """No compute target or executor backend has the given name."""


class ComputeTargetException(ExecutorError):
    """A compute target could not be found, created, changed or deleted (the v1 name)."""


class EnvironmentBuildError(ExecutorError):
    """The Python environment of a step could not be built (a package did not install)."""


class UnknownEnvironmentError(ModelError):
    """No registered or curated environment has the given name (and version)."""


class EngineError(PipelinesError):
    """Submitting, planning or driving a run failed."""


class SelectionError(EngineError):
    """A partial run's ``steps``, ``from_steps`` or ``to_steps`` name no step, select none,
    or leave out a step whose earlier result they need but that never succeeded."""


class RunFailedError(EngineError):
    """A run ended in a state other than Finished while the caller asked to raise on error."""


class PublishingError(EngineError, ValueError):
    """A pipeline could not be published, or a published pipeline or pipeline endpoint cannot
    do what was asked (a name taken, a version it lacks); v1 raises ValueError there."""


class PipelineDisabledError(PublishingError):
    """A Disabled published pipeline or pipeline endpoint was asked to run."""


class ScheduleError(PublishingError):
    """A schedule cannot be made or changed as asked (a recurrence and a datastore at once,
    a parameter its pipeline lacks); v1 raises ValueError there."""


class ServerError(PipelinesError):
    """A request to the Jupyter server extension cannot be answered as asked."""


class AuthenticationException(StoreError):
    """No running Jupyter server serves the workspace, so there is no token for the REST
    API's authorization header (the v1 name)."""


class NotSupportedError(PipelinesError):
    """A v1 SDK member that has no local meaning was called; the message names what to use
    instead (see docs/v1-compatibility.md)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' when a close match of ``name`` exists, else ''."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""
