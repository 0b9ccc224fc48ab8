"""ParallelRunConfig and ParallelRunStep as v1 defines and checks them, their pipeline-file
form (schema, writer, reader) and validation; no workspace, no processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines import (
    Dataset,
    Environment,
    OutputFileDatasetConfig,
    ParallelRunConfig,
    ParallelRunStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
)
from jupyter_pipelines.compat import marking
from jupyter_pipelines.errors import ModelError, NotSupportedError, PipelineFileError
from jupyter_pipelines.model.fileformat import document_to_pipeline, pipeline_to_document


@pytest.fixture
def scripts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "score.py").write_text("def init():\n    pass\n\ndef run(b):\n    return b\n")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_text("")
    return folder


def config(**changes: Any) -> ParallelRunConfig:
    values: dict[str, Any] = {
        "environment": Environment("batch"),
        "entry_script": "score.py",
        "source_directory": "scripts",
        "error_threshold": 10,
        "output_action": "append_row",
        "compute_target": None,
        "node_count": 1,
    }
    values.update(changes)
    return ParallelRunConfig(**values)


def images() -> Any:
    return Dataset.File.from_files("images").as_named_input("images")


# -- ParallelRunConfig ---------------------------------------------------------------------------
def test_config_defaults_are_v1s() -> None:
    made = config()
    assert (made.logging_level, made.run_invocation_timeout, made.run_max_try) == ("INFO", 60, 3)
    assert made.mini_batch_size is None and made.append_row_file_name is None
    assert made.process_count_per_node is None and made.environment_variables == {}


@pytest.mark.parametrize(
    ("given", "value"), [("20", 20), (5, 5), ("1KB", 1024), ("1MB", 1048576), ("2gb", 2 << 30)]
)
def test_mini_batch_size_is_a_count_or_bytes(given: Any, value: int) -> None:
    assert config(mini_batch_size=given).mini_batch_size == value


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"output_action": "append_rows"}, "output_action must be 'append_row' or 'summary_only'"),
        ({"error_threshold": -2}, "error_threshold must be an int of at least -1"),
        ({"mini_batch_size": "1XB"}, "mini_batch_size '1XB' must be a number"),
        ({"mini_batch_size": 0}, "mini_batch_size must be at least 1"),
        (
            {"mini_batch_size": "5", "partition_keys": ["a"]},
            "mini_batch_size and partition_keys are mutually exclusive",
        ),
        ({"partition_keys": "a"}, "partition_keys must be a list of str"),
        ({"allowed_failed_percent": 101}, "allowed_failed_percent must be between 0 and 100"),
        ({"allowed_failed_count": -3}, "allowed_failed_count must be an int of at least -1"),
        ({"run_max_try": 0}, "run_max_try must be an int of at least 1"),
        ({"run_invocation_timeout": 0}, "run_invocation_timeout must be an int of at least 1"),
        ({"process_count_per_node": 0}, "process_count_per_node must be an int of at least 1"),
        ({"append_row_file_name": "out/rows.txt"}, "append_row_file_name must be a valid file"),
        ({"logging_level": "LOUD"}, "logging_level must be one of"),
        ({"environment": "env"}, "environment must be an Environment"),
        ({"entry_script": " "}, "needs an 'entry_script'"),
    ],
)
def test_config_refuses_what_v1_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config(**changes)


def test_partition_keys_as_a_parameter_must_hold_a_json_list() -> None:
    made = config(partition_keys=PipelineParameter("keys", '["country", "year"]'))
    assert isinstance(made.partition_keys, PipelineParameter)
    with pytest.raises(ModelError, match="JSON dump of a list of str"):
        config(partition_keys=PipelineParameter("keys", "country"))


def test_node_count_must_fit_the_amlcompute_target() -> None:
    class Scale:
        maximum_node_count = 2

    class Cluster:
        name = "cpu-cluster"
        scale_settings = Scale()

    assert config(compute_target=Cluster(), node_count=2).compute_target_name == "cpu-cluster"
    with pytest.raises(ModelError, match="node_count 3 is not between 1 and max_nodes 2"):
        config(compute_target=Cluster(), node_count=3)


def test_save_to_yaml_and_load_yaml_round_trip(tmp_path: Path) -> None:
    made = config(
        mini_batch_size="1MB",
        compute_target="cpu-cluster",
        environment_variables={"A": "1"},
        process_count_per_node=PipelineParameter("count", 2),
    )
    path = tmp_path / "prs.yml"
    made.save_to_yaml(path)
    doc = yaml.safe_load(path.read_text())["parallel_run_config"]
    assert doc["mini_batch_size"] == 1048576 and doc["process_count_per_node"] == 2
    loaded = ParallelRunConfig.load_yaml(None, path)
    assert loaded.to_dict() == made.to_dict()
    assert loaded.environment == made.environment and loaded.compute_target == "cpu-cluster"
    path.write_text("other: 1\n")
    with pytest.raises(ModelError, match="has no 'parallel_run_config' mapping"):
        ParallelRunConfig.load_yaml(None, path)


# -- ParallelRunStep -----------------------------------------------------------------------------
def test_step_takes_its_script_inputs_and_output_from_the_config(scripts: Path) -> None:
    labels = Dataset.File.from_files("images").as_named_input("labels").as_mount("/tmp/x")
    out = PipelineData("scores")
    step = ParallelRunStep(
        "score", config(), [images()], output=out, side_inputs=[labels],
        arguments=["--labels", labels, "--k", 3],
    )  # fmt: skip
    assert step.source_path == scripts and step.entry == "score.py"
    assert [b.name for b in step.data_inputs] == ["images"]
    assert [b.name for b in step.side_inputs] == ["labels"]
    assert [b.name for b in step.inputs] == ["images", "labels"]
    assert step.outputs == [out] and step.append_row_file_name == "parallel_run_step.txt"
    assert step.data_inputs[0].mode == "mount"  # v1 mounts file datasets
    assert step.running_on_windows is False
    assert Pipeline(steps=[step]).validate() == []


def test_entry_script_path_without_source_directory(tmp_path: Path, scripts: Path) -> None:
    step = ParallelRunStep(
        "s", config(entry_script="scripts/score.py", source_directory=None), [images()],
        output=PipelineData("o"),
    )  # fmt: skip
    assert step.entry_script == "score.py" and step.source_path == scripts


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["model", "x"], "use keyword arguments only"),
        (["--mini_batch_size", "3"], "'mini_batch_size' is a reserved argument"),
        (["--output=x"], "'output' is a reserved argument"),
    ],
)
def test_arguments_follow_v1s_rules(scripts: Path, arguments: list[Any], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        ParallelRunStep("s", config(), [images()], output=PipelineData("o"), arguments=arguments)


def test_step_refuses_what_v1_refuses(scripts: Path) -> None:
    with pytest.raises(ModelError, match="'append_row' needs an output"):
        ParallelRunStep("s", config(), [images()])
    with pytest.raises(ModelError, match="must list at least one dataset"):
        ParallelRunStep("s", config(), [], output=PipelineData("o"))
    with pytest.raises(ModelError, match="must be a ParallelRunConfig"):
        ParallelRunStep("s", {"entry_script": "x"}, [images()])  # type: ignore[arg-type]
    table = Dataset.Tabular.from_delimited_files("images/t.csv", validate=False)
    with pytest.raises(ModelError, match="all inputs must be of one type"):
        ParallelRunStep(
            "s", config(), [images(), table.as_named_input("t")], output=PipelineData("o")
        )
    summary = ParallelRunStep("s", config(output_action="summary_only"), [images()])
    assert summary.outputs == []


def test_the_pipeline_finds_parameters_of_the_config(scripts: Path) -> None:
    size = PipelineParameter("batch_size_param", "5")
    count = PipelineParameter("process_count_param", 2)
    step = ParallelRunStep(
        "s", config(mini_batch_size=size, process_count_per_node=count), [images()],
        output=PipelineData("o"),
    )  # fmt: skip
    assert Pipeline(steps=[step]).parameters == {
        "batch_size_param": size,
        "process_count_param": count,
    }


def test_graph_members_are_refused_with_v1_signatures(scripts: Path) -> None:
    step = ParallelRunStep("s", config(), [images()], output=PipelineData("o"))
    assert marking(ParallelRunStep.create_module_def)[0] == "refused"
    with pytest.raises(NotSupportedError, match="build a Pipeline"):
        step.create_module_def("x", [], [], arguments=[])


def test_validation_names_a_missing_entry_script(scripts: Path) -> None:
    step = ParallelRunStep(
        "s", config(entry_script="scroe.py"), [images()], output=PipelineData("o")
    )
    [issue] = Pipeline(steps=[step]).validate()
    assert issue.field == "parallel_run_config.entry_script"
    assert 'did you mean "score.py"' in issue.message


# -- pipeline files ------------------------------------------------------------------------------
def test_pipeline_files_round_trip_a_parallel_run_step(scripts: Path, tmp_path: Path) -> None:
    size = PipelineParameter("batch_size_param", "5")
    labels = Dataset.File.from_files("images").as_named_input("labels")
    out = OutputFileDatasetConfig("scores")
    step = ParallelRunStep(
        "score",
        config(
            mini_batch_size=size, append_row_file_name="rows.txt", allowed_failed_percent=10,
            environment_variables={"MODE": "fast"}, run_max_try=2, description="score all",
        ),
        [images()], output=out, side_inputs=[labels], arguments=["--labels", labels],
        allow_reuse=False,
    )  # fmt: skip
    doc = pipeline_to_document(Pipeline(steps=[step]), tmp_path)
    written = doc["steps"]["score"]
    assert written["type"] == "parallel_run" and written["side_inputs"] == ["labels"]
    assert written["parallel_run_config"] == {
        "entry_script": "score.py",
        "mini_batch_size": "${{parameters.batch_size_param}}",
        "error_threshold": 10,
        "allowed_failed_percent": 10,
        "output_action": "append_row",
        "append_row_file_name": "rows.txt",
        "node_count": 1,
        "run_invocation_timeout": 60,
        "run_max_try": 2,
        "logging_level": "INFO",
        "description": "score all",
    }
    assert written["arguments"] == ["--labels", "${{inputs.labels}}"]
    assert doc["parameters"]["batch_size_param"]["default"] == "5"
    loaded = document_to_pipeline(doc, tmp_path, "test").step("score")
    assert isinstance(loaded, ParallelRunStep)
    assert loaded.parallel_run_config.mini_batch_size.name == "batch_size_param"
    assert loaded.parallel_run_config.environment_variables == {"MODE": "fast"}
    assert [b.name for b in loaded.side_inputs] == ["labels"] and not loaded.allow_reuse
    again = pipeline_to_document(Pipeline(steps=[loaded]), tmp_path)
    assert again == doc


def _doc(step: dict[str, Any]) -> dict[str, Any]:
    base = {
        "type": "parallel_run",
        "source_directory": "scripts",
        "inputs": {"images": {"datastore": "workspaceblobstore", "path": "images"}},
        "outputs": {"scores": {}},
        "parallel_run_config": {"entry_script": "score.py", "error_threshold": 0},
    }
    return {"version": 1, "steps": {"score": {**base, **step}}}


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"script": "score.py"}, "give the script as parallel_run_config.entry_script"),
        ({"side_inputs": ["labels"]}, "side_inputs: unknown input 'labels'"),
        ({"parallel_run_config": {"error_threshold": 0}}, "'entry_script' is a required"),
        (
            {"parallel_run_config": {"entry_script": "s.py", "mini_batch_size": "lots"}},
            "parallel_run_config.mini_batch_size",
        ),
        ({"params": {"a": 1}}, "parallel_run steps do not use 'params'"),
    ],
)
def test_pipeline_files_report_what_is_wrong_with_a_parallel_run_step(
    scripts: Path, tmp_path: Path, step: dict[str, Any], message: str
) -> None:
    with pytest.raises(PipelineFileError, match=message):
        document_to_pipeline(_doc(step), tmp_path, "bad.pipeline.yaml")


def test_other_step_types_may_not_use_parallel_run_keys(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("")
    doc = {"version": 1, "steps": {"t": {"type": "python_script", "script": "t.py",
                                          "side_inputs": ["x"]}}}  # fmt: skip
    with pytest.raises(PipelineFileError, match="python_script steps do not use 'side_inputs'"):
        document_to_pipeline(doc, tmp_path, "t.pipeline.yaml")


def test_the_runner_module_is_importable_without_optional_packages() -> None:
    import jupyter_pipelines.runtime.parallel.runner as runner

    assert os.path.basename(runner.__file__) == "runner.py"
