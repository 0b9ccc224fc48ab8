"""Reading pipeline files: a ``NAME.pipeline.yaml`` document (or an Elyra file) to parts.

Steps are built from the document and outputs wired to the inputs that refer to them;
every broken reference is reported at once. ``Pipeline.load`` turns the parts into a
Pipeline.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ModelError, PipelineFileError, did_you_mean
from .data import (
    DataPath,
    DataReference,
    DatasetConsumptionConfig,
    DatasetRef,
    InputBinding,
    OutputData,
    OutputFileDatasetConfig,
    PipelineData,
    StepInput,
)
from .elyra import load_elyra_text
from .file_schema import check_document, parse_yaml
from .file_steps import (
    DATA_TRANSFER_KEYS,
    PARALLEL_RUN_KEYS,
    read_data_transfer,
    read_parallel_run,
)
from .parameters import PARAMETER_TYPES, PipelineParameter, coerce_value, type_name_of
from .parts import PipelineParts
from .steps import CommandStep, NotebookStep, PipelineStep, PythonScriptStep
from .untrusted import read_document_text
from .validation import PLACEHOLDER


def read_pipeline_file(path: str | os.PathLike[str]) -> PipelineParts:
    """Read a pipeline file: ``*.pipeline.yaml`` (ours) or ``*.pipeline`` (Elyra)."""
    source = Path(path)
    try:
        text = read_document_text(source)
    except FileNotFoundError:
        raise PipelineFileError(f"pipeline file {str(source)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineFileError(f"cannot read pipeline file {str(source)!r}: {exc}") from exc
    if source.suffix == ".pipeline":
        parts = load_elyra_text(text, source)
    else:
        parts = document_to_parts(parse_yaml(text, str(source)), source.parent, str(source))
    parts.source_path = str(source)
    return parts


def document_to_parts(doc: Any, base_dir: str | os.PathLike[str], source: str) -> PipelineParts:
    """The parts of a pipeline from a checked document; paths are relative to ``base_dir``."""
    check_document(doc, source)
    if not doc["steps"]:
        raise PipelineFileError(
            f"{source!r} has no steps: add one under 'steps' (or drop a notebook or script on "
            "the pipeline editor's canvas)"
        )
    return _Builder(doc, Path(base_dir), source).build()


#: Step keys that a step type does not use, and what to write instead.
_NOT_FOR: dict[str, frozenset[str]] = {
    "python_script": frozenset(
        {
            "notebook",
            "command",
            "parameters",
            "kernel_name",
            "output_notebook",
            "executed_notebook",
            "cell_timeout",
            "log_output",
        }
    ),
    "notebook": frozenset({"script", "command", "arguments", "params"}),
    "command": frozenset(
        {
            "script",
            "notebook",
            "arguments",
            "parameters",
            "kernel_name",
            "output_notebook",
            "executed_notebook",
            "cell_timeout",
            "log_output",
        }
    ),
}
# ParallelRunStep's and DataTransferStep's own keys (file_steps.py): no other type uses them.
_NOTEBOOK_KEYS = frozenset(
    {
        "notebook",
        "kernel_name",
        "output_notebook",
        "executed_notebook",
        "cell_timeout",
        "log_output",
    }
)
for _kind in ("python_script", "notebook", "command"):
    _NOT_FOR[_kind] |= PARALLEL_RUN_KEYS | DATA_TRANSFER_KEYS
_NOT_FOR["parallel_run"] = (
    _NOTEBOOK_KEYS | DATA_TRANSFER_KEYS | {"script", "command", "params", "parameters"}
)
_NOT_FOR["data_transfer"] = (
    _NOTEBOOK_KEYS
    | PARALLEL_RUN_KEYS
    | {"script", "command", "params", "parameters", "arguments", "source_directory"}
    | {"environment", "hash_paths"}
)
_INSTEAD = {
    ("parallel_run", "script"): "give the script as parallel_run_config.entry_script",
    ("data_transfer", "source_directory"): "a data transfer runs no code of yours",
    ("notebook", "params"): "use 'parameters'",
    ("notebook", "arguments"): "notebooks take 'parameters'",
    ("python_script", "parameters"): "use 'params' (environment variables) or 'arguments'",
    ("command", "parameters"): "use 'params' or ${{parameters.NAME}} in the command",
    ("command", "arguments"): "write the arguments into 'command'",
}


def _placeholder_step(name: str, base_dir: Path) -> PipelineStep:
    """Stands in for a step that could not be built, so that all problems are collected."""
    return CommandStep("true", name=name, base_dir=base_dir)


def _runconfig(environment: dict[str, Any] | None, target: str | None) -> Any:
    """A RunConfiguration carrying a step's environment, as written in the file."""
    if environment is None:
        return None
    from .environment import Environment
    from .runconfig import RunConfiguration

    runconfig = RunConfiguration()
    runconfig.environment = Environment.from_dict(environment)
    if target is not None:  # the file's compute_target, else RunConfiguration's ("local")
        runconfig.target = target
    return runconfig


