"""v1's ``PipelineStep`` graph-builder members, which every step class inherits.

In v1 these build the Azure ML service's graph of a pipeline. Those with a local meaning
work here (checking and resolving a step's arguments, finding its source directory,
turning inputs into bindings); those that make service graph objects are refused,
naming the local way (a Pipeline, whose ``graph`` is a networkx DiGraph).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..compat import refused
from ..errors import ModelError
from .data import DataPath, InputBinding, OutputData, StepInput, as_binding
from .parameters import PipelineParameter

_GRAPH = (
    "build a Pipeline(workspace, steps): it makes the graph (pipeline.graph, a networkx "
    "DiGraph of step names) and Experiment.submit runs it"
)
#: The environment variable v1 sets for a step parameter (``params={"x": ...}``).
PARAMETER_VARIABLE = "AML_PARAMETER_{}"


class V1StepMembers:
    """The members of v1's ``PipelineStep`` beyond construction, ``name`` and ``run_after``."""

    name: str
    source_directory: str
    base_dir: Path

    @staticmethod
    def validate_arguments(
        arguments: Iterable[Any] | None, inputs: Iterable[Any], outputs: Iterable[Any]
    ) -> None:
        """Check that every input or output in ``arguments`` is in ``inputs`` or ``outputs``.

        Raises ModelError naming the first one that is not (as v1 raises ValueError).
        """
        bindings = [as_binding(i) for i in inputs or []]
        produced = list(outputs or [])
        for argument in arguments or []:
            if isinstance(argument, OutputData):
                if _is_output(argument, produced) or _is_input(argument, bindings):
                    continue
                raise ModelError(
                    f"input/output {argument.name!r} appears in arguments but is not in the "
                    "input/output lists"
                )
            if isinstance(argument, InputBinding | DataPath) and not _is_input(argument, bindings):
                name = getattr(argument, "name", None) or repr(argument)
                raise ModelError(
                    f"input {name!r} appears in arguments but is not in the input list"
                )

    @staticmethod
    def resolve_input_arguments(
        arguments: Iterable[Any],
        inputs: Iterable[Any],
        outputs: Iterable[Any],
        params: Mapping[str, Any] | Iterable[str],
    ) -> tuple[list[Any], list[tuple[str, str]]]:
        """Match ``arguments`` to the step's inputs, outputs and params, as v1 does.

        Returns (resolved, annotated): ``resolved`` holds each input binding, output,
        ``$AML_PARAMETER_<name>`` for a PipelineParameter (and for ``"parameter:NAME"``
        when ``NAME`` is in ``params``), or the argument itself; ``annotated`` holds
        ``(kind, name or text)`` with kind ``input``, ``output``, ``parameter`` or ``string``.
        """
        bindings = [as_binding(i) for i in inputs or []]
        produced = list(outputs or [])
        names = set(params)
        resolved: list[Any] = []
        annotated: list[tuple[str, str]] = []
        for argument in arguments:
            item, note = _resolve_one(argument, bindings, produced, names)
            if item is not _SKIP:
                resolved.append(item)
                annotated.append(note)
        return resolved, annotated

    def create_input_output_bindings(
        self,
        inputs: Iterable[Any],
        outputs: Iterable[OutputData],
        default_datastore: Any,
        resource_inputs: Iterable[Any] | None = None,
    ) -> tuple[list[InputBinding], list[OutputData]]:
        """The input bindings of ``inputs`` (and ``resource_inputs``) and the outputs.

        A resource input is downloaded into the step's working folder, as in v1. Outputs
        are written to the workspace's datastores whatever ``default_datastore`` says.
        """
        bindings = [as_binding(i) for i in inputs or []]
        for resource in resource_inputs or []:
            bindings.append(as_binding(resource).as_download(path_on_compute="."))
        return bindings, list(outputs or [])

    def get_source_directory(
        self, context: Any, source_directory: str | os.PathLike[str] | None, script_name: str
    ) -> str:
        """The source directory of ``script_name``, checked to hold it.

        Without ``source_directory``, the context's (a Pipeline's)
        ``default_source_directory`` is used, then the step's own. Relative paths are
        relative to the folder the step was created in. Raises ModelError when the script
        is not there.
        """
        chosen = source_directory
        if chosen is None:
            chosen = getattr(context, "default_source_directory", None) or self.source_directory
        folder = self.base_dir / os.fspath(chosen)
        if not (folder / script_name).is_file():
            raise ModelError(
                f"step {self.name!r}: script {script_name!r} not found in "
                f"{str(folder.resolve())!r}; give the step a source_directory, or the pipeline "
                "a default_source_directory"
            )
        return os.fspath(chosen)

    @refused(_GRAPH)
    def create_node(self, graph: Any, default_datastore: Any, context: Any) -> Any:
        """v1: the node of this step in the service's graph."""

    @refused(_GRAPH)
    def create_module_def(
        self,
        execution_type: Any,
        input_bindings: Any,
        output_bindings: Any,
        param_defs: Any = None,
        create_sequencing_ports: bool = True,
        allow_reuse: bool = True,
        version: Any = None,
        module_type: Any = None,
        arguments: Any = None,
        runconfig: Any = None,
        cloud_settings: Any = None,
    ) -> Any:
        """v1: the module definition the service stores for this step."""


_SKIP = object()


def _is_output(data: OutputData, outputs: list[Any]) -> bool:
    return any(o is data for o in outputs)


def _is_input(argument: Any, bindings: list[InputBinding]) -> bool:
    """Whether ``argument`` (a binding, an output or a DataPath) is one of ``bindings``."""
    for binding in bindings:
        if binding is argument:
            return True
        if isinstance(binding, StepInput) and (
            binding.data is argument
            or (isinstance(argument, StepInput) and argument.data is binding.data)
        ):
            return True
        if isinstance(argument, DataPath) and getattr(binding, "path_on_datastore", None) == (
            argument.path_on_datastore
        ):
            return True
    return False


def _binding_of(argument: Any, bindings: list[InputBinding]) -> InputBinding | None:
    return next((b for b in bindings if _is_input(argument, [b])), None)


def _resolve_one(
    argument: Any, bindings: list[InputBinding], outputs: list[Any], params: set[str]
) -> tuple[Any, tuple[str, str]]:
    """One argument resolved: (the item, its annotation); (_SKIP, ...) when it matches nothing."""
    if isinstance(argument, OutputData | InputBinding | DataPath):
        binding = _binding_of(argument, bindings)
        if binding is not None:
            return binding, ("input", str(binding.name))
        if isinstance(argument, OutputData) and _is_output(argument, outputs):
            return argument, ("output", str(argument.name))
        return _SKIP, ("", "")  # v1 drops a data argument that is no input or output
    if isinstance(argument, PipelineParameter):
        return f"${PARAMETER_VARIABLE.format(argument.name)}", ("parameter", argument.name)
    if isinstance(argument, str) and argument.startswith("parameter:"):
        name = argument.removeprefix("parameter:")
        if name in params:
            return f"${PARAMETER_VARIABLE.format(name)}", ("parameter", name)
    return argument, ("string", str(argument))
