"""Steps with the v1 names, their data bindings, ordering, and how a Pipeline collects them."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest

import jupyter_pipelines
from jupyter_pipelines.errors import ModelError
from jupyter_pipelines.model.data import (
    InputPortBinding,
    OutputFileDatasetConfig,
    PipelineData,
    StepInput,
)
from jupyter_pipelines.model.notebook_runner import (
    AzureMLNotebookHandler,
    NotebookRunConfig,
    NotebookRunnerStep,
)
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import (
    CommandStep,
    NotebookStep,
    PythonScriptStep,
    StepSequence,
    flatten_steps,
)

if TYPE_CHECKING:
    from conftest import Project

# -- PythonScriptStep ------------------------------------------------------------------------


def test_python_script_step_has_the_v1_signature() -> None:
    names = list(inspect.signature(PythonScriptStep).parameters)
    assert names[:13] == [
        "script_name",
        "name",
        "arguments",
        "compute_target",
        "runconfig",
        "runconfig_pipeline_params",
        "inputs",
        "outputs",
        "params",
        "source_directory",
        "allow_reuse",
        "version",
        "hash_paths",
    ]


def test_python_script_step_v1_keywords(project: Project) -> None:
    prepared = PipelineData("prepared")
    results = PipelineData("results")
    runconfig = SimpleNamespace(target="ignored-because-compute_target-wins")
    step = PythonScriptStep(
        script_name="train.py",
        name="Train model",
        arguments=["--epochs", 3, "--rate", 0.5],
        compute_target=SimpleNamespace(name="cpu-cluster"),
        runconfig=runconfig,
        inputs=[prepared],
        outputs=[results],
        params={"mode": "full"},
        source_directory="src",
        allow_reuse=False,
        version="2",
        hash_paths=["train.py", "lib/"],
    )
    assert step.name == "Train model"
    assert step.script_name == "train.py"
    assert step.entry == "train.py"
    assert step.arguments == ["--epochs", 3, "--rate", 0.5]
    assert step.compute_target == "cpu-cluster"
    assert step.runconfig is runconfig
    assert [b.data for b in step.inputs] == [prepared]
    assert step.outputs == [results]
    assert results.producer is step
    assert prepared.producer is None
    assert step.params == {"mode": "full"}
    assert step.source_path == project.src
    assert step.allow_reuse is False
    assert step.version == "2"
    assert step.hash_paths == ["train.py", "lib/"]
    assert step.kind == "python_script"


def test_python_script_step_positional_arguments_follow_v1_order(project: Project) -> None:
    out = PipelineData("out")
    step = PythonScriptStep(
        "prep.py", "prep", ["--x"], "gpu", None, None, None, [out], {"k": 1}, "src", False
    )
    assert (step.name, step.arguments, step.compute_target) == ("prep", ["--x"], "gpu")
    assert (step.outputs, step.params, step.allow_reuse) == ([out], {"k": 1}, False)
    assert step.source_path == project.src


def test_python_script_step_defaults(project: Project) -> None:
    step = PythonScriptStep("prep.py")
    assert step.name == "prep.py"
    assert step.source_path == project.root
    assert step.allow_reuse is True
    assert step.compute_target is None
    assert (step.arguments, step.inputs, step.outputs, step.params) == ([], [], [], {})
    assert step.hash_paths == []
    assert step.timeout is None


def test_script_path_with_a_folder_becomes_the_source_directory(project: Project) -> None:
    step = PythonScriptStep("src/train.py")
    assert step.script_name == "train.py"
    assert step.source_directory == "src"
    assert step.source_path == project.src


def test_script_path_with_explicit_source_directory_is_kept(project: Project) -> None:
    step = PythonScriptStep("sub/train.py", source_directory="src")
    assert step.script_name == "sub/train.py"
    assert step.source_path == project.src


def test_target_alias_from_the_v1_how_to(project: Project) -> None:
    compute = SimpleNamespace(name="cpu-cluster")
    pipeline_param = PipelineParameter(name="pipeline_arg", default_value="default_val")
    train_step = PythonScriptStep(
        script_name="train.py",
        arguments=["--param1", pipeline_param],
        target=compute,
        source_directory="src",
    )
    assert train_step.compute_target == "cpu-cluster"
    assert Pipeline(steps=[train_step]).parameters == {"pipeline_arg": pipeline_param}


def test_compute_target_comes_from_runconfig_when_not_given(project: Project) -> None:
    step = PythonScriptStep("train.py", runconfig=SimpleNamespace(target="gpu-cluster"))
    assert step.compute_target == "gpu-cluster"


def test_compute_target_must_be_a_name_or_have_one(project: Project) -> None:
    with pytest.raises(ModelError, match=r"compute_target must be a name or a compute target"):
        PythonScriptStep("train.py", compute_target=object())


@pytest.mark.parametrize("script", ["", None])
def test_script_name_is_required(script: object) -> None:
    with pytest.raises(ModelError, match=r"PythonScriptStep needs a 'script_name'"):
        PythonScriptStep(script)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "  "])
def test_step_name_must_not_be_blank(name: str) -> None:
    with pytest.raises(ModelError, match=r"a step needs a non-empty 'name'"):
        CommandStep("echo hi", name=name)


@pytest.mark.parametrize("timeout", [0, -1, "10"])
def test_timeout_must_be_a_positive_number(timeout: object) -> None:
    with pytest.raises(ModelError, match=r"step 'prep': 'timeout' must be a positive number"):
        PythonScriptStep("prep.py", name="prep", timeout=timeout)


def test_timeout_resources_and_environment(project: Project) -> None:
    step = PythonScriptStep(
        "prep.py",
        timeout=30,
        resources={"gpu": 1},
        environment_variables={"SEED": 1, "MODE": "x"},
    )
    assert step.timeout == 30.0
    assert isinstance(step.timeout, float)
    assert step.resources == {"gpu": 1}
    assert step.environment_variables == {"SEED": "1", "MODE": "x"}


# -- notebooks -------------------------------------------------------------------------------


def test_notebook_step(project: Project) -> None:
    executed = PipelineData("executed")
    model = PipelineData("model")
    step = NotebookStep(
        "src/train.ipynb",
        parameters={"alpha": 0.5},
        outputs=[model],
        output_notebook=executed,
        kernel_name="python3",
        cell_timeout=60,
        log_output=True,
    )
    assert step.name == "train.ipynb"
    assert step.kind == "notebook"
    assert step.notebook == step.entry == "train.ipynb"
    assert step.source_path == project.src
    assert step.parameters == step.params == {"alpha": 0.5}
    assert step.outputs == [model, executed]
    assert step.output_notebook is executed
    assert executed.producer is step
    assert (step.kernel_name, step.cell_timeout, step.log_output) == ("python3", 60, True)


def test_output_notebook_already_in_outputs_is_listed_once(project: Project) -> None:
    executed = PipelineData("executed")
    step = NotebookStep("src/train.ipynb", outputs=[executed], output_notebook=executed)
    assert step.outputs == [executed]


def test_notebook_runner_step_with_run_config_and_handler(project: Project) -> None:
    handler = AzureMLNotebookHandler(timeout=120, progress_bar=False, log_output=False)
    config = NotebookRunConfig(
        source_directory="src",
        notebook="train.ipynb",
        handler=handler,
        parameters={"alpha": 0.1, "beta": 1},
        run_config=SimpleNamespace(target="gpu-cluster"),
    )
    model = PipelineData("model")
    executed = PipelineData("executed_nb")
    step = NotebookRunnerStep(
        name="nb",
        notebook_run_config=config,
        outputs=[model, executed],
        output_notebook_pipeline_data_name="executed_nb",
        params={"beta": 2},
        allow_reuse=False,
        timeout=900,
    )
    assert isinstance(step, NotebookStep)
    assert step.notebook_run_config is config
    assert step.name == "nb"
    assert step.notebook == "train.ipynb"
    assert step.source_path == project.src
    assert step.parameters == {"alpha": 0.1, "beta": 2}
    assert step.output_notebook is executed
    assert step.outputs == [model, executed]
    assert step.cell_timeout == 120
    assert step.log_output is False
    assert step.compute_target == "gpu-cluster"
    assert step.allow_reuse is False
    assert step.timeout == 900.0


def test_notebook_runner_step_compute_target_wins_over_run_config(project: Project) -> None:
    config = NotebookRunConfig(
        notebook="src/train.ipynb", run_config=SimpleNamespace(target="from-config")
    )
    step = NotebookRunnerStep(notebook_run_config=config, compute_target="explicit")
    assert step.compute_target == "explicit"
    assert step.name == "train.ipynb"
    assert step.source_path == project.src
    assert step.output_notebook is None


def test_handler_defaults_are_v1s() -> None:
    handler = AzureMLNotebookHandler()
    assert (handler.history, handler.timeout, handler.progress_bar) == (True, None, True)
    assert (handler.log_output, handler.kernel_name) == (False, None)
    config = NotebookRunConfig(notebook="nb.ipynb")
    assert config.handler.log_output is False
    assert config.parameters == {}
    assert config.output_notebook == "nb.output.ipynb"  # v1's _insert_suffix


def test_output_notebook_pipeline_data_name_not_in_outputs_creates_that_output() -> None:
    config = NotebookRunConfig(notebook="train.ipynb")
    model = PipelineData("model")
    step = NotebookRunnerStep(
        notebook_run_config=config, outputs=[model], output_notebook_pipeline_data_name="executed"
    )
    created = step.output_notebook
    assert isinstance(created, PipelineData) and created.name == "executed"
    assert step.outputs == [model, created]
    assert created.producer is step
    reader = NotebookStep("report.ipynb", inputs=[created.as_input()])
    assert [b.producer for b in reader.inputs] == [step]


def test_output_notebook_pipeline_data_name_must_be_a_name() -> None:
    config = NotebookRunConfig(notebook="train.ipynb")
    with pytest.raises(ModelError, match=r"must be a non-empty string, got ''"):
        NotebookRunnerStep(notebook_run_config=config, output_notebook_pipeline_data_name="")


def test_notebook_runner_step_needs_a_config() -> None:
    with pytest.raises(ModelError, match=r"NotebookRunnerStep needs a 'notebook_run_config'"):
        NotebookRunnerStep(name="nb")


def test_notebook_run_config_needs_a_notebook() -> None:
    with pytest.raises(ModelError, match=r"NotebookRunConfig needs a 'notebook'"):
        NotebookRunConfig(source_directory="src")


# -- commands --------------------------------------------------------------------------------


def test_command_step_string_form(project: Project) -> None:
    step = CommandStep("/usr/bin/python -c 'print(1)'", source_directory="src")
    assert step.name == "python"
    assert step.kind == "command"
    assert step.command == step.entry == "/usr/bin/python -c 'print(1)'"
    assert step.arguments == []
    assert step.source_path == project.src


def test_command_step_string_with_unbalanced_quotes_still_gets_a_name() -> None:
    step = CommandStep("echo 'unterminated")
    assert step.name == "echo"


def test_command_step_list_form_turns_data_into_inputs_and_outputs(project: Project) -> None:
    upstream = PythonScriptStep("prep.py", name="prep", outputs=[PipelineData("raw")])
    lr = PipelineParameter("lr", 0.1)
    out = PipelineData("scores")
    raw_input = upstream.outputs[0].as_input()
    step = CommandStep(["python", "score.py", "--lr", lr, raw_input, out], name="score")
    assert step.command is None
    assert step.arguments == ["python", "score.py", "--lr", lr, raw_input, out]
    assert step.inputs == [raw_input]
    assert step.outputs == [out]
    assert out.producer is step
    assert step.entry.startswith("python score.py --lr <PipelineParameter(name='lr'")
    assert Pipeline(steps=[step]).parameters == {"lr": lr}


def test_command_step_list_form_default_name() -> None:
    assert CommandStep(["/bin/echo", "hi"]).name == "echo"


@pytest.mark.parametrize("command", ["", "   ", []])
def test_command_step_needs_a_command(command: object) -> None:
    with pytest.raises(ModelError, match=r"CommandStep needs a non-empty 'command'"):
        CommandStep(command)  # type: ignore[arg-type]


# -- data ------------------------------------------------------------------------------------


def test_data_objects_in_arguments_become_inputs_and_outputs() -> None:
    output_data1 = OutputFileDatasetConfig(name="prepared")
    prep = PythonScriptStep("prep.py", name="prep", arguments=["--output", output_data1])
    training_results = OutputFileDatasetConfig(name="training_results")
    prepped = output_data1.as_input()
    train = PythonScriptStep(
        "train.py",
        name="train",
        arguments=["--prepped_data", prepped, "--training_results", training_results],
    )
    assert prep.outputs == [output_data1] and prep.inputs == []
    assert train.inputs == [prepped]
    assert train.outputs == [training_results]
    assert output_data1.producer is prep
    assert training_results.producer is train


def test_data_listed_in_inputs_and_arguments_stays_an_input() -> None:
    raw = PipelineData("raw")
    PythonScriptStep("prep.py", name="prep", outputs=[raw])
    consumer = PythonScriptStep("train.py", name="train", inputs=[raw], arguments=["--in", raw])
    assert [b.data for b in consumer.inputs] == [raw]
    assert consumer.outputs == []
    assert raw.producer is not consumer


def test_data_listed_in_outputs_and_arguments_is_one_output() -> None:
    out = PipelineData("out")
    step = PythonScriptStep("prep.py", outputs=[out], arguments=["--out", out])
    assert step.outputs == [out]


def test_same_input_twice_is_bound_once() -> None:
    raw = PipelineData("raw")
    binding = raw.as_input()
    step = PythonScriptStep("train.py", inputs=[binding], arguments=["--in", binding, raw])
    assert step.inputs == [binding]


def test_unnamed_outputs_get_deterministic_names() -> None:
    def build() -> list[str | None]:
        outs = [OutputFileDatasetConfig(), OutputFileDatasetConfig(), OutputFileDatasetConfig()]
        step = PythonScriptStep("prep.py", outputs=outs[:2], arguments=["--x", outs[2]])
        return [o.name for o in step.outputs]

    assert build() == ["output", "output_1", "output_2"]
    assert build() == build()


def test_generated_output_names_never_take_a_given_name() -> None:
    named = OutputFileDatasetConfig(name="output_1")
    later = OutputFileDatasetConfig(name="output")
    first, second = OutputFileDatasetConfig(), OutputFileDatasetConfig()
    step = PythonScriptStep("prep.py", outputs=[first, named, second, later])
    names = [o.name for o in step.outputs]
    assert names[1] == "output_1" and names[3] == "output"
    assert len(set(names)) == 4, names
    assert (first.name, second.name) == ("output_2", "output_3")


def test_output_file_dataset_config_keeps_destination() -> None:
    destination = ("datastore", "outputdataset/{run-id}")
    out = OutputFileDatasetConfig(destination=destination)
    assert out.destination == destination
    assert out.name is None
    assert out.producer is None


def test_as_input_with_a_name() -> None:
    data = PipelineData("model")
    renamed = data.as_input(input_name="trained_model")
    assert isinstance(renamed, StepInput)
    assert renamed.name == "trained_model"
    assert renamed.data is data
    assert data.name == "model"
    assert data.as_input().name == "model"
    assert InputPortBinding is StepInput


def test_input_and_output_modes() -> None:
    data = PipelineData("model")
    assert data.mode == "mount"
    assert data.as_upload(overwrite=True) is data
    assert (data.mode, data.overwrite) == ("upload", True)
    assert data.as_mount().mode == "mount"
    binding = data.as_input().as_download(path_on_compute="/tmp/model")
    assert (binding.mode, binding.path_on_compute) == ("download", "/tmp/model")
    assert binding.as_mount().mode == "mount"


def test_pipeline_data_needs_a_name() -> None:
    with pytest.raises(ModelError, match=r"PipelineData needs a 'name'"):
        PipelineData("")


@pytest.mark.parametrize("name", ["", "  ", 3])
def test_output_name_must_be_a_non_empty_string(name: object) -> None:
    with pytest.raises(ModelError, match=r"an output name must be a non-empty string"):
        OutputFileDatasetConfig(name=name)  # type: ignore[arg-type]


def test_input_must_be_step_output() -> None:
    with pytest.raises(ModelError, match=r"an input must be a PipelineData or "):
        StepInput("data.csv")  # type: ignore[arg-type]


def test_output_must_be_output_data() -> None:
    with pytest.raises(ModelError, match=r"step 'prep': outputs must be PipelineData or "):
        PythonScriptStep("prep.py", name="prep", outputs=["out"])  # type: ignore[list-item]


def test_one_output_produced_by_two_steps_is_an_error() -> None:
    shared = PipelineData("shared")
    PythonScriptStep("prep.py", name="a", outputs=[shared])
    with pytest.raises(
        ModelError,
        match=re.escape(
            "output 'shared' is already produced by step 'a'; step 'b' cannot produce it too"
        ),
    ):
        PythonScriptStep("train.py", name="b", arguments=["--out", shared])


# -- ordering --------------------------------------------------------------------------------


def test_run_after_adds_an_edge_without_data() -> None:
    first = CommandStep("echo 1", name="first")
    second = CommandStep("echo 2", name="second")
    second.run_after(first)
    second.run_after(first)
    assert second.run_after_steps == [first]
    assert first.run_after_steps == []
    pipeline = Pipeline(steps=[second, first])
    assert list(pipeline.graph.edges) == [("first", "second")]
    assert pipeline.topological_order() == ["first", "second"]


def test_run_after_needs_a_step() -> None:
    with pytest.raises(ModelError, match=r"run_after expects a step, got 'first'"):
        CommandStep("echo", name="x").run_after("first")  # type: ignore[arg-type]


def test_step_sequence_orders_its_steps() -> None:
    a, b, c = (CommandStep(f"echo {n}", name=n) for n in "abc")
    sequence = StepSequence(steps=[c, b, a])
    assert sequence.steps == [c, b, a]
    assert b.run_after_steps == [c]
    assert a.run_after_steps == [b]
    assert c.run_after_steps == []
    assert Pipeline(steps=sequence).topological_order() == ["c", "b", "a"]


def test_step_sequence_flattens_nested_lists_and_sequences() -> None:
    a, b, c, d = (CommandStep(f"echo {n}", name=n) for n in "abcd")
    sequence = StepSequence([[a, StepSequence([b, c])], d])
    assert sequence.steps == [a, b, c, d]
    assert d.run_after_steps == [c]
    assert b.run_after_steps == [a]


def test_flatten_steps_keeps_order_and_drops_repeats() -> None:
    a, b, c = (CommandStep(f"echo {n}", name=n) for n in "abc")
    assert flatten_steps([a, [b, [a, c]], (c,)]) == [a, b, c]


def test_flatten_steps_refuses_other_things() -> None:
    with pytest.raises(ModelError, match=r"a pipeline's steps must be steps, got 'oops'"):
        flatten_steps([CommandStep("echo", name="x"), "oops"])


# -- pipelines -------------------------------------------------------------------------------


def test_nested_step_lists_as_in_the_v1_how_to(project: Project) -> None:
    output_data1 = OutputFileDatasetConfig(name="prepared")
    data_prep_step = PythonScriptStep(
        script_name="prep.py",
        source_directory="src",
        arguments=["--output", output_data1],
        allow_reuse=True,
    )
    train_step = PythonScriptStep(
        script_name="train.py",
        source_directory="src",
        arguments=["--prepped_data", output_data1.as_input()],
    )
    compare_step = PythonScriptStep(script_name="score.py", source_directory="src")
    compare_models = [data_prep_step, train_step, compare_step]
    ws = SimpleNamespace(name="ws")
    pipeline1 = Pipeline(workspace=ws, steps=[compare_models])
    assert pipeline1.steps == compare_models
    assert pipeline1.workspace is ws
    assert set(pipeline1.graph.edges) == {("prep.py", "train.py")}
    assert pipeline1.validate() == []


def test_upstream_steps_not_listed_are_pulled_in(chain: Pipeline) -> None:
    report = chain.step("report")
    pipeline = Pipeline(steps=[report])
    assert [s.name for s in pipeline.steps] == ["prep", "train", "report"]
    assert pipeline.topological_order() == ["prep", "train", "report"]


def test_run_after_targets_not_listed_are_pulled_in() -> None:
    first = CommandStep("echo 1", name="first")
    second = CommandStep("echo 2", name="second")
    second.run_after(first)
    assert Pipeline(steps=[second]).steps == [first, second]


def test_resolve_closure_false_keeps_only_listed_steps(chain: Pipeline) -> None:
    pipeline = Pipeline(steps=[chain.step("report")], resolve_closure=False)
    assert [s.name for s in pipeline.steps] == ["report"]
    assert pipeline.topological_order() == ["report"]
    assert list(pipeline.graph.edges) == []


def test_pipeline_needs_a_step() -> None:
    with pytest.raises(ModelError, match=r"a pipeline needs at least one step"):
        Pipeline(steps=[])


def test_pipeline_step_lookup_suggests_a_name(chain: Pipeline) -> None:
    assert chain.step("train").name == "train"
    with pytest.raises(
        ModelError, match=r"pipeline has no step 'trian' \(did you mean \"train\"\?\)"
    ):
        chain.step("trian")


def test_pipeline_parameters_are_collected_from_steps(chain: Pipeline) -> None:
    params = chain.parameters
    assert list(params) == ["learning_rate"]
    assert params["learning_rate"].default_value == 0.01


def test_declared_parameters_come_first() -> None:
    used = PipelineParameter("used", 1)
    declared = PipelineParameter("declared", "x")
    step = PythonScriptStep("prep.py", arguments=["--n", used])
    assert list(Pipeline(steps=[step], parameters=[declared]).parameters) == ["declared", "used"]


def test_chain_graph(chain: Pipeline) -> None:
    assert set(chain.graph.edges) == {("prep", "train"), ("train", "report")}
    assert chain.topological_order() == ["prep", "train", "report"]
    assert chain.graph.nodes["train"]["step"] is chain.step("train")


def test_diamond_graph(diamond: Pipeline) -> None:
    assert set(diamond.graph.edges) == {
        ("split", "left"),
        ("split", "right"),
        ("left", "merge"),
        ("right", "merge"),
    }
    order = diamond.topological_order()
    assert order[0] == "split" and order[-1] == "merge"
    assert [o.name for o in diamond.step("right").outputs] == ["output"]
    assert [b.name for b in diamond.step("merge").inputs] == ["left", "right"]


def test_fan_out_fan_in_graph(fan_out_fan_in: Pipeline) -> None:
    shards = {f"shard_{i}" for i in range(3)}
    edges = set(fan_out_fan_in.graph.edges)
    assert edges == {("source", s) for s in shards} | {(s, "gather") for s in shards}
    assert [s.name for s in fan_out_fan_in.steps] == ["source", *sorted(shards), "gather"]
    gather = fan_out_fan_in.step("gather")
    assert [b.name for b in gather.inputs] == ["result_0", "result_1", "result_2"]
    assert {b.data.name for b in gather.inputs} == {"result"}


def test_graph_leaves_out_steps_outside_the_pipeline() -> None:
    out = PipelineData("raw")
    outside = PythonScriptStep("prep.py", name="outside", outputs=[out])
    before = CommandStep("echo", name="before")
    inside = PythonScriptStep("train.py", name="inside", inputs=[out])
    inside.run_after(before)
    pipeline = Pipeline(steps=[inside], resolve_closure=False)
    assert outside.outputs == [out]
    assert list(pipeline.graph.nodes) == ["inside"]
    assert pipeline.topological_order() == ["inside"]


def test_repr_names_the_steps(chain: Pipeline) -> None:
    assert repr(chain) == "Pipeline(steps=['prep', 'train', 'report'])"
    assert repr(chain.step("prep")) == "PythonScriptStep(name='prep', 'prep.py')"
    assert repr(PipelineData("d")) == "PipelineData(name='d')"


def test_model_names_are_importable_from_the_package() -> None:
    for cls in (
        PythonScriptStep,
        NotebookStep,
        CommandStep,
        StepSequence,
        NotebookRunnerStep,
        NotebookRunConfig,
        AzureMLNotebookHandler,
        PipelineData,
        OutputFileDatasetConfig,
        PipelineParameter,
    ):
        assert getattr(jupyter_pipelines, cls.__name__) is cls
    # The exported Pipeline is the engine's subclass (it adds submit); the model's class
    # builds it once it is imported.
    assert issubclass(jupyter_pipelines.Pipeline, Pipeline)
    assert jupyter_pipelines.Pipeline is not Pipeline
    assert type(Pipeline(steps=[CommandStep("true", name="t")])) is jupyter_pipelines.Pipeline


def test_source_path_is_resolved_against_base_dir(tmp_path: Path) -> None:
    step = CommandStep("echo", source_directory="code", base_dir=tmp_path)
    assert step.source_path == (tmp_path / "code").resolve()
