"""``PipelineRun`` (v1): a submitted run of a pipeline, read from the run store; a ``Run``.

Its steps are ``StepRun`` objects (step_run.py). Everything v1's ``Run`` offers (logging,
files, tags, properties, children, details) comes from the shared base class
(runtime/run.py) over the storage hooks implemented here.
"""

from __future__ import annotations

import builtins
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, RunFailedError, UnknownRunError, did_you_mean
from ..runtime.file_run import PARENT
from ..runtime.metrics import summarize_metrics
from ..runtime.run import Run, iso_time
from ..runtime.run_annotations import (
    REMOVE,
    apply_tag_changes,
    read_properties,
    read_tag_changes,
    write_properties,
    write_tag_changes,
)
from ..runtime.run_files import run_file_index
from ..stores import status as st
from ..stores.runstore import RunRecord
from .recovery import reap_if_orphaned, reap_orphaned_runs
from .run_base import StoreRun, run_url
from .step_run import StepRun

if TYPE_CHECKING:
    import networkx as nx

    from .experiment import Experiment
    from .port_data import PortDataReference

__all__ = ["PipelineRun", "StepRun", "shape_metrics"]


def shape_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Metric records in the shapes of v1's ``get_metrics()`` (see runtime/metrics.py)."""
    return summarize_metrics(records)


