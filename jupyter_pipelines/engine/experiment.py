"""Experiments: named groups of runs; ``Experiment(ws, name).submit(pipeline)`` starts a run.

An experiment is known by its name; opening one records it (with an id, as v1 gives one)
in the workspace's experiment table (stores/experiments.py), where its tags and archived
state are kept. Its runs are the run store's runs of that name.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from ..errors import EngineError, StoreError
from ..model.pipeline import Pipeline
from ..runtime.run import Run
from ..stores.experiments import ExperimentRecord, ExperimentStore
from ..stores.servers import ServerInfo, running_servers, workspace_root_of
from ..stores.workspace import Workspace
from . import pipeline as _public_pipeline  # noqa: F401  (model pipelines are the public class)
from . import tag_filters as tf
from .interactive import InteractiveRun, start_logging
from .runs import PipelineRun
from .submit import submit_pipeline

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")

#: The arguments ``Experiment.submit`` takes with a Pipeline.
SUBMIT_ARGUMENTS = frozenset(
    {
        "pipeline_parameters",
        "continue_on_step_failure",
        "regenerate_outputs",
        "description",
        "steps",
        "from_steps",
        "to_steps",
        "show_output",
        "root",  # the folder source directories must lie in (the server passes its root)
    }
)

_V1_DOCS = "https://learn.microsoft.com/python/api/azureml-core/azureml.core.experiment.experiment"


class ViewType:
    """Which experiments ``Experiment.list`` shows (v1 ``azureml.core.experiment.ViewType``)."""

    ActiveOnly = tf.ACTIVE_ONLY
    All = tf.ALL
    ArchivedOnly = tf.ARCHIVED_ONLY


@runtime_checkable
class Submittable(Protocol):
    """Something ``Experiment.submit`` runs besides a Pipeline: a PipelineDraft, a
    PublishedPipeline or a PipelineEndpoint. It submits itself to ``experiment``."""

    def _submit_to_experiment(
        self, experiment: Experiment, tags: dict[str, Any] | None, **kwargs: Any
    ) -> Any: ...


class RunList(list[Any]):
    """The runs ``get_runs`` found, newest first: a list that is also an iterator, so that
    both ``runs[0]`` and v1's ``next(experiment.get_runs())`` work."""

    _cursor = 0

    def __next__(self) -> Any:
        if self._cursor >= len(self):
            raise StopIteration
        self._cursor += 1
        return self[self._cursor - 1]


