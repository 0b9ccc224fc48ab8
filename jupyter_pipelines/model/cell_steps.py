"""Notebook cells as pipeline steps: the ``%%step`` line, ``step:NAME`` tags, and the pipeline.

A *cell step* is one notebook cell's code plus the names it reads (inputs), writes
(outputs) and is configured by (params). Each one is written as a small notebook
(a ``parameters`` cell, then the cell's code) into its own folder,
``<cells_dir>/<STEP>/step.ipynb``, and run as a :class:`NotebookStep`, so that papermill
injects every input and output name as a variable holding its directory, and every param
as a typed variable (docs/step-runtime.md). One folder per cell keeps reuse per cell: an
unchanged cell writes the same bytes, so its snapshot hash does not change.

Both the notebook magics and :meth:`Pipeline.from_notebook` use this module, through
``notebook_cells`` (which turns its parts into a Pipeline).
"""

from __future__ import annotations

import argparse
import ast
import json
import keyword
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import networkx as nx

from ..errors import ModelError, did_you_mean
from .data import OutputFileDatasetConfig
from .parameters import PipelineParameter, type_name_of
from .parts import PipelineParts
from .steps import NotebookStep, PipelineStep

#: Folder, next to a notebook, that holds its cell steps: ``.pipeline_cells/<pipeline>/<STEP>``.
CELLS_DIRNAME = ".pipeline_cells"
#: File name of a cell step's generated notebook.
STEP_NOTEBOOK = "step.ipynb"
#: The cell magic's name, as written on a cell's first line.
MAGIC_PREFIX = "%%step"

_STEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass
class CellStep:
    """One notebook cell declared as a step: its code and the data names that connect it."""

    name: str
    code: str = ""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    compute: str | None = None
    allow_reuse: bool = True

    def summary(self) -> str:
        """One line per property, as the magic prints it after registering the step."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "-"
        return "\n".join(
            [
                f"step {self.name!r} registered",
                f"  inputs:  {', '.join(self.inputs) or '-'}",
                f"  outputs: {', '.join(self.outputs) or '-'}",
                f"  params:  {params}",
                f"  compute: {self.compute or 'local'}"
                + ("" if self.allow_reuse else "  (reuse off)"),
            ]
        )


# -- the %%step line ------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that raises ModelError instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise ModelError(f"%%step: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ModelError(f"%%step: {message or 'bad arguments'}".strip())


def step_line_parser() -> argparse.ArgumentParser:
    """The parser of the ``%%step`` line (what follows ``%%step``)."""
    p = _Parser(prog="%%step", add_help=False, allow_abbrev=False)
    p.add_argument("name")
    p.add_argument("--inputs", nargs="+", default=[], metavar="NAME")
    p.add_argument("--outputs", nargs="+", default=[], metavar="NAME")
    p.add_argument("--params", nargs="+", default=[], metavar="NAME=VALUE")
    p.add_argument("--compute", default=None, metavar="TARGET")
    p.add_argument("--no-reuse", action="store_true")
    p.add_argument("--run", action="store_true")
    return p


def parse_step_line(line: str, code: str = "") -> tuple[CellStep, bool]:
    """Parse ``NAME [--inputs ...] ...`` into a checked CellStep and the ``--run`` flag."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise ModelError(f"%%step: cannot parse {line!r}: {exc}") from exc
    if not words:
        raise ModelError("%%step needs a step name: %%step NAME [--inputs a b] [--outputs c]")
    args = step_line_parser().parse_args(words)
    cell = CellStep(
        name=args.name,
        code=code,
        inputs=list(args.inputs),
        outputs=list(args.outputs),
        params=parse_params(args.params),
        compute=args.compute,
        allow_reuse=not args.no_reuse,
    )
    check_cell(cell)
    return cell, bool(args.run)


