"""What a step finds at its output paths, and what it leaves there: a mount-mode output is a
folder to write into; an upload-mode output is a path the step writes a file at (or makes a
folder at), as v1's how-to "Moving data into and between ML pipeline steps" does."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    Dataset,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.engine.step_outputs import INCOMPLETE_NOTE
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

# The how-to's step1.py: makes the parent folder and writes a file AT the output path.
WRITE_FILE = """\
    import argparse, os, sys
    parser = argparse.ArgumentParser()
    parser.add_argument("--output_path", required=True)
    parser.add_argument("--text", default="Step 1's output")
    args = parser.parse_args()
    print("exists before:", os.path.exists(args.output_path))
    os.makedirs(os.path.dirname(args.output_path), exist_ok=True)
    with open(args.output_path, "w") as f:
        f.write(args.text)
    if args.text == "fail":
        sys.exit(3)
    """
READ_FILE = """\
    import sys
    with open(sys.argv[1]) as f:
        print("read:", f.read())
    """
# Writes into the folder it was given, without creating it.
WRITE_INTO = """\
    import os, sys
    print("is a folder:", os.path.isdir(sys.argv[1]))
    with open(os.path.join(sys.argv[1], "part.txt"), "w") as f:
        f.write("in the folder")
    """
LIST = """\
    import os, sys
    print("listed:", sorted(os.listdir(sys.argv[1])))
    """


def run_ok(project: Project, pipeline: Pipeline) -> dict[str, object]:
    run = project.experiment("paths").submit(pipeline)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return steps_by_name(run)


def file_pipeline(text: str = "Step 1's output") -> tuple[Pipeline, OutputFileDatasetConfig]:
    out = OutputFileDatasetConfig(name="processed_data").as_upload()
    write = PythonScriptStep(
        "write.py",
        name="write",
        source_directory="src",
        arguments=["--output_path", out, "--text", text],
    )
    read = PythonScriptStep(
        "read.py", name="read", source_directory="src", arguments=[out.as_input()]
    )
    return Pipeline(steps=[write, read]), out


def test_a_step_writes_a_file_at_an_upload_output_and_the_next_step_reads_it(
    project: Project,
) -> None:
    project.script("src/write.py", WRITE_FILE)
    project.script("src/read.py", READ_FILE)
    steps = run_ok(project, file_pipeline()[0])
    write, read = steps["write"], steps["read"]
    assert "exists before: False" in write.get_logs()["stdout"]
    assert "read: Step 1's output" in read.get_logs()["stdout"]
    produced = Path(write.get_output_path("processed_data"))
    assert produced.is_file() and produced.read_text() == "Step 1's output"

    # Reuse compares the file's content: unchanged, both steps are reused ...
    again = run_ok(project, file_pipeline()[0])
    assert again["write"].reused_from and again["read"].reused_from
    # ... and a different file makes the reader run again.
    changed = run_ok(project, file_pipeline("other text")[0])
    assert changed["write"].reused_from is None and changed["read"].reused_from is None
    assert "read: other text" in changed["read"].get_logs()["stdout"]


def test_a_file_output_is_delivered_and_registered_as_that_file(project: Project) -> None:
    project.script("src/write.py", WRITE_FILE)
    project.script("src/read.py", READ_FILE)
    store = project.ws.get_default_datastore()
    pipeline, out = file_pipeline()
    out.destination = (store, "mypath/{run-id}/{output-name}")
    out.register_on_complete(name="processed_data")
    steps = run_ok(project, pipeline)
    written = [p for p in (Path(store.local_path()) / "mypath").rglob("*") if p.is_file()]
    assert [p.read_text() for p in written] == ["Step 1's output"]
    assert written[0].name == "processed_data" and steps["write"].id in str(written[0])
    assert Dataset.get_by_name(project.ws, "processed_data").to_path() == ["/processed_data"]


@pytest.mark.parametrize("kind", ["OutputFileDatasetConfig", "PipelineData"])
def test_a_mount_output_is_a_folder_the_step_writes_into(project: Project, kind: str) -> None:
    project.script("src/write.py", WRITE_INTO)
    project.script("src/list.py", LIST)
    out = (
        OutputFileDatasetConfig(name="folder") if kind != "PipelineData" else PipelineData("folder")
    )
    write = PythonScriptStep("write.py", name="write", source_directory="src", arguments=[out])
    listing = PythonScriptStep(
        "list.py", name="list", source_directory="src", arguments=[out.as_input()]
    )
    steps = run_ok(project, Pipeline(steps=[write, listing]))
    assert "is a folder: True" in steps["write"].get_logs()["stdout"]
    assert "listed: ['part.txt']" in steps["list"].get_logs()["stdout"]


def test_an_upload_output_the_step_never_wrote_reaches_the_next_step_empty(
    project: Project,
) -> None:
    project.script("src/quiet.py", "print('wrote nothing')\n")
    project.script("src/list.py", LIST)
    out = OutputFileDatasetConfig(name="nothing").as_upload()
    quiet = PythonScriptStep("quiet.py", name="quiet", source_directory="src", arguments=[out])
    listing = PythonScriptStep(
        "list.py", name="list", source_directory="src", arguments=[out.as_input()]
    )
    steps = run_ok(project, Pipeline(steps=[quiet, listing]))
    assert "listed: []" in steps["list"].get_logs()["stdout"]


def test_a_failed_step_keeps_its_file_output_next_to_the_incomplete_note(
    project: Project,
) -> None:
    project.script("src/write.py", WRITE_FILE)
    project.script("src/read.py", READ_FILE)
    run = project.experiment("paths").submit(file_pipeline("fail")[0])
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    write = steps_by_name(run)["write"]
    outputs = Path(write.step_dir) / "outputs"
    assert (outputs / "processed_data").read_text() == "fail"
    assert "incomplete" in (outputs / INCOMPLETE_NOTE).read_text()


def test_a_file_output_cannot_also_collect_source_files(project: Project) -> None:
    project.script("src/write.py", WRITE_FILE + "open('model.txt', 'w').write('m')\n")
    out = OutputFileDatasetConfig(name="model", source="model.txt").as_upload()
    write = PythonScriptStep(
        "write.py", name="write", source_directory="src", arguments=["--output_path", out]
    )
    run = project.experiment("paths").submit(Pipeline(steps=[write]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    error = steps_by_name(run)["write"].error
    assert "output 'model' is a file the step wrote" in error and "model.txt" in error
