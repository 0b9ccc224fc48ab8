"""``Run``: the v1 SDK's run object as seen from inside a step (``Run.get_context()``).

Inside a step the run driver has set ``JUPYTER_PIPELINES_STEP_MANIFEST``; the run then logs
metrics to the step's ``metrics.jsonl`` and files to its ``files`` folder, where the engine
picks them up. Outside a step ``get_context()`` returns an offline run that prints what it is
asked to log (as v1 does) and also keeps it under ``./.jupyter_pipelines_offline/<run id>/``.
Standard library only; the workspace is imported lazily, and only when asked for.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Mapping
from typing import Any

from .files import read_json, write_json_atomic
from .manifest import MANIFEST_ENV_VAR, StepManifest
from .recording import RunRecorder

#: Folder, under the current directory, that keeps what offline runs log.
OFFLINE_DIR = ".jupyter_pipelines_offline"

_offline_run: Run | None = None


class NotInStepError(RuntimeError):
    """``Run.get_context(allow_offline=False)`` was called outside a pipeline step."""


class _Experiment:
    """The experiment a run belongs to: its name, and its workspace on demand."""

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


class _ParentRun(RunRecorder):
    """The pipeline run seen from a step: its id, experiment, and metric logging."""

    def __init__(self, child: Run, run_id: str) -> None:
        self.id = run_id
        self.experiment = child.experiment
        self._step, self._step_dir = child._step, child._step_dir
        self._metrics_file, self._files_dir = child._metrics_file, child._files_dir
        self._echo = child._echo

    @property
    def parent(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"PipelineRun(id={self.id!r}, experiment={self.experiment.name!r})"


class Run(RunRecorder):
    """The current step's run, from ``Run.get_context()``; v1 names and behaviour."""

    def __init__(self, manifest: StepManifest | None = None) -> None:
        self.manifest = manifest
        if manifest is None:
            self.id = f"OfflineRun_{uuid.uuid4()}"
            self._step = ""
            self._step_dir = os.path.abspath(os.path.join(OFFLINE_DIR, self.id))
            self._metrics_file = os.path.join(self._step_dir, "metrics.jsonl")
            self._files_dir = os.path.join(self._step_dir, "files")
            self._echo = True
            self.experiment = _Experiment("offline", None)
            self.parent: _ParentRun | None = None
        else:
            self.id = manifest.step_run_id
            self._step = manifest.step_name
            self._step_dir = manifest.step_dir
            self._metrics_file = manifest.metrics_file
            self._files_dir = manifest.files_dir
            self._echo = False
            self.experiment = _Experiment(manifest.experiment_name, manifest.workspace_dir)
            self.parent = _ParentRun(self, manifest.run_id)

    @classmethod
    def get_context(cls, allow_offline: bool = True, **kwargs: Any) -> Run:
        """The run of the step this code runs in, or an offline run outside any step.

        With ``allow_offline=False`` outside a step, raises NotInStepError.
        """
        manifest = StepManifest.from_env()
        if manifest is not None:
            return cls(manifest)
        if not allow_offline:
            raise NotInStepError(
                "Run.get_context(allow_offline=False): this code is not running inside a "
                f"pipeline step ({MANIFEST_ENV_VAR} is not set); pass allow_offline=True to "
                "get an offline run that prints and keeps what it logs"
            )
        global _offline_run
        if _offline_run is None:
            _offline_run = cls()
        return _offline_run

    def _owns(self, record: Mapping[str, Any]) -> bool:
        return bool(record.get("run_id", self.id) == self.id)

    @property
    def offline(self) -> bool:
        """True outside a pipeline step."""
        return self.manifest is None

    @property
    def name(self) -> str:
        """The step's name (empty for an offline run)."""
        return self._step

    @property
    def display_name(self) -> str:
        return self._step

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Input name -> the local path of its files, or a TabularDataset (as in v1)."""
        if not self.manifest:
            return {}
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
        return dict(self.manifest.outputs) if self.manifest else {}

    @property
    def parameters(self) -> dict[str, Any]:
        """Resolved pipeline parameter values passed to this step."""
        return dict(self.manifest.parameters) if self.manifest else {}

    @property
    def properties(self) -> dict[str, str]:
        """Read-only facts about the run."""
        if self.manifest is None:
            return {"run_id": self.id, "offline": "true"}
        return {
            "run_id": self.id,
            "pipeline_run_id": self.manifest.run_id,
            "step_name": self.manifest.step_name,
            "experiment_name": self.manifest.experiment_name,
        }

    @property
    def tags(self) -> dict[str, Any]:
        return self.get_tags()

    def _tags_file(self) -> str:
        return os.path.join(self._step_dir, "tags.json")

    def get_tags(self) -> dict[str, Any]:
        """The manifest's tags, overlaid with those set by ``tag()``/``set_tags()``."""
        tags = dict(self.manifest.tags) if self.manifest else {}
        stored = read_json(self._tags_file(), {})
        if isinstance(stored, dict):
            tags.update(stored)
        return tags

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags; kept in ``<step_dir>/tags.json`` for the engine."""
        stored = read_json(self._tags_file(), {})
        stored = stored if isinstance(stored, dict) else {}
        stored.update({str(k): ("" if v is None else v) for k, v in tags.items()})
        write_json_atomic(self._tags_file(), stored)

    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag; a tag without a value is stored with the value ``""``."""
        self.set_tags({key: value})

    def get_details(self) -> dict[str, Any]:
        """A v1-like summary: id, status, properties, tags, inputs and outputs."""
        return {
            "runId": self.id,
            "status": self.get_status(),
            "properties": self.properties,
            "tags": self.get_tags(),
            "inputDatasets": self.input_datasets,
            "outputDatasets": self.output_datasets,
        }

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, step={self._step!r}, status={self.get_status()!r})"