def parse_params(items: list[str]) -> dict[str, Any]:
    """``["x=1", "lr=0.1", "name=abc"]`` -> typed values (int, float, bool or str)."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ModelError(f"param {item!r} must be written NAME=VALUE, e.g. rows=100")
        _check_identifier(key, "param")
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text  # a bare word is a string: name=abc
        if value is None or isinstance(value, list | tuple | dict | set | complex | bytes):
            raise ModelError(
                f"param {key!r}: value {text!r} must be a number, True/False or a string"
            )
        type_name_of(value)
        params[key] = value
    return params


def _check_identifier(name: str, what: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ModelError(
            f"{what} name {name!r} is not a valid Python variable name "
            "(it becomes a variable inside the step)"
        )


def check_cell(cell: CellStep) -> None:
    """Raise ModelError naming the first bad name of one cell step."""
    if not _STEP_NAME.match(cell.name):
        raise ModelError(
            f"step name {cell.name!r} is invalid: use letters, digits, '_', '-' and '.', "
            "starting with a letter or digit"
        )
    seen: dict[str, str] = {}
    for what, names in (("input", cell.inputs), ("output", cell.outputs), ("param", cell.params)):
        for name in names:
            _check_identifier(name, what)
            if name in seen:
                raise ModelError(
                    f"step {cell.name!r}: {name!r} is both an {seen[name]} and a {what}; "
                    "each name may be used once per step"
                )
            seen[name] = what


# -- tagged notebook cells --------------------------------------------------------------


def cell_from_source(source: str, tags: list[str]) -> CellStep | None:
    """The step a notebook cell declares (first line ``%%step``, or a ``step:NAME`` tag).

    Tags: ``step:NAME``, ``inputs:a``, ``outputs:c``, ``params:x=1``, ``compute:TARGET``
    and ``no-reuse``; repeat a tag for several names (``inputs:a`` ``inputs:b``: notebook
    tags may not hold commas). A ``%%step`` first line wins over tags; a ``step:`` tag
    naming another step is an error. None when the cell is no step.
    """
    first, _, rest = source.lstrip("\n").partition("\n")
    tag_name = next((t[5:] for t in tags if t.startswith("step:")), None)
    if first.startswith(MAGIC_PREFIX + " ") or first.strip() == MAGIC_PREFIX:
        cell, _ = parse_step_line(first[len(MAGIC_PREFIX) :], rest)
        if tag_name is not None and tag_name != cell.name:
            raise ModelError(
                f"cell tagged 'step:{tag_name}' declares '%%step {cell.name}': "
                "use one name for the cell"
            )
        return cell
    if tag_name is None:
        return None
    values: dict[str, list[str]] = {}
    flags: set[str] = set()
    for tag in tags:
        key, sep, value = tag.partition(":")
        if sep and key in ("inputs", "outputs", "params", "compute"):
            values.setdefault(key, []).extend(v for v in value.split(",") if v)
        elif not sep:
            flags.add(tag)
    computes = values.get("compute", [])
    cell = CellStep(
        name=tag_name,
        code=source,
        inputs=values.get("inputs", []),
        outputs=values.get("outputs", []),
        params=parse_params(values.get("params", [])),
        compute=computes[-1] if computes else None,
        allow_reuse="no-reuse" not in flags,
    )
    check_cell(cell)
    return cell


def cells_from_notebook(path: str | os.PathLike[str]) -> list[CellStep]:
    """The cell steps of a notebook file, in cell order."""
    import nbformat

    try:
        nb = nbformat.read(os.fspath(path), as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read notebook {os.fspath(path)!r}: {exc}") from exc
    cells: list[CellStep] = []
    for index, raw in enumerate(nb.cells, start=1):
        if raw.cell_type != "code":
            continue
        try:
            cell = cell_from_source(raw.source, list(raw.metadata.get("tags", [])))
        except ModelError as exc:
            raise ModelError(f"{os.fspath(path)}, cell {index}: {exc}") from exc
        if cell is not None:
            cells.append(cell)
    if not cells:
        raise ModelError(
            f"notebook {os.fspath(path)!r} has no step cells: tag cells 'step:NAME' "
            "or start them with '%%step NAME'"
        )
    return cells


# -- the pipeline ----------------------------------------------------------------------


def cell_problems(cells: list[CellStep]) -> list[str]:
    """What prevents ``cells`` from forming a pipeline: repeated names, orphan inputs, cycles."""
    problems: list[str] = []
    producers: dict[str, str] = {}
    for cell in cells:
        for out in cell.outputs:
            if out in producers and producers[out] != cell.name:
                problems.append(
                    f"output {out!r} is produced by both {producers[out]!r} and {cell.name!r}"
                )
            producers.setdefault(out, cell.name)
    for cell in cells:
        for name in cell.inputs:
            if name not in producers:
                problems.append(
                    f"step {cell.name!r}: input {name!r} is not an output of any step"
                    f"{did_you_mean(name, producers)}"
                )
    graph = cell_graph(cells)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join([str(u) for u, _ in cycle] + [str(cycle[0][0])])
        problems.append(f"steps form a cycle: {path}")
    params: dict[str, tuple[str, Any]] = {}
    for cell in cells:
        for key, value in cell.params.items():
            if key in params and (type(params[key][1]), params[key][1]) != (type(value), value):
                problems.append(
                    f"param {key!r} has default {params[key][1]!r} in step {params[key][0]!r} "
                    f"but {value!r} in step {cell.name!r}; give them one default"
                )
            params.setdefault(key, (cell.name, value))
    return problems


def cell_graph(cells: list[CellStep]) -> nx.DiGraph:
    """Step names, with an edge labelled ``names`` from each producer to each consumer."""
    graph = nx.DiGraph()
    producers: dict[str, str] = {}
    for cell in cells:
        graph.add_node(cell.name)
        for out in cell.outputs:
            producers.setdefault(out, cell.name)
    for cell in cells:
        for name in cell.inputs:
            source = producers.get(name)
            if source is None:
                continue
            if graph.has_edge(source, cell.name):
                graph.edges[source, cell.name]["names"].append(name)
            else:
                graph.add_edge(source, cell.name, names=[name])
    return graph


def step_notebook_text(cell: CellStep) -> str:
    """The generated notebook of a cell step, as bytes-stable JSON text."""
    defaults = [f"{k} = {v!r}" for k, v in cell.params.items()]
    defaults += [f"{name} = None  # a directory path, injected" for name in cell.inputs]
    defaults += [f"{name} = None  # a directory path, injected" for name in cell.outputs]
    nb = {
        "cells": [
            _code_cell("parameters", "\n".join(defaults), ["parameters"]),
            _code_cell("code", cell.code, []),
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "jupyter_pipelines": {"step": cell.name},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _code_cell(cell_id: str, source: str, tags: list[str]) -> dict[str, Any]:
    # Fixed ids and no outputs: an unchanged cell writes the same bytes every time.
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {"tags": tags},
        "outputs": [],
        "source": source,
    }


def write_cell_step(cell: CellStep, cells_dir: Path) -> Path:
    """Write the cell's notebook into ``cells_dir/<STEP>/`` (only when it changed)."""
    folder = cells_dir / cell.name
    path = folder / STEP_NOTEBOOK
    text = step_notebook_text(cell)
    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return path
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelError(f"cannot write the notebook of step {cell.name!r} to {path}: {exc}")
    return path