def _distinct(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without repeats, in order (git states of the folders a run's steps came from)."""
    seen: list[dict[str, Any]] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


class PipelineRun(StoreRun):
    """A submitted run of a pipeline (v1 ``PipelineRun``); state lives in the run store."""

    def __init__(
        self, experiment: Experiment, run_id: str, _service_endpoint: Any = None, **kwargs: Any
    ) -> None:
        if self._ready:
            return
        self.experiment = experiment
        self._store = experiment.workspace.run_store
        self._record: RunRecord = self._store.get_run(run_id)
        self.id = self._record.id
        self.parent = None
        self._step_dir = str(self.workspace.runs_dir / self.id)
        self._files_dir = os.path.join(self._step_dir, "files")
        self._metrics_file = os.path.join(self._step_dir, "metrics.jsonl")
        self._ready = True

    def refresh(self) -> PipelineRun:
        """Re-read the run; an unfinished run whose driver died is marked failed here."""
        self._record = reap_if_orphaned(self._store, self._store.get_run(self.id))
        return self

    # -- what it is ----------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self._record.status

    def get_status(self) -> str:
        """The current status of the run."""
        return self.refresh().status

    @property
    def description(self) -> str:
        return self._record.description

    @property
    def display_name(self) -> str:
        return self._record.pipeline.get("name") or self.id[:8]

    @property
    def type(self) -> str:
        return "azureml.PipelineRun"

    @property
    def number(self) -> int:
        """The run's number in its experiment: 1 for its first run, and so on."""
        runs = self._store.list_runs(experiment=self._record.experiment, limit=1_000_000)
        earlier = [r for r in runs if (r.created, r.id) <= (self._record.created, self.id)]
        return len(earlier)

    @property
    def parameters(self) -> dict[str, Any]:
        """The parameter values the run used."""
        return dict(self._record.parameters)

    @property
    def error(self) -> str | None:
        return self._record.error

    @property
    def run_dir(self) -> Path:
        return self.workspace.runs_dir / self.id

    def get_portal_url(self) -> str:
        """The run on a Jupyter server serving its workspace, else its folder (file://)."""
        return run_url(self.workspace, self.run_dir, self.id)

    # -- steps ---------------------------------------------------------------------------
    def get_steps(self) -> builtins.list[StepRun]:
        """The step runs, in pipeline order."""
        return [StepRun._of(self, r) for r in self._store.get_steps(self.id)]

    def _child_runs(self) -> builtins.list[Run]:
        return list(self.get_steps())

    def find_step_run(self, name: str) -> builtins.list[StepRun]:
        """Step runs with this step name (a list, as in v1)."""
        return [s for s in self.get_steps() if s.name == name]

    def get_step_run(self, name: str) -> StepRun:
        """The step run of step ``name``."""
        return StepRun._of(self, self._store.get_step(self.id, name))

    def _new_child(
        self, name: str | None, run_id: str | None, tags: dict[str, Any], status: str
    ) -> Run:
        raise NotImplementedError("Child run is unsupported for Pipeline run.")

    def get_graph(self) -> nx.DiGraph:
        """The run's DAG (networkx): a node per step (attributes ``step_run_id``, ``status``,
        ``reused_from``, ``target``), an edge from each step to those that wait for it."""
        import networkx as nx

        graph = nx.DiGraph()
        records = self._store.get_steps(self.id)
        for r in records:
            graph.add_node(
                r.name,
                step_run_id=r.id,
                status=r.status,
                reused_from=r.reused_from,
                target=r.target,
            )
        for r in records:
            graph.add_edges_from((before, r.name) for before in r.depends if before in graph)
        return graph

    def get_pipeline_output(self, pipeline_output_name: str) -> PortDataReference:
        """The output called ``pipeline_output_name`` of the run's steps (it must be unique)."""
        owners = [s for s in self.get_steps() if pipeline_output_name in s._record.outputs]
        if len(owners) > 1:
            names = ", ".join(repr(s.name) for s in owners)
            raise EngineError(
                f"output {pipeline_output_name!r} is made by several steps ({names}); use "
                f"run.find_step_run(name)[0].get_output_data({pipeline_output_name!r})"
            )
        if not owners:
            outputs = sorted({o for s in self.get_steps() for o in s._record.outputs})
            raise UnknownRunError(
                f"run {self.id} has no output {pipeline_output_name!r}"
                f"{did_you_mean(pipeline_output_name, outputs)}; its outputs: {outputs}"
            )
        return owners[0].get_output_data(pipeline_output_name)

    @staticmethod
    def get_pipeline_runs(workspace: Any, pipeline_id: str) -> builtins.list[PipelineRun]:
        """The runs, newest first, of the pipeline ``pipeline_id``: a published pipeline's id,
        a pipeline file's path, or a pipeline's name."""
        from .experiment import Experiment

        wanted = str(pipeline_id)
        found = []
        reap_orphaned_runs(workspace.run_store)
        for record in workspace.run_store.list_runs(limit=1_000_000):
            keys = {
                record.options.get("published_pipeline_id"),
                record.options.get("pipeline_id"),
                record.pipeline_file,
                record.pipeline.get("name"),
            }
            if wanted in keys:
                found.append(PipelineRun(Experiment(workspace, record.experiment), record.id))
        return found

    def save(self, path: str | None = None) -> None:
        """Write the run's pipeline as a pipeline file at ``path`` (a folder gets
        ``pipeline.yml``; default: the current folder); ``Pipeline.load`` reads it back."""
        from ..model.fileformat import document_to_pipeline, dump_document, save_pipeline

        target = Path(path or os.getcwd())
        if target.is_dir():
            target = target / "pipeline.yml"
        record = self._record
        base = Path(record.pipeline_file).parent if record.pipeline_file else self.workspace.root
        try:
            pipeline = document_to_pipeline(record.pipeline, base, f"run {self.id}")
        except Exception:  # an older document this version cannot rebuild: written as it is
            target.write_text(dump_document(record.pipeline), encoding="utf-8")
            return
        save_pipeline(pipeline, target)

    # -- storage hooks -------------------------------------------------------------------
    def _step_folders(self) -> builtins.list[str]:
        return [r.step_dir for r in self._store.get_steps(self.id)]

    def _parent_folders(self) -> builtins.list[str]:
        """Where the steps kept what they recorded about this run (``run.parent.tag()``)."""
        return [os.path.join(folder, PARENT) for folder in self._step_folders()]

    def _load_tags(self) -> dict[str, Any]:
        tags: dict[str, Any] = {}
        for folder in self._parent_folders():
            tags = apply_tag_changes(tags, read_tag_changes(folder))
        tags.update(self.refresh()._record.tags)
        return tags

    def _change_tags(self, changes: Mapping[str, Any]) -> None:
        tags = apply_tag_changes(self.refresh()._record.tags, changes)
        self._store.update_run(self.id, tags=tags)
        self._record.tags = tags
        # A tag a step set on this run (run.parent.tag) is removed where the step kept it.
        removed = {k: v for k, v in changes.items() if v is REMOVE}
        for folder in self._parent_folders() if removed else []:
            if set(read_tag_changes(folder)) & set(removed):
                write_tag_changes(folder, removed)

    def _load_properties(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "azureml.runsource": "azureml.PipelineRun",
            "experiment_name": self._record.experiment,
            "pipeline_name": self._record.pipeline.get("name") or "",
        }
        if self._record.pipeline_file:
            found["pipeline_file"] = self._record.pipeline_file
        for folder in self._parent_folders():
            found.update(read_properties(folder))
        found.update(read_properties(self._step_dir))
        return found

    def _store_properties(self, added: Mapping[str, Any]) -> None:
        write_properties(self._step_dir, added)

    def _file_index(self) -> dict[str, str]:
        names = [Path(folder).name for folder in self._step_folders()]
        index = run_file_index(self._step_dir, skip=names, top_level_only=True)
        for folder in self._parent_folders():
            index.update(run_file_index(folder))
        return dict(sorted(index.items()))

    def _log_files(self) -> dict[str, str]:
        log = self.run_dir / "driver.log"
        return {"driver.log": str(log)} if log.exists() else {}

    def _details(self) -> dict[str, Any]:
        r = self._record
        return {
            "experiment": r.experiment,
            "runType": self.type,
            "startTimeUtc": iso_time(r.started),
            "endTimeUtc": iso_time(r.ended),
            "submittedTimeUtc": iso_time(r.created),
            "description": r.description,
            "pipelineFile": r.pipeline_file,
            "parameters": r.parameters,
            "options": r.options,
            "error": r.error,
            "steps": {s.name: s.status for s in self.get_steps()},
            "git": _distinct([s.git for s in self._store.get_steps(self.id) if s.git]),
        }

    def get_details(self) -> dict[str, Any]:
        """v1's details of the run, with its steps' statuses under ``steps``."""
        self.refresh()
        return super().get_details()

    def _environment(self) -> Any:
        raise EngineError(
            f"pipeline run {self.id} has no environment of its own; ask its steps: "
            "run.find_step_run(name)[0].get_environment()"
        )

    def _clean(self) -> builtins.list[str]:
        return [path for step in self.get_steps() for path in step.clean()]

    # -- running -------------------------------------------------------------------------
    def complete(self, _set_status: bool = True) -> None:
        """Unsupported, as in v1: the run driver ends a pipeline run."""
        raise NotImplementedError("Complete is unsupported for Pipeline run.")

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """Unsupported, as in v1: the run driver ends a pipeline run."""
        raise NotImplementedError("Fail is unsupported for Pipeline run.")

    def start(self) -> None:
        """Nothing to do: the run driver starts the run when it was submitted."""

    def cancel(self) -> None:
        """Stop the run: every running step's process tree is killed, pending steps canceled."""
        record = self.refresh()._record
        if record.status in st.TERMINAL:
            return
        changed = self._store.set_run_status_if(
            self.id, set(st.ALL) - st.TERMINAL, "cancel requested", status=st.CANCEL_REQUESTED
        )
        # A driver that has not started the run yet may not handle SIGTERM yet (it would
        # die and leave the run Failed); it reads the request from the store instead.
        if changed and record.driver_pid and record.status != st.NOT_STARTED:
            try:
                os.kill(record.driver_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.refresh()

    def wait_for_completion(  # type: ignore[override]
        self,
        show_output: bool = True,
        timeout_seconds: float | None = None,
        raise_on_error: bool = True,
    ) -> str:
        """Wait until the run ends; with ``show_output``, show live progress and log tails."""
        from .progress import follow_run

        status = follow_run(self, show_output=show_output, timeout_seconds=timeout_seconds)
        if raise_on_error and status in (st.FAILED, st.CANCELED):
            raise RunFailedError(f"run {self.id} ended {status}: {self.error or ''}".rstrip(": "))
        return status

    def describe_plan(self) -> str:
        """One line per step: "will run (reason)" or "reuses step run ID", as at submit."""
        lines = [f"Submitted run {self.id} (experiment {self.experiment.name!r})"]
        said: set[str] = set()  # a note shared by steps (one source folder) is said once
        for step in self._store.get_steps(self.id):
            reason = step.reuse.get("reason") or ""
            if step.reused_from is not None:
                what = f"reuses step run {step.reused_from}"
                if step.reuse.get("mode") == "pinned":
                    what += " (pinned: not selected in this partial run)"
            elif reason.startswith("decided when"):
                what = f"will run unless reused: {reason}"
            else:
                what = f"will run ({reason})" if reason else "will run"
            lines.append(f"  {step.name}: {what}")
            lines += [f"    warning: {w}" for w in step.reuse.get("warnings", [])]
            notes = [n for n in step.reuse.get("notes", []) if n not in said]
            said.update(notes)
            lines += [f"    note: {n}" for n in notes]
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        """Show the run in a notebook: the live run widget (see engine/display.py)."""
        from .display import display_run

        display_run(self)

    def publish_pipeline(
        self,
        name: str,
        description: str,
        version: str,
        continue_on_step_failure: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Publish the pipeline this run ran, frozen with the code its steps ran; the
        PublishedPipeline (see engine/publishing.py)."""
        from .publishing import publish_from_run

        return publish_from_run(self, name, description, version, continue_on_step_failure, kwargs)

    def __repr__(self) -> str:
        return (
            f"PipelineRun(id={self.id!r}, experiment={self.experiment.name!r}, "
            f"status={self.status!r})"
        )


# The run store's finder answers Run.get / Run.list / Run(experiment, id) from here on.
from . import run_lookup  # noqa: E402, F401
