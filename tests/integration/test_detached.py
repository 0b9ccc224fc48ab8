"""The run driver is detached: a run outlives its submitter, and a dead driver is noticed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from jupyter_pipelines import Experiment, Pipeline, PipelineRun, PythonScriptStep, RunFailedError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration

#: Waits for the file argv[1] to appear, then writes argv[2].
WAIT_FOR_GO = """\
    import pathlib, sys, time
    go, marker = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    deadline = time.time() + 30
    while not go.exists():
        if time.time() > deadline:
            sys.exit("never got the go")
        time.sleep(0.05)
    marker.write_text("finished after the submitter exited")
"""


def test_run_goes_on_after_the_submitting_process_exits(project: Project) -> None:
    project.script("late.py", WAIT_FOR_GO)
    go, marker = project.root / "go", project.root / "marker.txt"
    code = textwrap.dedent(
        f"""\
        from jupyter_pipelines import Experiment, Pipeline, PythonScriptStep, Workspace
        ws = Workspace.at({str(project.root)!r})
        step = PythonScriptStep("late.py", name="late", arguments=[{str(go)!r}, {str(marker)!r}])
        run = Experiment(ws, "detached").submit(Pipeline(steps=[step]), show_output=False)
        print(run.id)
        """
    )
    submitter = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert submitter.returncode == 0, submitter.stderr
    run_id = submitter.stdout.strip()
    # The submitter has exited while the step still waits for us: submit did not wait.
    run = PipelineRun(Experiment(project.ws, "detached"), run_id)
    assert run.get_status() not in st.TERMINAL
    assert not marker.exists()
    driver = project.ws.run_store.get_run(run_id).driver_pid
    assert driver is not None and alive(driver)
    assert os.getsid(driver) == driver  # its own session: no hangup from the submitter's
    go.touch()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert marker.read_text() == "finished after the submitter exited"
    assert run.find_step_run("late")[0].status == st.FINISHED
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to exit")


def test_a_killed_driver_marks_the_run_failed(project: Project) -> None:
    pids = project.pid_file("step.pid")
    project.script(
        "busy.py",
        "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
    )
    project.script("after.py", "print('never')\n")
    busy = PythonScriptStep("busy.py", name="busy", arguments=[str(pids)])
    after = PythonScriptStep("after.py", name="after")
    after.run_after(busy)
    run = project.experiment().submit(Pipeline(steps=[busy, after]))
    wait_until(lambda: pids.exists() and pids.read_text(), what="the step to start")
    assert run.get_status() == st.RUNNING
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert driver is not None

    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to die")
    assert run.get_status() == st.FAILED
    assert f"run driver (pid {driver}) exited before the run ended" in run.error
    for step in run.get_steps():
        assert step.status == st.FAILED
        assert "run driver" in step.error
    with pytest.raises(RunFailedError, match=r"run driver \(pid \d+\) exited"):
        run.wait_for_completion(show_output=False)
    # Seen the same from a fresh process's view of the store.
    again = PipelineRun(Experiment(project.ws, run.experiment.name), run.id)
    assert again.get_status() == st.FAILED
    assert again.get_details()["error"] == run.error
