"""Pipeline steps with the Azure ML v1 names: scripts, notebooks and shell commands."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from ..compat import warn_cloud_only
from ..errors import ModelError
from .data import (
    DataPath,
    DataPathComputeBinding,
    InputBinding,
    OutputData,
    StepInput,
    as_binding,
)
from .parameters import PipelineParameter
from .script_run_config import command_from_runconfig
from .step_members import V1StepMembers

#: What may appear in a step's argument list.
Argument = str | int | float | bool | PipelineParameter | OutputData | InputBinding | DataPath


def _target_name(target: Any) -> str | None:
    """Accept a compute target object (anything with ``.name``) or a name."""
    if target is None or isinstance(target, str):
        return target
    name = getattr(target, "name", None)
    if not isinstance(name, str):
        raise ModelError(f"compute_target must be a name or a compute target, got {target!r}")
    return name


class PipelineStep(V1StepMembers):
    """Base of all steps: a named unit of work with inputs, outputs and a compute target.

    v1's graph-builder members (``validate_arguments``, ``resolve_input_arguments``,
    ``get_source_directory``, ...) come from :class:`V1StepMembers`.
    """

    #: The step type as written in pipeline files.
    kind: ClassVar[str] = ""

    def __init__(
        self,
        name: str,
        *,
        source_directory: str | os.PathLike[str] | None = None,
        arguments: Iterable[Argument] | None = None,
        inputs: Iterable[Any] | None = None,
        outputs: Iterable[OutputData] | None = None,
        params: Mapping[str, Any] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Iterable[str] | None = None,
        timeout: float | None = None,
        resources: Mapping[str, Any] | None = None,
        environment_variables: Mapping[str, str] | None = None,
        base_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError(f"a step needs a non-empty 'name', got {name!r}")
        self.name = name
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self.source_directory = str(source_directory) if source_directory is not None else "."
        #: Whether the user chose the source directory (else a pipeline's default applies).
        self._source_given = source_directory is not None
        self.arguments: list[Argument] = list(arguments or [])
        self.params: dict[str, Any] = dict(params or {})
        if compute_target is None and runconfig is not None:
            compute_target = getattr(runconfig, "target", None)
        self.compute_target = _target_name(compute_target)
        self.runconfig = runconfig
        if runconfig_pipeline_params:
            warn_cloud_only(
                "runconfig_pipeline_params",
                "node and process counts of Azure ML clusters do not apply to local steps",
            )
        self.allow_reuse = bool(allow_reuse)
        #: v1's module version tag; recorded, it does not change how the step runs.
        self.version = version
        self.hash_paths = list(hash_paths or [])
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise ModelError(f"step {name!r}: 'timeout' must be a positive number of seconds")
        self.timeout = float(timeout) if timeout is not None else None
        self.resources: dict[str, Any] = dict(resources or {})
        self.environment_variables = {
            str(k): str(v) for k, v in (environment_variables or {}).items()
        }
        self._run_after: list[PipelineStep] = []
        self._inputs: list[InputBinding] = []
        self._outputs: list[OutputData] = []
        self._collect_data(list(inputs or []), list(outputs or []))

    # -- data ------------------------------------------------------------------------
    def _collect_data(self, inputs: list[Any], outputs: list[OutputData]) -> None:
        # v1 puts one (parameter, DataPathComputeBinding) pair in both arguments and inputs:
        # both places must name the same input.
        pairs: dict[tuple[int, int], InputBinding] = {}

        def one_binding(item: Any) -> Any:
            if (
                isinstance(item, tuple)
                and len(item) == 2
                and isinstance(item[1], DataPathComputeBinding)
            ):
                return pairs.setdefault((id(item[0]), id(item[1])), as_binding(item))
            return item

        inputs = [one_binding(i) for i in inputs]
        self.arguments = [one_binding(a) for a in self.arguments]
        explicit_inputs = {id(i.data if isinstance(i, StepInput) else i) for i in inputs}
        for item in inputs:
            self._add_input(as_binding(item))
        for out in outputs:
            self._add_output(out)
        for arg in self._data_arguments():
            if isinstance(arg, InputBinding):
                self._add_input(arg)
            elif isinstance(arg, DataPath):
                self._add_input(as_binding(arg))
            elif isinstance(arg, OutputData) and id(arg) not in explicit_inputs:
                self._add_output(arg)
        self._name_unnamed_outputs()

    def _data_arguments(self) -> list[Argument]:
        return [a for a in self.arguments if isinstance(a, OutputData | InputBinding | DataPath)]

    def _add_input(self, binding: InputBinding) -> None:
        same_output = isinstance(binding, StepInput) and any(
            isinstance(b, StepInput) and b.data is binding.data for b in self._inputs
        )
        if same_output or any(b is binding for b in self._inputs):
            return
        self._inputs.append(binding)

    def _add_output(self, data: OutputData) -> None:
        if any(o is data for o in self._outputs):
            return
        if not isinstance(data, OutputData):
            raise ModelError(
                f"step {self.name!r}: outputs must be PipelineData or "
                f"OutputFileDatasetConfig, got {data!r}"
            )
        data._bind_producer(self)
        self._outputs.append(data)

    def _name_unnamed_outputs(self) -> None:
        # Named once all outputs are known, so that a generated name never takes one the
        # user gave to another output of the step ("output", then "output_1", ...).
        taken = {o.name for o in self._outputs if o.name is not None}
        index = 0
        for data in self._outputs:
            if data.name is None:
                while (candidate := "output" if index == 0 else f"output_{index}") in taken:
                    index += 1
                data.name = candidate
                taken.add(candidate)

    def add_input(self, binding: Any) -> None:
        """Bind one more input after construction (used by file importers)."""
        self._add_input(as_binding(binding))

    def add_output(self, data: OutputData) -> None:
        """Add one more output after construction (used by file importers)."""
        self._add_output(data)
        self._name_unnamed_outputs()

    @property
    def inputs(self) -> list[InputBinding]:
        """The step's input bindings, explicit and from its arguments."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[OutputData]:
        """The step's outputs, explicit and from its arguments."""
        return list(self._outputs)

    # -- ordering --------------------------------------------------------------------
    def run_after(self, step: PipelineStep) -> None:
        """Run this step only after ``step`` has finished, without passing data."""
        if not isinstance(step, PipelineStep):
            raise ModelError(f"run_after expects a step, got {step!r}")
        if step not in self._run_after:
            self._run_after.append(step)

    @property
    def run_after_steps(self) -> list[PipelineStep]:
        """Steps this one waits for without a data dependency."""
        return list(self._run_after)

    # -- identity --------------------------------------------------------------------
    @property
    def entry(self) -> str:
        """The script, notebook or command the step runs."""
        raise NotImplementedError

    @property
    def source_path(self) -> Path:
        """The absolute source directory of the step."""
        key = (self.base_dir, self.source_directory)
        cached = getattr(self, "_source_path", None)
        if cached is None or cached[0] != key:
            # Resolving touches the file system; planning a big pipeline asks often.
            cached = (key, (self.base_dir / self.source_directory).resolve())
            self._source_path = cached
        return cached[1]

    def _apply_default_source_directory(self, default: str) -> None:
        """Put the step under a pipeline's ``default_source_directory`` unless it has its own."""
        if self._source_given:
            return
        self.source_directory = os.path.normpath(os.path.join(default, self.source_directory))
        self._source_given = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, {self.entry!r})"


