"""The 10-notebook fan-out that ``bench_peers.py`` runs with every tool, as each one's files.

One root notebook computes a value and writes it to ``value.txt``; nine child notebooks read
it and do a tiny computation each (the work of ``benchmarks/bench_notebook_fanout.py``).

- ``write_elyra(folder)``: ``root.ipynb``, ``child_0.ipynb`` ... ``child_8.ipynb`` (plain
  notebooks: Elyra passes no parameters, so each child has its index written in) and
  ``fanout.pipeline``, Elyra's own format (pipeline-flow 3.0, pipeline version 8, local
  runtime): one root node declaring ``value.txt`` as its output, nine nodes linked from it.
  Elyra's local runtime and ``jupyter-pipelines run`` both run this file.
- ``write_ploomber(folder)``: the same notebooks with a ``parameters`` cell in Ploomber's
  form (``upstream``, ``product``) and ``pipeline.yaml`` with ``executor: parallel``.
- ``sequential_jobs(folder, out)``: the Elyra notebooks as papermill jobs, in order.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CHILDREN = 9
#: Elyra's local runtime refuses a generic node without an image, though it never uses it.
RUNTIME_IMAGE = "python:3.11"

ROOT_WORK = "value = sum(i * i for i in range(1000)) * 1\n"
CHILD_WORK = "result = value % ({index} + 7)\nresult"


def _cell(source: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": hashlib.sha1((str(tags) + source).encode()).hexdigest()[:12],
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": tags or []},
        "outputs": [],
        "source": source,
    }


def _notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _write(path: Path, notebook: dict[str, Any]) -> None:
    path.write_text(json.dumps(notebook, indent=1))


def write_elyra(folder: Path) -> Path:
    """The Elyra notebooks and ``fanout.pipeline`` in ``folder``; returns the pipeline file."""
    folder.mkdir(parents=True, exist_ok=True)
    root = ROOT_WORK + "with open('value.txt', 'w') as fh:\n    fh.write(str(value))\nvalue"
    _write(folder / "root.ipynb", _notebook(_cell(root)))
    for i in range(CHILDREN):
        child = "with open('value.txt') as fh:\n    value = int(fh.read())\n"
        _write(folder / f"child_{i}.ipynb", _notebook(_cell(child + CHILD_WORK.format(index=i))))
    nodes = [_node("root", "root.ipynb", ["value.txt"], None)]
    nodes += [_node(f"child_{i}", f"child_{i}.ipynb", [], "root") for i in range(CHILDREN)]
    document = {
        "doc_type": "pipeline",
        "version": "3.0",
        "json_schema": "http://api.dataplatform.ibm.com/schemas/common-pipeline/"
        "pipeline-flow/pipeline-flow-v3-schema.json",
        "id": "elyra-auto-generated-pipeline",
        "primary_pipeline": "primary",
        "pipelines": [
            {
                "id": "primary",
                "nodes": nodes,
                "app_data": {
                    "ui_data": {"comments": []},
                    "version": 8,
                    "runtime_type": "LOCAL",
                    "properties": {
                        "name": "fanout",
                        "runtime": "Generic",
                        "description": "One root notebook and nine children",
                        "pipeline_defaults": {"env_vars": []},
                    },
                },
                "runtime_ref": "",
            }
        ],
        "schemas": [],
    }
    path = folder / "fanout.pipeline"
    path.write_text(json.dumps(document, indent=1))
    return path


def _node(node_id: str, filename: str, outputs: list[str], parent: str | None) -> dict[str, Any]:
    port: dict[str, Any] = {"id": "inPort", "app_data": {"ui_data": {"label": "Input Port"}}}
    if parent is not None:
        link = {"id": f"link-{parent}-{node_id}", "node_id_ref": parent, "port_id_ref": "outPort"}
        port["links"] = [link]
    return {
        "id": node_id,
        "type": "execution_node",
        "op": "execute-notebook-node",
        "app_data": {
            "component_parameters": {
                "filename": filename,
                "outputs": outputs,
                "env_vars": [],
                "dependencies": [],
                "include_subdirectories": False,
                "runtime_image": RUNTIME_IMAGE,
            },
            "label": node_id,
            "ui_data": {"label": node_id, "x_pos": 80, "y_pos": 100},
        },
        "inputs": [port],
        "outputs": [{"id": "outPort", "app_data": {"ui_data": {"label": "Output Port"}}}],
    }


def write_ploomber(folder: Path) -> Path:
    """Ploomber's notebooks and ``pipeline.yaml`` (parallel executor); returns the spec."""
    folder.mkdir(parents=True, exist_ok=True)
    root = ROOT_WORK + "with open(product['data'], 'w') as fh:\n    fh.write(str(value))\nvalue"
    params = _cell("upstream = None\nproduct = None", ["parameters"])
    _write(folder / "root.ipynb", _notebook(params, _cell(root)))
    tasks = ["  - source: root.ipynb\n    product:\n      nb: out/root.ipynb\n"
             "      data: out/value.txt\n"]  # fmt: skip
    for i in range(CHILDREN):
        child = "with open(upstream['root']['data']) as fh:\n    value = int(fh.read())\n"
        params = _cell("upstream = ['root']\nproduct = None", ["parameters"])
        notebook = _notebook(params, _cell(child + CHILD_WORK.format(index=i)))
        _write(folder / f"child_{i}.ipynb", notebook)
        tasks.append(f"  - source: child_{i}.ipynb\n    product:\n      nb: out/child_{i}.ipynb\n")
    spec = folder / "pipeline.yaml"
    spec.write_text("executor: parallel\n\ntasks:\n" + "".join(tasks))
    return spec


def sequential_jobs(folder: Path, out: Path) -> list[list[str]]:
    """[source, executed copy] pairs of the Elyra notebooks, root first."""
    names = ["root"] + [f"child_{i}" for i in range(CHILDREN)]
    return [[str(folder / f"{n}.ipynb"), str(out / f"{n}.ipynb")] for n in names]
