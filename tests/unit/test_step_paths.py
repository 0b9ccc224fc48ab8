"""The one rule of where a step's code comes from (model/step_paths.py): its script or
notebook lies inside its source directory, symlinks followed; with a root (a pipeline that
came over REST) its source directory lies inside the root; validation and the planner
judge the same path."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    DataPath,
    DataReference,
    DataTransferStep,
    Environment,
    NotebookStep,
    ParallelRunConfig,
    ParallelRunStep,
    Pipeline,
    PythonScriptStep,
)
from jupyter_pipelines.engine.plan import Planner
from jupyter_pipelines.model.fileformat import document_to_pipeline
from jupyter_pipelines.model.step_paths import (
    StepPathError,
    entry_field,
    entry_path,
    path_problems,
)
from jupyter_pipelines.model.steps import CommandStep
from jupyter_pipelines.model.validation import validate_pipeline


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/project`` (the current folder) with ``src/train.py``, ``src/sub/x.py``, a
    notebook, and ``tmp_path/outside/evil.py`` next to the project."""
    project = tmp_path / "project"
    (project / "src" / "sub").mkdir(parents=True)
    (project / "src" / "train.py").write_text("print('train')\n")
    (project / "src" / "sub" / "x.py").write_text("print('x')\n")
    (project / "src" / "nb.ipynb").write_text("{}")
    (project / "x.py").write_text("print('next to src')\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "evil.py").write_text("print('evil')\n")
    monkeypatch.chdir(project)
    return project


def issues_of(step: Any, root: Path | None = None) -> list[tuple[str | None, str, str]]:
    return [
        (i.field, i.severity, i.message)
        for i in validate_pipeline(Pipeline(steps=[step]), root=root)
    ]


def only_error(step: Any, field: str, root: Path | None = None) -> str:
    [(found, severity, message)] = issues_of(step, root)
    assert (found, severity) == (field, "error")
    return message


# -- the script or notebook lies inside its source directory -----------------------------------
def test_a_script_above_its_source_directory_is_refused_with_the_fix(tree: Path) -> None:
    step = PythonScriptStep("../x.py", name="s", source_directory="src")
    message = only_error(step, "script_name")
    assert message.startswith("script '../x.py' lies outside source_directory 'src' (")
    assert "move the script into source_directory 'src'" in message
    with pytest.raises(StepPathError, match=r"step 's', field 'script_name': script '\.\./x"):
        entry_path(step)


def test_an_absolute_script_elsewhere_is_refused(tree: Path) -> None:
    evil = str(tree.parent / "outside" / "evil.py")
    step = PythonScriptStep(evil, name="s", source_directory="src")
    assert "lies outside source_directory 'src'" in only_error(step, "script_name")


def test_an_absolute_notebook_elsewhere_is_refused_even_when_it_exists(tree: Path) -> None:
    step = NotebookStep("/etc/passwd", name="nb", source_directory=".")
    message = only_error(step, "notebook")
    assert "notebook '/etc/passwd' lies outside source_directory '.'" in message
    assert "move the notebook into source_directory '.'" in message


def test_an_absolute_path_inside_the_source_directory_runs_its_copy(tree: Path) -> None:
    step = PythonScriptStep(str(tree / "src" / "sub" / "x.py"), source_directory="src")
    assert issues_of(step) == []
    assert entry_path(step) == "sub/x.py"


def test_a_path_through_dot_dot_is_refused_with_its_clean_form(tree: Path) -> None:
    step = PythonScriptStep("sub/../train.py", name="s", source_directory="src")
    message = only_error(step, "script_name")
    assert message == (
        "script 'sub/../train.py' goes through '..'; write it as 'train.py' (its path "
        "inside source_directory 'src')"
    )


def test_plain_relative_paths_are_the_planners_paths(tree: Path) -> None:
    assert entry_path(PythonScriptStep("./train.py", source_directory="src")) == "train.py"
    assert entry_path(PythonScriptStep("sub//x.py", source_directory="src")) == "sub/x.py"
    assert entry_path(CommandStep("ls", source_directory="src")) is None
    assert entry_field(NotebookStep("nb.ipynb", source_directory="src")) == "notebook"


def test_a_link_to_a_file_outside_the_source_directory_is_refused(tree: Path) -> None:
    (tree / "src" / "linked.py").symlink_to(tree.parent / "outside" / "evil.py")
    message = only_error(PythonScriptStep("linked.py", source_directory="src"), "script_name")
    assert f"is a link to {str(tree.parent / 'outside' / 'evil.py')!r}" in message
    assert "copy the file into 'src' instead" in message


def test_a_link_that_stays_inside_the_source_directory_is_fine(tree: Path) -> None:
    (tree / "src" / "alias.py").symlink_to(tree / "src" / "sub" / "x.py")
    step = PythonScriptStep("alias.py", source_directory="src")
    assert issues_of(step) == [] and entry_path(step) == "alias.py"


def test_a_null_byte_in_the_entry_is_named(tree: Path) -> None:
    [problem] = path_problems(PythonScriptStep("a\0b.py", source_directory="src"), None)
    assert (problem.field, problem.message) == (
        "script_name",
        "script path 'a\\x00b.py' contains a null byte",
    )


def test_a_parallel_run_entry_script_follows_the_rule(tree: Path) -> None:
    config = ParallelRunConfig(
        environment=Environment("batch"), entry_script="../x.py", source_directory="src",
        error_threshold=1, output_action="summary_only", compute_target=None, node_count=1,
    )  # fmt: skip
    step = ParallelRunStep("score", config, [DataPath("workspaceblobstore", "images")])
    message = only_error(step, "parallel_run_config.entry_script")
    assert "entry script '../x.py' lies outside source_directory 'src'" in message


def test_hash_paths_that_leave_the_source_directory_are_refused(tree: Path) -> None:
    step = PythonScriptStep(
        "train.py",
        source_directory="src",
        hash_paths=["sub/x.py", "/", "../x.py", "sub/../train.py"],
    )
    problems = {(i[0], i[1]) for i in issues_of(step)}
    assert problems == {("hash_paths[1]", "error"), ("hash_paths[2]", "error")}


# -- the source directory lies inside the root, when there is one --------------------------------
def test_a_source_directory_outside_the_root_is_the_sdks_choice_only(tree: Path) -> None:
    step = PythonScriptStep("evil.py", name="s", source_directory="../outside")
    assert issues_of(step) == []  # the SDK and the CLI: the user's own machine
    message = only_error(step, "source_directory", root=tree)
    assert message.startswith("source directory '../outside' (")
    assert (
        f"the server only runs pipelines whose source directories lie inside its root "
        f"{str(tree)!r}; move the code into it, or run this pipeline from the SDK or the CLI"
    ) in message


def test_an_absolute_script_without_a_folder_takes_its_folder(tree: Path) -> None:
    """v1 takes the folder of a script given with one as the source directory."""
    step = PythonScriptStep(str(tree.parent / "outside" / "evil.py"), name="s")
    assert issues_of(step) == [] and entry_path(step) == "evil.py"
    assert only_error(step, "source_directory", root=tree)


def test_nothing_is_said_of_a_folder_outside_the_root_not_even_that_it_is_missing(
    tree: Path,
) -> None:
    step = PythonScriptStep("a.py", source_directory="../nowhere")
    assert "lies outside the server's root" in only_error(step, "source_directory", root=tree)
    assert "does not exist" in only_error(step, "source_directory")


def test_a_linked_source_directory_is_judged_where_it_leads(tree: Path) -> None:
    (tree / "looks_inside").symlink_to(tree.parent / "outside")
    step = PythonScriptStep("evil.py", source_directory="looks_inside")
    assert "lies outside the server's root" in only_error(step, "source_directory", root=tree)
    inside = PythonScriptStep("train.py", source_directory="src")
    assert issues_of(inside, root=tree) == []
    # the root itself may be reached through a link
    (tree.parent / "root_link").symlink_to(tree)
    assert issues_of(inside, root=tree.parent / "root_link") == []


def test_a_data_transfer_runs_this_packages_code_under_any_root(tree: Path) -> None:
    step = DataTransferStep(
        name="copy",
        source_data_reference=DataReference(datastore="a", path_on_datastore="x"),
        destination_data_reference=DataPath("b", "y"),
    )
    assert tree not in step.source_path.parents  # the package's own code
    assert path_problems(step, tree) == []


def test_pipeline_documents_resolve_paths_from_their_folder(tree: Path) -> None:
    doc = {
        "version": 1,
        "steps": {
            "up": {"type": "python_script", "script": "../x.py", "source_directory": "src"},
            "abs": {"type": "notebook", "notebook": "/etc/passwd"},
            "out": {"type": "python_script", "script": "evil.py", "source_directory": "../outside"},
        },
    }
    pipeline = document_to_pipeline(doc, tree, "request document")
    found = {(i.step, i.field) for i in validate_pipeline(pipeline, root=tree)}
    assert found == {("up", "script_name"), ("abs", "notebook"), ("out", "source_directory")}
    found = {(i.step, i.field) for i in validate_pipeline(pipeline)}
    assert found == {("up", "script_name"), ("abs", "notebook")}


# -- the planner runs what validation judged ------------------------------------------------------
def test_the_planner_runs_the_snapshot_copy_validation_accepted(tree: Path, tmp_path: Path) -> None:
    script = PythonScriptStep(str(tree / "src" / "sub" / "x.py"), name="s", source_directory="src")
    notebook = NotebookStep("./nb.ipynb", name="n", source_directory="src")
    pipeline = Pipeline(steps=[script, notebook])
    assert validate_pipeline(pipeline) == []
    records = {r.name: r for r in Planner(tmp_path / "run", "r1", pipeline, {}).plan()}
    assert records["s"].spec["argv"] == [sys.executable, "sub/x.py"]
    assert records["s"].spec["working_dir"] == str(tmp_path / "run" / "s" / "code")
    assert records["n"].spec["notebook"] == str(tmp_path / "run" / "n" / "code" / "nb.ipynb")


def test_the_planner_refuses_what_validation_refuses(tree: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(steps=[PythonScriptStep("../x.py", name="s", source_directory="src")])
    with pytest.raises(StepPathError, match="lies outside source_directory 'src'"):
        Planner(tmp_path / "run", "r1", pipeline, {}).plan()
    assert os.path.isfile(tree / "x.py")  # the file is there: only its place is wrong
