"""``Pipeline.submit`` (v1: the same as ``Experiment.submit``), and ``jupyter_pipelines.Pipeline``
being what every way of making a pipeline gives."""

from __future__ import annotations

import inspect
import textwrap
import warnings
from pathlib import Path

import nbformat
import pytest

import jupyter_pipelines
from jupyter_pipelines import (
    CommandStep,
    Experiment,
    Pipeline,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
)
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.errors import EngineError, UnknownRunError
from jupyter_pipelines.model import pipeline as model_pipeline
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration


def greeting(project: Project) -> Pipeline:
    project.script("src/greet.py", "import sys\nprint('hello', sys.argv[1])\n")
    who = PipelineParameter("who", default_value="world")
    step = PythonScriptStep("greet.py", name="greet", source_directory="src", arguments=[who])
    return Pipeline(workspace=project.ws, steps=[step])


def test_submit_runs_the_pipeline_in_the_named_experiment(project: Project) -> None:
    pipeline = greeting(project)
    run = pipeline.submit("exp")
    assert isinstance(run, PipelineRun) and run.experiment.name == "exp"
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "hello world" in steps_by_name(run)["greet"].get_logs()["stdout"]

    # v1's arguments do what Experiment.submit's do.
    again = pipeline.submit("exp", pipeline_parameters={"who": "v1"})
    again.wait_for_completion(show_output=False)
    assert "hello v1" in steps_by_name(again)["greet"].get_logs()["stdout"]
    same = pipeline.submit("exp", {"who": "v1"})
    same.wait_for_completion(show_output=False)
    assert steps_by_name(same)["greet"].reused_from is not None
    forced = pipeline.submit("exp", {"who": "v1"}, regenerate_outputs=True, tags={"k": "v"})
    forced.wait_for_completion(show_output=False)
    assert steps_by_name(forced)["greet"].reused_from is None
    assert forced.get_tags() == {"k": "v"}
    assert next(iter(Experiment(project.ws, "exp").get_runs())).id == forced.id


def test_submit_has_v1s_signature() -> None:
    params = inspect.signature(Pipeline.submit).parameters
    assert [(p.name, p.default) for p in params.values()] == [
        ("self", inspect.Parameter.empty),
        ("experiment_name", inspect.Parameter.empty),
        ("pipeline_parameters", None),
        ("continue_on_step_failure", False),
        ("regenerate_outputs", False),
        ("parent_run_id", None),
        ("credential_passthrough", None),
        ("kwargs", inspect.Parameter.empty),
    ]


def test_a_pipeline_without_a_workspace_submits_to_the_nearest_one(project: Project) -> None:
    run = Pipeline(steps=[CommandStep("echo loose", name="loose")]).submit("loose")
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert Path(run.experiment.workspace.root) == project.root


def test_parent_run_id_is_a_run_of_the_same_experiment(project: Project) -> None:
    pipeline = greeting(project)
    parent = pipeline.submit("exp")
    parent.wait_for_completion(show_output=False)
    child = pipeline.submit("exp", parent_run_id=parent.id)
    child.wait_for_completion(show_output=False)
    assert child.get_properties()["azureml.parentRunId"] == parent.id
    with pytest.raises(UnknownRunError, match="parent_run_id 'nope' names no run"):
        pipeline.submit("exp", parent_run_id="nope")
    with pytest.raises(EngineError, match="is a run of experiment 'exp'"):
        pipeline.submit("other", parent_run_id=parent.id)


def test_cloud_only_arguments_warn_and_unknown_ones_are_refused(project: Project) -> None:
    pipeline = greeting(project)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = pipeline.submit("exp", credential_passthrough=True, enable_email_notification=True)
    assert {str(w.message).split(" is ignored")[0] for w in caught} >= {
        "Pipeline.submit(credential_passthrough=True)",
        "Pipeline.submit(enable_email_notification=...)",
    }
    assert all(w.category is V1CompatibilityWarning for w in caught)
    run.wait_for_completion(show_output=False)
    with pytest.raises(EngineError, match=r"unknown submit argument.*colour"):
        pipeline.submit("exp", colour="red")


def test_every_way_of_making_a_pipeline_gives_the_exported_class(project: Project) -> None:
    assert jupyter_pipelines.Pipeline is Pipeline
    made = greeting(project)
    path = project.root / "greet.pipeline.yaml"
    made.save(path)
    v1_yaml = project.root / "v1.yml"
    v1_yaml.write_text(
        textwrap.dedent(
            """\
            pipeline:
                name: v1
                steps:
                    Greet:
                        type: PythonScriptStep
                        name: greet
                        script_name: greet.py
                        source_directory: src
            """
        )
    )
    notebook = project.root / "cells.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["step:one"]})]
    nbformat.write(nb, str(notebook))
    built = [
        made,
        Pipeline.load(path, workspace=project.ws),
        model_pipeline.Pipeline.load(path),  # the model's loader, as the CLI and server use
        Pipeline.load_yaml(project.ws, v1_yaml),
        Pipeline.from_notebook(notebook),
        model_pipeline.Pipeline(steps=[CommandStep("true", name="t")]),
    ]
    for pipeline in built:
        assert type(pipeline) is Pipeline, pipeline
    # ... and what the model's class checks accept: the engine takes both.
    assert all(isinstance(p, model_pipeline.Pipeline) for p in built)
    loaded = built[1].submit("from-file")
    assert loaded.wait_for_completion(show_output=False) == st.FINISHED
