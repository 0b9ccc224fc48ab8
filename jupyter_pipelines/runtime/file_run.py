"""Runs kept in a folder: a step's own run inside the step (from its manifest), the pipeline
run as that step sees it, child runs (``run.child_run()``) and the offline run.

A folder holds ``run.json`` (the run's record: name, type, status, times, error; none for
a step, whose status the run driver keeps), ``metrics.jsonl``, ``files/`` (uploads),
``tags.json``, ``properties.json`` and ``children/<child id>/`` (one folder per child run).
What a step records about its pipeline run (tags, properties, files) goes to
``<step folder>/parent/``, its metrics to the step's ``metrics.jsonl`` with the pipeline
run's id, so that a step needs no access to the run store. Standard library only.
"""

from __future__ import annotations

import builtins
import importlib
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

from . import lookup
from .files import read_json, safe_destination, write_json_atomic
from .manifest import StepManifest
from .metrics import read_metrics
from .run import OFFLINE_DIR, Run, iso_time
from .run_annotations import (
    apply_tag_changes,
    read_properties,
    read_tag_changes,
    write_properties,
    write_tag_changes,
)
from .run_datasets import input_dataset_entry, output_dataset_entry
from .run_files import WORKING_FOLDER

RECORD_FILE = "run.json"
CHILDREN = "children"
#: Where a step keeps what it records about its pipeline run (tags, properties, files).
PARENT = "parent"


class _Experiment:
    """The experiment of a run made inside a step: its name, and its workspace on demand."""

    def __init__(self, name: str, workspace_dir: str | None) -> None:
        self.name = name
        self._workspace_dir = workspace_dir

    @property
    def workspace(self) -> Any:
        """The run's ``Workspace`` (imported only now: it is not part of the step runtime)."""
        if self._workspace_dir is None:
            raise RuntimeError(
                "an offline run has no workspace; use Workspace.from_config() to open one"
            )
        # The class users get (jupyter_pipelines.Workspace), with experiments and get_run.
        module = importlib.import_module("jupyter_pipelines.engine.workspace")
        return module.Workspace.at(self._workspace_dir)

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


