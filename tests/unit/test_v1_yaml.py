"""v1's pipeline YAML (``Pipeline.load_yaml``): script-step pipelines read, the rest refused."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jupyter_pipelines.errors import PipelineFileError
from jupyter_pipelines.model.data import (
    DataPath,
    DataReference,
    DatasetConsumptionConfig,
    DatasetRef,
    PipelineData,
    StepInput,
)
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.runconfig import RunConfiguration
from jupyter_pipelines.model.steps import PythonScriptStep

if TYPE_CHECKING:
    from conftest import Project

V1_PIPELINE = """\
pipeline:
    description: SamplePipelineFromYaml
    parameters:
        NumIterationsParameter:
            type: int
            default: 40
        DataPathParameter:
            type: datapath
            default:
                datastore: workspaceblobstore
                path_on_datastore: sample2.txt
    data_references:
        DataReference:
            datastore: workspaceblobstore
            path_on_datastore: testfolder/sample.txt
        Dataset:
            dataset_name: titanic
    default_compute: cpu-cluster
    steps:
        PrepareStep:
            type: PythonScriptStep
            name: prepare
            script_name: prep.py
            source_directory: src
            allow_reuse: false
            arguments:
            - '--input1'
            - input:in1
            - '--input2'
            - input:in2
            - '--input3'
            - input:in3
            - '--output'
            - output:output_data
            - '--param'
            - parameter:NUM_ITERATIONS
            parameters:
                NUM_ITERATIONS:
                    source: NumIterationsParameter
            inputs:
                in1:
                    source: Dataset
                    bind_mode: mount
                in2:
                    source: DataReference
                    bind_mode: download
                in3:
                    source: DataPathParameter
            outputs:
                output_data:
                    destination: Output1
                    datastore: workspaceblobstore
                    bind_mode: mount
        TrainStep:
            type: PythonScriptStep
            script_name: train.py
            source_directory: src
            compute: gpu-cluster
            hash_paths: [train.py]
            arguments:
            - '--input'
            - input:train_input
            - '--output'
            - output:result
            - '--iterations'
            - parameter:NUM_ITERATIONS
            parameters:
                NUM_ITERATIONS: 10
            inputs:
                train_input:
                    source: Output1
                    bind_mode: download
                    path_on_compute: data
            outputs:
                result:
                    destination: Output2
                    bind_mode: upload
