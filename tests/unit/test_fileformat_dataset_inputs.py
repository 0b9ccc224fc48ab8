"""Dataset inputs in pipeline files: a loaded file saves back unchanged, modes included."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import Dataset, Pipeline, PythonScriptStep, Workspace
from jupyter_pipelines.model.data import DatasetConsumptionConfig


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace.at(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "prep.py").write_text("print('ok')\n")
    folder = ws.get_default_datastore().local_path("images")
    assert folder is not None
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(b"a")
    return ws


def round_trip(ws: Workspace, tmp_path: Path, binding: DatasetConsumptionConfig) -> Pipeline:
    """Save a one-step pipeline reading ``binding``, load it, save it again: same file."""
    step = PythonScriptStep(
        "prep.py", name="prep", source_directory=str(tmp_path / "src"), arguments=[binding]
    )
    first, second = tmp_path / "a.pipeline.yaml", tmp_path / "b.pipeline.yaml"
    Pipeline(workspace=ws, steps=[step]).save(first)
    loaded = Pipeline.load(first, workspace=ws)
    loaded.save(second)
    assert second.read_text() == first.read_text()
    return loaded


@pytest.mark.parametrize("mode", ["mount", "download", "direct"])
def test_a_dataset_input_keeps_its_mode(ws: Workspace, tmp_path: Path, mode: str) -> None:
    dataset = Dataset.File.from_files([(ws.get_default_datastore(), "images/")])
    dataset = dataset.register(ws, "images")
    binding = dataset.as_named_input("images")
    binding.mode = mode
    loaded = round_trip(ws, tmp_path, binding)
    assert loaded.steps[0].inputs[0].mode == mode


def test_an_unregistered_dataset_written_inline_loads_and_saves_back(
    ws: Workspace, tmp_path: Path
) -> None:
    dataset = Dataset.File.from_files([(ws.get_default_datastore(), "images/")])
    loaded = round_trip(ws, tmp_path, dataset.as_named_input("images").as_download())
    (binding,) = loaded.steps[0].inputs
    assert isinstance(binding, DatasetConsumptionConfig)
    assert binding.dataset == dataset.to_definition()
    assert binding.mode == "download"
