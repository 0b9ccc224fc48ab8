"""The ``NAME.pipeline.yaml`` file format: a Pipeline to a document and back.

A document is plain data (dicts, lists, scalars) checked against the JSON Schema
shipped in ``schemas/pipeline.schema.json``. References between steps and to
parameters are written as ``${{inputs.NAME}}``, ``${{outputs.NAME}}`` and
``${{parameters.NAME}}``.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

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
    is_dataset,
)
from .parameters import PARAMETER_TYPES, PipelineParameter, coerce_value, type_name_of
from .pipeline import Pipeline
from .steps import CommandStep, NotebookStep, PipelineStep, PythonScriptStep
from .validation import PLACEHOLDER

FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / "pipeline.schema.json"


@cache
def pipeline_schema() -> dict[str, Any]:
    """The JSON Schema of pipeline files."""
    result: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return result


@cache
def _schema_validator() -> Any:
    """The compiled validator of the schema (built once: building it costs more than using it)."""
    import jsonschema

    return jsonschema.Draft202012Validator(pipeline_schema())


def warm_up() -> None:
    """Import and compile what checking a document needs, so that the first check is fast
    (the server calls this in the background when it starts)."""
    _schema_validator().is_valid({"version": FORMAT_VERSION, "steps": {}})


#: libyaml's loader when PyYAML was built with it (several times faster), else PyYAML's own.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- writing ------------------------------------------------------------------------------
def pipeline_to_document(pipeline: Pipeline, base_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The document of ``pipeline``, with paths relative to ``base_dir``."""
    doc: dict[str, Any] = {"version": FORMAT_VERSION}
    if pipeline.name:
        doc["name"] = pipeline.name
    if pipeline.description:
        doc["description"] = pipeline.description
    params = pipeline.parameters
    if params:
        doc["parameters"] = {n: _parameter_doc(p) for n, p in params.items()}
    doc["steps"] = {s.name: step_to_document(s, Path(base_dir)) for s in pipeline.steps}
    if pipeline.layout:
        doc["layout"] = pipeline.layout
    return doc


def _parameter_doc(p: PipelineParameter) -> dict[str, Any]:
    out: dict[str, Any] = {"type": p.type_name, "default": parameter_value_doc(p.default_value)}
    if p.description:
        out["description"] = p.description
    return out


def _ref(value: Any, step: PipelineStep) -> Any:
    """Write one argument or parameter value, replacing objects by placeholders."""
    if isinstance(value, PipelineParameter):
        return f"${{{{parameters.{value.name}}}}}"
    if isinstance(value, InputBinding):
        return f"${{{{inputs.{value.name}}}}}"
    if isinstance(value, DataPath):
        for binding in step.inputs:
            same = isinstance(binding, DataReference) and (
                binding.path_on_datastore == value.path_on_datastore
            )
            if same:
                return f"${{{{inputs.{binding.name}}}}}"
    if isinstance(value, OutputData):
        for binding in step.inputs:
            if isinstance(binding, StepInput) and binding.data is value:
                return f"${{{{inputs.{binding.name}}}}}"
        return f"${{{{outputs.{value.name}}}}}"
    return value


def step_to_document(step: PipelineStep, base_dir: Path) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": step.kind}
    if isinstance(step, PythonScriptStep):
        doc["script"] = step.script_name
    elif isinstance(step, NotebookStep):
        doc["notebook"] = step.notebook
    elif isinstance(step, CommandStep):
        doc["command"] = (
            step.command if step.command is not None else [_ref(a, step) for a in step.arguments]
        )
    source = os.path.relpath(step.source_path, base_dir.resolve())
    if source != ".":
        doc["source_directory"] = Path(source).as_posix()
    if step.arguments and not isinstance(step, CommandStep):
        doc["arguments"] = [_ref(a, step) for a in step.arguments]
    if step.params:
        key = "parameters" if isinstance(step, NotebookStep) else "params"
        doc[key] = {k: _ref(v, step) for k, v in step.params.items()}
    if step.inputs:
        doc["inputs"] = {b.name: _input_doc(b) for b in step.inputs}
    if step.outputs:
        doc["outputs"] = {o.name: _output_doc(o) for o in step.outputs}
    if step.run_after_steps:
        doc["run_after"] = [s.name for s in step.run_after_steps]
    _optional(doc, step)
    return doc