"""


def write(project: Project, text: str, name: str = "pipeline.yml") -> Path:
    path = project.root / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_v1_yaml_pipeline_of_script_steps_is_read(project: Project) -> None:
    ws = object()
    pipeline = Pipeline.load_yaml(ws, write(project, V1_PIPELINE))
    assert pipeline.workspace is ws
    assert pipeline.description == "SamplePipelineFromYaml"
    assert [s.name for s in pipeline.steps] == ["prepare", "TrainStep"]
    prep, train = pipeline.steps
    assert isinstance(prep, PythonScriptStep) and isinstance(train, PythonScriptStep)
    assert (prep.script_name, prep.source_path, prep.allow_reuse) == ("prep.py", project.src, False)
    assert (prep.compute_target, train.compute_target) == ("cpu-cluster", "gpu-cluster")
    assert train.hash_paths == ["train.py"]

    iterations = pipeline.parameters["NumIterationsParameter"]
    assert iterations.default_value == 40
    assert pipeline.parameters["DataPathParameter"].default_value == DataPath(
        "workspaceblobstore", "sample2.txt"
    )
    assert prep.params == {"NUM_ITERATIONS": iterations}
    assert train.params == {"NUM_ITERATIONS": 10}

    in1, in2, in3 = prep.inputs
    assert isinstance(in1, DatasetConsumptionConfig) and in1.name == "in1"
    assert in1.dataset == DatasetRef("titanic") and in1.mode == "mount"
    assert isinstance(in2, DataReference) and (in2.name, in2.mode) == ("in2", "download")
    assert (in2.datastore_name, in2.path_on_datastore) == (
        "workspaceblobstore",
        "testfolder/sample.txt",
    )
    assert (
        isinstance(in3, DataReference)
        and in3.path_on_datastore is (pipeline.parameters["DataPathParameter"])
    )
    (output,) = prep.outputs
    assert isinstance(output, PipelineData) and output.name == "output_data"
    assert prep.arguments == [
        "--input1",
        in1,
        "--input2",
        in2,
        "--input3",
        in3,
        "--output",
        output,
        "--param",
        iterations,
    ]

    (train_input,) = train.inputs
    assert isinstance(train_input, StepInput) and train_input.data is output
    assert (train_input.name, train_input.mode, train_input.path_on_compute) == (
        "train_input",
        "download",
        "data",
    )
    assert train.outputs[0].mode == "upload"
    assert train.arguments[-1] == 10  # parameter:NAME of a literal step parameter
    assert sorted(pipeline.graph.edges) == [("prepare", "TrainStep")]
    assert [i for i in pipeline.validate() if i.severity == "error"] == []


def test_the_legacy_step_section_is_read_too(project: Project) -> None:
    path = write(
        project,
        """\
        pipeline:
            name: OldStyle
            steps:
                only:
                    python_script_step:
                        script_name: prep.py
                        source_directory: src
                        name: legacy
        """,
    )
    pipeline = Pipeline.load_yaml(None, path)
    assert pipeline.description == "OldStyle"
    assert [s.name for s in pipeline.steps] == ["legacy"]


def test_cloud_steps_and_broken_references_are_reported_together(project: Project) -> None:
    path = write(
        project,
        """\
        pipeline:
            parameters:
                Bad:
                    type: complex
            data_references:
                ById:
                    dataset_id: 1234
            steps:
                Module:
                    type: ModuleStep
                    name: TestModule
                Databricks:
                    databricks_step:
                        notebook_path: /x
                Script:
                    type: PythonScriptStep
                    script_name: prep.py
                    source_directory: src
                    arguments: [input:missing]
                    inputs:
                        a:
                            source: Outptu1
                    outputs:
                        b:
                            destination: Output1
                Config:
                    type: PythonScriptStep
                    script_name: prep.py
                    runconfig: default_runconfig.yml
        """,
    )
    with pytest.raises(PipelineFileError) as caught:
        Pipeline.load_yaml(None, path)
    message = str(caught.value)
    for expected in (
        "cannot be read as a v1 pipeline",
        "parameters.Bad.type: 'complex' is not one of string, int, float, bool, datapath",
        "data_references.ById.dataset_id: datasets are found by name here",
        "steps.Module: a ModuleStep needs the Azure ML service; write the pipeline as a "
        "NAME.pipeline.yaml file instead",
        "steps.Databricks: a DatabricksStep needs the Azure ML service",
        "steps.Script.inputs.a.source: 'Outptu1' is no data reference, datapath parameter or "
        'output destination (did you mean "Output1"?)',
        "steps.Script.arguments[0]: 'input:missing' names no input of the step",
        "steps.Config.runconfig: no run configuration",
    ):
        assert expected in message


def test_a_step_s_runconfig_file_gives_its_environment(project: Project) -> None:
    config = RunConfiguration()
    config.environment_variables["MODE"] = "from-runconfig"
    config.save(str(project.root / "train.runconfig"))
    path = write(
        project,
        """\
        pipeline:
            steps:
                train:
                    type: PythonScriptStep
                    script_name: train.py
                    source_directory: src
                    runconfig: train.runconfig
                    compute: cpu
        """,
    )
    (step,) = Pipeline.load_yaml(None, path).steps
    assert step.runconfig.environment_variables == {"MODE": "from-runconfig"}
    assert step.compute_target == "cpu"


def test_our_own_format_is_named_when_the_file_has_no_pipeline_section(
    project: Project,
) -> None:
    path = write(project, "version: 1\nsteps: {}\n", "mine.pipeline.yaml")
    with pytest.raises(PipelineFileError, match=r"must have a 'pipeline:' section.*Pipeline\.load"):
        Pipeline.load_yaml(None, path)
    with pytest.raises(PipelineFileError, match="does not exist"):
        Pipeline.load_yaml(None, project.root / "absent.yml")
    v1_file = write(project, V1_PIPELINE)
    with pytest.raises(PipelineFileError, match=r"is v1's pipeline YAML.*Pipeline\.load_yaml"):
        Pipeline.load(v1_file)


def test_a_datapath_parameter_needs_its_datastore(project: Project) -> None:
    path = write(
        project,
        """\
        pipeline:
            parameters:
                Path:
                    type: datapath
                    default: {path_on_datastore: x}
                Count:
                    type: int
                    default: many
            steps:
                s: {type: PythonScriptStep, script_name: prep.py, source_directory: src}
        """,
    )
    with pytest.raises(PipelineFileError) as caught:
        Pipeline.load_yaml(None, path)
    assert "parameters.Path.default: a datapath parameter needs a default with" in str(caught.value)
    assert "parameters.Count.default: 'many' is not a valid int" in str(caught.value)
