"""``Run``: the v1 SDK's run, written once for every kind of run.

``Run.get_context()`` inside a step returns the step's own run (``file_run.StepContextRun``,
kept in the step's folder); outside a step an offline run that prints what it is asked to
log, as v1 does. The engine's ``PipelineRun`` and ``StepRun`` are Runs too, kept in the run
store. The v1 members are written here once, over storage hooks that each kind of run
implements (template methods):

- metrics: ``_append_metric`` (and ``_metric_records``);
- files: ``_files_dir`` and ``_step_dir`` (attributes), ``_file_index``;
- tags and properties: ``_load_tags``, ``_change_tags``, ``_load_properties``,
  ``_store_properties``;
- status: ``get_status``, ``_set_status``, ``_cancel``; details: ``_details``, ``_log_files``;
- ``_environment``, ``_clean``; children (run_children.py): ``_child_runs``, ``_new_child``;
- snapshots (run_snapshots.py): ``_snapshots_dir``, ``_code_snapshot_id``.

Standard library only: this module runs inside steps, containers included. What needs the
run store (``Run.get``, ``Run.list``, ``Run(experiment, run_id)``) goes through
:mod:`.lookup`, which the engine serves.
"""

from __future__ import annotations

import builtins
import importlib
import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import NotSupportedError, RunFailedError
from . import lookup
from .metrics import summarize_metrics
from .recording import RunRecorder
from .run_annotations import RunAnnotations
from .run_children import RunChildren
from .run_files import RunFiles
from .run_snapshots import RunSnapshots

#: Folder, under the current directory, that keeps what offline runs log.
OFFLINE_DIR = ".jupyter_pipelines_offline"
#: Statuses a run never leaves (pipeline runs and steps end Finished, other runs Completed).
TERMINAL_STATUSES = frozenset({"Completed", "Finished", "Failed", "Canceled"})

_DOCS = "https://learn.microsoft.com/python/api/{package}/{path}"
#: The engine module that registers models (imported when a run registers one).
MODELS_MODULE = "jupyter_pipelines.engine.models"
_offline_run: Run | None = None


class NotInStepError(RuntimeError):
    """``Run.get_context(allow_offline=False)`` was called outside a pipeline step."""


