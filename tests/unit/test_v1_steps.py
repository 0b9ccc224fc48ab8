"""v1 calls of the step classes and Pipeline: positional order, v1's own options, and the
graph-builder members every step inherits (working locally, or marked)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from jupyter_pipelines import compat
from jupyter_pipelines.compat import V1CompatibilityWarning, marking
from jupyter_pipelines.errors import ModelError, NotSupportedError
from jupyter_pipelines.model.data import (
    DataPath,
    DataReference,
    OutputFileDatasetConfig,
    PipelineData,
)
from jupyter_pipelines.model.notebook_runner import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
)
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.runconfig import RunConfiguration
from jupyter_pipelines.model.script_run_config import ScriptRunConfig
from jupyter_pipelines.model.steps import (
    CommandStep,
    NotebookStep,
    PipelineStep,
    PythonScriptStep,
    StepSequence,
)
from jupyter_pipelines.model.training_output import TrainingOutput

if TYPE_CHECKING:
    from conftest import Project


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the first use of a cloud-only member (they warn once per process)."""
    monkeypatch.setattr(compat, "_warned", set())


# -- positional calls bind v1's parameters ---------------------------------------------------


def test_pipeline_positional_arguments_are_v1s(project: Project) -> None:
    ws = SimpleNamespace(name="ws")
    step = PythonScriptStep("prep.py")
    pipeline = Pipeline(ws, [step], "my description", "blobstore", "src", False)
    assert pipeline.workspace is ws
    assert pipeline.description == "my description"
    assert pipeline.default_datastore == "blobstore"
    assert pipeline.default_source_directory == "src"
    assert step.source_path == project.src  # the default folder applied to the step


def test_resolve_closure_false_keeps_only_listed_steps(project: Project) -> None:
    data = PipelineData("d")
    producer = PythonScriptStep("prep.py", outputs=[data], source_directory="src")
    consumer = PythonScriptStep("train.py", inputs=[data], source_directory="src")
    assert Pipeline(None, [consumer]).steps == [producer, consumer]
    assert [s.name for s in Pipeline(None, [consumer], None, None, None, False).steps] == [
        "train.py"
    ]


def test_command_step_positional_arguments_are_v1s(project: Project) -> None:
    out = PipelineData("out")
    raw = PipelineData("raw")
    rc = RunConfiguration()
    step = CommandStep(
        "python score.py",
        "score",
        "cpu",
        rc,
        None,
        [raw],
        [out],
        {"mode": "x"},
        "src",
        False,
        "2",
    )
    assert (step.command, step.name, step.compute_target) == ("python score.py", "score", "cpu")
    assert step.runconfig is rc
    assert [b.data for b in step.inputs] == [raw]  # type: ignore[attr-defined]
    assert step.outputs == [out]
    assert step.params == {"mode": "x"}
    assert step.source_path == project.src
    assert (step.allow_reuse, step.version) == (False, "2")


def test_notebook_run_config_and_handler_positional_arguments_are_v1s(project: Project) -> None:
    handler = AzureMLNotebookHandler(False, 30, log_output=True, kernel_name="k")
    assert (handler.history, handler.timeout, handler.log_output, handler.kernel_name) == (
        False,
        30,
        True,
        "k",
    )
    rc = RunConfiguration()
    config = NotebookRunConfig("src", "train.ipynb", "done.ipynb", {"a": 1}, handler, rc)
    assert (config.source_directory, config.notebook, config.output_notebook) == (
        "src",
        "train.ipynb",
        "done.ipynb",
    )
    assert (config.parameters, config.handler, config.run_config) == ({"a": 1}, handler, rc)


def test_notebook_runner_step_positional_arguments_are_v1s(project: Project) -> None:
    config = NotebookRunConfig("src", "train.ipynb", parameters={"alpha": 1})
    raw, model = PipelineData("raw"), PipelineData("model")
    step = NotebookRunnerStep(
        "nb", config, None, "gpu", {"beta": 2}, [raw], [model], False, "3", "executed"
    )
    assert (step.name, step.notebook_run_config, step.compute_target) == ("nb", config, "gpu")
    assert step.parameters == {"alpha": 1, "beta": 2}
    assert [b.name for b in step.inputs] == ["raw"]
    assert step.outputs[0] is model and step.output_notebook is step.outputs[1]
    assert (step.allow_reuse, step.version, step.executed_notebook) == (
        False,
        "3",
        "train.output.ipynb",
    )
    assert step.kernel_name is None and step.log_output is False


def test_step_sequence_without_steps_is_empty() -> None:
    assert StepSequence().steps == []


# -- v1's own options --------------------------------------------------------------------


