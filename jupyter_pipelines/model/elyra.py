"""Elyra ``.pipeline`` files (pipeline-flow v3 JSON) read as the parts of a Pipeline.

Only the primary pipeline's generic nodes are understood: notebooks
(``execute-notebook-node``) become NotebookSteps and Python scripts
(``execute-python-node``) PythonScriptSteps. Links become ``run_after`` edges and node
positions the pipeline's layout. Paths in ``filename`` are relative to the folder of
the ``.pipeline`` file, which is every step's source directory; a missing file is left
for validation to report. Elyra-only settings are kept on each step as
``elyra_node_id``, ``elyra_runtime_image``, ``elyra_outputs``, ``elyra_dependencies``
and ``elyra_include_subdirectories``; they do not change how a step runs locally.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from ..errors import PipelineFileError
from .data import OutputFileDatasetConfig
from .parts import PipelineParts
from .steps import NotebookStep, PipelineStep, PythonScriptStep
from .untrusted import load_json, path_problem

#: Elyra pipeline versions (``app_data.version`` of the pipeline) this loader reads.
MIN_VERSION, MAX_VERSION = 3, 8
#: Node ``op`` values and the step class each becomes.
STEP_OPS: dict[str, type[NotebookStep] | type[PythonScriptStep]] = {
    "execute-notebook-node": NotebookStep,
    "execute-python-node": PythonScriptStep,
}
#: Component parameters copied into ``step.resources``.
RESOURCE_KEYS = ("cpu", "gpu", "memory")


def load_elyra_text(text: str, source: Path) -> PipelineParts:
    """The parts of a pipeline from the text of the Elyra pipeline file ``source``."""
    doc = load_json(text, str(source))
    return _Loader(source).load(doc)


class _Loader:
    """Reads one document; ``where`` prefixes every error with the file name."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.where = repr(str(source))
        self.version = MAX_VERSION
        self.default_env: dict[str, str] = {}
        self.default_image: Any = None

    def fail(self, message: str) -> PipelineFileError:
        return PipelineFileError(f"{self.where}: {message}")

    def load(self, doc: Any) -> PipelineParts:
        index, flow = self._primary_pipeline(doc)
        prefix = f"pipelines[{index}]"
        app_data = self.mapping(flow.get("app_data"), f"{prefix}.app_data")
        self.version = self._version(app_data.get("version"), f"{prefix}.app_data.version")
        props = self.mapping(app_data.get("properties"), f"{prefix}.app_data.properties")
        field = f"{prefix}.app_data.properties.pipeline_defaults"
        defaults = self.mapping(props.get("pipeline_defaults"), field)
        self.default_env = self.env(defaults.get("env_vars"), f"{field}.env_vars")
        self.default_image = defaults.get("runtime_image")
        nodes = flow.get("nodes")
        if not isinstance(nodes, list) or not nodes:
            raise self.fail(f"field '{prefix}.nodes' must be a non-empty list of nodes")

        steps: dict[str, PipelineStep] = {}  # by node id
        positions: dict[str, dict[str, Any]] = {}
        for i, node in enumerate(nodes):
            field = f"{prefix}.nodes[{i}]"
            node = self.mapping(node, field)
            step = self._step(node, field, {s.name for s in steps.values()})
            node_id = node.get("id")
            if not isinstance(node_id, str) or not node_id or node_id in steps:
                raise self.fail(f"node {step.name!r} needs a unique string id ({field}.id)")
            steps[node_id] = step
            ui = self.mapping(node["app_data"].get("ui_data"), f"{field}.app_data.ui_data")
            if _is_number(ui.get("x_pos")) and _is_number(ui.get("y_pos")):
                positions[step.name] = {"x": ui["x_pos"], "y": ui["y_pos"]}
        for i, node in enumerate(nodes):
            step = steps[node["id"]]
            for upstream, field in self._links(node, f"{prefix}.nodes[{i}]"):
                if upstream not in steps:
                    raise self.fail(
                        f"node {step.name!r} links to unknown node id {upstream!r} ({field})"
                    )
                step.run_after(steps[upstream])
        _pass_declared_files(list(steps.values()))

        name = props.get("name") or app_data.get("name") or self.source.stem
        return PipelineParts(
            steps=list(steps.values()),
            name=str(name),
            description=props.get("description") or None,
            layout={"nodes": positions} if positions else None,
        )

    def _primary_pipeline(self, doc: Any) -> tuple[int, dict[str, Any]]:
        """The index and body of the pipeline that ``primary_pipeline`` names."""
        if not isinstance(doc, dict):
            raise self.fail("the file must hold a JSON object (an Elyra pipeline-flow document)")
        if doc.get("doc_type", "pipeline") != "pipeline":
            raise self.fail(f"field 'doc_type' is {doc['doc_type']!r}; expected 'pipeline'")
        flow_version = str(doc.get("version", "3.0"))
        if flow_version.split(".")[0] != "3":
            raise self.fail(f"field 'version' is {flow_version!r}; pipeline-flow 3.0 is read")
        pipelines = doc.get("pipelines")
        if not isinstance(pipelines, list) or not pipelines:
            raise self.fail("field 'pipelines' must be a non-empty list")
        primary = doc.get("primary_pipeline")
        for index, flow in enumerate(pipelines):
            if primary is None or (isinstance(flow, dict) and flow.get("id") == primary):
                return index, self.mapping(flow, f"pipelines[{index}]")
        ids = [f.get("id") for f in pipelines if isinstance(f, dict)]
        raise self.fail(f"field 'primary_pipeline' is {primary!r}, not one of the ids {ids}")

    def _version(self, value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(f"field '{field}' (the Elyra pipeline version) must be a number")
        try:
            version = int(value)
        except ValueError:
            raise self.fail(f"field '{field}' must be a number, got {value!r}")
        if not MIN_VERSION <= version <= MAX_VERSION:
            hint = "save it again with Elyra 3" if version < MIN_VERSION else "it is too new"
            raise self.fail(
                f"Elyra pipeline version {version} is not supported; versions {MIN_VERSION} "
                f"to {MAX_VERSION} are ({hint})"
            )
        return version

    def _step(self, node: dict[str, Any], field: str, taken: set[str]) -> PipelineStep:
        """The step of one node, named uniquely among ``taken``."""
        app_data = node["app_data"] = self.mapping(node.get("app_data"), f"{field}.app_data")
        ui = self.mapping(app_data.get("ui_data"), f"{field}.app_data.ui_data")
        label = _text(app_data.get("label")) or _text(ui.get("label"))
        kind, op = node.get("type", "execution_node"), node.get("op")
        if kind != "execution_node" or not isinstance(op, str) or op not in STEP_OPS:
            what = f"op {op!r}" if kind == "execution_node" else f"type {kind!r}"
            raise self.fail(
                f"node {label or node.get('id')!r} ({field}) has {what}, which cannot run "
                "locally; only notebook and Python script nodes are supported"
            )
        params_field = f"{field}.app_data.component_parameters"
        params = app_data.get("component_parameters")
        if params is None and self.version < 4:  # before v4 they sat in app_data itself
            params, params_field = app_data, f"{field}.app_data"
        params = self.mapping(params, params_field)
        filename = params.get("filename")
        if not isinstance(filename, str) or not filename.strip():
            raise self.fail(f"node {label or node.get('id')!r} has no '{params_field}.filename'")
        if path_problem(filename):
            raise self.fail(f"field '{params_field}.filename' {path_problem(filename)}")
        name = label or Path(filename).stem
        if name in taken:
            name = next(
                f"{name} ({n})" for n in range(2, len(taken) + 3) if f"{name} ({n})" not in taken
            )
        env = {**self.default_env, **self.env(params.get("env_vars"), f"{params_field}.env_vars")}
        deps = [
            str(d) for d in self.seq(params.get("dependencies"), f"{params_field}.dependencies")
        ]
        for i, dep in enumerate(deps):
            if path_problem(dep):
                raise self.fail(f"field '{params_field}.dependencies[{i}]' {path_problem(dep)}")
        folder = posixpath.dirname(filename)  # Elyra resolves dependencies from there
        step = STEP_OPS[op](
            filename,
            name=name,
            source_directory=".",
            base_dir=self.source.parent,
            environment_variables=env,
            hash_paths=[filename, *(posixpath.join(folder, d) for d in deps)],
            resources={k: params[k] for k in RESOURCE_KEYS if params.get(k) not in (None, "")},
        )
        outputs = self.seq(params.get("outputs"), f"{params_field}.outputs")
        vars(step).update(
            elyra_node_id=node.get("id"),
            elyra_runtime_image=params.get("runtime_image") or self.default_image,
            elyra_outputs=[str(o) for o in outputs],
            elyra_dependencies=deps,
            elyra_include_subdirectories=bool(params.get("include_subdirectories", False)),
        )
        return step

    def env(self, items: Any, field: str) -> dict[str, str]:
        """Variables from ``[{env_var, value}]`` (version 8) or ``["NAME=value"]`` (before)."""
        env: dict[str, str] = {}
        for item in self.seq(items, field):
            if isinstance(item, dict):
                key, value = item.get("env_var"), item.get("value")
            elif isinstance(item, str):
                key, _, value = item.partition("=")
            else:
                raise self.fail(f"field '{field}' has an entry {item!r}; expected env_var/value")
            if isinstance(key, str) and key.strip():
                env[key.strip()] = "" if value is None else str(value)
        return env

    def _links(self, node: dict[str, Any], field: str) -> list[tuple[Any, str]]:
        """(upstream node id, field) for each link into ``node``'s input ports."""
        found = []
        for p, port in enumerate(self.seq(node.get("inputs"), f"{field}.inputs")):
            port = self.mapping(port, f"{field}.inputs[{p}]")
            links = self.seq(port.get("links"), f"{field}.inputs[{p}].links")
            for k, link in enumerate(links):
                link_field = f"{field}.inputs[{p}].links[{k}]"
                ref = self.mapping(link, link_field).get("node_id_ref")
                found.append(
                    (ref if isinstance(ref, str) else repr(ref), f"{link_field}.node_id_ref")
                )
        return found

    def mapping(self, value: Any, field: str) -> dict[str, Any]:
        """``value`` as a dict (None is an empty one); anything else names ``field``."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"field '{field}' must be an object, got {value!r}")
        return value

    def seq(self, value: Any, field: str) -> list[Any]:
        """``value`` as a list (None is an empty one); anything else names ``field``."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"field '{field}' must be a list, got {value!r}")
        return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


#: The output that carries a node's declared ``outputs`` files to the nodes after it.
FILES_OUTPUT = "elyra_outputs"


def _pass_declared_files(steps: list[PipelineStep]) -> None:
    """Give downstream nodes the files their ancestors declare, as Elyra's runtimes do.

    A node's ``outputs`` become an output collected from its working folder; every
    node after it gets those files copied into its own working folder before it starts.
    """
    files = {}
    for step in steps:
        declared = getattr(step, "elyra_outputs", [])
        if declared:
            files[id(step)] = OutputFileDatasetConfig(FILES_OUTPUT, source=list(declared))
            step.add_output(files[id(step)])
    for step in steps:
        seen: set[int] = set()
        stack = list(step.run_after_steps)
        while stack:
            up = stack.pop()
            if id(up) in seen:
                continue
            seen.add(id(up))
            stack.extend(up.run_after_steps)
            if id(up) in files:
                slug = re.sub(r"[^A-Za-z0-9_]+", "_", up.name).strip("_") or "node"
                binding = files[id(up)].as_input(f"files_from_{slug}")
                step.add_input(binding.as_download(path_on_compute="."))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