def iso_time(ts: float | None) -> str | None:
    """A unix time as v1's ISO 8601 UTC text (None stays None)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts else None


class Run(RunChildren, RunSnapshots, RunFiles, RunAnnotations, RunRecorder):
    """A run (v1 ``azureml.core.Run``): a pipeline run, a step run, a step's child run, or
    the offline run of code run outside any step.

    ``Run(experiment, run_id)`` returns the run ``run_id`` of that experiment's workspace as
    its own class; inside a step, ``Run.get_context()`` returns the step's run.
    """

    #: Set once an object is built, so that ``Run(experiment, id)`` does not build it again.
    _ready = False
    _echo = False
    _step = ""
    _run_id = ""
    _experiment: Any = None
    _parent: Run | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Run:
        if cls is Run:
            values = dict(zip(("experiment", "run_id"), args, strict=False)) | kwargs
            experiment, run_id = values.get("experiment"), values.get("run_id")
            if experiment is None or run_id is None:
                raise TypeError(
                    "Run(experiment, run_id) needs an experiment and a run id; inside a step, "
                    "use Run.get_context() for the step's own run"
                )
            return lookup.run_finder("Run(experiment, run_id)").find(experiment, str(run_id))
        return super().__new__(cls)

    def __init__(
        self, experiment: Any = None, run_id: str | None = None, outputs: Any = None, **kwargs: Any
    ) -> None:
        """``Run(experiment, run_id)``: built by the class ``__new__`` found; nothing to do."""

    # -- what it is ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        """The run's id."""
        return self._run_id

    @id.setter
    def id(self, value: str) -> None:
        self._run_id = value

    @property
    def experiment(self) -> Any:
        """The experiment the run belongs to."""
        return self._experiment

    @experiment.setter
    def experiment(self, value: Any) -> None:
        self._experiment = value

    @property
    def parent(self) -> Run | None:
        """The run this one is a child of (a step's pipeline run); None for a top-level run."""
        return self._parent

    @parent.setter
    def parent(self, value: Run | None) -> None:
        self._parent = value

    @property
    def name(self) -> str:
        """The run's name (a step run: its step's name)."""
        return self.display_name

    @property
    def display_name(self) -> str:
        return self._run_id

    @property
    def description(self) -> str:
        return ""

    @property
    def type(self) -> str:
        """v1's run type: ``azureml.PipelineRun``, ``azureml.StepRun``, ..."""
        return "run"

    @property
    def number(self) -> int | None:
        """The run's number in its experiment (None where it has none)."""
        return None

    @property
    def status(self) -> str:
        """The run's status (see get_status)."""
        return self.get_status()

    @property
    def portal_url(self) -> str:
        """Where to look at the run (see get_portal_url)."""
        return self.get_portal_url()

    def get_portal_url(self) -> str:
        """The local address of the run: a ``file://`` URL of its folder."""
        return Path(self._step_dir).resolve().as_uri()

    @classmethod
    def get_docs_url(cls) -> str:
        """The v1 reference documentation of this class."""
        if cls.__name__ in ("PipelineRun", "StepRun"):
            path = f"azureml.pipeline.core.run.{cls.__name__.lower()}"
            return _DOCS.format(package="azureml-pipeline-core", path=path)
        return _DOCS.format(package="azureml-core", path="azureml.core.run.run")

    # -- finding runs --------------------------------------------------------------------
    @classmethod
    def get_context(
        cls, allow_offline: bool = True, used_for_context_manager: bool = False, **kwargs: Any
    ) -> Run:
        """The run of the step this code runs in, or an offline run outside any step.

        With ``allow_offline=False`` outside a step, raises NotInStepError.
        """
        from .file_run import context_run, offline_run

        found = context_run()
        if found is not None:
            return found
        if not allow_offline:
            raise NotInStepError(
                "Run.get_context(allow_offline=False): this code is not running inside a "
                "pipeline step (JUPYTER_PIPELINES_STEP_MANIFEST is not set); pass "
                "allow_offline=True to get an offline run that prints and keeps what it logs"
            )
        global _offline_run
        if _offline_run is None:
            _offline_run = offline_run()
        return _offline_run

    @classmethod
    def get_submitted_run(cls, **kwargs: Any) -> Run:
        """(Deprecated in v1) the same as ``get_context()``."""
        return cls.get_context(**kwargs)

    @staticmethod
    def add_type_provider(runtype: str, run_factory: Callable[..., Any]) -> None:
        """Register ``run_factory(experiment, record) -> Run`` for runs whose ``type`` is
        ``runtype``; used when runs are listed or looked up."""
        lookup.add_type_provider(runtype, run_factory)

    @staticmethod
    def get(workspace: Any, run_id: str) -> Run:
        """The run ``run_id`` of ``workspace``: a pipeline run, step run or step child run."""
        return lookup.run_finder("Run.get").get(workspace, run_id)

    @staticmethod
    def list(
        experiment: Any,
        type: str | None = None,
        tags: Any = None,
        properties: Any = None,
        status: str | None = None,
        include_children: bool = False,
    ) -> builtins.list[Run]:
        """The runs of ``experiment``, newest first; ``include_children`` adds step runs.
        ``tags``/``properties``: a name, a list of names or ``{name: value}``."""
        finder = lookup.run_finder("Run.list")
        return finder.list(experiment, type, tags, properties, status, include_children)

    @staticmethod
    def list_by_compute(
        compute: Any,
        type: str | None = None,
        tags: Any = None,
        properties: Any = None,
        status: str | None = None,
    ) -> builtins.list[Run]:
        """The step runs that ran on the compute target ``compute``, newest first."""
        return lookup.run_finder("Run.list_by_compute").list_by_compute(
            compute, type, tags, properties, status
        )

    # -- secrets -------------------------------------------------------------------------
    def get_secret(self, name: str) -> str:
        """The secret ``name``: locally, the environment variable ``name`` (or its upper-case
        form with ``_`` for other characters: ``db-password`` -> ``DB_PASSWORD``)."""
        value = _secret(name)
        if value is None:
            raise LookupError(
                f"no secret {name!r}: locally a secret is an environment variable; set "
                f"{_variable(name)} in the step's environment "
                "(Environment.environment_variables) or before starting Jupyter"
            )
        return value

    def get_secrets(self, secrets: Iterable[str]) -> dict[str, str | None]:
        """Name -> value of each secret (None for those not set)."""
        return {name: _secret(name) for name in secrets}

    # -- status ----------------------------------------------------------------------------
    def get_status(self) -> str:
        """The run's current status."""
        raise NotImplementedError

    def get_detailed_status(self) -> dict[str, Any]:
        """``{"status": ..., "details": ...}``: the status and why the run is in it."""
        return {"status": self.get_status(), "details": self._status_details()}

    def _status_details(self) -> str | None:
        return None

    def _set_status(self, status: str, error: str | None = None) -> None:
        """Record a status change asked for by start/complete/fail."""
        raise NotImplementedError

    def start(self) -> None:
        """Mark the run as started (Running)."""
        self._set_status("Running")

    def complete(self, _set_status: bool = True) -> None:
        """Mark the run as completed."""
        if _set_status:
            self._set_status("Completed")

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """Mark the run as failed, with ``error_details`` (a message or exception) as error."""
        if _set_status:
            reason = str(error_details) if error_details is not None else "marked failed"
            self._set_status("Failed", f"{error_code}: {reason}" if error_code else reason)

    def cancel(self) -> None:
        """Cancel the run."""
        self._cancel()

    def _cancel(self) -> None:
        self._set_status("Canceled")

    def flush(self, timeout_seconds: int = 300) -> None:
        """Nothing to wait for: every record is written when it is logged."""

    def _can_wait(self) -> str | None:
        """Why waiting for this run would never end (None when it can be waited for)."""
        return None

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Wait until the run ends; returns its details. With ``show_output``, prints each
        status change. A failed run raises RunFailedError unless ``raise_on_error`` is False."""
        why = self._can_wait()
        if why:
            raise RuntimeError(f"run {self.id}: {why}")
        shown = None
        while True:
            status = self.get_status()
            if show_output and status != shown:
                print(f"Run {self.id} status: {status}", flush=True)
                shown = status
            if status in TERMINAL_STATUSES:
                break
            time.sleep(0.25)
        details = self.get_details()
        if raise_on_error and status == "Failed":
            raise RunFailedError(f"run {self.id} ended Failed: {details.get('error') or ''}")
        return details

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: builtins.type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.get_status() in TERMINAL_STATUSES:
            return
        if exc is None:
            self.complete()
        else:
            self.fail(error_details=f"{exc_type.__name__ if exc_type else 'Error'}: {exc}")

    # -- details and logs ------------------------------------------------------------------
    def _details(self) -> dict[str, Any]:
        """The run's own facts for get_details (times, target, error, ...)."""
        return {}

    def _log_files(self) -> dict[str, str]:
        """Log name -> path of the run's logs."""
        return {}

    def get_details(self) -> dict[str, Any]:
        """v1's details: runId, status, times, properties, tags, logFiles (name -> path)..."""
        details: dict[str, Any] = {
            "runId": self.id,
            "target": "local",
            "status": self.get_status(),
            "properties": self.get_properties(),
            "tags": self.get_tags(),
            "inputDatasets": [],
            "outputDatasets": [],
            "submittedBy": os.environ.get("USER") or os.environ.get("USERNAME") or "",
        }
        details.update(self._details())
        details["logFiles"] = dict(self._log_files())
        return details

    def get_details_with_logs(self) -> dict[str, Any]:
        """``get_details()`` with the text of each log under ``logFiles``."""
        details = self.get_details()
        details["logFiles"] = {name: _read_text(p) for name, p in details["logFiles"].items()}
        return details

    def get_all_logs(self, destination: str | None = None) -> builtins.list[str]:
        """Write the run's logs into ``destination`` (default ``./assets/<run id>``);
        returns the paths written."""
        if destination and os.path.exists(destination) and not os.path.isdir(destination):
            raise FileExistsError(f"{destination!r} exists and is not a directory")
        folder = Path(destination or os.path.join("assets", self.id))
        written = []
        for name, text in self.get_details_with_logs()["logFiles"].items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(str(target))
        return written

    def get_environment(self) -> Any:
        """The Environment the run used."""
        return self._environment()

    def _environment(self) -> Any:
        raise RuntimeError(f"run {self.id} has no environment of its own")

    def clean(self) -> builtins.list[str]:
        """Remove what the run left on its compute (its working copy of the code and staged
        inputs) once it ended; returns the paths removed."""
        return self._clean()

    def _clean(self) -> builtins.list[str]:
        return []

    # -- metrics -------------------------------------------------------------------------
    def _metric_records(self) -> builtins.list[dict[str, Any]]:
        raise NotImplementedError

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """The run's metrics in v1's shapes; with ``recursive``, ``{run id: metrics}`` for
        the run and every descendant (of type ``run_type`` when given)."""
        own = summarize_metrics(self._metric_records(), name)
        if not recursive:
            return own
        runs = [self, *self.get_children(recursive=True)]
        return {
            r.id: (own if r is self else r.get_metrics(name))
            for r in runs
            if run_type is None or r.type == run_type
        }

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        description: str | None = None,
        datasets: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Register the run's file or folder ``model_path`` (default: ``model_name``; e.g.
        ``outputs/model.pkl``, one of ``get_file_names()``) as a new version of model
        ``model_name`` in the workspace's model registry, with this run's id; returns the
        ``Model``. Needs the package's dependencies (a local step has them)."""
        try:
            models = importlib.import_module(MODELS_MODULE)
        except ImportError as exc:
            raise NotSupportedError(
                f"Run.register_model needs the workspace's model registry, which this Python "
                f"cannot open ({exc}); keep the model in ./outputs and register it after the "
                "run: step_run.register_model(name, 'outputs/...')"
            ) from exc
        return models.register_run_model(
            self,
            model_name,
            model_path,
            tags=tags,
            properties=properties,
            model_framework=model_framework,
            model_framework_version=model_framework_version,
            description=description,
            datasets=datasets,
            sample_input_dataset=sample_input_dataset,
            sample_output_dataset=sample_output_dataset,
            resource_configuration=resource_configuration,
        )

    def __eq__(self, other: object) -> bool:
        """Two objects of one run (the same id and type) are equal."""
        if not isinstance(other, Run):
            return NotImplemented
        return (self.id, self.type) == (other.id, other.type)

    def __hash__(self) -> int:
        return hash((self.id, self.type))

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, type={self.type!r}, status={self.get_status()!r})"


def _variable(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name).upper()


def _secret(name: str) -> str | None:
    for candidate in (name, _variable(name)):
        if candidate in os.environ:
            return os.environ[candidate]
    return None


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""
