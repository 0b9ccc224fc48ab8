"""The NAME.pipeline.yaml format: round trips, paths, the schema, and the errors it promises."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import yaml

from jupyter_pipelines.errors import ModelError, PipelineFileError
from jupyter_pipelines.model.data import (
    OutputData,
    OutputFileDatasetConfig,
    PipelineData,
    StepInput,
)
from jupyter_pipelines.model.fileformat import (
    FORMAT_VERSION,
    load_pipeline,
    pipeline_schema,
    pipeline_to_document,
)
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import (
    CommandStep,
    NotebookStep,
    PipelineStep,
    PythonScriptStep,
    StepSequence,
)

if TYPE_CHECKING:
    from conftest import Project

FIXTURES = ["chain", "diamond", "fan_out_fan_in"]


# -- helpers ---------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, PipelineParameter):
        return ("parameter", value.name)
    if isinstance(value, StepInput):
        producer = value.data.producer
        return ("input", value.name, value.data.name, producer.name if producer else None)
    if isinstance(value, OutputData):
        return ("output", value.name)
    return (type(value).__name__, value)


def describe_step(step: PipelineStep) -> dict[str, Any]:
    """Everything a pipeline file is meant to keep about a step, as plain data."""
    out: dict[str, Any] = {
        "class": type(step).__name__,
        "source_path": step.source_path,
        "arguments": [_value(a) for a in step.arguments],
        "params": {k: _value(v) for k, v in step.params.items()},
        "inputs": [
            (
                b.name,
                b.data.name,
                b.data.producer.name if b.data.producer else None,
                b.mode,
                type(b.data).__name__,
            )
            for b in step.inputs
        ],
        "outputs": [(o.name, type(o).__name__, o.mode, o.producer is step) for o in step.outputs],
        "run_after": [s.name for s in step.run_after_steps],
        "compute_target": step.compute_target,
        "allow_reuse": step.allow_reuse,
        "hash_paths": step.hash_paths,
        "timeout": step.timeout,
        "resources": step.resources,
        "environment_variables": step.environment_variables,
    }
    if isinstance(step, PythonScriptStep):
        out["script"] = step.script_name
    if isinstance(step, CommandStep):
        out["command"] = step.command
    if isinstance(step, NotebookStep):
        out["notebook"] = step.notebook
        out["kernel_name"] = step.kernel_name
        out["output_notebook"] = step.output_notebook.name if step.output_notebook else None
        out["cell_timeout"] = step.cell_timeout
        out["log_output"] = step.log_output
    return out


def describe(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "name": pipeline.name,
        "description": pipeline.description,
        "parameters": {
            n: (p.type_name, p.default_value, type(p.default_value).__name__, p.description)
            for n, p in pipeline.parameters.items()
        },
        "steps": {s.name: describe_step(s) for s in pipeline.steps},
        "order": [s.name for s in pipeline.steps],
        "edges": sorted(pipeline.graph.edges),
        "layout": pipeline.layout,
    }


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def two_step_file(project: Project, **replace: str) -> Path:
    """A valid file with steps 'prep_data' -> 'train'; ``replace`` swaps exact substrings."""
    text = """
        version: 1
        parameters:
          lr:
            type: float
            default: 0.1
        steps:
          prep_data:
            type: python_script
            script: prep.py
            source_directory: src
            outputs:
              model: {}
          train:
            type: python_script
            script: train.py
            source_directory: src
            arguments: ["--lr", "${{parameters.lr}}", "--in", "${{inputs.model}}"]
            inputs:
              model: {step: prep_data, output: model}
            run_after: [prep_data]
    """
    text = textwrap.dedent(text)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return write(project.root / "two.pipeline.yaml", text)


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_round_trip_keeps_everything(fixture: str, request: pytest.FixtureRequest) -> None:
    pipeline: Pipeline = request.getfixturevalue(fixture)
    project: Project = request.getfixturevalue("project")
    first = project.root / f"{fixture}.pipeline.yaml"
    pipeline.save(first)
    loaded = Pipeline.load(first)
    assert describe(loaded) == describe(pipeline)
    assert loaded.topological_order() == pipeline.topological_order()
    assert loaded.validate() == []
    second = project.root / "again.pipeline.yaml"
    loaded.save(second)
    assert second.read_text() == first.read_text()


@pytest.mark.parametrize("fixture", FIXTURES)
def test_saved_files_match_the_shipped_schema(fixture: str, request: pytest.FixtureRequest) -> None:
    pipeline: Pipeline = request.getfixturevalue(fixture)
    project: Project = request.getfixturevalue("project")
    path = project.root / "p.pipeline.yaml"
    pipeline.save(path)
    jsonschema.Draft202012Validator(pipeline_schema()).validate(yaml.safe_load(path.read_text()))


def test_loaded_steps_share_data_objects(chain: Pipeline, project: Project) -> None:
    chain.save(project.root / "chain.pipeline.yaml")
    loaded = Pipeline.load(project.root / "chain.pipeline.yaml")
    prep, train, report = loaded.steps
    assert train.inputs[0].data is prep.outputs[0]
    assert isinstance(train, NotebookStep)
    assert train.output_notebook is train.outputs[1]
    model_input = report.arguments[3]
    assert isinstance(model_input, StepInput)
    assert model_input in report.inputs
    assert model_input.data is train.outputs[0]
    assert isinstance(model_input.data, OutputFileDatasetConfig)
    assert report.arguments[5] is loaded.parameters["learning_rate"]
    assert train.params["learning_rate"] is loaded.parameters["learning_rate"]


def test_round_trip_of_run_after_from_a_step_sequence(project: Project) -> None:
    steps = [CommandStep(f"echo {n}", name=n, timeout=5) for n in ("one", "two", "three")]
    pipeline = Pipeline(steps=StepSequence(steps))
    pipeline.save(project.root / "seq.pipeline.yaml")
    loaded = Pipeline.load(project.root / "seq.pipeline.yaml")
    assert describe(loaded) == describe(pipeline)
    assert loaded.topological_order() == ["one", "two", "three"]
    assert [s.name for s in loaded.step("three").run_after_steps] == ["two"]


def test_round_trip_of_notebook_options(project: Project) -> None:
    executed = PipelineData("executed")
    step = NotebookStep(
        "train.ipynb",
        source_directory="src",
        name="nb",
        parameters={"alpha": 0.5, "layers": [1, 2], "opts": {"a": True}},
        output_notebook=executed,
        kernel_name="python3",
        cell_timeout=30,
        log_output=True,
        hash_paths=["train.ipynb"],
    )
    pipeline = Pipeline(steps=[step], description="notebook only")
    pipeline.save(project.root / "nb.pipeline.yaml")
    loaded = Pipeline.load(project.root / "nb.pipeline.yaml")
    assert describe(loaded) == describe(pipeline)
    assert loaded.step("nb").params["layers"] == [1, 2]


def test_name_and_description_are_optional(project: Project) -> None:
    doc = pipeline_to_document(Pipeline(steps=[CommandStep("echo hi", name="hi")]), project.root)
    assert doc == {
        "version": FORMAT_VERSION,
        "steps": {"hi": {"type": "command", "command": "echo hi"}},
    }


# -- layout and paths ------------------------------------------------------------------------


def test_layout_is_kept_apart_from_the_semantics(diamond: Pipeline, project: Project) -> None:
    layout = {"nodes": {"split": {"x": 10, "y": 20.5}, "merge": {"x": 300, "y": 20}}}
    diamond.layout = layout
    path = project.root / "d.pipeline.yaml"
    diamond.save(path)
    loaded = Pipeline.load(path)
    assert loaded.layout == layout
    loaded.layout = {"nodes": {"split": {"x": 99, "y": 1}}}
    moved = project.root / "moved.pipeline.yaml"
    loaded.save(moved)
    before, after = yaml.safe_load(path.read_text()), yaml.safe_load(moved.read_text())
    assert before.pop("layout") != after.pop("layout")
    assert before == after
    assert list(after) == ["version", "name", "steps"]


def test_paths_are_written_relative_to_the_file(
    chain: Pipeline, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project.root / "flows" / "chain.pipeline.yaml"
    path.parent.mkdir()
    chain.save(path)
    doc = yaml.safe_load(path.read_text())
    assert {s["source_directory"] for s in doc["steps"].values()} == {"../src"}
    assert str(project.root) not in path.read_text()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = Pipeline.load(path)
    assert {s.source_path for s in loaded.steps} == {project.src}

    copy = tmp_path / "copy"
    shutil.copytree(project.root, copy)
    copied = Pipeline.load(copy / "flows" / "chain.pipeline.yaml")
    assert {s.source_path for s in copied.steps} == {copy / "src"}
    assert copied.validate() == []


def test_source_directory_is_left_out_when_it_is_the_file_folder(project: Project) -> None:
    step = PythonScriptStep("prep.py", source_directory="src")
    doc = pipeline_to_document(Pipeline(steps=[step]), project.src)
    assert "source_directory" not in doc["steps"]["prep.py"]


def test_save_is_atomic_and_remembers_the_path(chain: Pipeline, project: Project) -> None:
    path = project.root / "chain.pipeline.yaml"
    path.write_text("old content\n")
    chain.save(path)
    assert path.read_text().startswith("version: 1\n")
    assert sorted(p.name for p in project.root.iterdir()) == ["chain.pipeline.yaml", "src"]
    assert chain.source_path == str(path)


def test_load_remembers_path_and_workspace(chain: Pipeline, project: Project) -> None:
    path = project.root / "chain.pipeline.yaml"
    chain.save(path)
    workspace = object()
    loaded = Pipeline.load(path, workspace=workspace)
    assert loaded.workspace is workspace
    assert loaded.source_path == str(path)
    assert load_pipeline(path).workspace is None


# -- placeholders ----------------------------------------------------------------------------


def test_whole_string_placeholders_become_objects(project: Project) -> None:
    path = write(
        project.root / "p.pipeline.yaml",
        """
        version: 1
        parameters:
          lr: {type: float, default: 0.1}
        steps:
          prep:
            type: python_script
            script: prep.py
            source_directory: src
            outputs: {data: {}}
          train:
            type: python_script
            script: train.py
            source_directory: src
            arguments:
              - "${{parameters.lr}}"
              - " ${{ inputs.data }} "
              - "${{outputs.model}}"
              - "--lr=${{parameters.lr}}"
              - "${{inputs.data}}/file.csv"
              - 3
            params: {rate: "${{parameters.lr}}", note: "lr is ${{parameters.lr}}"}
            inputs: {data: {step: prep, output: data}}
            outputs: {model: {}}
          cmd:
            type: command
            command: ["cat", "${{inputs.m}}", "${{parameters.lr}}", "x${{inputs.m}}"]
            inputs: {m: {step: train, output: model}}
        """,
    )
    pipeline = Pipeline.load(path)
    lr = pipeline.parameters["lr"]
    train = pipeline.step("train")
    args = train.arguments
    assert args[0] is lr
    assert isinstance(args[1], StepInput) and args[1] is train.inputs[0]
    assert args[1].data is pipeline.step("prep").outputs[0]
    assert args[2] is train.outputs[0]
    assert args[3:] == ["--lr=${{parameters.lr}}", "${{inputs.data}}/file.csv", 3]
    assert train.params == {"rate": lr, "note": "lr is ${{parameters.lr}}"}
    command = pipeline.step("cmd").arguments
    assert command[1] is pipeline.step("cmd").inputs[0]
    assert command[2] is lr
    assert command[3] == "x${{inputs.m}}"
    assert pipeline.validate() == []


def test_parameter_defaults_are_coerced_to_their_declared_type(project: Project) -> None:
    path = write(
        project.root / "p.pipeline.yaml",
        """
        version: 1
        parameters:
          rate: {type: float, default: 1}
          count: {type: int, default: "3"}
          name: {type: string, default: 7}
          flag: {default: true, description: inferred}
        steps:
          s: {type: command, command: echo}
        """,
    )
    params = Pipeline.load(path).parameters
    assert [(p.type_name, p.default_value) for p in params.values()] == [
        ("float", 1.0),
        ("int", 3),
        ("string", "7"),
        ("bool", True),
    ]
    assert type(params["rate"].default_value) is float
    assert params["flag"].description == "inferred"


def test_a_schema_key_is_allowed(project: Project) -> None:
    path = write(
        project.root / "p.pipeline.yaml",
        """
        $schema: https://jupyter-pipelines.org/schemas/pipeline/v1.json
        version: 1
        steps: {s: {type: command, command: echo}}
        """,
    )
    assert [s.name for s in Pipeline.load(path).steps] == ["s"]


# -- errors ----------------------------------------------------------------------------------


def test_missing_file(project: Project) -> None:
    with pytest.raises(PipelineFileError, match=r"pipeline file '.*nope\.pipeline\.yaml' does not"):
        Pipeline.load(project.root / "nope.pipeline.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nsteps:\n  a:\n    type: command\n    command: [echo\n", "line 6, column 1"),
        (
            "version: 1\nsteps:\n  a:\n    type: command\n    command: echo\n   bad: x\n",
            "line 6, column 4",
        ),
        ("version: 1\n\tsteps: {}\n", "line 2, column 1"),
    ],
)
def test_malformed_yaml_names_the_file_and_line(project: Project, text: str, where: str) -> None:
    path = project.root / "bad.pipeline.yaml"
    path.write_text(text)
    with pytest.raises(
        PipelineFileError,
        match=rf"^'{re.escape(str(path))}' is not valid YAML at {where}: ",
    ):
        Pipeline.load(path)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_document_must_be_a_mapping(project: Project, text: str) -> None:
    path = project.root / "odd.pipeline.yaml"
    path.write_text(text)
    with pytest.raises(PipelineFileError, match=r"odd\.pipeline\.yaml' must hold a mapping"):
        Pipeline.load(path)


@pytest.mark.parametrize(("version", "shown"), [("2", "2"), ("'1'", "'1'"), ("0", "0")])
def test_unknown_version_is_named(project: Project, version: str, shown: str) -> None:
    path = write(project.root / "v.pipeline.yaml", f"version: {version}\nsteps: {{}}\n")
    with pytest.raises(
        PipelineFileError,
        match=rf"v\.pipeline\.yaml' has format version {shown}; this jupyter_pipelines reads "
        rf"version 1 \(upgrade",
    ):
        Pipeline.load(path)


def test_missing_version_is_a_schema_error(project: Project) -> None:
    path = write(project.root / "v.pipeline.yaml", "steps: {s: {type: command, command: ls}}\n")
    with pytest.raises(PipelineFileError, match=r"\(top level\): 'version' is a required property"):
        Pipeline.load(path)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "{type: command, command: ls, timeout: -5}",
            r"steps\.a\.timeout: -5 is less than or equal to the minimum of 0",
        ),
        ("{type: python_script}", r"steps\.a: 'script' is a required property"),
        ("{type: notebook, script: x.py}", r"steps\.a: 'notebook' is a required property"),
        ("{type: sql, command: ls}", r"steps\.a\.type: 'sql' is not one of"),
        (
            "{type: command, command: ls, resources: {gpu: 1.5}}",
            r"steps\.a\.resources\.gpu: 1\.5 is not of type 'integer'",
        ),
        ("{type: command, command: ls, params: {x: [1]}}", r"steps\.a\.params\.x: \[1\] is not"),
        (
            "{type: command, command: ls, colour: red}",
            r"steps\.a: Additional properties are not allowed \('colour' was unexpected\)",
        ),
        (
            "{type: command, command: ls, inputs: {i: {step: b}}}",
            r"steps\.a\.inputs\.i: 'output' is a required property",
        ),
        (
            "{type: command, command: ls, environment_variables: {N: 1}}",
            r"steps\.a\.environment_variables\.N: 1 is not of type 'string'",
        ),
    ],
)
def test_schema_violations_name_the_field(project: Project, step: str, message: str) -> None:
    path = write(project.root / "s.pipeline.yaml", f"version: 1\nsteps:\n  a: {step}\n")
    with pytest.raises(
        PipelineFileError, match=r"s\.pipeline\.yaml' does not match the pipeline schema:\n"
    ) as info:
        Pipeline.load(path)
    assert re.search(message, str(info.value)), str(info.value)


def test_every_schema_violation_is_listed(project: Project) -> None:
    path = write(
        project.root / "s.pipeline.yaml",
        """
        version: 1
        stepz: {}
        parameters:
          "1bad": {default: 1}
          ok: {type: decimal, default: 1}
        steps:
          a: {type: command, command: ls, timeout: 0}
          b: {type: python_script}
        """,
    )
    with pytest.raises(PipelineFileError, match=r"does not match the pipeline schema") as info:
        Pipeline.load(path)
    lines = str(info.value).splitlines()[1:]
    fields = [line.split(":")[0].strip(" -") for line in lines]
    assert fields == [
        "(top level)",
        "parameters",
        "parameters.ok.type",
        "steps.a.timeout",
        "steps.b",
    ]


def test_unknown_step_in_inputs_and_run_after(project: Project) -> None:
    path = two_step_file(
        project,
        **{
            "model: {step: prep_data": "model: {step: prep_dta",
            "run_after: [prep_data]": "run_after: [prep_daat, nothing_like_it]",
        },
    )
    with pytest.raises(
        PipelineFileError, match=r"two\.pipeline\.yaml' has broken references:"
    ) as info:
        Pipeline.load(path)
    message = str(info.value)
    assert (
        "steps.train.inputs.model.step: unknown step 'prep_dta' (did you mean \"prep_data\"?)"
        in message
    )
    assert (
        "steps.train.run_after: unknown step 'prep_daat' (did you mean \"prep_data\"?)" in message
    )
    assert "steps.train.run_after: unknown step 'nothing_like_it'\n" in message + "\n"


def test_unknown_output_name(project: Project) -> None:
    path = two_step_file(project, **{"output: model}": "output: mdoel}"})
    with pytest.raises(
        PipelineFileError,
        match=re.escape(
            "steps.train.inputs.model.output: step 'prep_data' has no output 'mdoel' "
            '(did you mean "model"?)'
        ),
    ):
        Pipeline.load(path)


def test_unknown_placeholder_when_loading(project: Project) -> None:
    path = two_step_file(project, **{'"${{parameters.lr}}"': '"${{parameters.rl}}"'})
    with pytest.raises(
        PipelineFileError,
        match=re.escape(
            "steps.train.arguments[1]: ${{parameters.rl}} refers to unknown parameter 'rl'"
        ),
    ):
        Pipeline.load(path)


def test_unknown_output_notebook(project: Project) -> None:
    path = write(
        project.root / "nb.pipeline.yaml",
        """
        version: 1
        steps:
          nb: {type: notebook, notebook: train.ipynb, output_notebook: executed}
        """,
    )
    with pytest.raises(
        PipelineFileError,
        match=r"steps\.nb\.output_notebook: 'executed' is not one of the step's outputs",
    ):
        Pipeline.load(path)


def test_bad_parameter_default(project: Project) -> None:
    path = two_step_file(project, **{"type: float\n    default: 0.1": "type: int\n    default: x"})
    with pytest.raises(
        PipelineFileError,
        match=re.escape("parameters.lr.default: parameter 'lr' expects a int value, got 'x'"),
    ):
        Pipeline.load(path)


def test_every_broken_reference_is_reported_at_once(project: Project) -> None:
    path = two_step_file(
        project,
        **{
            "output: model}": "output: modle}",
            '"${{parameters.lr}}"': '"${{parameters.rl}}"',
            "run_after: [prep_data]": "run_after: [prep]",
        },
    )
    with pytest.raises(PipelineFileError, match=r"has broken references") as info:
        Pipeline.load(path)
    assert isinstance(info.value, ModelError)
    lines = str(info.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == [
        "  - steps.train.inputs.model.output",
        "  - steps.train.arguments[1]",
        # the input was dropped with its broken output, so its placeholder is unknown too
        "  - steps.train.arguments[3]",
        "  - steps.train.run_after",
    ]


def test_two_step_file_is_valid_as_written(project: Project) -> None:
    pipeline = Pipeline.load(two_step_file(project))
    assert pipeline.topological_order() == ["prep_data", "train"]
    assert pipeline.validate() == []


# -- the schema and the exact text -----------------------------------------------------------


def test_shipped_schema_is_a_valid_json_schema() -> None:
    schema = pipeline_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {
        "const": FORMAT_VERSION,
        "description": "Format version of the file.",
    }


GOLDEN = """\
version: 1
name: golden
description: A small pipeline.
parameters:
  learning_rate:
    type: float
    default: 0.01
    description: step size
