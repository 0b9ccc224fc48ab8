"""Planning: turn a validated pipeline and its parameter values into step run records.

Each step gets a StepSpec with every path resolved: its folder under
``runs/<run-id>/<step>/``, its outputs (written in place, ``outputs/<name>/``, and
used by others only once the step's record says it succeeded) and its inputs (the
producers' output folders).
"""

from __future__ import annotations

import re
import shlex
import sys
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, PipelinesError
from ..executors.base import StepSpec
from ..model.data import DataPath, DataReference, InputBinding, OutputData, StepInput
from ..model.data_transfer import DataTransferStep
from ..model.parallel_run import ParallelRunStep
from ..model.parameters import ParameterValue, PipelineParameter
from ..model.pipeline import Pipeline
from ..model.step_paths import entry_path
from ..model.steps import CommandStep, NotebookStep, PipelineStep, PythonScriptStep
from ..model.validation import PLACEHOLDER
from ..stores import status as st
from ..stores.runstore import StepRecord
from .data_transfer import plan_data_transfer
from .parallel_plan import plan_parallel_run

if TYPE_CHECKING:
    from .data import DataBindings

MANIFEST_ENV = "JUPYTER_PIPELINES_STEP_MANIFEST"
DEFAULT_TARGET = "local"
#: Where a step's code snapshot is written for it to run from.
CODE_FOLDER = "code"


