"""The one service object of the extension: the workspace of the server root and what the
REST handlers ask of it, as JSON-ready dicts."""

from __future__ import annotations

import mimetypes
import os
import re
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

from ..engine.describe import default_experiment_name, describe_pipeline
from ..engine.experiment import Experiment, check_experiment_name
from ..engine.log_reader import ByteRange, file_size, read_range
from ..engine.recovery import reap_if_orphaned, reap_orphaned_runs
from ..engine.runs import PipelineRun, StepRun
from ..engine.submit import check_pipeline
from ..errors import EngineError, ModelError, PipelineValidationError
from ..model.fileformat import (
    FORMAT_VERSION,
    check_document,
    document_to_pipeline,
    dump_document,
    parse_yaml,
    pipeline_to_document,
    warm_up,
)
from ..model.pipeline import Pipeline
from ..model.untrusted import path_problem
from ..reuse.snapshot import SnapshotStore
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import WORKSPACE_DIRNAME, Workspace
from .errors import BadRequestError, ForbiddenPathError, NotFoundError
from .events import EventHubs
from .publishing import PublishingService
from .served_files import ServedFiles
from .workspace_objects import WorkspaceObjects
from .workspace_objects import _datastore as _datastore  # (tests import it from here)

PIPELINE_SUFFIXES = (".pipeline.yaml", ".pipeline.yml", ".pipeline")
MAX_RUNS = 500
#: The most bytes of a log one answer holds unless asked for more (``max_bytes``), and the
#: most that may be asked for.
LOG_BYTES = 1024 * 1024
MAX_LOG_BYTES = 16 * 1024 * 1024
#: Folders never searched for pipeline files.
_SKIP_DIRS = {WORKSPACE_DIRNAME, ".git", "node_modules", "__pycache__", ".ipynb_checkpoints"}
_SUBMIT_OPTIONS = ("steps", "from_steps", "to_steps")