class FileRun(Run):
    """A run kept in a folder (see the module docstring); built with ``FileRun._at``."""

    def __init__(
        self, experiment: Any = None, run_id: str | None = None, outputs: Any = None, **kwargs: Any
    ) -> None:
        if not self._ready:
            raise TypeError(
                "a run kept in a folder is made by Run.get_context() or run.child_run(); "
                "use Run(experiment, run_id) to find an existing run"
            )

    @classmethod
    def _at(
        cls,
        folder: str,
        run_id: str,
        experiment: Any,
        parent: Run | None = None,
        *,
        metrics_file: str = "",
        files_dir: str = "",
        step: str = "",
        echo: bool = False,
    ) -> FileRun:
        run = object.__new__(cls)
        run._run_id = run_id
        run._experiment = experiment
        run._parent = parent
        run._step_dir = folder
        run._metrics_file = metrics_file or os.path.join(folder, "metrics.jsonl")
        run._files_dir = files_dir or os.path.join(folder, "files")
        run._step = step
        run._echo = echo
        run._ready = True
        return run

    # -- its record ----------------------------------------------------------------------
    def _record(self) -> dict[str, Any]:
        found = read_json(os.path.join(self._step_dir, RECORD_FILE), {})
        return found if isinstance(found, dict) else {}

    def _update_record(self, **changes: Any) -> None:
        record = {"id": self.id, **self._record(), **changes}
        write_json_atomic(os.path.join(self._step_dir, RECORD_FILE), record)

    @property
    def display_name(self) -> str:
        return str(self._record().get("name") or self.id)

    @property
    def type(self) -> str:
        return str(self._record().get("type") or "run")

    def get_status(self) -> str:
        """The run's status: Running from its start until complete(), fail() or cancel()."""
        return str(self._record().get("status") or "Running")

    def _set_status(self, status: str, error: str | None = None) -> None:
        now = time.time()
        changes: dict[str, Any] = {"status": status}
        if status == "Running" and not self._record().get("started"):
            changes["started"] = now
        if status in ("Completed", "Failed", "Canceled"):
            changes["ended"] = now
        if error is not None:
            changes["error"] = error
        self._update_record(**changes)

    def _details(self) -> dict[str, Any]:
        record = self._record()
        return {
            "startTimeUtc": iso_time(record.get("started")),
            "endTimeUtc": iso_time(record.get("ended")),
            "error": record.get("error"),
            "runType": self.type,
        }

    # -- metrics, tags, properties -------------------------------------------------------
    def _owns(self, record: Mapping[str, Any]) -> bool:
        return bool(record.get("run_id", self.id) == self.id)

    def _metric_records(self) -> builtins.list[dict[str, Any]]:
        return [r for r in read_metrics(self._metrics_file) if self._owns(r)]

    def _initial_tags(self) -> dict[str, Any]:
        return {}

    def _load_tags(self) -> dict[str, Any]:
        return apply_tag_changes(self._initial_tags(), read_tag_changes(self._step_dir))

    def _change_tags(self, changes: Mapping[str, Any]) -> None:
        write_tag_changes(self._step_dir, changes)

    def _system_properties(self) -> dict[str, Any]:
        return {"run_id": self.id}

    def _load_properties(self) -> dict[str, Any]:
        return {**self._system_properties(), **read_properties(self._step_dir)}

    def _store_properties(self, added: Mapping[str, Any]) -> None:
        write_properties(self._step_dir, added)

    # -- children ------------------------------------------------------------------------
    def _child_runs(self) -> builtins.list[Run]:
        folder = os.path.join(self._step_dir, CHILDREN)
        if not os.path.isdir(folder):
            return []
        found = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            record = read_json(os.path.join(entry.path, RECORD_FILE), None)
            if isinstance(record, dict) and record.get("id"):
                child = FileRun._at(
                    entry.path, str(record["id"]), self.experiment, self, echo=self._echo
                )
                found.append((record.get("created") or 0, child))
        return [child for _, child in sorted(found, key=lambda pair: pair[0])]

    def _new_child(
        self, name: str | None, run_id: str | None, tags: dict[str, Any], status: str
    ) -> Run:
        run_id = run_id or f"{self.id}_{uuid.uuid4().hex[:8]}"
        folder = safe_destination(os.path.join(self._step_dir, CHILDREN), run_id, "child run id")
        if os.path.exists(folder):
            raise ValueError(f"run {self.id} already has a child run {run_id!r}")
        child = FileRun._at(str(folder), run_id, self.experiment, self, echo=self._echo)
        now = time.time()
        record = {"name": name or run_id, "type": "run", "status": status, "created": now}
        child._update_record(**record, **({"started": now} if status == "Running" else {}))
        if tags:
            child.set_tags(tags)
        return child

    # -- the workspace -------------------------------------------------------------------
    def _workspace_dir(self) -> str | None:
        return getattr(self.experiment, "_workspace_dir", None)

    def _snapshots_dir(self) -> str:
        workspace_dir = self._workspace_dir()
        if workspace_dir is None:
            return super()._snapshots_dir()
        return os.path.join(workspace_dir, "snapshots")

    def _store_run(self, what: str) -> Run:
        """This run as the run store knows it (needs the engine: local steps only)."""
        return lookup.run_finder(what).get(self.experiment.workspace, self.id)


class StepContextRun(FileRun):
    """The run of the step this code runs in: ``Run.get_context()`` inside a step."""

    manifest: StepManifest

    @classmethod
    def from_manifest(cls, manifest: StepManifest) -> StepContextRun:
        experiment = _Experiment(manifest.experiment_name, manifest.workspace_dir)
        parent = PipelineContextRun._at(
            os.path.join(manifest.step_dir, PARENT),
            manifest.run_id,
            experiment,
            metrics_file=manifest.metrics_file,
            step=manifest.step_name,
        )
        assert isinstance(parent, PipelineContextRun)
        parent.manifest = manifest
        run = cls._at(
            manifest.step_dir,
            manifest.step_run_id,
            experiment,
            parent,
            metrics_file=manifest.metrics_file,
            files_dir=manifest.files_dir,
            step=manifest.step_name,
        )
        assert isinstance(run, StepContextRun)
        run.manifest = manifest
        return run

    @property
    def offline(self) -> bool:
        """False: this run is a pipeline step's."""
        return False

    @property
    def display_name(self) -> str:
        return self.manifest.step_name

    @property
    def type(self) -> str:
        return "azureml.StepRun"

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Input name -> the local path of its files, or a TabularDataset (as in v1)."""
        found: dict[str, Any] = dict(self.manifest.inputs)
        for name, entry in self.manifest.datasets.items():
            if isinstance(entry, dict) and entry.get("kind") == "tabular":
                # Datasets need the whole package; imported only when a step asks for one.

                module = importlib.import_module("jupyter_pipelines.stores.datasets")
                found[name] = module.load_input_dataset(self.manifest.workspace_dir, entry)
        return found

    @property
    def output_datasets(self) -> dict[str, str]:
        """Output name -> local path the step should write it to."""
        return dict(self.manifest.outputs)

    @property
    def parameters(self) -> dict[str, Any]:
        """Resolved pipeline parameter values passed to this step."""
        return dict(self.manifest.parameters)

    def get_status(self) -> str:
        """Always ``"Running"``: code that can ask is running inside the step."""
        return "Running"

    def _set_status(self, status: str, error: str | None = None) -> None:
        """Nothing: the run driver records the step's status when its process ends (a step
        fails by raising or exiting with a non-zero status)."""

    def _can_wait(self) -> str | None:
        return "a step cannot wait for its own run to end"

    def _initial_tags(self) -> dict[str, Any]:
        return dict(self.manifest.tags)

    def _system_properties(self) -> dict[str, Any]:
        return {
            "run_id": self.id,
            "pipeline_run_id": self.manifest.run_id,
            "step_name": self.manifest.step_name,
            "experiment_name": self.manifest.experiment_name,
        }

    def _working_dir(self) -> str | None:
        return os.path.join(self._step_dir, WORKING_FOLDER)

    def _details(self) -> dict[str, Any]:
        """v1's details as the step sees them: every input (``dataset`` is what
        ``input_datasets[name]`` gives: the path of its files, or a TabularDataset) and
        every output (its local path), in v1's shape."""
        entries = self.manifest.datasets
        inputs = self.input_datasets
        return {
            "runType": self.type,
            "inputDatasets": [
                input_dataset_entry(name, value, _input_entry(entries.get(name), value))
                for name, value in inputs.items()
            ],
            "outputDatasets": [
                output_dataset_entry(name, path, None)
                for name, path in self.manifest.outputs.items()
            ],
        }

    def _log_files(self) -> dict[str, str]:
        names = ("stdout.txt", "stderr.txt")
        return {n: p for n in names if os.path.isfile(p := os.path.join(self._step_dir, n))}

    # What only the run store knows: asked of the engine (a local step can reach it).
    @property
    def number(self) -> int | None:
        return self._store_run("Run.number").number

    def _environment(self) -> Any:
        return self._store_run("Run.get_environment").get_environment()

    def _code_snapshot_id(self) -> str | None:
        return self._store_run("Run.get_snapshot_id")._code_snapshot_id()

    def _cancel(self) -> None:
        self._store_run("Run.cancel").cancel()