def _input_doc(binding: InputBinding) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(binding, StepInput):
        producer = binding.data.producer
        out = {"step": producer.name if producer else "", "output": binding.data.name}
        if binding.tabular:
            out["tabular"] = True
    elif isinstance(binding, DatasetConsumptionConfig):
        out = _dataset_doc(binding.dataset)
    elif isinstance(binding, DataReference):
        path = binding.path_on_datastore
        if isinstance(path, PipelineParameter):
            out = {"parameter": path.name}
        else:
            out = {"datastore": binding.datastore_name, "path": str(path or "")}
        if binding.overwrite:
            out["overwrite"] = True
    else:
        raise ModelError(f"cannot write input {binding!r} to a pipeline file")
    # A dataset input's mode is always written: its default ("direct") is not the
    # default of the other inputs ("mount"), so an omitted mode would load as another one.
    if binding.mode != "mount" or isinstance(binding, DatasetConsumptionConfig):
        out["mode"] = binding.mode
    if binding.path_on_compute:
        out["path_on_compute"] = binding.path_on_compute
    return out


def _dataset_doc(dataset: Any) -> dict[str, Any]:
    """A dataset input: a parameter, or a registered dataset by name and version."""
    if isinstance(dataset, PipelineParameter):
        return {"parameter": dataset.name}
    if isinstance(dataset, dict) and "kind" in dataset:
        return {"definition": dict(dataset)}  # an inline definition, as a file loads it
    name, version = getattr(dataset, "name", None), getattr(dataset, "version", None)
    if not name and hasattr(dataset, "to_definition"):
        return {"definition": dataset.to_definition()}  # not registered: written inline
    if not name:
        raise ModelError(
            f"dataset {dataset!r} is not registered, so a pipeline file cannot name it; "
            "register it first (dataset.register(ws, name))"
        )
    return {"dataset": name, "version": version if version is not None else "latest"}


def parameter_value_doc(value: Any) -> Any:
    """A parameter default as written in a file (datasets and DataPaths as mappings)."""
    if isinstance(value, DataPath):
        return {"datastore": value.datastore_name, "path": value.path_on_datastore}
    if is_dataset(value) or isinstance(value, DatasetRef):
        return _dataset_doc(value)
    return value


def _output_doc(data: OutputData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, OutputFileDatasetConfig):
        out["kind"] = "output_file_dataset"
    if data.mode != "mount":
        out["mode"] = data.mode
    if data.overwrite:
        out["overwrite"] = True
    source = getattr(data, "source", None)
    if source:
        out["source"] = source
    destination = getattr(data, "destination", None) or (
        data.datastore if isinstance(data, PipelineData) else None
    )
    if destination is not None:
        store, path = destination if isinstance(destination, tuple) else (destination, None)
        doc = {"datastore": store if isinstance(store, str) else store.name}
        if path:
            doc["path"] = path
        out["destination"] = doc
    if isinstance(data, OutputFileDatasetConfig):
        if data.registration:
            out["register"] = dict(data.registration)
        if data.tabular:
            out["tabular"] = dict(data.tabular)
    return out


