"""``ParallelRunStep``: an entry script's ``init()`` and ``run(mini_batch)`` applied to file or
tabular datasets in mini-batches, by several worker processes (v1 names and checks).

The step is planned like any other (one StepSpec whose command runs the mini-batch runner,
``jupyter_pipelines.runtime.parallel``), so every compute target runs it unchanged; see
docs/batch-scoring.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..compat import refused
from ..errors import ModelError
from .data import DatasetConsumptionConfig, InputBinding, OutputData, StepInput, as_binding
from .parallel_run_config import (
    DEFAULT_APPEND_ROW_FILE,
    PARAMETER_FIELDS,
    ParallelRunConfig,
)
from .parameters import PipelineParameter
from .steps import PipelineStep

#: Arguments the v1 runner gives itself; an entry script's arguments may not reuse them.
RESERVED_ARGUMENTS = (
    "mini_batch_size",
    "error_threshold",
    "allowed_failed_count",
    "allowed_failed_percent",
    "output",
    "output_action",
    "logging_level",
    "process_count_per_node",
    "run_invocation_timeout",
    "run_max_try",
    "append_row_file_name",
    "partition_keys",
)
_GRAPH = (
    "build a Pipeline(workspace, steps): it makes the graph (pipeline.graph, a networkx "
    "DiGraph of step names) and Experiment.submit runs it"
)


def _check_arguments(name: str, arguments: list[Any]) -> None:
    """v1's rules: keyword arguments only (the first starts with '-'), none reserved."""
    if not arguments:
        return
    first = arguments[0]
    if not isinstance(first, str) or not first.startswith("-"):
        raise ModelError(
            f"step {name!r}: found invalid argument {first!r}; the arguments are merged with "
            "the runner's own, so use keyword arguments only (['--model', 'x'])"
        )
    for item in arguments:
        if isinstance(item, str) and item.startswith("--"):
            key = item[2:].split("=")[0]
            if key in RESERVED_ARGUMENTS:
                raise ModelError(
                    f"step {name!r}: {key!r} is a reserved argument in ParallelRunStep; "
                    "use another argument name"
                )


def _input_kind(binding: InputBinding) -> str | None:
    """``file`` or ``tabular`` when the model knows it (None: known at submit)."""
    if isinstance(binding, StepInput):
        return "tabular" if binding.tabular else "file"
    if isinstance(binding, DatasetConsumptionConfig):
        dataset = binding.dataset
        if isinstance(dataset, PipelineParameter):
            dataset = dataset.default_value
        if isinstance(dataset, dict):
            kind = dataset.get("kind")
            return str(kind) if kind else None
        kind = getattr(dataset, "kind", None)
        return str(kind) if isinstance(kind, str) and kind else None
    return "file"  # a datastore path: its files


def _data_input(step: str, item: Any) -> InputBinding:
    """One partitioned input; file datasets are mounted (read in place), as in v1."""
    if isinstance(item, OutputData):
        item = item.as_input()
    binding = as_binding(item)
    if isinstance(binding, DatasetConsumptionConfig):
        if _input_kind(binding) == "file" and binding.mode == "direct":
            binding.as_mount(binding.path_on_compute)
    elif not isinstance(binding, StepInput) and binding.kind != "datastore":
        raise ModelError(f"step {step!r}: cannot partition input {item!r}")
    return binding