def _split_file(path: str | os.PathLike[str], source_directory: Any) -> tuple[str, Any]:
    """Default the source directory to the folder holding ``path``."""
    text = os.fspath(path)
    if source_directory is None and os.path.dirname(text):
        return os.path.basename(text), os.path.dirname(text)
    return text, source_directory


def _keep_source_default(step: PipelineStep, given: Any) -> None:
    """A folder taken from the file's path is still under a pipeline's default folder."""
    step._source_given = given is not None


class PythonScriptStep(PipelineStep):
    """Run a Python script with arguments (v1 ``PythonScriptStep``).

    ``params`` become environment variables named ``AML_PARAMETER_<name>``, as in v1.
    """

    kind = "python_script"

    def __init__(
        self,
        script_name: str,
        name: str | None = None,
        arguments: Iterable[Argument] | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: Any = None,
        inputs: Iterable[Any] | None = None,
        outputs: Iterable[OutputData] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        hash_paths: Iterable[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(script_name, str | os.PathLike) or not os.fspath(script_name):
            raise ModelError("PythonScriptStep needs a 'script_name'")
        given = source_directory
        script, source_directory = _split_file(script_name, source_directory)
        # The v1 how-to writes ``target=``; accept it as ``compute_target``.
        compute_target = (
            compute_target if compute_target is not None else kwargs.pop("target", None)
        )
        self.script_name = script
        super().__init__(
            name or script,
            source_directory=source_directory,
            arguments=arguments,
            inputs=inputs,
            outputs=outputs,
            params=params,
            compute_target=compute_target,
            runconfig=runconfig,
            runconfig_pipeline_params=runconfig_pipeline_params,
            allow_reuse=allow_reuse,
            version=version,
            hash_paths=hash_paths,
            **kwargs,
        )
        _keep_source_default(self, given)

    @property
    def entry(self) -> str:
        return self.script_name


class NotebookStep(PipelineStep):
    """Run a notebook with papermill; ``parameters`` go into its ``parameters`` cell.

    Each input and output name is also injected as a parameter holding its directory.
    The executed copy is kept with the step run, named ``executed_notebook`` (default:
    the notebook's own file name), and written into ``output_notebook`` (an output) when
    given. The source notebook is never modified. A kernel that is not installed (v1
    notebooks name ``python38-azureml``) is replaced by the step's own Python kernel.
    """

    kind = "notebook"

    def __init__(
        self,
        notebook: str | os.PathLike[str],
        source_directory: str | os.PathLike[str] | None = None,
        parameters: Mapping[str, Any] | None = None,
        inputs: Iterable[Any] | None = None,
        outputs: Iterable[OutputData] | None = None,
        name: str | None = None,
        kernel_name: str | None = None,
        output_notebook: OutputData | None = None,
        log_output: bool = False,
        cell_timeout: float | None = None,
        executed_notebook: str | None = None,
        **kwargs: Any,
    ) -> None:
        given = source_directory
        nb, source_directory = _split_file(notebook, source_directory)
        self.notebook = nb
        self.kernel_name = kernel_name
        self.log_output = log_output
        self.cell_timeout = cell_timeout
        self.executed_notebook = _file_name(executed_notebook, name or nb)
        all_outputs = list(outputs or [])
        if output_notebook is not None and all(o is not output_notebook for o in all_outputs):
            all_outputs.append(output_notebook)
        self.output_notebook = output_notebook
        super().__init__(
            name or nb,
            source_directory=source_directory,
            inputs=inputs,
            outputs=all_outputs,
            params=parameters,
            **kwargs,
        )
        _keep_source_default(self, given)

    @property
    def parameters(self) -> dict[str, Any]:
        """Values injected into the notebook's ``parameters`` cell."""
        return self.params

    @property
    def entry(self) -> str:
        return self.notebook


class CommandStep(PipelineStep):
    """Run a shell command (a string run by ``bash -c``, or an argument list).

    A string may refer to ``${{inputs.NAME}}``, ``${{outputs.NAME}}`` and
    ``${{parameters.NAME}}``; a list may hold data objects and parameters directly.
    """

    kind = "command"

    def __init__(
        self,
        command: str | Iterable[Argument] | None = None,
        name: str | None = None,
        compute_target: Any = None,
        runconfig: Any = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        inputs: Iterable[Any] | None = None,
        outputs: Iterable[OutputData] | None = None,
        params: Mapping[str, Any] | None = None,
        source_directory: str | os.PathLike[str] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        **kwargs: Any,
    ) -> None:
        command, runconfig, source_directory = command_from_runconfig(
            command, runconfig, source_directory
        )
        if isinstance(command, str):
            if not command.strip():
                raise ModelError("CommandStep needs a non-empty 'command'")
            self.command: str | None = command
            arguments: list[Argument] = []
        elif command is None:
            raise ModelError(
                "CommandStep needs a 'command' (or a runconfig whose 'command' is set)"
            )
        else:
            arguments = _split_first(list(command))
            if not arguments:
                raise ModelError("CommandStep needs a non-empty 'command'")
            self.command = None
        if name is None:
            first = _first_word(command) if isinstance(command, str) else str(arguments[0])
            name = os.path.basename(first) or "command"
        super().__init__(
            name,
            source_directory=source_directory,
            arguments=arguments,
            inputs=inputs,
            outputs=outputs,
            params=params,
            compute_target=compute_target,
            runconfig=runconfig,
            runconfig_pipeline_params=runconfig_pipeline_params,
            allow_reuse=allow_reuse,
            version=version,
            **kwargs,
        )

    @property
    def entry(self) -> str:
        if self.command is not None:
            return self.command
        return " ".join(
            str(a) if isinstance(a, str | int | float) else f"<{a!r}>" for a in self.arguments
        )


def _split_first(command: list[Any]) -> list[Any]:
    """v1 splits the first item of a command list into words (``["python train.py", x]``)."""
    if command and isinstance(command[0], str) and command[0].strip():
        try:
            return [*shlex.split(command[0]), *command[1:]]
        except ValueError:
            return command
    return command


def _file_name(value: str | None, step: str) -> str | None:
    """``value`` when it is a plain file name (no folder part)."""
    if value is None:
        return None
    plain = isinstance(value, str) and os.path.basename(value) == value.strip() == value
    if not plain or not value.endswith(".ipynb") or value == ".ipynb":
        raise ModelError(
            f"step {step!r}: the executed notebook's name must be a file name ending in "
            f"'.ipynb', such as 'result.ipynb', got {value!r}"
        )
    return value


def _first_word(command: str) -> str:
    """The program a shell command runs; unbalanced quotes fall back to a plain split."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return words[0] if words else ""


class StepSequence:
    """Steps that run one after another, in the order given (v1 ``StepSequence``)."""

    def __init__(
        self, steps: Iterable[PipelineStep | StepSequence | Iterable[Any]] | None = None
    ) -> None:
        self.steps = flatten_steps(steps or [])
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            after.run_after(before)


def flatten_steps(items: Iterable[Any] | PipelineStep | StepSequence) -> list[PipelineStep]:
    """Flatten nested lists and StepSequences of steps, keeping order and dropping repeats."""
    if isinstance(items, PipelineStep | StepSequence):
        # v1 allows ``Pipeline(workspace=ws, steps=step_sequence)`` and a single step.
        items = [items]
    result: list[PipelineStep] = []
    seen: set[int] = set()  # ids of the steps in result: O(1) repeat checks
    for item in items:
        if isinstance(item, PipelineStep):
            found = [item]
        elif isinstance(item, StepSequence):
            found = item.steps
        elif isinstance(item, Iterable) and not isinstance(item, str | bytes):
            found = flatten_steps(item)
        else:
            raise ModelError(f"a pipeline's steps must be steps, got {item!r}")
        for s in found:
            if id(s) not in seen:
                seen.add(id(s))
                result.append(s)
    return result
