"""The pipeline summary the CLI and the server show, and the default experiment name."""

from __future__ import annotations

from jupyter_pipelines import (
    CommandStep,
    DataReference,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
)
from jupyter_pipelines.engine.describe import default_experiment_name, describe_pipeline
from jupyter_pipelines.model.data import DatasetConsumptionConfig, DatasetRef


def test_every_kind_of_input_is_described(tmp_path):
    made = PipelineData("made")
    first = CommandStep("true", name="first", outputs=[made], base_dir=tmp_path)
    second = CommandStep(
        "true",
        name="second",
        inputs=[
            made.as_input(),
            DataReference("workspaceblobstore", "raw", "raw/2021"),
            DatasetConsumptionConfig("iris", DatasetRef("iris", 2)),
        ],
        outputs=[OutputFileDatasetConfig("out")],
        base_dir=tmp_path,
    )
    doc = describe_pipeline(Pipeline(steps=[first, second]))
    step = doc["steps"][1]
    assert step["inputs"] == {
        "made": "first.made",
        "raw": "datastore:workspaceblobstore/raw/2021",
        "iris": "dataset:iris",
    }
    assert step["depends_on"] == ["first"] and step["outputs"] == ["out"]
    assert doc["order"] == ["first", "second"] and doc["issues"] == []


def test_a_cyclic_pipeline_has_no_order(tmp_path):
    a = CommandStep("true", name="a", base_dir=tmp_path)
    b = CommandStep("true", name="b", base_dir=tmp_path)
    a.run_after(b)
    b.run_after(a)
    doc = describe_pipeline(Pipeline(steps=[a, b]))
    assert doc["order"] == []
    assert any("cycle" in i["message"] for i in doc["issues"])


def test_default_experiment_name(tmp_path):
    step = CommandStep("true", name="s", base_dir=tmp_path)
    assert default_experiment_name(Pipeline(steps=[step], name="my model!")) == "my_model"
    assert default_experiment_name(Pipeline(steps=[step]), "dir/train.pipeline.yaml") == "train"
    assert default_experiment_name(Pipeline(steps=[step])) == "default"