def pipeline_name(text: str) -> str:
    """A valid pipeline (and experiment) name made from a notebook's file name."""
    stem = Path(text).name.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-") or "notebook"


def cells_dir_for(notebook_dir: str | os.PathLike[str], name: str) -> Path:
    """Where the cell steps of pipeline ``name`` live: ``<dir>/.pipeline_cells/<name>``."""
    return Path(notebook_dir).resolve() / CELLS_DIRNAME / name


def cell_pipeline_parts(
    cells: list[CellStep], cells_dir: str | os.PathLike[str], name: str
) -> PipelineParts:
    """Write each cell's notebook under ``cells_dir`` and return the parts of their pipeline.

    Raises ModelError listing every problem of :func:`cell_problems`.
    """
    if not cells:
        raise ModelError("no steps yet: declare cells with '%%step NAME' first")
    problems = cell_problems(cells)
    if problems:
        raise ModelError(
            "the notebook's steps do not form a pipeline:\n  - " + "\n  - ".join(problems)
        )
    folder = Path(cells_dir).resolve()
    outputs = {out: OutputFileDatasetConfig(name=out) for c in cells for out in c.outputs}
    parameters: dict[str, PipelineParameter] = {}
    for cell in cells:
        for key, value in cell.params.items():
            parameters.setdefault(key, PipelineParameter(name=key, default_value=value))
    steps: list[PipelineStep] = []
    for cell in cells:
        write_cell_step(cell, folder)
        steps.append(
            NotebookStep(
                notebook=STEP_NOTEBOOK,
                source_directory=str(folder / cell.name),
                name=cell.name,
                parameters={key: parameters[key] for key in cell.params},
                inputs=[outputs[i].as_input(i) for i in cell.inputs],
                outputs=[outputs[o] for o in cell.outputs],
                compute_target=cell.compute,
                allow_reuse=cell.allow_reuse,
                base_dir=folder,
            )
        )
    return PipelineParts(steps=steps, name=name, parameters=list(parameters.values()))


def notebook_cell_parts(path: str | os.PathLike[str], name: str | None = None) -> PipelineParts:
    """The parts of the pipeline of a notebook's step cells; their notebooks go next to it."""
    nb_path = Path(path).resolve()
    name = name or pipeline_name(nb_path.name)
    cells = cells_from_notebook(nb_path)
    parts = cell_pipeline_parts(cells, cells_dir_for(nb_path.parent, name), name)
    parts.source_path = str(nb_path)
    return parts


def describe_unknown_step(name: str, cells: list[CellStep]) -> str:
    """'no step NAME (did you mean ...)' for a step name not among ``cells``."""
    return f"no step {name!r}{did_you_mean(name, [c.name for c in cells])}"