def step_folder_name(name: str, taken: set[str]) -> str:
    """A file-system-safe, unique folder name for a step."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "step"
    folder, i = base, 2
    while folder.lower() in taken:
        folder, i = f"{base}_{i}", i + 1
    taken.add(folder.lower())
    return folder


def _placed(path_on_compute: str | None) -> dict[str, str]:
    return {"path_on_compute": path_on_compute} if path_on_compute else {}


def _tabular(binding: InputBinding) -> dict[str, Any]:
    """An output read as a table (``read_delimited_files``) reaches the step as a dataset."""
    if not (isinstance(binding, StepInput) and binding.tabular):
        return {}
    options = dict(getattr(binding.data, "tabular", None) or {})
    steps = [*options.pop("transformations", []), *binding.additional_transformations]
    definition = {"kind": "tabular", "paths": [], "transformations": steps, "tabular": options}
    return {"kind": "dataset", "definition": definition}


def _sources(data: OutputData) -> dict[str, list[str]]:
    source = getattr(data, "source", None)
    if not source:
        return {}
    return {"source": [source] if isinstance(source, str) else list(source)}


@dataclass
class _StepPaths:
    step_dir: Path
    staging: dict[str, str]
    final: dict[str, str]
    inputs: dict[str, str]


class Planner:
    """Builds the StepRecords (with StepSpecs) of one run."""

    def __init__(
        self,
        run_dir: Path,
        run_id: str,
        pipeline: Pipeline,
        parameters: dict[str, ParameterValue],
        data: DataBindings | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.pipeline = pipeline
        self.parameters = parameters
        self.data = data
        self._final_outputs: dict[int, str] = {}  # id(OutputData) -> final folder
        self._folders: set[str] = set()
        #: Per step: content hashes of its dataset and datastore inputs, and warnings.
        self.data_hashes: dict[str, dict[str, str]] = {}
        self.warnings: dict[str, list[str]] = {}
        self._resolved: dict[str, dict[str, Any]] = {}

    def plan(self) -> list[StepRecord]:
        graph = self.pipeline.graph
        order = self.pipeline.topological_order()
        return [
            self._record(graph.nodes[name]["step"], i, sorted(graph.predecessors(name)))
            for i, name in enumerate(order)
        ]

    def _paths(self, step: PipelineStep) -> _StepPaths:
        step_dir = self.run_dir / step_folder_name(step.name, self._folders)
        staging, final = {}, {}
        for out in step.outputs:
            assert out.name is not None
            final[out.name] = str(step_dir / "outputs" / out.name)
            staging[out.name] = final[out.name]  # written in place: see step_outputs.py
            self._final_outputs[id(out)] = final[out.name]
        inputs = {}
        for binding in step.inputs:
            assert binding.name is not None
            if isinstance(binding, StepInput):
                inputs[binding.name] = self._final_outputs[id(binding.data)]
                continue
            if self.data is None:
                raise EngineError(f"step {step.name!r}: input {binding.name!r} needs a workspace")
            resolved = self.data.resolve(binding, step_dir)
            self._resolved.setdefault(step.name, {})[binding.name] = resolved.entry
            self.data_hashes.setdefault(step.name, {})[binding.name] = resolved.content_hash
            self.warnings.setdefault(step.name, []).extend(resolved.warnings)
            inputs[binding.name] = resolved.entry["path"]
        return _StepPaths(step_dir, staging, final, inputs)

    def _record(self, step: PipelineStep, position: int, depends: list[str]) -> StepRecord:
        paths = self._paths(step)
        spec = self._spec(step, paths)
        spec.check_serializable()  # every backend gets the spec as JSON: name what cannot be
        return StepRecord(
            id=spec.step_run_id,
            run_id=self.run_id,
            name=step.name,
            position=position,
            status=st.NOT_STARTED,
            target=spec.target,
            depends=depends,
            spec=spec.to_dict(),
            step_dir=str(paths.step_dir),
            outputs={n: {"path": p} for n, p in paths.final.items()},
        )

    def _spec(self, step: PipelineStep, paths: _StepPaths) -> StepSpec:
        step_dir = paths.step_dir
        spec = StepSpec(
            run_id=self.run_id,
            step_run_id=str(uuid.uuid4()),
            step_name=step.name,
            kind="command",
            working_dir=str(step_dir / CODE_FOLDER),
            step_dir=str(step_dir),
            stdout_path=str(step_dir / "stdout.txt"),
            stderr_path=str(step_dir / "stderr.txt"),
            env={**step.environment_variables, MANIFEST_ENV: str(step_dir / "manifest.json")},
            inputs={
                n: self._resolved.get(step.name, {}).get(n)
                or {"path": p, "mode": b.mode, **_placed(b.path_on_compute), **_tabular(b)}
                for n, p, b in self._bindings(step, paths)
            },
            outputs={
                o.name: {
                    "path": paths.staging[o.name],
                    "final": paths.final[o.name],
                    "mode": o.mode,
                    **_sources(o),
                }
                for o in step.outputs
                if o.name
            },
            timeout=step.timeout,
            resources=dict(step.resources),
            target=step.compute_target or DEFAULT_TARGET,
        )
        self._environment(step, spec)
        if self.data is not None:
            for out in step.outputs:
                default = self.pipeline.default_datastore
                destination = self.data.destination(out, spec.step_run_id, default)
                if destination is not None and out.name:
                    spec.outputs[out.name]["destination"] = destination
        if isinstance(step, NotebookStep):
            self._notebook(step, spec, paths)
        elif isinstance(step, PythonScriptStep):
            args = [self._text(a, step, paths, quote=False) for a in step.arguments]
            spec.argv = [sys.executable, str(entry_path(step)), *args]
            for key, value in step.params.items():
                spec.env[f"AML_PARAMETER_{key}"] = self._text(value, step, paths, quote=False)
        elif isinstance(step, CommandStep):
            if step.command is not None:
                spec.argv = ["bash", "-c", self._text(step.command, step, paths, quote=True)]
            else:
                spec.argv = [self._text(a, step, paths, quote=False) for a in step.arguments]
            for key, value in step.params.items():
                spec.env[f"AML_PARAMETER_{key}"] = self._text(value, step, paths, quote=False)
        elif isinstance(step, ParallelRunStep):
            workspace = self.data.workspace if self.data is not None else None
            text = partial(self._text, step=step, paths=paths, quote=False)
            plan_parallel_run(step, spec, text, self.parameters, workspace)
        elif isinstance(step, DataTransferStep):
            plan_data_transfer(step, spec, self.data)
        else:
            raise EngineError(f"step {step.name!r}: no way to run a {type(step).__name__}")
        return spec

    def _environment(self, step: PipelineStep, spec: StepSpec) -> None:
        """The step's Environment (from its runconfig): recorded, and its variables set."""
        runconfig = step.runconfig
        env = getattr(runconfig, "environment", None)
        if env is None or not hasattr(env, "to_dict"):
            return
        if self.data is not None:
            env = self.data.workspace.environments_registry.resolve(env)
            from ..executors.environments import docker_warning

            warning = docker_warning(env, spec.target, getattr(runconfig, "docker", None))
            if warning and not _runs_in_containers(self.data.workspace, spec.target):
                self.warnings.setdefault(step.name, []).append(warning)
        spec.environment = env.to_dict()
        variables = {
            **env.environment_variables,
            **dict(getattr(runconfig, "environment_variables", None) or {}),
        }
        spec.env = {**{str(k): str(v) for k, v in variables.items()}, **spec.env}

    @staticmethod
    def _bindings(step: PipelineStep, paths: _StepPaths) -> list[tuple[str, str, InputBinding]]:
        return [(b.name, paths.inputs[b.name], b) for b in step.inputs if b.name]

    def _notebook(self, step: NotebookStep, spec: StepSpec, paths: _StepPaths) -> None:
        nb_path = Path(step.notebook)
        spec.kind = "notebook"
        # The copy in the step's code snapshot, by the rule validation applied.
        spec.notebook = str(Path(spec.working_dir) / str(entry_path(step)))
        spec.output_notebook = str(paths.step_dir / (step.executed_notebook or nb_path.name))
        spec.kernel_name = step.kernel_name
        spec.cell_timeout = step.cell_timeout
        spec.log_output = step.log_output
        values: dict[str, Any] = {**paths.inputs, **paths.staging}
        for key, value in step.params.items():
            values[key] = self._value(value, step, paths)
        spec.notebook_parameters = values
        if step.output_notebook is not None and step.output_notebook.name:
            spec.env["JUPYTER_PIPELINES_OUTPUT_NOTEBOOK"] = step.output_notebook.name

    def _value(self, value: Any, step: PipelineStep, paths: _StepPaths) -> Any:
        """A typed value (for notebook parameters): parameters keep their type."""
        if isinstance(value, PipelineParameter):
            return self.parameters[value.name]
        if isinstance(value, OutputData | InputBinding | DataPath):
            return self._text(value, step, paths, quote=False)
        if isinstance(value, str) and PLACEHOLDER.fullmatch(value.strip()):
            group, name = PLACEHOLDER.fullmatch(value.strip()).groups()  # type: ignore[union-attr]
            if group == "parameters":
                return self.parameters[name]
        if isinstance(value, str):
            return self._text(value, step, paths, quote=False)
        return value

    def _text(self, value: Any, step: PipelineStep, paths: _StepPaths, *, quote: bool) -> str:
        """An argument as the text the step sees, with references resolved."""
        if isinstance(value, PipelineParameter):
            return str(self.parameters[value.name])
        if isinstance(value, InputBinding):
            return paths.inputs[value.name or ""]
        if isinstance(value, DataPath):
            for binding in step.inputs:
                same = isinstance(binding, DataReference) and (
                    binding.path_on_datastore == value.path_on_datastore
                )
                if same and binding.name:
                    return paths.inputs[binding.name]
        if isinstance(value, OutputData):
            for binding in step.inputs:
                if isinstance(binding, StepInput) and binding.data is value and binding.name:
                    return paths.inputs[binding.name]
            return paths.staging[value.name or ""]
        if not isinstance(value, str):
            return str(value)

        def replace(match: re.Match[str]) -> str:
            group, name = match.group(1), match.group(2)
            text = {"inputs": paths.inputs, "outputs": paths.staging}.get(group, {}).get(name)
            if group == "parameters":
                text = str(self.parameters[name])
            if text is None:
                raise EngineError(f"step {step.name!r}: cannot resolve {match.group(0)}")
            return shlex.quote(text) if quote else text

        return PLACEHOLDER.sub(replace, value)


def _runs_in_containers(workspace: Any, target: str | None) -> bool:
    """True when ``target``'s backend makes Environments into images (a Docker target)."""
    from ..executors.registry import executor_class
    from ..stores.compute import target_executor_options

    try:
        kind, _ = target_executor_options(workspace, target)
        return executor_class(kind).builds_environments
    except PipelinesError:
        return False