class ParallelRunStep(PipelineStep):
    """Process large inputs in parallel mini-batches (v1 ``ParallelRunStep``).

    ``inputs`` are partitioned into mini-batches (all of one type: file datasets or
    outputs, or tabular datasets); ``side_inputs`` reach every worker whole, as ordinary
    inputs; ``output`` (a PipelineData or OutputFileDatasetConfig) receives the
    ``append_row`` file (``summary_only`` steps may leave it out). ``arguments`` reach the
    entry script's ``sys.argv`` (read them with argparse, as in v1).

    Beyond v1, each mini-batch's result is cached by the content of its inputs, the code,
    the environment and the arguments: a rerun after some input files changed runs only the
    mini-batches that hold them (``allow_reuse=False`` turns the cache off).
    """

    kind = "parallel_run"

    def __init__(
        self,
        name: str,
        parallel_run_config: ParallelRunConfig,
        inputs: Iterable[Any],
        output: OutputData | None = None,
        side_inputs: Iterable[Any] | None = None,
        arguments: Iterable[Any] | None = None,
        allow_reuse: bool = True,
    ) -> None:
        if not isinstance(parallel_run_config, ParallelRunConfig):
            raise ModelError(
                f"step {name!r}: parallel_run_config must be a ParallelRunConfig, "
                f"got {parallel_run_config!r}"
            )
        config = parallel_run_config
        args = list(arguments or [])
        _check_arguments(name, args)
        data = [_data_input(name, i) for i in list(inputs or [])]
        if not data:
            raise ModelError(f"step {name!r}: 'inputs' must list at least one dataset")
        sides = [
            as_binding(s.as_input() if isinstance(s, OutputData) else s) for s in side_inputs or []
        ]
        if output is not None and not isinstance(output, OutputData):
            raise ModelError(
                f"step {name!r}: output must be a PipelineData or OutputFileDatasetConfig, "
                f"got {output!r}"
            )
        if output is None and config.output_action == "append_row":
            raise ModelError(
                f"step {name!r}: output_action 'append_row' needs an output "
                "(output=PipelineData('scores')) to append the rows to"
            )
        entry, source = _split(config.entry_script, config.source_directory)
        self.parallel_run_config = config
        self.entry_script = entry
        #: v1's base class keeps the entry script as ``script_name``.
        self.script_name = entry
        self.output = output
        self._data_bindings = data
        self._side_bindings = sides
        super().__init__(
            name,
            source_directory=source,
            arguments=args,
            inputs=[*data, *sides],
            outputs=[output] if output is not None else [],
            compute_target=config.compute_target,
            runconfig=_runconfig(config),
            allow_reuse=allow_reuse,
            environment_variables=config.environment_variables,
        )
        # A folder taken from the entry script's path is still under a pipeline's default.
        self._source_given = config.source_directory is not None
        self._check_input_kinds()

    def _check_input_kinds(self) -> None:
        kinds = {k for k in (_input_kind(b) for b in self._data_bindings) if k}
        if len(kinds) > 1:
            raise ModelError(
                f"step {self.name!r}: all inputs must be of one type (file or tabular), got "
                f"{', '.join(sorted(kinds))}"
            )

    # -- what the engine and the file format read --------------------------------------------
    @property
    def entry(self) -> str:
        return self.entry_script

    @property
    def data_inputs(self) -> list[InputBinding]:
        """The inputs cut into mini-batches, in order."""
        return list(self._data_bindings)

    @property
    def side_inputs(self) -> list[InputBinding]:
        """The inputs every worker reads whole."""
        return list(self._side_bindings)

    @property
    def input_kind(self) -> str | None:
        """``file`` or ``tabular`` when known before submit (None: decided at submit)."""
        kinds = [k for k in (_input_kind(b) for b in self._data_bindings) if k]
        return kinds[0] if kinds else None

    @property
    def append_row_file_name(self) -> str:
        """The file ``append_row`` writes in the output."""
        return self.parallel_run_config.append_row_file_name or DEFAULT_APPEND_ROW_FILE

    @property
    def parameter_values(self) -> list[PipelineParameter]:
        """The PipelineParameters of the configuration (found by the pipeline)."""
        config = self.parallel_run_config
        found = [getattr(config, f) for f in PARAMETER_FIELDS]
        return [p for p in found if isinstance(p, PipelineParameter)]

    @property
    def running_on_windows(self) -> bool:
        """Whether the environment's image is a Windows one (v1); steps here run on this
        machine's OS."""
        docker = getattr(self.parallel_run_config.environment, "docker", None)
        platform = getattr(docker, "platform", None)
        os_name = getattr(platform, "os", None) or (
            platform.get("os") if isinstance(platform, dict) else None
        )
        return isinstance(os_name, str) and os_name.lower() == "windows"

    @refused(_GRAPH)
    def create_module_def(  # type: ignore[override]
        self,
        execution_type: Any,
        input_bindings: Any,
        output_bindings: Any,
        param_defs: Any = None,
        create_sequencing_ports: bool = True,
        allow_reuse: bool = True,
        version: Any = None,
        arguments: Any = None,
    ) -> Any:
        """v1: the module definition the service stores for this step."""


def _split(entry_script: str, source_directory: str | None) -> tuple[str, str | None]:
    """Without a source directory the entry script's folder is it (as for PythonScriptStep)."""
    if source_directory is None and os.path.dirname(entry_script):
        return os.path.basename(entry_script), os.path.dirname(entry_script)
    return entry_script, source_directory


def _runconfig(config: ParallelRunConfig) -> Any:
    """A RunConfiguration holding the config's environment (None: this interpreter)."""
    if config.environment is None:
        return None
    from .runconfig import RunConfiguration

    runconfig = RunConfiguration()
    runconfig.environment = config.environment
    if config.compute_target_name:
        runconfig.target = config.compute_target_name
    return runconfig