steps:
  prep:
    type: python_script
    script: prep.py
    source_directory: src
    arguments:
    - --out
    - ${{outputs.prepared}}
    - --lr
    - ${{parameters.learning_rate}}
    outputs:
      prepared: {}
    compute_target: local
  train:
    type: notebook
    notebook: train.ipynb
    source_directory: src
    parameters:
      learning_rate: ${{parameters.learning_rate}}
      epochs: 3
    inputs:
      data:
        step: prep
        output: prepared
        mode: download
    outputs:
      model:
        kind: output_file_dataset
        mode: upload
    timeout: 600.0
    kernel_name: python3
  report:
    type: command
    command: python report.py ${{inputs.model}}
    inputs:
      model:
        step: train
        output: model
    run_after:
    - prep
    allow_reuse: false
layout:
  nodes:
    prep:
      x: 0
      y: 0
"""


def test_golden_file_text(project: Project) -> None:
    lr = PipelineParameter("learning_rate", 0.01, description="step size")
    prepared = PipelineData("prepared")
    prep = PythonScriptStep(
        "prep.py",
        name="prep",
        source_directory="src",
        arguments=["--out", prepared, "--lr", lr],
        compute_target="local",
    )
    model = OutputFileDatasetConfig(name="model").as_upload()
    train = NotebookStep(
        "src/train.ipynb",
        name="train",
        parameters={"learning_rate": lr, "epochs": 3},
        inputs=[prepared.as_input("data").as_download()],
        outputs=[model],
        kernel_name="python3",
        timeout=600,
    )
    report = CommandStep(
        "python report.py ${{inputs.model}}", name="report", inputs=[model], allow_reuse=False
    )
    report.run_after(prep)
    pipeline = Pipeline(
        steps=[prep, train, report],
        name="golden",
        description="A small pipeline.",
        layout={"nodes": {"prep": {"x": 0, "y": 0}}},
    )
    path = project.root / "golden.pipeline.yaml"
    pipeline.save(path)
    assert path.read_text() == GOLDEN
    reloaded = project.root / "again.pipeline.yaml"
    Pipeline.load(path).save(reloaded)
    assert reloaded.read_text() == GOLDEN


def test_keys_that_a_step_type_does_not_use_are_reported(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    path = tmp_path / "x.pipeline.yaml"
    path.write_text(
        "version: 1\nsteps:\n  nb:\n    type: notebook\n    notebook: a.ipynb\n"
        "    params: {a: 1}\n  sh:\n    type: command\n    command: echo\n"
        "    arguments: [x]\n"
    )
    with pytest.raises(PipelineFileError) as info:
        Pipeline.load(path)
    message = str(info.value)
    assert "steps.nb.params: notebook steps do not use 'params' (use 'parameters')" in message
    assert "steps.sh.arguments: command steps do not use 'arguments'" in message


def test_a_step_that_cannot_be_built_is_reported_with_the_file(tmp_path):
    path = tmp_path / "x.pipeline.yaml"
    path.write_text("version: 1\nsteps:\n  sh:\n    type: command\n    command: '   '\n")
    with pytest.raises(PipelineFileError, match=r"x\.pipeline\.yaml.*\n.*steps\.sh: .*non-empty"):
        Pipeline.load(path)


def test_download_placement_and_output_sources_round_trip(tmp_path):
    from jupyter_pipelines import CommandStep, OutputFileDatasetConfig

    files = OutputFileDatasetConfig("files", source=["*.csv", "report.txt"])
    make = CommandStep("echo x > a.csv", name="make", outputs=[files], base_dir=tmp_path)
    use = CommandStep(
        "cat a.csv",
        name="use",
        inputs=[files.as_input("data").as_download(path_on_compute="incoming")],
        base_dir=tmp_path,
    )
    path = tmp_path / "p.pipeline.yaml"
    Pipeline(steps=[make, use]).save(path)
    text = path.read_text()
    assert "path_on_compute: incoming" in text and "- '*.csv'" in text
    loaded = Pipeline.load(path)
    binding = loaded.step("use").inputs[0]
    assert (binding.mode, binding.path_on_compute) == ("download", "incoming")
    assert loaded.step("make").outputs[0].source == ["*.csv", "report.txt"]


def test_placements_and_sources_outside_the_working_folder_are_refused(tmp_path):
    from jupyter_pipelines import CommandStep, OutputFileDatasetConfig

    files = OutputFileDatasetConfig("files", source="../secrets")
    make = CommandStep("true", name="make", outputs=[files], base_dir=tmp_path)
    use = CommandStep(
        "true",
        name="use",
        inputs=[files.as_input().as_download(path_on_compute="/etc")],
        base_dir=tmp_path,
    )
    issues = {(i.step, i.field): i.message for i in Pipeline(steps=[make, use]).validate()}
    assert "no '..'" in issues[("make", "outputs.files.source")]
    assert "'/etc'" in issues[("use", "inputs.files.path_on_compute")]


def test_a_step_environment_survives_the_file(tmp_path):
    from jupyter_pipelines import CondaDependencies, PythonScriptStep, RunConfiguration

    (tmp_path / "s.py").write_text("pass\n")
    runconfig = RunConfiguration()
    runconfig.environment.python.conda_dependencies = CondaDependencies.create(pip_packages=["six"])
    runconfig.environment.environment_variables = {"MODE": "x"}
    step = PythonScriptStep("s.py", source_directory=tmp_path, runconfig=runconfig)
    path = tmp_path / "p.pipeline.yaml"
    Pipeline(steps=[step]).save(path)
    loaded = Pipeline.load(path)
    env = loaded.step("s.py").runconfig.environment
    assert env.python.conda_dependencies.pip_packages == ["six"]
    assert env.environment_variables == {"MODE": "x"}
    assert loaded.step("s.py").compute_target == "local"
    before = path.read_text()
    loaded.save(path)
    assert path.read_text() == before


def test_a_datapath_pair_in_arguments_and_inputs_is_one_input(tmp_path):
    from jupyter_pipelines import DataPath, DataPathComputeBinding, PythonScriptStep

    (tmp_path / "s.py").write_text("pass\n")
    param = PipelineParameter("data", DataPath("workspaceblobstore", "raw"))
    pair = (param, DataPathComputeBinding(mode="download"))
    step = PythonScriptStep(
        "s.py", source_directory=tmp_path, arguments=["--data", pair], inputs=[pair]
    )
    assert len(step.inputs) == 1 and step.arguments[1] is step.inputs[0]
    assert step.inputs[0].mode == "download"
    assert Pipeline(steps=[step]).validate() == []


def test_a_file_without_steps_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "e.pipeline.yaml"
    path.write_text("version: 1\nsteps: {}\n")
    with pytest.raises(PipelineFileError, match=r"e\.pipeline\.yaml' has no steps: add one"):
        Pipeline.load(path)