class PipelinesService(WorkspaceObjects):
    """Pipelines, runs and workspace objects of one Jupyter server's root folder (the
    workspace objects' part: WorkspaceObjects)."""

    def __init__(self, root_dir: str | os.PathLike[str]) -> None:
        self.root = Path(root_dir).expanduser().resolve()
        self.workspace = Workspace.from_config(self.root)
        self.store = self.workspace.run_store
        self.events = EventHubs(self.store)
        self.publishing = PublishingService(self.workspace, root=self.root)
        self.served = ServedFiles(SnapshotStore(self.workspace.snapshots_dir))
        # The first pipeline check compiles the JSON Schema (about a second): do it now.
        threading.Thread(target=warm_up, name="jupyter-pipelines-warm-up", daemon=True).start()

    # -- paths ---------------------------------------------------------------------------
    def resolve(self, path: Any, field: str = "path") -> Path:
        """``path`` (relative to the root, or absolute inside it) as an absolute path;
        ``field`` names it in the error of a path that is not one."""
        if not isinstance(path, str) or not path:
            raise BadRequestError(f"{field!r} must be a non-empty string")
        if path_problem(path):
            raise BadRequestError(f"{field!r} {path_problem(path)}")
        resolved = (self.root / path).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ForbiddenPathError(f"path {path!r} is outside the server root")
        return resolved

    def relative(self, path: str | None) -> str | None:
        """A stored absolute path as seen by clients: relative to the root when inside it."""
        if not path:
            return path
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path

    # -- pipelines -----------------------------------------------------------------------
    def list_pipelines(self) -> dict[str, Any]:
        found = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(PIPELINE_SUFFIXES):
                    found.append((Path(folder) / name).relative_to(self.root).as_posix())
        return {"pipelines": found}

    def load(self, body: dict[str, Any]) -> Pipeline:
        """The pipeline a request names: ``{"path"}`` or ``{"document", "base_dir"?,
        "source"?}`` (``source``: the file the document is edited from, named in messages)."""
        if "path" in body:
            path = self.resolve(body["path"])
            if not path.is_file():
                raise NotFoundError(f"pipeline file {body['path']!r} does not exist")
            return Pipeline.load(path, workspace=self.workspace)
        if "document" in body:
            base = self.resolve(body.get("base_dir") or ".", "base_dir")
            # messages name the document by its file (the editor sends it) when there is one
            source = body.get("source")
            if source is not None and not isinstance(source, str):
                raise BadRequestError("'source' must be the path of the edited file (a string)")
            label = source or "the pipeline"
            pipeline = document_to_pipeline(body["document"], base, label)
            pipeline.workspace = self.workspace
            return pipeline
        raise BadRequestError("give the pipeline as 'path' or as 'document'")

    def validate(self, body: dict[str, Any]) -> dict[str, Any]:
        issues = check_pipeline(self.workspace, self.load(body), root=self.root)
        return {
            "valid": not any(i.severity == "error" for i in issues),
            "issues": [i.to_dict() for i in issues],
        }

    def parse(self, body: dict[str, Any]) -> dict[str, Any]:
        """The document of a pipeline file's text (what the editor opens); empty text is a new
        pipeline. Malformed YAML or a schema violation is a 400 naming the line or field."""
        text = body.get("text")
        if not isinstance(text, str):
            raise BadRequestError("'text' must be the pipeline file's text (a string)")
        source = str(body.get("source") or "pipeline text")
        doc = parse_yaml(text, source) if text.strip() else None
        if doc is None:
            doc = {"version": FORMAT_VERSION, "steps": {}}
        check_document(doc, source)
        return {"document": doc}

    def format(self, body: dict[str, Any]) -> dict[str, Any]:
        """The exact text the SDK writes for a document, and the document's validation issues
        (never an error for an invalid pipeline: the editor shows the issues and saves)."""
        doc = body.get("document")
        if not isinstance(doc, dict):
            raise BadRequestError("'document' must be a pipeline document (a JSON object)")
        text = dump_document(_json_floats(doc))
        try:
            pipeline = self.load(body)
            issues = [i.to_dict() for i in check_pipeline(self.workspace, pipeline, root=self.root)]
        except PipelineValidationError as exc:
            issues = [_issue_dict(i) for i in exc.issues]
        except ModelError as exc:
            issues = _file_error_issues(str(exc))
        return {
            "text": text,
            "valid": not any(i["severity"] == "error" for i in issues),
            "issues": issues,
        }

    def convert(self, body: dict[str, Any]) -> dict[str, Any]:
        """An Elyra ``.pipeline`` as a pipeline document; saved when ``target`` is given."""
        source = self.resolve(body.get("path"))
        if source.suffix != ".pipeline":
            raise BadRequestError(f"{body.get('path')!r} is not an Elyra .pipeline file")
        if not source.is_file():
            raise NotFoundError(f"pipeline file {body.get('path')!r} does not exist")
        pipeline = Pipeline.load(source, workspace=self.workspace)
        answer: dict[str, Any] = {
            "document": pipeline_to_document(pipeline, source.parent),
        }
        if body.get("target"):
            target = self.resolve(body["target"], "target")
            if not target.name.endswith(".pipeline.yaml"):
                raise BadRequestError("'target' must end with .pipeline.yaml")
            if target.exists() and not body.get("overwrite"):
                raise BadRequestError(f"{body['target']!r} exists; send overwrite: true")
            pipeline.save(target)
            answer["path"] = target.relative_to(self.root).as_posix()
        return answer

    def describe(self, body: dict[str, Any]) -> dict[str, Any]:
        return describe_pipeline(self.load(body), self.relative, root=self.root)

    # -- runs ----------------------------------------------------------------------------
    def list_runs(
        self,
        experiment: str | None = None,
        status: str | None = None,
        pipeline: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> dict[str, Any]:
        if not 0 < limit <= MAX_RUNS or offset < 0:
            raise BadRequestError(f"'limit' must be 1 to {MAX_RUNS} and 'offset' at least 0")
        pipeline_file = str(self.resolve(pipeline, "pipeline")) if pipeline else None
        filters = {"experiment": experiment, "status": status, "pipeline_file": pipeline_file}
        reap_orphaned_runs(self.store)  # a run whose driver died is listed Failed
        records = self.store.list_runs(limit=limit, offset=offset, **filters)
        return {
            "runs": [self.run_summary(r) for r in records],
            "total": self._count_runs(filters),
        }

    def _count_runs(self, filters: dict[str, str | None]) -> int:
        """How many runs match (the run store lists runs but does not count them)."""
        where = [(k, v) for k, v in filters.items() if v is not None]
        sql = "SELECT COUNT(*) FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(f"{k} = ?" for k, _ in where)
        uri = f"{self.store.path.as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            return int(conn.execute(sql, tuple(v for _, v in where)).fetchone()[0])

    def run_summary(self, record: RunRecord) -> dict[str, Any]:
        steps = self.store.get_steps(record.id)
        counts: dict[str, int] = {}
        for step in steps:
            counts[step.status] = counts.get(step.status, 0) + 1
        return {
            "id": record.id,
            "experiment": record.experiment,
            "status": record.status,
            "created": record.created,
            "started": record.started,
            "ended": record.ended,
            "description": record.description,
            "pipeline_name": record.pipeline.get("name"),
            "pipeline_file": self.relative(record.pipeline_file),
            "parameters": record.parameters,
            "tags": record.tags,
            "error": record.error,
            "steps": {"total": len(steps), **counts},
            "reused": sum(1 for s in steps if s.reused_from),
        }

    def _run(self, run_id: str) -> PipelineRun:
        record = self.store.get_run(run_id)
        return PipelineRun(Experiment(self.workspace, record.experiment), record.id)

    def get_run(self, run_id: str) -> dict[str, Any]:
        record = reap_if_orphaned(self.store, self.store.get_run(run_id))
        return {
            **self.run_summary(record),
            "options": record.options,
            "document": record.pipeline,
            "step_runs": [self.step_summary(s) for s in self.store.get_steps(record.id)],
        }

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        """Submit the pipeline a run request names (the server loads it on a worker thread
        with a time limit, then submits: ``load_submission``, ``submit_loaded``)."""
        return self.submit_loaded(*self.load_submission(body))

    def load_submission(self, body: dict[str, Any]) -> tuple[Pipeline, dict[str, Any]]:
        """The pipeline of a run request and the arguments of its submission; a field of
        the wrong type is a 400 naming it."""
        options = _submission_options(body)
        return self.load(body), options

    def submit_loaded(self, pipeline: Pipeline, options: dict[str, Any]) -> dict[str, Any]:
        """Submit a loaded pipeline with ``load_submission``'s options; the run's summary."""
        kwargs = dict(options)
        name = kwargs.pop("experiment") or default_experiment_name(pipeline)
        run = Experiment(self.workspace, name).submit(
            pipeline,
            show_output=False,
            root=self.root,  # over REST, code runs only from inside the server's root
            **kwargs,
        )
        return self.get_run(run.id)

    def rerun(self, run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Submit the pipeline of a run again, with its parameters, tags and options."""
        return self.submit_loaded(*self.load_rerun(run_id, body))

    def load_rerun(self, run_id: str, body: dict[str, Any]) -> tuple[Pipeline, dict[str, Any]]:
        """``load_submission`` of a run's pipeline, with its parameters, tags and options
        unless ``body`` changes them."""
        record = self.store.get_run(run_id)
        if record.pipeline_file and Path(record.pipeline_file).is_file():
            request: dict[str, Any] = {"path": record.pipeline_file}
        else:
            request = {"document": record.pipeline, "base_dir": str(self.root)}
        request.update(
            experiment=record.experiment,
            parameters=record.parameters,
            tags=record.tags,
            continue_on_step_failure=record.options.get("continue_on_step_failure", False),
        )
        request.update({k: v for k, v in body.items() if k not in ("path", "document")})
        return self.load_submission(request)

    def cancel(self, run_id: str) -> dict[str, Any]:
        self._run(run_id).cancel()
        return self.get_run(run_id)

    # -- steps ---------------------------------------------------------------------------
    def step_summary(self, step: StepRecord) -> dict[str, Any]:
        return {
            "id": step.id,
            "name": step.name,
            "status": step.status,
            "target": step.target,
            "depends_on": step.depends,
            "started": step.started,
            "ended": step.ended,
            "exit_code": step.exit_code,
            "error": step.error,
            "reused_from": step.reused_from,
            # a Dask target's worker address and its cluster's dashboard (else None)
            "worker": step.worker,
            "dashboard_link": step.dashboard_link,
        }

    def _step(self, run_id: str, name: str) -> StepRun:
        return self._run(run_id).get_step_run(name)

    def list_steps(self, run_id: str) -> dict[str, Any]:
        record = self.store.get_run(run_id)
        return {"steps": [self.step_summary(s) for s in self.store.get_steps(record.id)]}

    def get_step(self, run_id: str, name: str) -> dict[str, Any]:
        step = self._step(run_id, name)
        record = self.store.get_step(step.parent.id, name)
        return {
            **self.step_summary(record),
            "duration": step.duration,
            "outputs": {k: self.relative(v.get("path")) for k, v in record.outputs.items()},
            "reuse": step.get_reuse_info(),
            "notebook": self.relative(_str_or_none(step.get_notebook_path())),
        }

    def get_logs(
        self,
        run_id: str,
        name: str,
        stream: str,
        offset: int | None,
        tail: int | None,
        max_bytes: int | None = None,
    ) -> dict[str, Any]:
        """A byte range of a step's stdout or stderr, from ``offset`` or the last ``tail``
        bytes, at most ``max_bytes`` (``LOG_BYTES`` by default, ``MAX_LOG_BYTES`` at most);
        ``truncated`` says the log goes on from ``next_offset``."""
        if stream not in ("stdout", "stderr"):
            raise BadRequestError("'stream' must be 'stdout' or 'stderr'")
        for arg, value in (("offset", offset), ("tail", tail)):
            if value is not None and value < 0:
                raise BadRequestError(f"{arg!r} must be a number of bytes, at least 0")
        limit = LOG_BYTES if max_bytes is None else max_bytes
        if not 0 < limit <= MAX_LOG_BYTES:
            raise BadRequestError(f"'max_bytes' must be 1 to {MAX_LOG_BYTES}")
        step = self._step(run_id, name)
        path = str(step.origin_record().spec.get(f"{stream}_path") or "")
        if tail is not None:
            offset = max(0, file_size(path) - tail) if path else 0
        part = read_range(path, offset or 0, limit) if path else ByteRange(0, 0, 0, "")
        return {
            "stream": stream,
            "offset": part.offset,
            "next_offset": part.next_offset,
            "size": part.size,
            "truncated": part.truncated,
            "text": part.text,
        }

    def get_metrics(self, run_id: str, name: str) -> dict[str, Any]:
        return {"metrics": self._step(run_id, name).get_metrics()}

    def _records(self, step: StepRun) -> list[StepRecord]:
        """The records whose folders hold a step run's files: the reused run's, its own."""
        origin, own = step.origin_record(), self.store.get_step(step.parent.id, step.name)
        return [origin] if origin.id == own.id else [origin, own]

    def list_files(self, run_id: str, name: str) -> dict[str, Any]:
        """The names of the files the file route serves (see served_files.py)."""
        return {"files": self.served.names(self._records(self._step(run_id, name)))}

    def file_path(self, run_id: str, name: str, file: str) -> tuple[Path, str]:
        """A file of a step run, confined to its folder, and its content type."""
        step = self._step(run_id, name)
        root = step.files_root().resolve()
        path = (root / file).resolve()
        if root not in path.parents:
            raise ForbiddenPathError(f"file {file!r} is outside the step run's folder")
        path = self.served.check(self._records(step), file, step.file_path(file))
        return path, mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    def notebook_path(self, run_id: str, name: str) -> Path:
        step = self._step(run_id, name)
        path = step.get_notebook_path()
        if path is None:
            raise NotFoundError(f"step {name!r} has no executed notebook")
        return self.served.check(self._records(step), path.name, path)


def _str_or_none(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _json_floats(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with float parameter defaults written as floats: JSON clients (the
    editor) send 1.0 as 1, and the SDK writes a float parameter's default as ``1.0``."""
    parameters = doc.get("parameters")
    if not isinstance(parameters, dict):
        return doc
    fixed = {}
    for name, spec in parameters.items():
        default = spec.get("default") if isinstance(spec, dict) else None
        if _is_float_spec(spec) and isinstance(default, int) and not isinstance(default, bool):
            spec = {**spec, "default": float(default)}
        fixed[name] = spec
    return {**doc, "parameters": fixed}


def _is_float_spec(spec: Any) -> bool:
    return isinstance(spec, dict) and spec.get("type") == "float"


#: One problem line of a PipelineFileError: "  - steps.NAME.FIELD: message".
_PROBLEM_LINE = re.compile(
    r"^\s+- (?:steps\.(?P<step>[^.:\s]+)\.?)?(?P<field>[^:\s]*): (?P<msg>.+)$"
)


def _file_error_issues(message: str) -> list[dict[str, Any]]:
    """The problems of a pipeline-file error as issues, each on its step and field."""
    issues = []
    for line in message.splitlines()[1:]:
        match = _PROBLEM_LINE.match(line)
        if match:
            issues.append(
                {
                    "severity": "error",
                    "step": match["step"],
                    "field": match["field"] or None,
                    "message": match["msg"],
                }
            )
    return issues or [{"severity": "error", "step": None, "field": None, "message": message}]


def _issue_dict(issue: Any) -> dict[str, Any]:
    to_dict = getattr(issue, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {"severity": "error", "step": None, "field": None, "message": str(issue)}


def _submission_options(body: dict[str, Any]) -> dict[str, Any]:
    """The arguments of Experiment.submit in a run request, each of the type it needs."""
    experiment = body.get("experiment")
    if experiment not in (None, ""):
        try:
            check_experiment_name(experiment)
        except EngineError as exc:
            raise BadRequestError(f"'experiment': {exc}") from None
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise BadRequestError("'description' must be a string")
    options: dict[str, Any] = {
        "experiment": experiment or None,
        "tags": _mapping(body, "tags"),
        "pipeline_parameters": _mapping(body, "parameters"),
        "regenerate_outputs": _flag(body, "regenerate_outputs"),
        "continue_on_step_failure": _flag(body, "continue_on_step_failure"),
        "description": description,
    }
    for key in _SUBMIT_OPTIONS:
        value = body.get(key)
        if value in (None, "", []):
            continue
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise BadRequestError(f"{key!r} must be a list of step names")
        options[key] = value
    return options


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadRequestError(f"{key!r} must be true or false")
    return bool(value)


def _mapping(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise BadRequestError(f"{key!r} must be an object")
    return value


__all__ = ["MAX_RUNS", "PipelinesService"]
