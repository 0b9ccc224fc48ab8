"""Pipeline validation: every problem reported at once, as structured issues."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from jupyter_pipelines.errors import ModelError, PipelineValidationError
from jupyter_pipelines.model.data import PipelineData
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import CommandStep, NotebookStep, PythonScriptStep
from jupyter_pipelines.model.validation import ValidationIssue

if TYPE_CHECKING:
    from conftest import Project


def issue_for(issues: list[ValidationIssue], step: str | None, field: str) -> ValidationIssue:
    found = [i for i in issues if (i.step, i.field) == (step, field)]
    assert len(found) == 1, f"expected one issue for {(step, field)}, got {issues}"
    return found[0]


@pytest.mark.parametrize("fixture", ["chain", "diamond", "fan_out_fan_in"])
def test_valid_pipelines_have_no_issues(fixture: str, request: pytest.FixtureRequest) -> None:
    pipeline: Pipeline = request.getfixturevalue(fixture)
    assert pipeline.validate() == []
    pipeline.raise_if_invalid()


def broken_pipeline(project: Project) -> Pipeline:
    """One pipeline with every kind of problem validation knows."""
    dup_a = CommandStep("echo a", name="dup")
    dup_b = CommandStep("echo b", name="dup")
    loop_x = CommandStep("echo x", name="loop_x")
    loop_y = CommandStep("echo y", name="loop_y")
    loop_x.run_after(loop_y)
    loop_y.run_after(loop_x)
    typo = PythonScriptStep("trian.py", name="typo", source_directory="src")
    no_nb = NotebookStep("completely_different_name.ipynb", name="no_nb", source_directory="src")
    no_dir = PythonScriptStep("prep.py", name="no_dir", source_directory="nowhere")
    orphan = PythonScriptStep(
        "train.py", name="orphan", source_directory="src", inputs=[PipelineData("ghost")]
    )
    foreign_data = PipelineData("foreign")
    PythonScriptStep("prep.py", name="outsider", source_directory="src", outputs=[foreign_data])
    uses_foreign = PythonScriptStep(
        "train.py", name="uses_foreign", source_directory="src", inputs=[foreign_data]
    )
    first, second = PipelineData("first"), PipelineData("second")
    makes_two = PythonScriptStep(
        "prep.py", name="makes_two", source_directory="src", outputs=[first, second]
    )
    same_name = PythonScriptStep(
        "train.py",
        name="same_name",
        source_directory="src",
        inputs=[first.as_input("data"), second.as_input("data")],
    )
    raw = PipelineData("raw_data")
    producer = PythonScriptStep("prep.py", name="producer", source_directory="src", outputs=[raw])
    bad_command = CommandStep(
        "cat ${{inputs.raw_dta}}", name="bad_command", source_directory="src", inputs=[raw]
    )
    bad_argument = PythonScriptStep(
        "score.py",
        name="bad_argument",
        source_directory="src",
        arguments=["--lr=${{parameters.learning_rat}}", "--cfg", {"a": 1}],
        params={"lr": PipelineParameter("learning_rate", 0.1)},
    )
    conflicting = PythonScriptStep(
        "score.py",
        name="conflicting",
        source_directory="src",
        arguments=["--lr", PipelineParameter("learning_rate", 0.2)],
    )
    steps = [
        dup_a,
        dup_b,
        loop_x,
        loop_y,
        typo,
        no_nb,
        no_dir,
        orphan,
        uses_foreign,
        makes_two,
        same_name,
        producer,
        bad_command,
        bad_argument,
        conflicting,
    ]
    return Pipeline(steps=steps, resolve_closure=False)


EXPECTED = {
    ("dup", "name"): r"^2 steps are named 'dup'; give each step a unique name=$",
    ("loop_x", "inputs"): (
        r"^steps form a cycle: (loop_x -> loop_y -> loop_x|loop_y -> loop_x -> loop_y); "
        r"a step cannot depend on itself$"
    ),
    ("typo", "script_name"): (
        r"^file 'trian\.py' not found in '.*src' \(did you mean \"train\.py\"\?\)$"
    ),
    ("no_nb", "notebook"): r"^file 'completely_different_name\.ipynb' not found in '.*src'$",
    ("no_dir", "source_directory"): r"^source directory '.*nowhere' does not exist$",
    ("orphan", "inputs.ghost"): (
        r"^input 'ghost' is not produced by any step; list it in another step's outputs$"
    ),
    ("uses_foreign", "inputs.foreign"): (
        r"^input 'foreign' is produced by step 'outsider', which is not in the pipeline$"
    ),
    ("same_name", "inputs.data"): (
        r"^input name 'data' is used 2 times; rename one with \.as_input\('another_name'\)$"
    ),
    ("bad_command", "command"): (
        r"^\$\{\{inputs\.raw_dta\}\} refers to unknown input 'raw_dta' "
        r"\(did you mean \"raw_data\"\?\); known: raw_data$"
    ),
    ("bad_argument", "arguments[0]"): (
        r"^\$\{\{parameters\.learning_rat\}\} refers to unknown parameter 'learning_rat' "
        r"\(did you mean \"learning_rate\"\?\); known: learning_rate$"
    ),
    ("bad_argument", "arguments[2]"): (
        r"^argument \{'a': 1\} of type 'dict' is not supported; "
        r"use a string, number, parameter or data object$"
    ),
    (None, "parameters.learning_rate"): (
        r"^parameter 'learning_rate' is defined more than once with different defaults or "
        r"types \(float 0\.1, float 0\.2\); use one PipelineParameter object$"
    ),
}


def test_every_issue_is_returned_at_once(project: Project) -> None:
    issues = broken_pipeline(project).validate()
    assert all(isinstance(i, ValidationIssue) for i in issues)
    assert {(i.step, i.field) for i in issues} == set(EXPECTED)
    assert len(issues) == len(EXPECTED)
    assert {i.severity for i in issues} == {"error"}
    for (step, field), pattern in EXPECTED.items():
        assert re.match(pattern, issue_for(issues, step, field).message), (step, field)


def test_raise_if_invalid_lists_every_issue(project: Project) -> None:
    pipeline = broken_pipeline(project)
    with pytest.raises(
        PipelineValidationError, match=rf"^pipeline is invalid \({len(EXPECTED)} problem\(s\)\):"
    ) as info:
        pipeline.raise_if_invalid()
    error = info.value
    assert isinstance(error, ModelError)
    assert error.issues == pipeline.validate()
    lines = str(error).splitlines()[1:]
    assert lines == [f"  - {issue}" for issue in error.issues]
    assert "  - error: step 'typo', field 'script_name': file 'trian.py' not found" in str(error)
    assert "  - error: field 'parameters.learning_rate': parameter 'learning_rate'" in str(error)


def test_raise_if_invalid_names_the_pipeline_file(project: Project) -> None:
    pipeline = Pipeline(steps=[PythonScriptStep("nope.py", name="a")])
    pipeline.source_path = "flows/demo.pipeline.yaml"
    with pytest.raises(
        PipelineValidationError, match=r"^pipeline in 'flows/demo\.pipeline\.yaml' is invalid \(1 "
    ):
        pipeline.raise_if_invalid()


def test_raise_if_invalid_ignores_warnings(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(steps=[PythonScriptStep("prep.py", source_directory="src")])
    warning = ValidationIssue("warning", "prep.py", None, "just so you know")
    monkeypatch.setattr(pipeline, "validate", lambda: [warning])
    pipeline.raise_if_invalid()


# -- one kind at a time ----------------------------------------------------------------------


def test_duplicate_names(project: Project) -> None:
    steps = [CommandStep(f"echo {i}", name="same") for i in range(3)]
    [issue] = Pipeline(steps=steps).validate()
    assert issue == ValidationIssue(
        "error", "same", "name", "3 steps are named 'same'; give each step a unique name="
    )


def test_cycle_through_run_after(project: Project) -> None:
    a, b, c = (CommandStep(f"echo {n}", name=n) for n in "abc")
    b.run_after(a)
    c.run_after(b)
    a.run_after(c)
    [issue] = Pipeline(steps=[a, b, c]).validate()
    assert (issue.step, issue.field) == ("a", "inputs")
    assert re.fullmatch(
        r"steps form a cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c); "
        r"a step cannot depend on itself",
        issue.message,
    )


def test_step_running_after_itself_is_a_cycle(project: Project) -> None:
    step = CommandStep("echo", name="me")
    step.run_after(step)
    [issue] = Pipeline(steps=[step]).validate()
    assert issue.message.startswith("steps form a cycle: me -> me;")


def test_two_separate_cycles_are_two_issues(project: Project) -> None:
    steps = [CommandStep(f"echo {n}", name=n) for n in "abcd"]
    steps[0].run_after(steps[1])
    steps[1].run_after(steps[0])
    steps[2].run_after(steps[3])
    steps[3].run_after(steps[2])
    issues = Pipeline(steps=steps).validate()
    assert sorted(i.step for i in issues) == ["a", "c"]


def test_missing_script_without_a_close_name_has_no_suggestion(project: Project) -> None:
    [issue] = Pipeline(steps=[PythonScriptStep("zzzz.py", source_directory="src")]).validate()
    assert issue.field == "script_name"
    assert "did you mean" not in issue.message


def test_absolute_script_path_is_found(project: Project) -> None:
    step = PythonScriptStep(str(project.src / "prep.py"), source_directory=str(project.root))
    assert Pipeline(steps=[step]).validate() == []


def test_missing_notebook(project: Project) -> None:
    step = NotebookStep("src/trian.ipynb", name="nb")
    [issue] = Pipeline(steps=[step]).validate()
    assert (issue.step, issue.field) == ("nb", "notebook")
    assert issue.message.endswith('(did you mean "train.ipynb"?)')


def test_missing_source_directory_of_a_command(project: Project) -> None:
    [issue] = Pipeline(steps=[CommandStep("ls", source_directory="gone")]).validate()
    assert (issue.step, issue.field) == ("ls", "source_directory")
    assert issue.message == f"source directory {str(project.root / 'gone')!r} does not exist"


def test_input_nobody_produces(project: Project) -> None:
    step = CommandStep(["cat", PipelineData("lonely").as_input()], name="reader")
    [issue] = Pipeline(steps=[step]).validate()
    assert (issue.step, issue.field) == ("reader", "inputs.lonely")
    assert "is not produced by any step" in issue.message


def test_input_produced_outside_the_pipeline(chain: Pipeline) -> None:
    pipeline = Pipeline(steps=[chain.step("train"), chain.step("report")], resolve_closure=False)
    [issue] = pipeline.validate()
    assert issue == ValidationIssue(
        "error",
        "train",
        "inputs.prepared",
        "input 'prepared' is produced by step 'prep', which is not in the pipeline",
    )


def test_run_after_a_step_outside_the_pipeline(project: Project) -> None:
    outside = CommandStep("echo out", name="outside")
    inside = CommandStep("echo in", name="inside")
    inside.run_after(outside)
    [issue] = Pipeline(steps=[inside], resolve_closure=False).validate()
    assert issue == ValidationIssue(
        "error",
        "inside",
        "run_after",
        "step 'inside' runs after step 'outside', which is not in the pipeline",
    )


def test_output_name_used_twice(project: Project) -> None:
    step = PythonScriptStep(
        "prep.py", source_directory="src", outputs=[PipelineData("m"), PipelineData("m")]
    )
    [issue] = Pipeline(steps=[step]).validate()
    assert (issue.field, issue.message) == ("outputs.m", "output name 'm' is used 2 times")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "echo ${{outputs.reslt}}",
            r"unknown output 'reslt' \(did you mean \"result\"\?\); known: result",
        ),
        ("echo ${{inputs.x}}", r"refers to unknown input 'x'; known: none"),
        ("echo ${{parameters.seed}}", r"refers to unknown parameter 'seed'; known: none"),
    ],
)
def test_unknown_placeholder_in_a_command(project: Project, command: str, message: str) -> None:
    step = CommandStep(command, name="cmd", outputs=[PipelineData("result")])
    [issue] = Pipeline(steps=[step]).validate()
    assert (issue.step, issue.field) == ("cmd", "command")
    assert re.search(message, issue.message)


def test_known_placeholders_are_fine(project: Project) -> None:
    seed = PipelineParameter("seed", 1)
    out = PipelineData("result")
    step = CommandStep(
        "echo ${{ parameters.seed }} > ${{outputs.result}}/x",
        name="cmd",
        outputs=[out],
        params={"seed": seed, "note": "${{parameters.seed}}"},
    )
    assert Pipeline(steps=[step]).validate() == []


def test_unknown_placeholder_in_params(project: Project) -> None:
    step = PythonScriptStep(
        "prep.py", source_directory="src", params={"mode": "${{parameters.mode}}"}
    )
    [issue] = Pipeline(steps=[step]).validate()
    assert issue.field == "params.mode"


def test_same_default_in_two_parameter_objects_is_no_conflict(project: Project) -> None:
    a = PythonScriptStep("prep.py", source_directory="src", arguments=[PipelineParameter("n", 1)])
    b = PythonScriptStep("train.py", source_directory="src", arguments=[PipelineParameter("n", 1)])
    assert Pipeline(steps=[a, b]).validate() == []


def test_declared_parameter_conflicting_with_a_used_one(project: Project) -> None:
    step = PythonScriptStep(
        "prep.py", source_directory="src", arguments=[PipelineParameter("n", "1")]
    )
    pipeline = Pipeline(steps=[step], parameters=[PipelineParameter("n", 1)])
    [issue] = pipeline.validate()
    assert (issue.step, issue.field) == (None, "parameters.n")
    assert "(int 1, string '1')" in issue.message


@pytest.mark.parametrize("argument", [None, ["a"], object()])
def test_unsupported_argument_types(project: Project, argument: object) -> None:
    step = PythonScriptStep("prep.py", source_directory="src", arguments=["--x", argument])
    [issue] = Pipeline(steps=[step]).validate()
    assert issue.field == "arguments[1]"
    assert f"of type {type(argument).__name__!r} is not supported" in issue.message


def test_issue_text_and_dict() -> None:
    issue = ValidationIssue("error", "train", "inputs.data", "broken")
    assert str(issue) == "error: step 'train', field 'inputs.data': broken"
    assert str(ValidationIssue("warning", None, None, "hm")) == "warning: hm"
    assert str(ValidationIssue("error", None, "parameters.x", "bad")) == (
        "error: field 'parameters.x': bad"
    )
    assert issue.to_dict() == {
        "severity": "error",
        "step": "train",
        "field": "inputs.data",
        "message": "broken",
    }


def test_param_values_that_cannot_reach_a_step_are_reported(tmp_path):
    from pathlib import Path as P

    from jupyter_pipelines import NotebookStep

    (tmp_path / "n.ipynb").write_text("{}")
    step = NotebookStep(
        "n.ipynb",
        parameters={"ok": [1, {"a": "b"}], "path": P("/x"), "nested": {"k": [object]}},
        base_dir=tmp_path,
    )
    issues = {i.field: i.message for i in Pipeline(steps=[step]).validate()}
    assert "'PosixPath'" in issues["params.path"]
    assert "params.ok" not in issues
    assert "'type'" in issues["params.nested"]


def test_hash_paths_that_match_nothing_are_a_warning(tmp_path):
    from jupyter_pipelines import PythonScriptStep

    (tmp_path / "a.py").write_text("pass\n")
    (tmp_path / "lib").mkdir()
    step = PythonScriptStep(
        "a.py", source_directory=tmp_path, hash_paths=["./a.py", "lib", "missing.py", "*.txt"]
    )
    issues = Pipeline(steps=[step]).validate()
    assert [(i.severity, i.field) for i in issues] == [
        ("warning", "hash_paths[2]"),
        ("warning", "hash_paths[3]"),
    ]
    assert "'missing.py' matches no file" in issues[0].message
    Pipeline(steps=[step]).raise_if_invalid()  # warnings do not refuse the pipeline
