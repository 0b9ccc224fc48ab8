"""Frozen code (engine/frozen.py): a published pipeline's steps are checked against the
snapshots taken at publish, not against their source folders, and the stored form and the
graph id are stable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_pipelines.engine.frozen import FrozenCode, freeze_pipeline
from jupyter_pipelines.engine.submit import check_pipeline
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import PythonScriptStep
from jupyter_pipelines.stores.workspace import Workspace


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, Pipeline]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('v1')\n")
    step = PythonScriptStep(name="train", script_name="train.py", source_directory="src")
    return Workspace.at(tmp_path), Pipeline(None, [step])


def errors(issues: list) -> list[tuple[str | None, str | None]]:
    return [(i.step, i.field) for i in issues if i.severity == "error"]


def test_a_frozen_step_needs_its_snapshot_not_its_folder(setup: tuple[Workspace, Pipeline]) -> None:
    ws, pipeline = setup
    document, frozen = freeze_pipeline(ws, pipeline)
    assert document["steps"]["train"]["source_directory"] == "src"
    assert frozen.base_dir == ws.root.resolve()

    shutil.rmtree(ws.root / "src")
    issues = check_pipeline(ws, pipeline)
    assert errors(issues) == [("train", "source_directory")]  # the live check fails...
    assert errors(frozen.check(ws, pipeline, issues)) == []  # ...the frozen one does not

    other = PythonScriptStep(name="train", script_name="other.py", source_directory="src")
    renamed = Pipeline(None, [other])
    found = frozen.check(ws, renamed, check_pipeline(ws, renamed))
    assert errors(found) == [("train", "script_name")]
    assert "file 'other.py' is not in the code published for step 'train'" in found[0].message


def test_a_missing_snapshot_is_an_error_naming_the_step(setup: tuple[Workspace, Pipeline]) -> None:
    ws, pipeline = setup
    _, frozen = freeze_pipeline(ws, pipeline)
    gone = FrozenCode(frozen.base_dir, {"train": "0" * 64})
    found = gone.check(ws, pipeline, check_pipeline(ws, pipeline))
    assert errors(found) == [("train", "source_directory")]
    assert "the code it was published with is gone" in found[0].message


def test_the_stored_form_round_trips_and_the_graph_id_follows_the_code(
    setup: tuple[Workspace, Pipeline],
) -> None:
    ws, pipeline = setup
    document, frozen = freeze_pipeline(ws, pipeline)
    again = FrozenCode.from_record(str(frozen.base_dir), frozen.to_record())
    assert again == frozen
    assert again.graph_id(document) == frozen.graph_id(document)

    (ws.root / "src" / "train.py").write_text("print('v2')\n")
    _, edited = freeze_pipeline(ws, pipeline)
    assert edited.snapshots["train"] != frozen.snapshots["train"]
    assert edited.graph_id(document) != frozen.graph_id(document)
