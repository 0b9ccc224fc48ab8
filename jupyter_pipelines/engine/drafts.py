"""Pipeline drafts: named, saved, editable pipelines to submit again and again (v1
``azureml.pipeline.core.PipelineDraft``).

A draft keeps a pipeline (as a pipeline file under ``.pipelines/drafts/``), the experiment
its runs go to, the parameter values and ``continue_on_step_failure`` setting they use,
tags, properties, and where it came from. ``update`` changes any of those; ``submit_run``
starts a run of what the draft holds now; ``publish`` makes a PublishedPipeline of it.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import EngineError, PipelineValidationError, UnknownPipelineDraftError, did_you_mean
from ..model.fileformat import document_to_pipeline
from ..model.parameters import resolve_parameter_values
from ..model.pipeline import Pipeline
from ..stores.drafts import DraftRecord, DraftStore
from ..stores.workspace import Workspace
from . import tag_filters as tf
from .experiment import Experiment, check_experiment_name
from .runs import PipelineRun
from .submit import check_pipeline


def _store(workspace: Workspace) -> DraftStore:
    return DraftStore(workspace.dir)


class PipelineDraft:
    """A mutable, named pipeline saved in the workspace (v1 ``PipelineDraft``).

    Make one with ``PipelineDraft.create(ws, pipeline, name, experiment_name=...)`` and
    find it again with ``PipelineDraft.get(ws, id)`` or ``PipelineDraft.list(ws)``.
    """

    def __init__(
        self,
        workspace: Workspace,
        id: str,
        name: str | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        graph_draft_id: str | None = None,
        parent_pipeline_id: str | None = None,
        parent_pipeline_run_id: str | None = None,
        parent_step_run_ids: list[str] | None = None,
        parent_pipeline_draft_id: str | None = None,
        last_submitted_pipeline_run_id: str | None = None,
    ) -> None:
        self._workspace = workspace
        self._record = DraftRecord(
            id=id,
            name=name or "",
            experiment_name=experiment_name or "",
            description=description or "",
            tags=dict(tags or {}),
            properties=dict(properties or {}),
            parent_pipeline_id=parent_pipeline_id,
            parent_pipeline_run_id=parent_pipeline_run_id,
            parent_step_run_ids=list(parent_step_run_ids or []),
            parent_pipeline_draft_id=parent_pipeline_draft_id,
            last_submitted_pipeline_run_id=last_submitted_pipeline_run_id,
        )

    @classmethod
    def _from_record(cls, workspace: Workspace, record: DraftRecord) -> PipelineDraft:
        draft = cls(workspace, record.id)
        draft._record = record
        return draft

    # -- what it is --------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def experiment_name(self) -> str:
        """The experiment that ``submit_run`` submits to."""
        return self._record.experiment_name

    @property
    def tags(self) -> dict[str, Any]:
        return self._record.tags

    @property
    def properties(self) -> dict[str, Any]:
        return self._record.properties

    @property
    def pipeline_parameters(self) -> dict[str, Any]:
        """The parameter values ``submit_run`` uses (the others keep their defaults)."""
        return dict(self._record.pipeline_parameters)

    @property
    def continue_on_step_failure(self) -> bool | None:
        return self._record.continue_on_step_failure

    @property
    def parent_pipeline_id(self) -> str | None:
        """The published pipeline the draft was made from, if any."""
        return self._record.parent_pipeline_id

    @property
    def parent_pipeline_run_id(self) -> str | None:
        """The pipeline run the draft was made from, if any."""
        return self._record.parent_pipeline_run_id

    @property
    def parent_step_run_ids(self) -> list[str]:
        """The step runs of the pipeline run the draft was made from."""
        return list(self._record.parent_step_run_ids)

    @property
    def parent_pipeline_draft_id(self) -> str | None:
        """The draft this one was cloned from, if any."""
        return self._record.parent_pipeline_draft_id

    @property
    def last_submitted_pipeline_run_id(self) -> str | None:
        """The id of the run ``submit_run`` started last (None before the first)."""
        return self._record.last_submitted_pipeline_run_id

    @property
    def workspace(self) -> Workspace:
        return self._workspace

    @property
    def pipeline_file(self) -> Path:
        """The draft's pipeline file (``.pipelines/drafts/<id>.pipeline.yaml``)."""
        return _store(self._workspace).pipeline_path(self.id)

    # -- finding -----------------------------------------------------------------------
    @staticmethod
    def get(
        workspace: Workspace,
        id: str,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> PipelineDraft:
        """The draft with id ``id``."""
        store = _store(workspace)
        record = store.get(id)
        if record is None:
            known = [r.id for r in store.all()]
            raise UnknownPipelineDraftError(
                f"no pipeline draft {id!r} in {workspace!r}{did_you_mean(id, known)}; "
                "PipelineDraft.list(ws) lists the drafts"
            )
        return PipelineDraft._from_record(workspace, record)

    @staticmethod
    def list(
        workspace: Workspace, tags: dict[str, Any] | None = None, _workflow_provider: Any = None
    ) -> list[PipelineDraft]:
        """The workspace's drafts, oldest first; only those with ``tags`` when given
        (a ``{name: value}`` dict, a name, or a list of names)."""
        wanted = tf.normalize_filter(tags, "tags")
        return [
            PipelineDraft._from_record(workspace, r)
            for r in _store(workspace).all()
            if tf.matches(r.tags, wanted)
        ]

    # -- making ------------------------------------------------------------------------
    @staticmethod
    def create(
        workspace: Workspace,
        pipeline: Any,
        name: str | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        continue_on_step_failure: bool | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        _workflow_provider: Any = None,
        _service_endpoint: Any = None,
    ) -> PipelineDraft:
        """Save a new draft of ``pipeline``: a Pipeline (``name`` and ``experiment_name``
        are then required), another PipelineDraft (a copy), a PipelineRun (a draft of
        the pipeline that run ran, with its parameter values) or a PublishedPipeline (its
        pipeline; named after it unless ``name``/``experiment_name`` are given)."""
        if isinstance(pipeline, PipelineDraft):
            return pipeline.clone()
        if isinstance(pipeline, PipelineRun):
            return _from_run(workspace, pipeline)
        from .publishing import PublishedPipeline

        parent_id = None
        if isinstance(pipeline, PublishedPipeline):
            # A draft of what a published pipeline runs (its steps read their source folders
            # again: a draft is for editing); experiment_name defaults to its name.
            published = pipeline
            name = name or published.name
            experiment_name = experiment_name or published._sanitize_name()
            description = description or published.description
            pipeline = published._pipeline()
            if continue_on_step_failure is None:
                continue_on_step_failure = published.continue_on_step_failure
            parent_id = published.id
        if not isinstance(pipeline, Pipeline):
            raise EngineError(
                "PipelineDraft.create: pipeline must be a Pipeline, a PipelineDraft or a "
                f"PipelineRun (or a PublishedPipeline), got {type(pipeline).__name__}"
            )
        if not name:
            raise EngineError("PipelineDraft.create: name is required for a Pipeline")
        if not experiment_name:
            raise EngineError("PipelineDraft.create: experiment_name is required for a Pipeline")
        check_experiment_name(experiment_name)
        values = _checked(workspace, pipeline, pipeline_parameters)
        record = DraftRecord(
            id=str(uuid.uuid4()),
            name=name,
            experiment_name=experiment_name,
            description=description or "",
            tags=_plain(tags, "tags"),
            properties=_plain(properties, "properties"),
            pipeline_parameters=values,
            continue_on_step_failure=continue_on_step_failure,
            parent_pipeline_id=parent_id,
        )
        return PipelineDraft._from_record(workspace, _store(workspace).create(record, pipeline))

    def clone(self) -> PipelineDraft:
        """A new draft with this one's pipeline and settings; its parent is this draft."""
        current = self._reload()
        record = DraftRecord(
            id=str(uuid.uuid4()),
            name=current.name,
            experiment_name=current.experiment_name,
            description=current.description,
            tags=dict(current.tags),
            properties=dict(current.properties),
            pipeline_parameters=dict(current.pipeline_parameters),
            continue_on_step_failure=current.continue_on_step_failure,
            parent_pipeline_draft_id=current.id,
        )
        created = _store(self._workspace).create(record, self.get_pipeline())
        return PipelineDraft._from_record(self._workspace, created)

    # -- changing ----------------------------------------------------------------------
    def update(
        self,
        pipeline: Pipeline | None = None,
        name: str | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
        tags: dict[str, Any] | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        continue_on_step_failure: bool | None = None,
        _workflow_provider: Any = None,
    ) -> None:
        """Change what is given (tags are replaced as a whole); the rest stays.

        A new pipeline or new parameter values are checked first: on any problem nothing
        changes. Parameter values the new pipeline no longer declares are dropped.
        """
        current = self._reload()
        if pipeline is not None and not isinstance(pipeline, Pipeline):
            raise EngineError(f"update: pipeline must be a Pipeline, got {type(pipeline).__name__}")
        changes: dict[str, Any] = {}
        if pipeline is not None or pipeline_parameters is not None:
            checked = pipeline if pipeline is not None else self.get_pipeline()
            values = current.pipeline_parameters if pipeline_parameters is None else {}
            values = {k: v for k, v in values.items() if k in checked.parameters}
            values.update(pipeline_parameters or {})
            changes["pipeline_parameters"] = _checked(self._workspace, checked, values)
        if experiment_name is not None:
            check_experiment_name(experiment_name)
            changes["experiment_name"] = experiment_name
        for key, value in (("name", name), ("description", description)):
            if value is not None:
                changes[key] = value
        if tags is not None:
            changes["tags"] = _plain(tags, "tags")
        if continue_on_step_failure is not None:
            changes["continue_on_step_failure"] = bool(continue_on_step_failure)
        self._record = _store(self._workspace).update(self.id, changes, pipeline)

    def delete(self, _workflow_provider: Any = None) -> None:
        """Delete the draft and its pipeline file (runs it started are kept)."""
        if not _store(self._workspace).delete(self.id):
            raise UnknownPipelineDraftError(f"no pipeline draft {self.id!r}: already deleted?")

    # -- using -------------------------------------------------------------------------
    def publish(self, _workflow_provider: Any = None) -> Any:
        """Publish what the draft holds now: its pipeline (code frozen now), named and
        described as the draft, with its ``continue_on_step_failure``; the
        PublishedPipeline."""
        from .published_runs import publish
        from .publishing import PublishedPipeline

        current = self._reload()
        record = publish(
            self._workspace,
            self.get_pipeline(),
            current.name,
            current.description,
            None,
            current.continue_on_step_failure,
            source={"draft_id": current.id},
        )
        return PublishedPipeline._of(self._workspace, record)

    def get_pipeline(self) -> Pipeline:
        """The draft's pipeline, read from its pipeline file."""
        self._reload()
        return Pipeline.load(self.pipeline_file, workspace=self._workspace)

    def get_graph(self, _workflow_provider: Any = None) -> nx.DiGraph:
        """The graph of the draft's pipeline: step names, an edge where a step waits."""
        return self.get_pipeline().graph

    def submit_run(self, _workflow_provider: Any = None, *, show_output: bool = False) -> Any:
        """Start a run of the draft's pipeline in its experiment, with its parameter values
        and ``continue_on_step_failure``; return the PipelineRun at once."""
        current = self._reload()
        experiment = Experiment(self._workspace, current.experiment_name)
        return self._submit_to_experiment(experiment, None, show_output=show_output)

    def _submit_to_experiment(
        self, experiment: Experiment, tags: dict[str, Any] | None, **kwargs: Any
    ) -> Any:
        """Submit the draft to ``experiment`` (``Experiment.submit(draft)``); remembered as
        the draft's last submitted run."""
        current = self._reload()
        options: dict[str, Any] = {
            "pipeline_parameters": current.pipeline_parameters,
            "description": current.description or None,
            "show_output": False,
        }
        if current.continue_on_step_failure is not None:
            options["continue_on_step_failure"] = current.continue_on_step_failure
        options.update(kwargs)
        run = experiment.submit(self.get_pipeline(), tags=tags, **options)
        self._record = _store(self._workspace).update(
            self.id, {"last_submitted_pipeline_run_id": run.id}
        )
        return run

    def save(self, path: str | None = None, _workflow_provider: Any = None) -> str:
        """Write the draft's pipeline to a pipeline file; its path.

        ``path`` is a file, or a folder (the file is then ``<name>.pipeline.yaml`` there);
        the current folder when None. Paths in the file are relative to where it is.
        """
        target = Path(path) if path else Path.cwd()
        if target.is_dir():
            stem = re.sub(r"[^\w.-]+", "_", self._reload().name).strip("._") or self.id
            target = target / f"{stem}.pipeline.yaml"
        self.get_pipeline().save(target)
        return str(target)

    def _reload(self) -> DraftRecord:
        record = _store(self._workspace).get(self.id)
        if record is None:
            raise UnknownPipelineDraftError(
                f"pipeline draft {self.id!r} does not exist in {self._workspace!r} "
                "(deleted, or never created); PipelineDraft.list(ws) lists the drafts"
            )
        self._record = record
        return record

    def __repr__(self) -> str:
        return (
            f"PipelineDraft(name={self.name!r}, id={self.id!r}, "
            f"experiment={self.experiment_name!r}, tags={self.tags!r}, "
            f"last_submitted_pipeline_run_id={self.last_submitted_pipeline_run_id!r})"
        )


def _plain(values: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """``values`` as a JSON-storable dict, else an error naming the bad entry."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise EngineError(f"{what} must be a dict, got {type(values).__name__}")
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise EngineError(
                f"{what} {key!r}: a value of type {type(value).__name__} cannot be saved "
                "with a draft; use strings, numbers, booleans, or lists and dicts of them"
            ) from None
    return {str(k): v for k, v in values.items()}


def _checked(
    workspace: Workspace, pipeline: Pipeline, values: dict[str, Any] | None
) -> dict[str, Any]:
    """``values`` after checking the pipeline and the values against it (all problems at
    once, as at submit); nothing is saved when there is any."""
    errors = [i for i in check_pipeline(workspace, pipeline) if i.severity == "error"]
    if errors:
        raise PipelineValidationError(errors, source=pipeline.source_path)
    plain = _plain(values, "pipeline_parameters")
    resolve_parameter_values(pipeline.parameters, plain)
    return plain


def _from_run(workspace: Workspace, run: PipelineRun) -> PipelineDraft:
    """A draft of the pipeline a run ran, with the parameter values it used."""
    store = workspace.run_store
    record = store.get_run(run.id)
    base = Path(record.pipeline_file).parent if record.pipeline_file else Path(os.getcwd())
    pipeline = document_to_pipeline(record.pipeline, base, f"run {record.id}")
    values = {k: v for k, v in record.parameters.items() if not isinstance(v, dict)}
    draft = DraftRecord(
        id=str(uuid.uuid4()),
        name=record.pipeline.get("name") or f"draft of run {record.id[:8]}",
        experiment_name=record.experiment,
        description=record.description,
        tags=dict(record.tags),
        pipeline_parameters=_checked(workspace, pipeline, values),
        continue_on_step_failure=bool(record.options.get("continue_on_step_failure", False)),
        parent_pipeline_run_id=record.id,
        parent_step_run_ids=[s.id for s in store.get_steps(record.id)],
    )
    return PipelineDraft._from_record(workspace, _store(workspace).create(draft, pipeline))
