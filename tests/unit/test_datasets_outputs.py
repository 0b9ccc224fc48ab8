"""Step outputs and the bindings that read them, as v1 code uses them: PipelineData,
OutputDatasetConfig, OutputFileDatasetConfig, OutputTabularDatasetConfig, InputPortBinding."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    InputPortBinding,
    OutputDatasetConfig,
    OutputFileDatasetConfig,
    OutputTabularDatasetConfig,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.errors import ModelError, NotSupportedError


def test_pipeline_data_v1_signature_and_members() -> None:
    data = PipelineData("model", None, "model_out", "upload", None, True, None, None, "pipe_out")
    assert (data.name, data.mode, data.overwrite, data.is_directory) == (
        "model_out",
        "upload",
        True,
        None,
    )
    assert (data.data_type, data.datastore, data.pipeline_output_name) == (
        "AnyDirectory",
        None,
        "pipe_out",
    )
    assert PipelineData("f", is_directory=False).data_type == "AnyFile"
    assert PipelineData("t", data_type="UriFolder").data_type == "UriFolder"
    assert data.as_dataset() is data


def test_pipeline_data_input_bindings() -> None:
    data = PipelineData("model")
    named = data.as_input("trained")
    assert isinstance(named, InputPortBinding) and named.name == "trained"
    assert (named.bind_object, named.bind_mode, named.data_reference_name) == (
        data,
        "mount",
        "model",
    )
    download = data.as_download("local", path_on_compute="m", overwrite=True)
    assert (download.mode, download.path_on_compute, download.overwrite) == ("download", "m", True)
    mount = data.as_mount()
    assert (mount.name, mount.mode) == ("model", "mount")
    made = data.create_input_binding(mode="download")
    assert made.mode == "download" and made.get_bind_object_name() == "model"
    assert made.get_bind_object_data_type() == made.data_type == "AnyDirectory"
    with pytest.raises(NotSupportedError, match="pass the PipelineData itself"):
        data.get_env_variable_name()


def test_input_port_binding_v1_constructor() -> None:
    data = PipelineData("features")
    binding = InputPortBinding("feats", data, "download", "f", True, additional_transformations=[])
    assert (binding.name, binding.bind_object, binding.bind_mode) == ("feats", data, "download")
    assert (binding.path_on_compute, binding.overwrite, binding.is_resource) == ("f", True, False)
    binding.bind_mode = "mount"
    assert binding.mode == "mount"
    with pytest.warns(V1CompatibilityWarning, match="resources are an Azure ML"):
        resource = binding.as_resource()
    assert resource.is_resource and not binding.is_resource
    with pytest.raises(ModelError, match="an input must be a PipelineData or"):
        InputPortBinding("x", "not an output")
    with pytest.raises(ModelError, match="bind_mode must be one of"):
        InputPortBinding("x", data, "upload")


def test_output_dataset_configs() -> None:
    base = OutputDatasetConfig("upload", "out")
    assert (base.name, base.mode) == ("out", "upload")
    assert base.register_on_complete("ds") is base and base.registration["name"] == "ds"
    with pytest.raises(ModelError, match="mode must be one of"):
        OutputDatasetConfig("copy")
    out = OutputFileDatasetConfig("files")
    assert isinstance(out, OutputDatasetConfig)
    assert out.as_mount(disable_metadata_cache=True) is out and out.mode == "mount"
    assert out.as_upload(True, source_globs=["*.csv"]) is out
    assert (out.mode, out.overwrite, out.source_globs) == ("upload", True, ["*.csv"])


def test_read_delimited_files_makes_the_same_output_tabular() -> None:
    out = OutputFileDatasetConfig("table")
    step = PythonScriptStep("prep.py", arguments=[out])
    table = out.read_delimited_files(separator=";").keep_columns(["a", "b"]).drop_columns("b")
    assert table is out and isinstance(out, OutputTabularDatasetConfig)
    assert out.producer is step  # still the step's one output
    assert out.tabular is not None and out.tabular["separator"] == ";"
    assert out.tabular["transformations"] == [
        {"op": "keep_columns", "columns": ["a", "b"]},
        {"op": "drop_columns", "columns": ["b"]},
    ]
    assert out.as_input().tabular
    parquet = OutputFileDatasetConfig("p").read_parquet_files(path_glob="*.parquet")
    assert parquet.tabular is not None and parquet.tabular["format"] == "parquet"
    direct = OutputTabularDatasetConfig(name="direct")
    assert direct.name == "direct" and direct.tabular is not None


def test_tabular_output_random_split_gives_two_named_inputs() -> None:
    out = OutputFileDatasetConfig("rows").read_delimited_files()
    first, second = out.random_split(0.7, seed=4)
    assert (first.name, second.name) == ("rows_1", "rows_2")
    assert first.bind_object is out and first.tabular
    (a,), (b,) = first.additional_transformations, second.additional_transformations
    assert (a["seed"], a["part"], b["part"]) == (4, 0, 1)
    assert second.as_input("test") is second and second.name == "test"
    with pytest.raises(ModelError, match=r"between 0\.0 and 1\.0"):
        out.random_split(2)


def test_tabular_outputs_survive_the_pipeline_file(tmp_path: Path) -> None:
    from jupyter_pipelines import Pipeline
    from jupyter_pipelines.model.fileformat import load_pipeline, save_pipeline

    (tmp_path / "prep.py").write_text("")
    (tmp_path / "read.py").write_text("")
    out = OutputFileDatasetConfig("rows").read_parquet_files(partition_format="{k}/x.parquet")
    out.keep_columns(["a"])
    prep = PythonScriptStep("prep.py", name="prep", source_directory=str(tmp_path), arguments=[out])
    read = PythonScriptStep(
        "read.py", name="read", source_directory=str(tmp_path), inputs=[out.as_input("rows")]
    )
    path = tmp_path / "p.pipeline.yaml"
    save_pipeline(Pipeline(steps=[prep, read]), path)
    loaded = load_pipeline(path)
    (again,) = [o for s in loaded.steps if s.name == "prep" for o in s.outputs]
    assert isinstance(again, OutputTabularDatasetConfig)
    assert again.tabular == out.tabular
