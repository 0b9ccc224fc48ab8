"""Bad input gives a clear message and records nothing: no run, no experiment, no run folder."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_pipelines import (
    ParameterError,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelinesError,
    PipelineValidationError,
    PythonScriptStep,
)
from jupyter_pipelines.errors import EngineError, PipelineFileError
from tests.integration.support import Project

pytestmark = pytest.mark.integration


def good_doc() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "good",
        "parameters": {"epochs": {"type": "int", "default": 2}},
        "steps": {
            "prep": {"type": "python_script", "script": "prep.py"},
            "train": {
                "type": "command",
                "command": "echo ${{parameters.epochs}}",
                "run_after": ["prep"],
            },
        },
    }


@pytest.fixture
def prepared(project: Project) -> Project:
    project.script("prep.py", "print('prep')\n")
    return project


def load_and_submit(project: Project, name: str, **kwargs: Any) -> None:
    pipeline = Pipeline.load(project.root / name, workspace=project.ws)
    project.experiment().submit(pipeline, **kwargs)


# -- files -------------------------------------------------------------------------------
def test_malformed_yaml(prepared: Project) -> None:
    path = prepared.root / "bad.pipeline.yaml"
    path.write_text("version: 1\nsteps:\n  prep: {type: python_script\n")
    with pytest.raises(PipelineFileError, match=r"bad\.pipeline\.yaml.* is not valid YAML at line"):
        load_and_submit(prepared, "bad.pipeline.yaml")
    proc = prepared.cli("run", "bad.pipeline.yaml", check=2)
    assert "is not valid YAML at line" in proc.stderr
    prepared.assert_nothing_recorded()


def test_unknown_file_version(prepared: Project) -> None:
    prepared.pipeline_file("v9.pipeline.yaml", {**good_doc(), "version": 9})
    with pytest.raises(PipelineFileError, match="has format version 9; this jupyter_pipelines"):
        load_and_submit(prepared, "v9.pipeline.yaml")
    assert "format version 9" in prepared.cli("submit", "v9.pipeline.yaml", check=2).stderr
    prepared.assert_nothing_recorded()


def test_schema_violation_names_the_field(prepared: Project) -> None:
    doc = good_doc()
    doc["steps"]["prep"]["timeout"] = -1
    prepared.pipeline_file("neg.pipeline.yaml", doc)
    with pytest.raises(PipelineFileError, match=r"steps\.prep\.timeout"):
        load_and_submit(prepared, "neg.pipeline.yaml")
    prepared.assert_nothing_recorded()


def test_missing_pipeline_file(prepared: Project) -> None:
    with pytest.raises(
        PipelineFileError, match=r"pipeline file .*nope\.pipeline\.yaml.* not exist"
    ):
        load_and_submit(prepared, "nope.pipeline.yaml")
    assert "does not exist" in prepared.cli("run", "nope.pipeline.yaml", check=2).stderr
    prepared.assert_nothing_recorded()


def test_cycle_in_file(prepared: Project) -> None:
    doc = good_doc()
    doc["steps"]["prep"]["run_after"] = ["train"]
    prepared.pipeline_file("cycle.pipeline.yaml", doc)
    with pytest.raises(PipelineValidationError, match="steps form a cycle"):
        load_and_submit(prepared, "cycle.pipeline.yaml")
    assert "cycle" in prepared.cli("run", "cycle.pipeline.yaml", check=2).stderr
    prepared.assert_nothing_recorded()


def test_cycle_in_sdk_pipeline(prepared: Project) -> None:
    a = PythonScriptStep("prep.py", name="a")
    b = PythonScriptStep("prep.py", name="b")
    a.run_after(b)
    b.run_after(a)
    with pytest.raises(
        PipelineValidationError, match=r"steps form a cycle: (a -> b -> a|b -> a -> b)"
    ):
        prepared.experiment().submit(Pipeline(steps=[a, b]))
    prepared.assert_nothing_recorded()


def test_missing_script_and_notebook_are_all_reported(prepared: Project) -> None:
    doc = good_doc()
    doc["steps"]["prep"]["script"] = "perp.py"
    doc["steps"]["nb"] = {"type": "notebook", "notebook": "gone.ipynb"}
    prepared.pipeline_file("missing.pipeline.yaml", doc)
    with pytest.raises(PipelineValidationError, match=r"2 problem") as info:
        load_and_submit(prepared, "missing.pipeline.yaml")
    text = str(info.value)
    assert "file 'perp.py' not found" in text
    assert 'did you mean "prep.py"' in text
    assert "file 'gone.ipynb' not found" in text
    prepared.assert_nothing_recorded()


def test_unknown_step_reference(prepared: Project) -> None:
    doc = good_doc()
    doc["steps"]["train"]["run_after"] = ["perp"]
    prepared.pipeline_file("unknown.pipeline.yaml", doc)
    with pytest.raises(PipelineFileError, match=r"unknown step 'perp' \(did you mean \"prep\"\?\)"):
        load_and_submit(prepared, "unknown.pipeline.yaml")
    assert "unknown step 'perp'" in prepared.cli("run", "unknown.pipeline.yaml", check=2).stderr
    prepared.assert_nothing_recorded()


def test_unknown_parameter_reference(prepared: Project) -> None:
    doc = good_doc()
    doc["steps"]["train"]["command"] = "echo ${{parameters.epoch}}"
    prepared.pipeline_file("ref.pipeline.yaml", doc)
    with pytest.raises(PipelinesError, match="unknown parameter 'epoch'"):
        load_and_submit(prepared, "ref.pipeline.yaml")
    prepared.assert_nothing_recorded()


def test_unknown_input_producer_in_sdk(prepared: Project) -> None:
    orphan = PipelineData("orphan")
    step = PythonScriptStep("prep.py", name="reader", inputs=[orphan])
    with pytest.raises(PipelineValidationError, match="input 'orphan' is not produced by any step"):
        prepared.experiment().submit(Pipeline(steps=[step]))
    prepared.assert_nothing_recorded()


# -- parameters at submit ------------------------------------------------------------------
def test_unknown_parameter_at_submit(prepared: Project) -> None:
    prepared.pipeline_file("good.pipeline.yaml", good_doc())
    with pytest.raises(
        ParameterError, match=r"unknown pipeline parameter 'epoch' \(did you mean \"epochs\"\?\)"
    ):
        load_and_submit(prepared, "good.pipeline.yaml", pipeline_parameters={"epoch": 3})
    proc = prepared.cli("run", "good.pipeline.yaml", "--param", "epoch=3", check=2)
    assert "unknown pipeline parameter 'epoch'" in proc.stderr
    prepared.assert_nothing_recorded()


def test_wrongly_typed_parameter_at_submit(prepared: Project) -> None:
    prepared.pipeline_file("good.pipeline.yaml", good_doc())
    with pytest.raises(ParameterError, match=r"parameter 'epochs' expects a int value, got 'many'"):
        load_and_submit(prepared, "good.pipeline.yaml", pipeline_parameters={"epochs": "many"})
    with pytest.raises(ParameterError, match=r"parameter 'epochs' expects a int value, got 2\.5"):
        load_and_submit(prepared, "good.pipeline.yaml", pipeline_parameters={"epochs": 2.5})
    proc = prepared.cli("submit", "good.pipeline.yaml", "-p", "epochs=many", check=2)
    assert "expects a int value" in proc.stderr
    proc = prepared.cli("submit", "good.pipeline.yaml", "-p", "epochs", check=2)
    assert "NAME=VALUE" in proc.stderr
    prepared.assert_nothing_recorded()


def test_parameter_problems_are_reported_together(prepared: Project) -> None:
    lr = PipelineParameter("lr", 0.1)
    step = PythonScriptStep("prep.py", name="prep", arguments=[lr])
    with pytest.raises(ParameterError, match=r"unknown pipeline parameter 'x'.*expects a float"):
        prepared.experiment().submit(
            Pipeline(steps=[step]), pipeline_parameters={"x": 1, "lr": "fast"}
        )
    prepared.assert_nothing_recorded()


def test_bad_submit_arguments(prepared: Project) -> None:
    step = PythonScriptStep("prep.py", name="prep")
    with pytest.raises(EngineError, match="unknown submit argument"):
        prepared.experiment().submit(Pipeline(steps=[step]), pipeline_params={"a": 1})
    with pytest.raises(PipelineValidationError, match=r"unknown compute target 'gpu-cluster'"):
        prepared.experiment().submit(
            Pipeline(steps=[PythonScriptStep("prep.py", name="p", compute_target="gpu-cluster")])
        )
    prepared.assert_nothing_recorded()