def test_handler_refuses_an_option_v1_does_not_have() -> None:
    with pytest.raises(
        ModelError,
        match=re.escape(
            "unsupported option 'engine'; the options are progress_bar, log_output, "
            "kernel_name, cwd"
        ),
    ):
        AzureMLNotebookHandler(engine="x")
    assert AzureMLNotebookHandler.supported_options == [
        "progress_bar",
        "log_output",
        "kernel_name",
        "cwd",
    ]


def test_handler_cwd_warns_that_it_is_ignored() -> None:
    with pytest.warns(V1CompatibilityWarning, match=r"cwd=.*is ignored locally"):
        assert AzureMLNotebookHandler(cwd="sub").cwd == "sub"


def test_run_config_is_made_on_first_use_and_then_given_to_the_step(project: Project) -> None:
    config = NotebookRunConfig("src", "train.ipynb")
    assert NotebookRunnerStep("plain", config).runconfig is None
    config.run_config.environment_variables["MODE"] = "v1"
    step = NotebookRunnerStep("configured", config)
    assert step.runconfig is config.run_config
    assert step.runconfig.environment_variables == {"MODE": "v1"}
    assert NotebookRunConfig.MAX_DURATION_SECONDS_DEFAULT == 2592000


def test_output_notebook_names_the_executed_copy(project: Project) -> None:
    config = NotebookRunConfig("src", "train.ipynb", output_notebook="nested/out.ipynb")
    with pytest.raises(ModelError, match=r"must be a file name ending in '\.ipynb'"):
        NotebookRunnerStep("nb", config)
    assert NotebookStep("src/train.ipynb").executed_notebook is None


def test_executed_notebook_survives_the_pipeline_file(project: Project, tmp_path: Path) -> None:
    step = NotebookRunnerStep(
        "nb", NotebookRunConfig("src", "train.ipynb"), output_notebook_pipeline_data_name="nb_out"
    )
    path = project.root / "p.pipeline.yaml"
    Pipeline(steps=[step]).save(path)
    text = path.read_text()
    assert "executed_notebook: train.output.ipynb" in text
    assert "output_notebook: nb_out" in text
    loaded = Pipeline.load(path).step("nb")
    assert isinstance(loaded, NotebookStep)
    assert loaded.executed_notebook == "train.output.ipynb"
    assert loaded.output_notebook is not None and loaded.output_notebook.name == "nb_out"
    Pipeline.load(path).save(path)
    assert path.read_text() == text


def test_pipeline_accepts_v1_keywords_and_names_an_unknown_one(project: Project) -> None:
    step = PythonScriptStep("prep.py", source_directory="src")
    with pytest.warns(V1CompatibilityWarning, match="enable_email_notification"):
        Pipeline(None, [step], enable_email_notification=True)
    pipeline = Pipeline(None, [step], _workflow_provider=object(), _service_endpoint="http://x")
    with pytest.warns(V1CompatibilityWarning, match="service_endpoint is ignored locally"):
        assert pipeline.service_endpoint() == "http://x"
    with pytest.raises(ModelError, match=r"unexpected keyword argument 'nmae' \(did you mean"):
        Pipeline(None, [step], nmae="x")


def test_default_source_directory_applies_only_to_steps_without_their_own(
    project: Project,
) -> None:
    (project.src / "nested").mkdir()
    (project.src / "nested" / "deep.py").write_text("pass\n")
    plain = PythonScriptStep("prep.py")
    in_folder = PythonScriptStep("nested/deep.py")
    own = PythonScriptStep("prep.py", name="own", source_directory=".")
    pipeline = Pipeline(None, [plain, in_folder, own], default_source_directory="src")
    assert plain.source_path == project.src
    assert in_folder.source_path == project.src / "nested" and in_folder.script_name == "deep.py"
    assert own.source_path == project.root
    # The scripts under the default folder are found; "own" looks in its own folder.
    assert [(i.step, i.field) for i in pipeline.validate()] == [("own", "script_name")]


def test_command_step_takes_its_command_from_a_runconfig(project: Project) -> None:
    rc = RunConfiguration(command="python score.py --fast")
    assert CommandStep(runconfig=rc).command == "python score.py --fast"
    script_run_config = ScriptRunConfig(
        "src", command=["python score.py", "--lr", 1], run_config=rc
    )
    step = CommandStep(name="s", runconfig=script_run_config)
    assert step.arguments == ["python", "score.py", "--lr", 1]  # v1 splits the first item
    assert step.runconfig is rc and step.source_path == project.src
    with pytest.raises(ModelError, match=r"needs a 'command' \(or a runconfig"):
        CommandStep(name="nothing")