def check_experiment_name(name: Any) -> str:
    """``name`` when it is a valid experiment name, else an error saying what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise EngineError(
            f"experiment name {name!r} is invalid: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )
    return name


def _store(workspace: Workspace) -> ExperimentStore:
    return ExperimentStore(Path(workspace.dir) / "workspace.db")


class Experiment:
    """A named series of runs in a workspace (v1 ``Experiment``)."""

    def __init__(
        self,
        workspace: Workspace,
        name: str,
        _skip_name_validation: bool = False,
        **kwargs: Any,
    ) -> None:
        if not (_skip_name_validation and isinstance(name, str) and name):
            check_experiment_name(name)
        self._workspace = workspace
        self._name = name
        self._meta: ExperimentRecord = _store(workspace).get_or_create(name)

    # -- what it is --------------------------------------------------------------------
    @property
    def workspace(self) -> Workspace:
        """The workspace holding the experiment."""
        return self._workspace

    @property
    def workspace_object(self) -> Workspace:
        """(Deprecated in v1) the workspace; use ``workspace``."""
        warnings.warn(
            "Experiment.workspace_object is deprecated, use experiment.workspace",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._workspace

    @property
    def name(self) -> str:
        return self._name

    @property
    def id(self) -> str:
        """The experiment's id (a UUID given when it was first recorded)."""
        return self._meta.id

    @property
    def archived_time(self) -> str | None:
        """When the experiment was archived (ISO 8601, UTC); None while it is active."""
        ts = self._meta.archived_time
        return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat() if ts else None

    @property
    def tags(self) -> dict[str, Any]:
        """The experiment's tags (as last read; ``refresh()`` reads them again)."""
        return self._meta.tags

    def refresh(self) -> None:
        """Read the experiment's tags and archived state again from the workspace."""
        self._meta = _store(self._workspace).get_or_create(self._name)

    # -- tags and archive --------------------------------------------------------------
    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag; a tag without a value has the value None (as a run's tags)."""
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Add or change tags; tags not named are left as they are."""
        if not isinstance(tags, dict):
            raise EngineError(f"set_tags expects a dict of tags, got {type(tags).__name__}")
        values = {str(k): v for k, v in tags.items()}
        _check_json(values, "tag")
        self._meta = _store(self._workspace).update_tags(self._name, set_tags=values)

    def remove_tags(self, tags: list[str] | str) -> None:
        """Remove the tags named in ``tags``."""
        names = [tags] if isinstance(tags, str) else [str(t) for t in tags]
        self._meta = _store(self._workspace).update_tags(self._name, remove=names)

    def archive(self) -> None:
        """Archive the experiment: ``Experiment.list()`` no longer shows it by default.

        Its runs are kept. Submitting to it (or ``start_logging``) makes it active again.
        """
        self._meta = _store(self._workspace).set_archived(self._name, True)

    def reactivate(self, new_name: str | None = None) -> None:
        """Make an archived experiment active again (v1: it cannot be renamed on the way)."""
        if new_name is not None:
            raise EngineError(
                f"cannot rename experiment {self._name!r} to {new_name!r} while reactivating "
                "it (as in v1); call reactivate() without new_name"
            )
        self._meta = _store(self._workspace).set_archived(self._name, False)

    def _write_access(self) -> None:
        """Writing to an archived experiment makes it active again (v1 makes a new active
        experiment of the same name; here runs are known by the name, so it is this one)."""
        if self._meta.archived:
            self._meta = _store(self._workspace).set_archived(self._name, False)

    # -- runs --------------------------------------------------------------------------
    def submit(self, config: Any, tags: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """Validate and start a run of ``config``; return the run at once.

        ``config`` is a Pipeline, or anything that knows how to submit itself to an
        experiment (a PipelineDraft; see ``Submittable``). Keyword arguments for a
        Pipeline: ``pipeline_parameters``, ``continue_on_step_failure``,
        ``regenerate_outputs``, ``description``; for a partial run ``steps``,
        ``from_steps`` and ``to_steps`` (see engine/selection.py); ``show_output=False``
        silences the per-step "will run" / "reuses" lines printed at submit; ``root``: a
        folder every step's source directory must lie in (the server passes its root).
        """
        if isinstance(config, Pipeline):
            run = self._submit_pipeline(config, tags, **kwargs)
        elif isinstance(config, Submittable):
            run = config._submit_to_experiment(self, tags, **kwargs)
        else:
            raise EngineError(
                "Experiment.submit expects a Pipeline, PipelineDraft, PublishedPipeline or "
                f"PipelineEndpoint, got {type(config).__name__}"
            )
        self._write_access()
        return run

    def _submit_pipeline(
        self, pipeline: Pipeline, tags: dict[str, Any] | None, **kwargs: Any
    ) -> PipelineRun:
        unknown = set(kwargs) - SUBMIT_ARGUMENTS
        if unknown:
            raise EngineError(
                f"unknown submit argument(s): {', '.join(sorted(unknown))}; "
                f"accepted: {', '.join(sorted(SUBMIT_ARGUMENTS))}"
            )
        show = kwargs.pop("show_output", True)
        run_id = submit_pipeline(self._workspace, self._name, pipeline, tags=tags, **kwargs)
        run = PipelineRun(self, run_id)
        if show:
            print(run.describe_plan())
        return run

    def start_logging(self, *args: Any, **kwargs: Any) -> InteractiveRun:
        """Start an interactive run to log metrics and files to, then ``complete()``.

        v1's arguments: ``name``/``display_name``, ``run_id``, ``outputs`` (a folder copied
        into the run when it completes; default ``./outputs``, False for none),
        ``snapshot_directory`` (default ``.``; None takes no snapshot), ``tags``,
        ``properties``, ``description``. Usable as a context manager.
        """
        run = start_logging(self, *args, **kwargs)
        self._write_access()
        return run

    def get_runs(
        self,
        type: str | None = None,
        tags: str | dict[str, Any] | None = None,
        properties: str | dict[str, Any] | None = None,
        include_children: bool = False,
    ) -> RunList:
        """The experiment's runs, newest first, filtered as in v1.

        ``type``: ``"azureml.PipelineRun"``, ``"azureml.StepRun"`` or ``"interactive"``;
        ``tags``/``properties``: a name, a ``{name: value}`` dict or a list of names;
        ``include_children``: step runs (and their child runs) too, each after its
        pipeline run. As in v1, this is ``Run.list(experiment, ...)``.
        """
        return RunList(
            Run.list(
                self,
                type=type,
                tags=tags,
                properties=properties,
                include_children=include_children,
            )
        )

    # -- the workspace's experiments -----------------------------------------------------
    @staticmethod
    def list(
        workspace: Workspace,
        experiment_name: str | None = None,
        view_type: str = "ActiveOnly",
        tags: str | dict[str, Any] | None = None,
    ) -> list[Experiment]:
        """The workspace's experiments, oldest first: active ones unless ``view_type`` is
        ``"All"`` or ``"ArchivedOnly"``; only ``experiment_name`` when given; only those
        with the tags named (a name, a ``{name: value}`` dict or a list of names)."""
        tf.check_view_type(view_type)
        wanted = tf.normalize_filter(tags, "tags")
        found = []
        for record in _store(workspace).all():
            if experiment_name is not None and record.name != experiment_name:
                continue
            if tf.shown_in_view(record.archived, view_type) and tf.matches(record.tags, wanted):
                found.append(Experiment._from_record(workspace, record))
        return found

    @staticmethod
    def delete(workspace: Workspace, experiment_id: str) -> None:
        """Delete the experiment with id ``experiment_id`` (its name is also accepted).

        Only an experiment without runs can be deleted: runs are kept, because later runs
        may reuse their results; archive an experiment to hide it instead.
        """
        store = _store(workspace)
        record = store.by_id(experiment_id) or store.get(experiment_id)
        if record is None:
            known = [r.name for r in store.all()]
            raise EngineError(
                f"no experiment with id {experiment_id!r} in {workspace!r}; "
                f"Experiment(ws, name).id gives an experiment's id (experiments: "
                f"{', '.join(known) or 'none'})"
            )
        try:
            store.delete(record.name)
        except StoreError as exc:
            raise EngineError(str(exc)) from exc

    @staticmethod
    def from_directory(path: str, auth: Any = None) -> Experiment:
        """The experiment of a project folder (v1 reads it from the folder's project file).

        The workspace is the nearest one from ``path`` upwards (``Workspace.from_config``);
        the experiment is the one named by a v1 project file (``.azureml/project.json`` or
        ``aml_config/project.json`` with a ``Scope`` ending in ``/projects/NAME``) found
        from ``path`` upwards, else it is named after the folder.
        """
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise EngineError(f"from_directory: {str(folder)!r} is not a folder")
        name = _project_name(folder) or folder.name
        if not _NAME.match(name):
            raise EngineError(
                f"from_directory: folder name {name!r} is not a valid experiment name; "
                "use Experiment(Workspace.from_config(path), name) instead"
            )
        # The exported class (with experiments and get_run), as every user-facing workspace.
        from .workspace import Workspace as PublicWorkspace

        return Experiment(PublicWorkspace.from_config(str(folder)), name)

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ExperimentRecord) -> Experiment:
        experiment = cls.__new__(cls)
        experiment._workspace, experiment._name, experiment._meta = workspace, record.name, record
        return experiment

    # -- links -------------------------------------------------------------------------
    @property
    def portal_url(self) -> str:
        """The local "portal": the Jupyter server serving the workspace (its base URL),
        else the workspace folder as a ``file://`` URL."""
        server = _serving_server(self._workspace)
        return server.url if server else Path(self._workspace.dir).resolve().as_uri()

    def get_portal_url(self) -> str:
        """Where to see the experiment's runs: the REST listing of them on the Jupyter
        server serving the workspace (the JupyterLab sidebar shows the same), else the
        workspace folder's ``file://`` URL naming the experiment."""
        server = _serving_server(self._workspace)
        if server is not None:
            return f"{server.api}/runs?experiment={quote(self._name)}"
        return f"{Path(self._workspace.dir).resolve().as_uri()}#experiment={quote(self._name)}"

    @classmethod
    def get_docs_url(cls) -> str:
        """The reference documentation of the v1 class this one follows."""
        return _V1_DOCS

    def __repr__(self) -> str:
        return f"Experiment(name={self._name!r}, workspace={self._workspace!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Experiment)
            and other._name == self._name
            and other._workspace == self._workspace
        )

    def __hash__(self) -> int:
        return hash((self._name, self._workspace))


def _serving_server(workspace: Workspace) -> ServerInfo | None:
    """A running Jupyter server whose extension serves ``workspace`` (found from the Jupyter
    runtime folder, without a request, so that asking never waits on the network)."""
    root = Path(workspace.root).resolve()
    for server in running_servers():
        try:
            if workspace_root_of(server) == root:
                return server
        except OSError:
            continue
    return None


def _check_json(values: dict[str, Any], what: str) -> None:
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise EngineError(
                f"{what} {key!r}: value of type {type(value).__name__} cannot be stored; "
                "use a string, number or boolean"
            ) from None


def _project_name(folder: Path) -> str | None:
    """The experiment named by the nearest v1 project file from ``folder`` upwards."""
    for base in (folder, *folder.parents):
        for sub in ("aml_config", ".azureml"):
            for filename in ("project.json", "config.json"):
                candidate = base / sub / filename
                if not candidate.is_file():
                    continue
                try:
                    scope = json.loads(candidate.read_text()).get("Scope")
                except (OSError, ValueError, AttributeError):
                    continue
                if isinstance(scope, str) and "/projects/" in scope:
                    return scope.rstrip("/").rsplit("/projects/", 1)[1].split("/")[0]
    return None
