"""Notebook cells as pipeline steps, for the magics: the cell-step names, and their Pipeline.

The cells themselves (the ``%%step`` line, ``step:NAME`` tags, the generated step
notebooks) are :mod:`.cell_steps`; this module adds what needs the Pipeline class, which
imports ``cell_steps`` itself (for ``Pipeline.from_notebook``), so imports go one way.
"""

from __future__ import annotations

import os
from typing import Any

from .cell_steps import (
    CELLS_DIRNAME,
    MAGIC_PREFIX,
    STEP_NOTEBOOK,
    CellStep,
    cell_from_source,
    cell_graph,
    cell_pipeline_parts,
    cell_problems,
    cells_dir_for,
    cells_from_notebook,
    describe_unknown_step,
    parse_step_line,
    pipeline_name,
    step_notebook_text,
)
from .pipeline import Pipeline

__all__ = [
    "CELLS_DIRNAME",
    "MAGIC_PREFIX",
    "STEP_NOTEBOOK",
    "CellStep",
    "build_cell_pipeline",
    "cell_from_source",
    "cell_graph",
    "cell_problems",
    "cells_dir_for",
    "cells_from_notebook",
    "describe_unknown_step",
    "parse_step_line",
    "pipeline_from_notebook",
    "pipeline_name",
    "step_notebook_text",
]


def build_cell_pipeline(
    cells: list[CellStep], cells_dir: str | os.PathLike[str], name: str, workspace: Any = None
) -> Pipeline:
    """Write each cell's notebook under ``cells_dir`` and return the Pipeline of them.

    Raises ModelError listing every problem of :func:`cell_problems`.
    """
    return Pipeline.from_parts(cell_pipeline_parts(cells, cells_dir, name), workspace=workspace)


def pipeline_from_notebook(
    path: str | os.PathLike[str], workspace: Any = None, name: str | None = None
) -> Pipeline:
    """The Pipeline of a notebook's step cells; their notebooks go next to it."""
    return Pipeline.from_notebook(path, workspace=workspace, name=name)
