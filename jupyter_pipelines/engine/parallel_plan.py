"""Planning a ParallelRunStep: an ordinary StepSpec whose command runs the mini-batch runner
(``python -m jupyter_pipelines.runtime.parallel --config JSON``) in the step's working folder.

Every executor runs it as it runs a script step, and reuse, partial runs, cancel and
timeouts treat it as any step. What the runner needs is resolved here: parameter values,
the inputs' paths and kinds, the number of worker processes, and where the workspace's
mini-batch cache is.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, ModelError, PipelinesError
from ..executors.base import StepSpec
from ..model.data import DataPath, InputBinding, OutputData
from ..model.parallel_run import ParallelRunStep
from ..model.parallel_run_config import (
    DEFAULT_FILE_BATCH,
    DEFAULT_TABULAR_BATCH,
    parse_mini_batch_size,
    parse_partition_keys,
)
from ..model.parameters import PipelineParameter
from ..model.step_paths import entry_path
from ..model.validation import PLACEHOLDER
from ..runtime.parallel.config import DataInput, RunnerConfig
from ..stores.model_registry import MODELS_FOLDER

if TYPE_CHECKING:
    from ..stores.workspace import Workspace

RUNNER_MODULE = "jupyter_pipelines.runtime.parallel"
#: The variable that caps the local target's slots (read by the run driver too).
SLOTS_ENV = "JUPYTER_PIPELINES_LOCAL_SLOTS"
#: Where the mini-batch cache lives in the workspace folder.
CACHE_FOLDER = ("cache", "parallel_run")


def plan_parallel_run(
    step: ParallelRunStep,
    spec: StepSpec,
    text: Callable[[Any], str],
    parameters: dict[str, Any],
    workspace: Workspace | None,
) -> None:
    """Fill ``spec``'s command (and adjust its inputs) to run ``step``'s mini-batches.

    ``text`` resolves an argument to what the step sees (a path, a parameter's value).
    """
    config = step.parallel_run_config

    def value(item: Any) -> Any:
        return parameters[item.name] if isinstance(item, PipelineParameter) else item

    inputs = [_data_input(step, b, spec) for b in step.data_inputs]
    tabular = inputs[0].kind == "tabular"
    if any((i.kind == "tabular") != tabular for i in inputs):
        raise EngineError(
            f"step {step.name!r}: all inputs must be of one type (file or tabular datasets)"
        )
    if tabular:
        _check_tables_readable(step, inputs, workspace, spec.target)
    try:
        size = value(config.mini_batch_size)
        keys = value(config.partition_keys)
        mini_batch_size = parse_mini_batch_size(size) if size is not None else None
        partition_keys = parse_partition_keys(keys) if keys is not None else None
    except ModelError as exc:
        raise EngineError(f"step {step.name!r}: {exc}") from exc
    if mini_batch_size is None and partition_keys is None:
        mini_batch_size = DEFAULT_TABULAR_BATCH if tabular else DEFAULT_FILE_BATCH
    runner = RunnerConfig(
        step_name=step.name,
        entry_script=str(entry_path(step)),  # inside the code snapshot (model/step_paths.py)
        inputs=inputs,
        output_action=config.output_action,
        arguments=[text(a) for a in step.arguments],
        side_inputs={b.name: spec.inputs[b.name]["path"] for b in step.side_inputs if b.name},
        output_dir=spec.outputs[str(step.output.name)]["path"] if step.output is not None else None,
        append_row_file_name=step.append_row_file_name,
        mini_batch_size=mini_batch_size,
        partition_keys=partition_keys,
        workers=worker_count(step, value, spec.target, workspace),
        run_invocation_timeout=float(value(config.run_invocation_timeout)),
        run_max_try=int(value(config.run_max_try)),
        error_threshold=int(config.error_threshold),
        allowed_failed_count=config.allowed_failed_count,
        allowed_failed_percent=config.allowed_failed_percent,
        logging_level=str(value(config.logging_level)).upper(),
        logs_dir=os.path.join(spec.step_dir, "logs"),
        key={**_key(step, spec, parameters), **_target_key(workspace, spec.target)},
    )
    if workspace is not None and step.allow_reuse:
        _use_cache(runner, spec, workspace)
    spec.argv = [sys.executable, "-m", RUNNER_MODULE, "--config", runner.to_json()]


def _use_cache(runner: RunnerConfig, spec: StepSpec, workspace: Workspace) -> None:
    """Point the runner at the workspace's mini-batch cache, and share what it reads there.

    The cache folder (written) and the model registry (read: its versions are part of every
    key) are the step's ``shared_paths``, so a container mounts them. The stat cache is not
    shared: it is an SQLite file beside the code snapshots, and without it the runner only
    reads the files it hashes (``runtime/parallel/hashing.py`` leaves one it cannot reach).
    """
    cache = workspace.dir.joinpath(*CACHE_FOLDER)
    cache.mkdir(parents=True, exist_ok=True)
    models = workspace.dir / MODELS_FOLDER
    runner.cache_dir = str(cache)
    runner.stat_cache = str(workspace.snapshots_dir / "statcache.db")
    runner.volatile_root = str(workspace.runs_dir)
    runner.models_dir = str(models)
    spec.shared_paths[str(cache)] = "rw"
    spec.shared_paths[str(models)] = "ro"


def _check_tables_readable(
    step: ParallelRunStep, inputs: list[DataInput], workspace: Workspace | None, target: str
) -> None:
    """Refuse tabular inputs on a target that runs steps in containers: the runner reads a
    table through the workspace (its datastores, and the package's dependencies), which a
    container does not have, so the step could only fail there."""
    kind, _options = _target_options(workspace, target)
    if kind != "docker":
        return
    names = ", ".join(repr(i.name) for i in inputs)
    raise EngineError(
        f"step {step.name!r}: tabular input(s) {names} cannot be read on Docker target "
        f"{target!r}: the runner reads a table through the workspace, which a container "
        "does not mount; run the step on a local target, or pass the table's files as a "
        "FileDataset (Dataset.File.from_files) and read them with pandas in run()"
    )


def _data_input(step: ParallelRunStep, binding: InputBinding, spec: StepSpec) -> DataInput:
    """A partitioned input as the runner sees it; file datasets are read in place (linked)."""
    name = str(binding.name)
    entry = spec.inputs[name]
    definition = entry.get("definition") or {}
    tabular = entry.get("kind") == "dataset" and definition.get("kind") == "tabular"
    if not tabular and entry.get("kind") == "dataset" and entry.get("mode") == "direct":
        entry["mode"] = "mount"  # v1 mounts file datasets; a mount is staged as links
    fmt = definition.get("partition_format") or (definition.get("tabular") or {}).get(
        "partition_format"
    )
    return DataInput(
        name=name,
        path=str(entry.get("path") or ""),
        kind="tabular" if tabular else "file",
        partition_format=str(fmt) if fmt else None,
    )


def local_slots() -> int:
    """The local target's slots: ``JUPYTER_PIPELINES_LOCAL_SLOTS``, else the CPU count."""
    given = os.environ.get(SLOTS_ENV)
    if given and given.isdigit() and int(given) > 0:
        return int(given)
    return os.cpu_count() or 1


def target_slots(workspace: Workspace | None, target: str) -> int:
    """How many processes the step's target lets it run at once.

    Every kind of target built in runs on this machine: local and AmlCompute targets
    get the machine's slots (``local_slots``); a Docker target its ``cpus`` limit when it
    has one; a backend on other machines its own ``slots`` option.
    """
    kind, options = _target_options(workspace, target)
    if kind == "docker" and options.get("cpus"):
        return max(1, math.ceil(float(options["cpus"])))
    if kind in ("local", "docker"):
        return local_slots()
    return max(1, int(options.get("slots") or local_slots()))


def _target_options(workspace: Workspace | None, target: str) -> tuple[str, dict[str, Any]]:
    """The target's executor kind and options; ``("local", {})`` when it is the local
    target, there is no workspace, or the target is not known (validation says so)."""
    if workspace is None or target == "local":
        return "local", {}
    from ..stores.compute import target_executor_options

    try:
        return target_executor_options(workspace, target)
    except PipelinesError:
        return "local", {}


def max_nodes(workspace: Workspace | None, target: str) -> int | None:
    """The most nodes a target has (an AmlCompute target's ``max_nodes``), if it says."""
    kind, options = _target_options(workspace, target)
    return int(options["slots"]) if kind == "local" and options.get("slots") else None


def worker_count(
    step: ParallelRunStep, value: Callable[[Any], Any], target: str, workspace: Workspace | None
) -> int:
    """``node_count * process_count_per_node`` worker processes, at most the target's slots
    (``process_count_per_node=None``: one per slot, as v1 uses every core of a node)."""
    config = step.parallel_run_config
    slots = target_slots(workspace, target)
    nodes = int(value(config.node_count) or 1)
    per_node = value(config.process_count_per_node)
    for name, number in (("node_count", nodes), ("process_count_per_node", per_node or 1)):
        if not isinstance(number, int) or number < 1:
            raise EngineError(f"step {step.name!r}: {name} must be an int of at least 1")
    limit = max_nodes(workspace, target)
    if limit is not None and nodes > limit:
        raise EngineError(
            f"step {step.name!r}: node_count {nodes} is more than max_nodes {limit} of "
            f"compute target {target!r} (as v1 refuses it)"
        )
    return max(1, min(nodes * int(per_node or slots), slots))


def _key(step: ParallelRunStep, spec: StepSpec, parameters: dict[str, Any]) -> dict[str, Any]:
    """What the mini-batch cache keys hold of the step besides its code and data: the
    environment, the arguments as written (inputs and outputs by name: their paths change
    at every run) and the step's variables."""
    from .reuse import environment_of

    return {
        "environment": environment_of(spec.environment),
        "arguments": [_key_argument(a, parameters) for a in step.arguments],
        "variables": dict(sorted(step.environment_variables.items())),
    }


def _target_key(workspace: Workspace | None, target: str) -> dict[str, Any]:
    """The key's part of a target that runs steps elsewhere than in this machine's processes
    (in containers, on a cluster): its kind and default image, as in a step's fingerprint,
    so that a result made in one image is not taken for another's. Nothing for targets
    whose executor is ``local`` (local, AmlCompute): their keys stay as they were."""
    kind, options = _target_options(workspace, target)
    if kind == "local":
        return {}
    return {"target": {"kind": kind, "image": options.get("image")}}


def _key_argument(value: Any, parameters: dict[str, Any]) -> str:
    if isinstance(value, PipelineParameter):
        return str(parameters[value.name])
    if isinstance(value, InputBinding):
        return f"<input {value.name}>"
    if isinstance(value, OutputData):
        return f"<output {value.name}>"
    if isinstance(value, DataPath):
        return f"<datapath {value.datastore_name}/{value.path_on_datastore}>"
    if isinstance(value, str):
        return PLACEHOLDER.sub(
            lambda m: str(parameters[m.group(2)]) if m.group(1) == "parameters" else m.group(0),
            value,
        )
    return str(value)
