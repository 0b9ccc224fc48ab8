"""What a user sees of real runs: times of reused runs, failure summaries, warnings said once,
output paths that stay valid, logs without progress bars, RunDetails outside a notebook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jupyter_pipelines import (
    CondaDependencies,
    Environment,
    OutputFileDatasetConfig,
    Pipeline,
    PythonScriptStep,
    RunConfiguration,
    RunFailedError,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

#: Writes argv[1]/x.txt, printing the path it was given for its output.
WRITE = """\
    import os, sys
    os.makedirs(sys.argv[1], exist_ok=True)
    print("writing", sys.argv[1])
    open(os.path.join(sys.argv[1], "x.txt"), "w").write("x")
"""

#: A deep traceback: the error that matters is on its last line.
DEEP = """\
    import sys
    print("a line on stdout")
    print("noise before the failure", file=sys.stderr)
    def down(n):
        if n == 0:
            raise ValueError("learning rate must be positive, got -0.1")
        down(n - 1)
    down(25)
"""


def writer_pipeline(project: Project, name: str = "writer") -> Pipeline:
    project.script("src/write.py", WRITE)
    out = OutputFileDatasetConfig("result")
    step = PythonScriptStep(
        "write.py", name=name, source_directory="src", arguments=[out.as_mount()]
    )
    return Pipeline(steps=[step])


def docker_runconfig() -> RunConfiguration:
    env = Environment("boxed")
    env.docker.enabled = True
    env.docker.base_image = "mcr.microsoft.com/azureml/base:latest"
    config = RunConfiguration()
    config.environment = env
    return config


# -- times of reused runs --------------------------------------------------------------------
def test_a_fully_reused_run_has_start_end_and_duration(project: Project) -> None:
    pipeline = writer_pipeline(project)
    first = project.experiment().submit(pipeline)
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    again = project.experiment().submit(pipeline)
    assert again.get_status() == st.FINISHED  # decided at submit: no driver
    record = project.ws.run_store.get_run(again.id)
    assert record.started is not None and record.ended is not None
    assert record.created <= record.started <= record.ended
    details = again.get_details()
    assert details["startTimeUtc"] and details["endTimeUtc"]
    (step,) = again.get_steps()
    assert step.reused_from is not None
    assert step.start_time is not None and step.end_time is not None

    (row,) = [r for r in project.cli_json("runs") if r["id"] == again.id]
    assert row["started"] != "-" and row["ended"] != "-"
    assert row["duration"].endswith("s") and "running" not in row["duration"]
    table = project.cli("runs", check=0).stdout
    assert "STARTED" in table and "ENDED" in table and "DURATION" in table
    shown = project.cli("show", again.id, check=0).stdout
    for label in ("Started", "Ended", "Duration"):
        line = next(line for line in shown.splitlines() if line.startswith(label))
        assert line.split(maxsplit=1)[1] != "-", shown
    assert "reused" in shown


# -- output paths ----------------------------------------------------------------------------
def test_the_path_a_step_printed_still_holds_its_output(project: Project) -> None:
    run = project.experiment().submit(writer_pipeline(project))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    (step,) = run.get_steps()
    printed = Path(step.get_logs()["stdout"].split("writing", 1)[1].strip())
    assert (printed / "x.txt").read_text() == "x"
    assert printed == step.get_output_path("result")
    assert not (step.step_dir / "outputs.partial").exists()


def test_a_failed_steps_outputs_are_kept_marked_and_never_reused(project: Project) -> None:
    project.script(
        "src/half.py",
        """\
        import os, sys
        os.makedirs(sys.argv[1], exist_ok=True)
        open(os.path.join(sys.argv[1], "half.txt"), "w").write("half")
        sys.exit("stopped half way")
        """,
    )
    out = OutputFileDatasetConfig("result")
    step = PythonScriptStep("half.py", name="half", source_directory="src", arguments=[out])
    pipeline = Pipeline(steps=[step])
    first = project.experiment().submit(pipeline)
    assert first.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    (failed,) = first.get_steps()
    folder = Path(failed._record.outputs["result"]["path"])
    assert (folder / "half.txt").read_text() == "half"  # kept where it was written
    note = (folder.parent / "INCOMPLETE.txt").read_text()
    assert "ended Failed" in note and "stopped half way" in note
    # Same fingerprint, but the earlier step run failed: it runs again, never reused.
    second = project.experiment().submit(pipeline)
    assert second.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    (again,) = second.get_steps()
    assert again.reused_from is None and again.start_time is not None


# -- failure summaries -----------------------------------------------------------------------
def test_a_failed_steps_summary_shows_the_end_of_its_traceback(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.script("src/deep.py", DEEP)
    step = PythonScriptStep("deep.py", name="deep", source_directory="src")
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError) as info:
        run.wait_for_completion(show_output=True)
    cause = "ValueError: learning rate must be positive, got -0.1"
    assert run.error == f"step 'deep' exited with code 1: {cause}"
    assert cause in str(info.value)
    shown = capsys.readouterr().out
    assert f"step 'deep' exited with code 1: {cause}" in shown
    assert shown.count(cause) >= 2  # the summary, then the end of the log under it
    events = project.ws.run_store.events(run.id)
    assert any(e["step"] == "deep" and cause in (e["message"] or "") for e in events)
    table = project.cli("show", run.id, check=0).stdout
    assert cause in table


def test_an_environment_build_logs_to_its_own_file(project: Project) -> None:
    project.script("src/hello.py", "print('hello from the step')\n")
    env = Environment("provided")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["azureml-core"])
    config = RunConfiguration()
    config.environment = env
    step = PythonScriptStep("hello.py", name="hello", source_directory="src", runconfig=config)
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    (done,) = run.get_steps()
    build_log = (done.step_dir / "environment_build.txt").read_text()
    assert "not installing azureml-core" in build_log
    assert "step 'hello' runs with" in build_log
    assert done.get_logs()["stderr"] == ""
    assert done.get_logs()["stdout"] == "hello from the step\n"


# -- warnings said once ----------------------------------------------------------------------
def test_the_docker_fallback_warning_is_said_once_and_not_for_reused_steps(
    project: Project,
) -> None:
    project.script("src/echo.py", "import sys\nprint(sys.argv[1])\n")
    config = docker_runconfig()
    steps = [
        PythonScriptStep("echo.py", name=n, source_directory="src", arguments=[n], runconfig=config)
        for n in ("a", "b", "c")
    ]
    pipeline = Pipeline(steps=steps)
    first = project.experiment().submit(pipeline)
    plan = first.describe_plan()
    assert plan.count("asks for Docker") == 1, plan
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    again = project.experiment().submit(pipeline)
    plan = again.describe_plan()
    assert plan.count("reuses step run") == 3 and "asks for Docker" not in plan, plan


def test_gpu_fallback_is_one_warning_for_the_steps_that_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_GPUS", "none")
    project.script("src/echo.py", "import sys\nprint(sys.argv[1])\n")
    steps = [
        PythonScriptStep(
            "echo.py", name=n, source_directory="src", arguments=[n], resources={"gpu": 1}
        )
        for n in ("a", "b")
    ]
    run = project.experiment().submit(Pipeline(steps=steps))
    plan = run.describe_plan()
    assert plan.count("run without GPUs") == 1, plan
    assert "steps 'a', 'b' ask for GPUs but compute target 'local' has none" in plan
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    again = project.experiment().submit(Pipeline(steps=steps))
    assert "GPU" not in again.describe_plan()


# -- no progress bars in logs ----------------------------------------------------------------
def test_uploads_inside_a_step_draw_no_progress_bar(project: Project) -> None:
    project.script(
        "src/upload.py",
        """\
        import pathlib
        from jupyter_pipelines import Workspace
        folder = pathlib.Path("to_upload")
        folder.mkdir()
        for i in range(5):
            (folder / f"f{i}.txt").write_text(str(i))
        store = Workspace.from_config().get_default_datastore()
        store.upload(str(folder), "uploaded", overwrite=True, show_progress=True)
        print("uploaded", sorted(p.name for p in folder.iterdir()))
        """,
    )
    step = PythonScriptStep("upload.py", name="upload", source_directory="src")
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED, run.error
    logs = steps_by_name(run)["upload"].get_logs()
    assert "uploaded ['f0.txt'" in logs["stdout"]
    assert "%|" not in logs["stderr"] and "file/s" not in logs["stderr"], logs["stderr"]
    stored = project.ws.get_default_datastore()
    assert (Path(stored.local_path()) / "uploaded" / "f4.txt").read_text() == "4"


# -- RunDetails outside a notebook -----------------------------------------------------------
def test_run_details_show_in_a_plain_script_prints_a_status_table(project: Project) -> None:
    pipeline = writer_pipeline(project)
    first = project.experiment().submit(pipeline)
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    script = project.script(
        "show.py",
        f"""\
        from jupyter_pipelines import Experiment, PipelineRun, Workspace
        from jupyter_pipelines.widgets import RunDetails
        ws = Workspace.from_config()
        run = PipelineRun(Experiment(ws, "it"), {first.id!r})
        RunDetails(run_instance=run).show()
        """,
    )
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"}
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"Run {first.id} (experiment 'it'): Finished in " in out
    assert "STEP" in out and "STATUS" in out and "DURATION" in out
    assert "writer" in out and "Finished" in out
    assert "text/plain" not in out and "application/vnd.jupyter" not in out and "{" not in out


def test_run_details_v1_members_work(project: Project) -> None:
    from jupyter_pipelines.widgets import RunDetails

    run = project.experiment().submit(writer_pipeline(project))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    view = RunDetails(run)
    data = view.get_widget_data({"debug": True})
    assert data["run_id"] == run.id and data["status"] == st.FINISHED
    (step,) = data["steps"]
    assert step["name"] == "writer" and step["duration"] is not None
    assert view.settings == {"debug": True}
    shown: list[str] = []
    assert view.show(render_lib=shown.append) is view
    assert len(shown) == 1 and 'data-run="' + run.id + '"' in shown[0]
    # A StepRun shows its pipeline run, with that step's log.
    (step_run,) = run.get_steps()
    by_step = RunDetails(step_run)
    assert by_step.run_instance.id == run.id and by_step.selected_step == "writer"
    assert "writing" in by_step.log_text
    with pytest.raises(TypeError, match="PipelineRun or a StepRun"):
        RunDetails("not a run")  # type: ignore[arg-type]


def test_text_table_of_a_failed_run_names_the_cause(project: Project) -> None:
    from jupyter_pipelines.widgets.snapshot import read_snapshot
    from jupyter_pipelines.widgets.text import status_table

    project.script("src/deep.py", textwrap.dedent(DEEP))
    step = PythonScriptStep("deep.py", name="deep", source_directory="src")
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    table = status_table(read_snapshot(run))
    assert "Failed" in table and "ValueError: learning rate must be positive" in table