class _Builder:
    """Turns a document into step objects, wiring outputs to inputs by reference."""

    def __init__(self, doc: dict[str, Any], base_dir: Path, source: str) -> None:
        self.doc = doc
        self.base_dir = base_dir
        self.source = source
        self.problems: list[str] = []
        self.params = {
            name: self._parameter(name, spec) for name, spec in doc.get("parameters", {}).items()
        }
        self.outputs: dict[str, dict[str, OutputData]] = {}

    def _parameter(self, name: str, spec: dict[str, Any]) -> PipelineParameter:
        default = spec["default"]
        if isinstance(default, dict) and "definition" in default:  # an unregistered dataset
            default = DatasetRef("", definition=dict(default["definition"]))
        elif isinstance(default, dict):  # a dataset or a DataPath
            default = (
                DatasetRef(default["dataset"], default.get("version", "latest"))
                if ("dataset" in default)
                else DataPath(default.get("datastore"), default.get("path"))
            )
        kind = spec.get("type") or type_name_of(default)
        try:
            value = coerce_value(name, kind, default)
        except Exception as exc:
            self.problems.append(f"parameters.{name}.default: {exc}")
            value = default
        param = PipelineParameter(name, value, spec.get("description", ""))
        param.type_name = kind if kind in PARAMETER_TYPES else param.type_name
        return param

    @staticmethod
    def _output_options(data: OutputData, doc: dict[str, Any]) -> None:
        if doc.get("mode") == "upload":
            data.as_upload(bool(doc.get("overwrite")))
        destination = doc.get("destination")
        if destination is not None:
            target = (
                (destination["datastore"], destination["path"])
                if destination.get("path")
                else destination["datastore"]
            )
            if isinstance(data, OutputFileDatasetConfig):
                data.destination = target
            else:
                data.datastore = destination["datastore"]
        if isinstance(data, OutputFileDatasetConfig):
            if doc.get("register"):
                reg = doc["register"]
                data.register_on_complete(reg["name"], reg.get("description"), reg.get("tags"))
            if doc.get("tabular") is not None:
                data.read_delimited_files(**doc["tabular"])

    def build(self) -> PipelineParts:
        steps_doc: dict[str, dict[str, Any]] = self.doc["steps"]
        for name, spec in steps_doc.items():
            self.outputs[name] = {
                out: OutputFileDatasetConfig(out, source=o.get("source"))
                if o.get("kind") == "output_file_dataset"
                else PipelineData(out)
                for out, o in spec.get("outputs", {}).items()
            }
            for out, o in spec.get("outputs", {}).items():
                self._output_options(self.outputs[name][out], o)
        steps = {}
        for name, spec in steps_doc.items():
            self._check_keys(name, spec)
            try:
                steps[name] = self._step(name, spec)
            except ModelError as exc:
                self.problems.append(f"steps.{name}: {exc}")
                steps[name] = _placeholder_step(name, self.base_dir)
        for name, spec in steps_doc.items():
            for before in spec.get("run_after", []):
                if before in steps:
                    steps[name].run_after(steps[before])
                else:
                    self._unknown_step(name, "run_after", before)
        if self.problems:
            raise PipelineFileError(
                f"{self.source!r} has broken references:\n"
                + "\n".join(f"  - {p}" for p in self.problems)
            )
        return PipelineParts(
            steps=list(steps.values()),
            description=self.doc.get("description"),
            name=self.doc.get("name"),
            parameters=list(self.params.values()),
            layout=self.doc.get("layout"),
        )

    def _check_keys(self, name: str, spec: dict[str, Any]) -> None:
        """Keys the schema allows on some step types but that mean nothing on this one."""
        for key in sorted(set(spec) & _NOT_FOR.get(spec["type"], frozenset())):
            self.problems.append(
                f"steps.{name}.{key}: {spec['type']} steps do not use {key!r} "
                f"({_INSTEAD.get((spec['type'], key), 'remove it')})"
            )

    def _unknown_step(self, step: str, field: str, name: str) -> None:
        hint = did_you_mean(name, self.doc["steps"])
        self.problems.append(f"steps.{step}.{field}: unknown step {name!r}{hint}")

    def _inputs(self, name: str, spec: dict[str, Any]) -> dict[str, InputBinding]:
        bindings: dict[str, InputBinding] = {}
        for in_name, ref in spec.get("inputs", {}).items():
            if "step" not in ref:
                binding = self._data_input(name, in_name, ref)
                if binding is not None:
                    if ref.get("mode") in ("download", "mount", "direct"):
                        binding.mode = ref["mode"]
                    binding.path_on_compute = ref.get("path_on_compute")
                    bindings[in_name] = binding
                continue
            producer, output = ref["step"], ref["output"]
            if producer not in self.outputs:
                self._unknown_step(name, f"inputs.{in_name}.step", producer)
                continue
            data = self.outputs[producer].get(output)
            if data is None:
                hint = did_you_mean(output, self.outputs[producer])
                self.problems.append(
                    f"steps.{name}.inputs.{in_name}.output: step {producer!r} has no "
                    f"output {output!r}{hint}"
                )
                continue
            binding = StepInput(
                in_name if in_name != data.name else None,
                data,
                tabular=bool(ref.get("tabular")),
            )
            if ref.get("mode") == "download":
                binding.as_download(ref.get("path_on_compute"))
            bindings[in_name] = binding
        return bindings

    def _data_input(self, step: str, name: str, ref: dict[str, Any]) -> InputBinding | None:
        """A dataset or datastore input; names are resolved against the workspace at submit."""
        if "parameter" in ref:
            param = self.params.get(ref["parameter"])
            if param is None:
                hint = did_you_mean(ref["parameter"], self.params)
                self.problems.append(
                    f"steps.{step}.inputs.{name}.parameter: unknown parameter "
                    f"{ref['parameter']!r}{hint}"
                )
                return None
            if param.type_name == "datapath":
                return DataReference(None, name, param)
            return DatasetConsumptionConfig(name, param)
        if "definition" in ref:
            return DatasetConsumptionConfig(name, dict(ref["definition"]))
        if "dataset" in ref:
            return DatasetConsumptionConfig(
                name, DatasetRef(ref["dataset"], ref.get("version", "latest"))
            )
        return DataReference(
            ref["datastore"], name, ref.get("path", ""), overwrite=bool(ref.get("overwrite"))
        )

    def _value(self, value: Any, name: str, field: str, inputs: dict[str, InputBinding]) -> Any:
        """Turn a whole-string placeholder back into its object; leave other values alone."""
        if not isinstance(value, str):
            return value
        match = PLACEHOLDER.fullmatch(value.strip())
        if not match:
            return value
        group, ref = match.group(1), match.group(2)
        tables: dict[str, dict[str, Any]] = {
            "parameters": self.params,
            "inputs": inputs,
            "outputs": self.outputs[name],
        }
        table = tables[group]
        if ref not in table:
            hint = did_you_mean(ref, table)
            self.problems.append(
                f"steps.{name}.{field}: {value} refers to unknown {group[:-1]} {ref!r}{hint}"
            )
            return value
        return table[ref]

    def _step(self, name: str, spec: dict[str, Any]) -> PipelineStep:
        inputs = self._inputs(name, spec)
        args = [
            self._value(a, name, f"arguments[{i}]", inputs)
            for i, a in enumerate(spec.get("arguments", []))
        ]
        pkey = "parameters" if spec["type"] == "notebook" else "params"
        params = {
            k: self._value(v, name, f"{pkey}.{k}", inputs) for k, v in spec.get(pkey, {}).items()
        }
        common: dict[str, Any] = {
            "name": name,
            "source_directory": spec.get("source_directory", "."),
            "inputs": list(inputs.values()),
            "outputs": list(self.outputs[name].values()),
            "compute_target": spec.get("compute_target"),
            "runconfig": _runconfig(spec.get("environment"), spec.get("compute_target")),
            "allow_reuse": spec.get("allow_reuse", True),
            "hash_paths": spec.get("hash_paths"),
            "timeout": spec.get("timeout"),
            "resources": spec.get("resources"),
            "environment_variables": spec.get("environment_variables"),
            "base_dir": self.base_dir,
        }
        kind = spec["type"]
        if kind in ("parallel_run", "data_transfer"):
            return self._own_step(name, spec, inputs, args, common)
        if kind == "python_script":
            return PythonScriptStep(spec["script"], arguments=args, params=params, **common)
        if kind == "notebook":
            out_nb = spec.get("output_notebook")
            if out_nb is not None and out_nb not in self.outputs[name]:
                self.problems.append(
                    f"steps.{name}.output_notebook: {out_nb!r} is not one of the step's outputs"
                )
            return NotebookStep(
                spec["notebook"],
                parameters=params,
                kernel_name=spec.get("kernel_name"),
                output_notebook=self.outputs[name].get(out_nb) if out_nb else None,
                cell_timeout=spec.get("cell_timeout"),
                log_output=spec.get("log_output", False),
                executed_notebook=spec.get("executed_notebook"),
                **common,
            )
        command = spec["command"]
        if isinstance(command, list):
            command = [self._value(a, name, f"command[{i}]", inputs) for i, a in enumerate(command)]
        return CommandStep(command, params=params, **common)

    def _own_step(
        self,
        name: str,
        spec: dict[str, Any],
        inputs: dict[str, InputBinding],
        args: list[Any],
        common: dict[str, Any],
    ) -> PipelineStep:
        """A parallel_run or data_transfer step (their keys: file_steps.py)."""
        outputs = list(self.outputs[name].values())
        if spec["type"] == "data_transfer":

            def parameter(ref: str) -> Any:
                return self._value(f"${{{{parameters.{ref}}}}}", name, "destination", inputs)

            return read_data_transfer(name, spec, inputs, outputs, parameter, common)

        def value(raw: Any, field: str) -> Any:
            return self._value(raw, name, field, inputs)

        for side in spec.get("side_inputs", []):
            if side not in inputs:
                hint = did_you_mean(side, inputs)
                self.problems.append(f"steps.{name}.side_inputs: unknown input {side!r}{hint}")
        return read_parallel_run(name, spec, inputs, outputs, args, value, common)
