"""A dataset parameter whose default is an unregistered dataset (v1 samples use datasets made
from URLs) survives the pipeline file format: written by its definition, read back as a
reference holding that definition, resolved against a workspace as the same dataset. A
published pipeline's frozen document depends on it."""

from __future__ import annotations

from pathlib import Path

from jupyter_pipelines.model.data import DatasetConsumptionConfig, DatasetRef
from jupyter_pipelines.model.fileformat import (
    check_document,
    document_to_pipeline,
    pipeline_to_document,
)
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import PythonScriptStep
from jupyter_pipelines.stores.datasets import Dataset, resolve_dataset
from jupyter_pipelines.stores.workspace import Workspace

URL = "http://127.0.0.1:9/demo/Titanic.csv"  # never fetched: only defined


def test_an_unregistered_dataset_default_round_trips(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print('ok')\n")
    dataset = Dataset.Tabular.from_delimited_files(URL, validate=False)
    param = PipelineParameter("tabular_ds_param", default_value=dataset)
    step = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path),
        arguments=["--data", DatasetConsumptionConfig("tabular_dataset", param)],
        inputs=[DatasetConsumptionConfig("tabular_dataset", param)],
    )
    document = pipeline_to_document(Pipeline(None, [step]), tmp_path)
    written = document["parameters"]["tabular_ds_param"]
    assert written["type"] == "dataset"
    assert written["default"] == {"definition": dataset.to_definition()}
    check_document(document, "test")  # the schema accepts what the writer wrote

    again = document_to_pipeline(document, tmp_path, "test")
    default = again.parameters["tabular_ds_param"].default_value
    assert isinstance(default, DatasetRef)
    assert default.definition == dataset.to_definition()
    assert pipeline_to_document(again, tmp_path) == document  # stable

    resolved = resolve_dataset(Workspace.at(tmp_path), default)
    assert resolved.to_definition() == dataset.to_definition()
    assert DatasetRef("titanic", 2).to_definition() is None