class PipelineContextRun(FileRun):
    """The pipeline run as its step sees it (``Run.get_context().parent``)."""

    manifest: StepManifest

    @property
    def display_name(self) -> str:
        return self.id

    @property
    def type(self) -> str:
        return "azureml.PipelineRun"

    def get_status(self) -> str:
        """``"Running"``: one of its steps is running."""
        return "Running"

    def _set_status(self, status: str, error: str | None = None) -> None:
        raise NotImplementedError(
            "a pipeline run's status is kept by its run driver; a step ends it by failing"
        )

    def _can_wait(self) -> str | None:
        return "a step cannot wait for the pipeline run it belongs to"

    def _initial_tags(self) -> dict[str, Any]:
        return dict(self.manifest.tags)

    def _system_properties(self) -> dict[str, Any]:
        return {"run_id": self.id, "experiment_name": self.manifest.experiment_name}

    def _child_runs(self) -> builtins.list[Run]:
        return list(self._store_run("run.parent.get_children")._child_runs())

    def _new_child(
        self, name: str | None, run_id: str | None, tags: dict[str, Any], status: str
    ) -> Run:
        raise NotImplementedError("Child run is unsupported for Pipeline run.")

    def _cancel(self) -> None:
        self._store_run("run.parent.cancel").cancel()


def _input_entry(entry: Any, value: Any) -> dict[str, Any]:
    """How a step reads an input: its dataset entry in the manifest, else its path."""
    if isinstance(entry, dict):
        return entry
    return {"path": value if isinstance(value, str) else ""}


def context_run() -> StepContextRun | None:
    """The run of the step this process runs in (None outside a step)."""
    manifest = StepManifest.from_env()
    return StepContextRun.from_manifest(manifest) if manifest is not None else None


class OfflineRun(FileRun):
    """The run of code run outside any step: it prints what it logs and keeps it under
    ``./.jupyter_pipelines_offline/<run id>/``."""

    @property
    def offline(self) -> bool:
        return True

    @property
    def type(self) -> str:
        return "offline"

    @property
    def input_datasets(self) -> dict[str, Any]:
        return {}

    @property
    def output_datasets(self) -> dict[str, str]:
        return {}

    @property
    def parameters(self) -> dict[str, Any]:
        return {}

    def _system_properties(self) -> dict[str, Any]:
        return {"run_id": self.id, "offline": "true"}


def offline_run() -> OfflineRun:
    """A new offline run (its folder is made when it first keeps something)."""
    run_id = f"OfflineRun_{uuid.uuid4()}"
    folder = os.path.abspath(os.path.join(OFFLINE_DIR, run_id))
    run = OfflineRun._at(folder, run_id, _Experiment("offline", None), echo=True)
    assert isinstance(run, OfflineRun)
    return run
