"""v1's pipeline YAML (``Pipeline.load_yaml``) read as the parts of a pipeline.

A v1 file holds one ``pipeline:`` section: ``description``, ``parameters`` (typed
``string``, ``int``, ``float``, ``bool`` or ``datapath``), ``data_references`` (datastore
paths and datasets by name), ``default_compute`` and ``steps``. Steps of type
``PythonScriptStep`` are read (``script_name``, ``source_directory``, ``arguments`` with
``input:``, ``output:`` and ``parameter:`` references, ``parameters``, ``inputs``,
``outputs``, ``compute``, ``runconfig`` (a v1 ``.runconfig`` file), ``allow_reuse``,
``hash_paths``, ``version``); the other v1
step types run on Azure services and are refused. Paths are relative to the current
directory, as in v1. Every problem is reported at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..compat import warn_cloud_only
from ..errors import ModelError, PipelineFileError, did_you_mean
from .data import (
    DataPath,
    DataPathComputeBinding,
    DataReference,
    DatasetConsumptionConfig,
    DatasetRef,
    OutputData,
    PipelineData,
)
from .file_schema import parse_yaml
from .parameters import PipelineParameter
from .parts import PipelineParts
from .runconfig import RunConfiguration
from .steps import PipelineStep, PythonScriptStep

#: v1 step types that need an Azure service, by ``type:`` value and legacy section key.
_CLOUD_STEPS = {
    "ModuleStep": "module",
    "ParallelRunStep": "parallel_run_step",
    "DataTransferStep": "data_transfer_step",
    "DatabricksStep": "databricks_step",
    "AdlaStep": "adla_step",
    "AzureBatchStep": "azurebatch_step",
}
_SCRIPT_TYPE, _SCRIPT_SECTION = "PythonScriptStep", "python_script_step"
_PARAMETER_TYPES = {"string": str, "int": int, "float": float, "bool": bool}
_INSTEAD = (
    "write the pipeline as a NAME.pipeline.yaml file instead (docs/pipeline-file.md), "
    "whose steps are scripts, notebooks or commands"
)


def read_v1_yaml(path: str | os.PathLike[str]) -> PipelineParts:
    """The parts of the pipeline that the v1 YAML file ``path`` describes."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineFileError(f"pipeline YAML file {str(source)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineFileError(f"cannot read pipeline YAML file {str(source)!r}: {exc}") from exc
    doc = parse_yaml(text, str(source))
    if not isinstance(doc, dict) or not isinstance(doc.get("pipeline"), dict):
        raise PipelineFileError(
            f"{str(source)!r} must have a 'pipeline:' section (v1's pipeline YAML); "
            "for our own format use Pipeline.load"
        )
    parts = _V1Reader(doc["pipeline"], str(source)).read()
    parts.source_path = str(source)
    return parts


class _V1Reader:
    """Reads one ``pipeline:`` section; problems are collected, then raised together."""

    def __init__(self, section: dict[str, Any], source: str) -> None:
        self.section = section
        self.source = source
        self.problems: list[str] = []
        self.params: dict[str, PipelineParameter] = {}
        self.references: dict[str, dict[str, Any]] = {}
        #: PipelineData by destination name: written by one step, read by others.
        self.data: dict[str, OutputData] = {}

    def read(self) -> PipelineParts:
        section = self.section
        self.params = self._parameters(self._mapping(section.get("parameters"), "parameters"))
        self.references = self._references(section.get("data_references"))
        steps_doc = self._mapping(section.get("steps"), "steps")
        if not steps_doc:
            self.problems.append("steps: a v1 pipeline YAML file needs at least one step")
        bodies = {key: self._body(key, spec) for key, spec in steps_doc.items()}
        for key, body in bodies.items():
            if body is not None:
                self._declare_outputs(key, body)
        steps: list[PipelineStep] = [
            step
            for key, body in bodies.items()
            if body is not None and (step := self._step(key, body)) is not None
        ]
        if self.problems:
            raise PipelineFileError(
                f"{self.source!r} cannot be read as a v1 pipeline:\n"
                + "\n".join(f"  - {p}" for p in self.problems)
            )
        return PipelineParts(
            steps=steps,
            description=section.get("description") or section.get("name"),
            parameters=list(self.params.values()),
        )

    def _mapping(self, value: Any, field: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problems.append(f"{field}: expected a mapping, got {value!r}")
            return {}
        return value

    # -- pipeline level --------------------------------------------------------------
    def _parameters(self, section: dict[str, Any]) -> dict[str, PipelineParameter]:
        params = {}
        for name, spec in section.items():
            field = f"parameters.{name}"
            spec = self._mapping(spec, field)
            kind = spec.get("type")
            default = spec.get("default")
            if kind == "datapath":
                if not isinstance(default, dict) or "datastore" not in default:
                    self.problems.append(
                        f"{field}.default: a datapath parameter needs a default with "
                        "'datastore' and 'path_on_datastore'"
                    )
                    continue
                default = DataPath(
                    default["datastore"], default.get("path_on_datastore"), default.get("name")
                )
            elif kind in _PARAMETER_TYPES:
                convert = _PARAMETER_TYPES[kind]
                try:
                    default = convert(default) if default is not None else convert()
                except (TypeError, ValueError):
                    self.problems.append(f"{field}.default: {default!r} is not a valid {kind}")
                    continue
            else:
                self.problems.append(
                    f"{field}.type: {kind!r} is not one of string, int, float, bool, datapath"
                )
                continue
            params[name] = PipelineParameter(name, default)
        return params

    def _references(self, value: Any) -> dict[str, dict[str, Any]]:
        found = {}
        for name, spec in self._mapping(value, "data_references").items():
            field = f"data_references.{name}"
            spec = self._mapping(spec, field)
            if ("datastore" in spec and "path_on_datastore" in spec) or "dataset_name" in spec:
                found[name] = spec
            elif "dataset_id" in spec:
                self.problems.append(
                    f"{field}.dataset_id: datasets are found by name here; "
                    "use 'dataset_name' (Dataset.get_by_name)"
                )
            else:
                self.problems.append(
                    f"{field}: needs 'datastore' and 'path_on_datastore', or 'dataset_name' "
                    "(SQL data references need the Azure ML service)"
                )
        return found

    # -- steps -----------------------------------------------------------------------
    def _body(self, key: str, spec: Any) -> dict[str, Any] | None:
        """The settings of a PythonScriptStep (its legacy section merged in), or None."""
        field = f"steps.{key}"
        spec = self._mapping(spec, field)
        kind = spec.get("type")
        cloud = next((t for t, legacy in _CLOUD_STEPS.items() if kind == t or legacy in spec), None)
        if cloud is not None:
            self.problems.append(f"{field}: a {cloud} needs the Azure ML service; {_INSTEAD}")
            return None
        if kind not in (None, _SCRIPT_TYPE) or (kind is None and _SCRIPT_SECTION not in spec):
            hint = did_you_mean(str(kind), [_SCRIPT_TYPE, *_CLOUD_STEPS])
            self.problems.append(
                f"{field}.type: {kind!r} is not a v1 step type that runs here{hint}; "
                f"use type: {_SCRIPT_TYPE}"
            )
            return None
        legacy = self._mapping(spec.get(_SCRIPT_SECTION), f"{field}.{_SCRIPT_SECTION}")
        body = {**spec, **legacy}
        if not isinstance(body.get("script_name"), str) or not body["script_name"]:
            self.problems.append(f"{field}.script_name: a PythonScriptStep needs a script_name")
            return None
        if "runconfig" in body:
            body["runconfig"] = self._runconfig(f"{field}.runconfig", body["runconfig"])
        return body

    def _runconfig(self, field: str, path: Any) -> Any:
        """The RunConfiguration of a v1 ``.runconfig`` file (relative to the current folder)."""
        try:
            return RunConfiguration.load(os.fspath(path))
        except (ModelError, OSError, TypeError) as exc:
            self.problems.append(f"{field}: {exc}")
            return None

    def _declare_outputs(self, key: str, body: dict[str, Any]) -> None:
        for out_name, spec in self._mapping(body.get("outputs"), f"steps.{key}.outputs").items():
            field = f"steps.{key}.outputs.{out_name}"
            spec = self._mapping(spec, field)
            destination = spec.get("destination")
            if not isinstance(destination, str) or not destination:
                self.problems.append(f"{field}.destination: an output needs a destination name")
                continue
            if destination in self.data:
                self.problems.append(
                    f"{field}.destination: {destination!r} is written by another output too"
                )
                continue
            mode = spec.get("bind_mode", spec.get("type", "mount"))
            if mode not in ("mount", "upload"):
                self.problems.append(f"{field}.bind_mode: {mode!r} must be mount or upload")
                continue
            self.data[destination] = PipelineData(
                destination,
                datastore=spec.get("datastore"),
                output_name=out_name,
                output_mode=mode,
                output_path_on_compute=spec.get("path_on_compute"),
                output_overwrite=spec.get("overwrite"),
            )

    def _step(self, key: str, body: dict[str, Any]) -> PythonScriptStep | None:
        field = f"steps.{key}"
        params = {
            name: self._step_parameter(f"{field}.parameters.{name}", value)
            for name, value in self._mapping(body.get("parameters"), f"{field}.parameters").items()
        }
        if body.get("runconfig_parameters"):
            warn_cloud_only(
                "runconfig_parameters in a v1 pipeline YAML file",
                "node counts and process counts are for Azure ML clusters",
            )
        inputs = {
            name: self._input(f"{field}.inputs.{name}", name, spec)
            for name, spec in self._mapping(body.get("inputs"), f"{field}.inputs").items()
        }
        outputs = {
            name: self.data[spec["destination"]]
            for name, spec in self._mapping(body.get("outputs"), f"{field}.outputs").items()
            if isinstance(spec, dict) and spec.get("destination") in self.data
        }
        arguments = [
            self._argument(f"{field}.arguments[{i}]", arg, inputs, outputs, params)
            for i, arg in enumerate(body.get("arguments") or [])
        ]
        try:
            return PythonScriptStep(
                body["script_name"],
                name=body.get("name") or key,
                arguments=arguments,
                compute_target=body.get("compute", self.section.get("default_compute")),
                runconfig=body.get("runconfig"),
                inputs=[i for i in inputs.values() if i is not None],
                outputs=list(outputs.values()),
                params=params,
                source_directory=body.get("source_directory"),
                allow_reuse=body.get("allow_reuse", True),
                version=body.get("version"),
                hash_paths=body.get("hash_paths"),
            )
        except ModelError as exc:
            self.problems.append(f"{field}: {exc}")
            return None

    def _step_parameter(self, field: str, value: Any) -> Any:
        if isinstance(value, dict) and "source" in value:
            param = self.params.get(value["source"])
            if param is None:
                hint = did_you_mean(str(value["source"]), self.params)
                self.problems.append(
                    f"{field}.source: unknown pipeline parameter {value['source']!r}{hint}"
                )
            return param
        return value

    def _input(self, field: str, name: str, spec: Any) -> Any:
        spec = self._mapping(spec, field)
        source = spec.get("source")
        mode = spec.get("bind_mode", spec.get("type", "mount"))
        if mode not in ("mount", "download"):
            self.problems.append(f"{field}.bind_mode: {mode!r} must be mount or download")
            return None
        where, overwrite = spec.get("path_on_compute"), bool(spec.get("overwrite"))
        param = self.params.get(source) if isinstance(source, str) else None
        if param is not None and isinstance(param.default_value, DataPath):
            return (param, DataPathComputeBinding(mode, where, overwrite))
        if source in self.references:
            ref = self.references[source]
            if "dataset_name" in ref:
                dataset = DatasetRef(ref["dataset_name"], ref.get("version", "latest"))
                return DatasetConsumptionConfig(name, dataset, mode, where)
            return DataReference(
                ref["datastore"], name, ref["path_on_datastore"], mode, where, overwrite
            )
        if source in self.data:
            binding = self.data[source].as_input(name)
            return binding.as_download(where) if mode == "download" else binding
        known = [*self.references, *self.data, *self.params]
        hint = did_you_mean(str(source), known)
        self.problems.append(
            f"{field}.source: {source!r} is no data reference, datapath parameter or "
            f"output destination{hint}"
        )
        return None

    def _argument(
        self,
        field: str,
        arg: Any,
        inputs: dict[str, Any],
        outputs: dict[str, OutputData],
        params: dict[str, Any],
    ) -> Any:
        """``input:NAME``, ``output:NAME`` and ``parameter:NAME`` as the objects they name."""
        if not isinstance(arg, str):
            return arg
        for prefix, table in (("input:", inputs), ("output:", outputs), ("parameter:", params)):
            if arg.startswith(prefix):
                name = arg[len(prefix) :]
                if name in table and table[name] is not None:
                    return table[name]
                if prefix != "parameter:":
                    hint = did_you_mean(name, table)
                    self.problems.append(
                        f"{field}: {arg!r} names no {prefix[:-1]} of the step{hint}"
                    )
                return arg
        if arg.startswith("side_input:"):
            self.problems.append(f"{field}: side inputs are for ParallelRunStep; {_INSTEAD}")
        return arg