def _optional(doc: dict[str, Any], step: PipelineStep) -> None:
    if step.compute_target:
        doc["compute_target"] = step.compute_target
    environment = getattr(step.runconfig, "environment", None)
    if environment is not None and hasattr(environment, "to_dict"):
        doc["environment"] = environment.to_dict()
    if not step.allow_reuse:
        doc["allow_reuse"] = False
    if step.hash_paths:
        doc["hash_paths"] = list(step.hash_paths)
    if step.timeout is not None:
        doc["timeout"] = step.timeout
    if step.resources:
        doc["resources"] = dict(step.resources)
    if step.environment_variables:
        doc["environment_variables"] = dict(step.environment_variables)
    if isinstance(step, NotebookStep):
        if step.kernel_name:
            doc["kernel_name"] = step.kernel_name
        if step.output_notebook is not None:
            doc["output_notebook"] = step.output_notebook.name
        if step.cell_timeout is not None:
            doc["cell_timeout"] = step.cell_timeout
        if step.log_output:
            doc["log_output"] = True


def dump_document(doc: dict[str, Any]) -> str:
    """The YAML text of a document: block style, keys in their written order."""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)


def save_pipeline(pipeline: Pipeline, path: str | os.PathLike[str]) -> None:
    """Write ``pipeline`` to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    text = dump_document(pipeline_to_document(pipeline, target.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    pipeline.source_path = str(target)


# -- reading ------------------------------------------------------------------------------
def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Read a pipeline file: ``*.pipeline.yaml`` (ours) or ``*.pipeline`` (Elyra)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineFileError(f"pipeline file {str(source)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineFileError(f"cannot read pipeline file {str(source)!r}: {exc}") from exc
    if source.suffix == ".pipeline":
        from .elyra import load_elyra_text

        pipeline = load_elyra_text(text, source)
    else:
        pipeline = document_to_pipeline(parse_yaml(text, str(source)), source.parent, str(source))
    pipeline.source_path = str(source)
    return pipeline


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text, naming the file, line and column of a syntax error."""
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineFileError(f"{source!r} is not valid YAML{where}: {problem}") from exc


def check_document(doc: Any, source: str) -> None:
    """Check a document against the schema, reporting every violation with its field."""
    if not isinstance(doc, dict):
        raise PipelineFileError(f"{source!r} must hold a mapping with 'version' and 'steps'")
    if "version" in doc and doc["version"] != FORMAT_VERSION:
        raise PipelineFileError(
            f"{source!r} has format version {doc['version']!r}; this jupyter_pipelines reads "
            f"version {FORMAT_VERSION} (upgrade jupyter_pipelines to read newer files)"
        )
    validator = _schema_validator()
    errors = sorted(
        (_closest(e) for e in validator.iter_errors(doc)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        lines = [f"  - {_field(e)}: {e.message}" for e in errors]
        raise PipelineFileError(
            f"{source!r} does not match the pipeline schema:\n" + "\n".join(lines)
        )


def _closest(error: Any) -> Any:
    """For a value matching none of several shapes, the error of the nearest shape."""
    if error.validator != "oneOf" or not error.context:
        return error
    branches: dict[Any, list[Any]] = {}
    for sub_error in error.context:
        branches.setdefault(sub_error.schema_path[0], []).append(sub_error)
    nearest = min(branches.values(), key=len)
    return _closest(nearest[0])


def _field(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    return ".".join(path) if path else "(top level)"


def document_to_pipeline(doc: Any, base_dir: str | os.PathLike[str], source: str) -> Pipeline:
    """Build a Pipeline from a checked document; paths are relative to ``base_dir``."""
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
            "cell_timeout",
            "log_output",
        }
    ),
}
_INSTEAD = {
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
    runconfig.target = target  # the file's compute_target, not RunConfiguration's default
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
        if isinstance(default, dict):  # a dataset or a DataPath
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

    def build(self) -> Pipeline:
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
        return Pipeline(
            steps=list(steps.values()),
            description=self.doc.get("description"),
            name=self.doc.get("name"),
            parameters=self.params.values(),
            layout=self.doc.get("layout"),
            resolve_closure=False,
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
                data,
                name=in_name if in_name != data.name else None,
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
                **common,
            )
        command = spec["command"]
        if isinstance(command, list):
            command = [self._value(a, name, f"command[{i}]", inputs) for i, a in enumerate(command)]
        return CommandStep(command, params=params, **common)