def test_runconfig_pipeline_params_warn_that_they_are_ignored(project: Project) -> None:
    node_count = PipelineParameter("nodes", 2)
    with pytest.warns(V1CompatibilityWarning, match="runconfig_pipeline_params"):
        PythonScriptStep("prep.py", runconfig_pipeline_params={"NodeCount": node_count})


# -- TrainingOutput ----------------------------------------------------------------------


def test_training_output_holds_what_v1_checks() -> None:
    model = TrainingOutput("Model", metric="accuracy", model_file="model.pkl")
    assert (model.type, model.iteration, model.metric, model.model_file) == (
        "Model",
        None,
        "accuracy",
        "model.pkl",
    )
    assert TrainingOutput("metrics").to_dict() == {"type": "metrics"}
    assert model == TrainingOutput("Model", None, "accuracy", "model.pkl")
    with pytest.raises(ModelError, match="'Metrics' or 'Model', got 'Weights'"):
        TrainingOutput("Weights")
    with pytest.raises(ModelError, match="takes no 'iteration' or 'metric'"):
        TrainingOutput("Metrics", iteration=3)
    with pytest.raises(ModelError, match="'iteration' or 'metric', not both"):
        TrainingOutput("Model", iteration=3, metric="auc")


# -- PipelineStep's graph-builder members ------------------------------------------------------


def test_validate_arguments_names_data_missing_from_inputs_and_outputs() -> None:
    raw, out = PipelineData("raw"), PipelineData("out")
    ref = DataReference("store", "ref", "p")
    PipelineStep.validate_arguments(["--in", raw, "--out", out, ref], [raw, ref], [out])
    PipelineStep.validate_arguments(["--in", raw.as_input("renamed")], [raw], [])
    with pytest.raises(ModelError, match="input/output 'out' appears in arguments"):
        PipelineStep.validate_arguments([out], [raw], [])
    with pytest.raises(ModelError, match="input 'ref' appears in arguments but is not in"):
        PipelineStep.validate_arguments([ref], [], [])


def test_resolve_input_arguments_matches_inputs_outputs_and_parameters() -> None:
    raw, out = PipelineData("raw"), PipelineData("out")
    lr = PipelineParameter("lr", 0.1)
    binding = raw.as_input("data")
    resolved, annotated = PythonScriptStep.resolve_input_arguments(
        ["--in", raw, "--out", out, "--lr", lr, "parameter:mode", "parameter:other", 3],
        [binding],
        [out],
        {"mode": "fast"},
    )
    assert resolved == [
        "--in",
        binding,
        "--out",
        out,
        "--lr",
        "$AML_PARAMETER_lr",
        "$AML_PARAMETER_mode",
        "parameter:other",
        3,
    ]
    assert annotated[1] == ("input", "data")
    assert annotated[3] == ("output", "out")
    assert annotated[5:7] == [("parameter", "lr"), ("parameter", "mode")]
    assert annotated[-1] == ("string", "3")


def test_get_source_directory_checks_the_script(project: Project) -> None:
    step = PythonScriptStep("prep.py", source_directory="src")
    assert step.get_source_directory(None, "src", "prep.py") == "src"
    context = SimpleNamespace(default_source_directory="src")
    assert step.get_source_directory(context, None, "train.py") == "src"
    with pytest.raises(ModelError, match=r"script 'absent.py' not found in '.*src'"):
        step.get_source_directory(None, None, "absent.py")


def test_create_input_output_bindings_turns_inputs_into_bindings(project: Project) -> None:
    raw, out = PipelineData("raw"), OutputFileDatasetConfig("out")
    lookup = DataPath("store", "lookup.csv")
    step = PythonScriptStep("prep.py", source_directory="src")
    inputs, outputs = step.create_input_output_bindings([raw], [out], None, [lookup])
    assert [b.name for b in inputs] == ["raw", "lookup_csv"]
    assert (inputs[1].mode, inputs[1].path_on_compute) == ("download", ".")
    assert outputs == [out]


@pytest.mark.parametrize("member", ["create_node", "create_module_def"])
def test_service_graph_members_are_refused_naming_pipeline(project: Project, member: str) -> None:
    step: Any = CommandStep("echo hi")
    mark = marking(getattr(PipelineStep, member))
    assert mark is not None and mark[0] == "refused"
    with pytest.raises(NotSupportedError, match=r"instead, build a Pipeline\(workspace, steps\)"):
        getattr(step, member)(None, None, None)


def test_service_endpoint_is_marked_cloud_only() -> None:
    mark = marking(Pipeline.service_endpoint)
    assert mark is not None and mark[0] == "cloud-only"
