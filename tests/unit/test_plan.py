"""Planning: every StepSpec must serialize, and what cannot is named before anything is recorded."""

from __future__ import annotations

import pytest

from jupyter_pipelines import Experiment, NotebookStep, Pipeline, PipelineParameter, Workspace
from jupyter_pipelines.errors import ExecutorError
from jupyter_pipelines.model.data import DatasetRef


def test_a_step_spec_that_cannot_be_written_is_named_before_anything_is_recorded(tmp_path):
    (tmp_path / "n.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    table = PipelineParameter("table", DatasetRef("iris", 1))
    step = NotebookStep("n.ipynb", name="nb", parameters={"table": table}, base_dir=tmp_path)
    ws = Workspace.at(tmp_path / "ws")
    with pytest.raises(ExecutorError, match=r"step 'nb' cannot be dispatched"):
        Experiment(ws, "x").submit(Pipeline(steps=[step]), show_output=False)
    assert ws.run_store.list_runs() == []
