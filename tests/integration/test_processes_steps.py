"""Misbehaving steps: every process a step started ends with the step, and its log says so.

A step leaves three background processes behind: ``cmd &``, ``nohup cmd &`` and a
double-forked ``setsid`` daemon (which leaves the step's session and process tree). When
the step finishes, fails, times out or is canceled, none of them may remain, and the
step's log names each one it stopped.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from jupyter_pipelines import CommandStep, NotebookStep, Pipeline, RunFailedError
from jupyter_pipelines.engine.runs import PipelineRun
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration


def leave_behind(pids: Path, then: str) -> str:
    """A shell command that starts three background sleepers (each writes its pid to
    ``pids``), waits until all three did, then runs ``then``."""
    sleeper = f"bash -c 'echo $$ >> {pids}; exec sleep 300'"
    return (
        f"{sleeper} & "
        f"nohup {sleeper} > /dev/null 2>&1 & "
        f"( setsid {sleeper} > /dev/null 2>&1 & ) ; "
        f"while [ $(cat {pids} 2>/dev/null | wc -l) -lt 3 ]; do sleep 0.02; done; "
        f"{then}"
    )


def background_pids(pids: Path) -> list[int]:
    return [int(word) for word in pids.read_text().split()]


def assert_all_stopped(run: PipelineRun, step: str, pids: list[int], how: str) -> None:
    """None of ``pids`` runs any more, and the step's log names each of them."""
    wait_until(lambda: not any(alive(p) for p in pids), timeout=5, what="background processes")
    log = run.find_step_run(step)[0].get_stderr_log()
    assert f"step {step!r} {how}; stopped" in log, log
    for pid in pids:
        assert f"pid {pid}: sleep 300" in log, log


def test_a_finished_step_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "echo done"), name="leaky")
    started = time.monotonic()
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    found = background_pids(pids)
    assert len(found) == 3
    assert_all_stopped(run, "leaky", found, "finished")
    assert run.find_step_run("leaky")[0].get_stdout_log().strip() == "done"
    # SIGTERM stops a sleeper at once: the step does not wait out the grace period.
    assert time.monotonic() - started < 20


def test_a_failed_step_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "echo broken >&2; exit 4"), name="leaky")
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError, match="exited with code 4"):
        run.wait_for_completion(show_output=False)
    assert_all_stopped(run, "leaky", background_pids(pids), "failed")
    # The failure still quotes the step's own last words, not the note about processes.
    assert run.find_step_run("leaky")[0].error.splitlines()[-1] == "broken"


def test_a_timed_out_step_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "sleep 60"), name="leaky", timeout=3)
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError, match="timed out after 3 s"):
        run.wait_for_completion(show_output=False)
    found = background_pids(pids)
    assert len(found) == 3
    assert_all_stopped(run, "leaky", found, "timed out")


def test_a_canceled_step_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "sleep 60"), name="leaky")
    run = project.experiment().submit(Pipeline(steps=[step]))
    wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 3, what="three sleepers")
    run.cancel()
    wait_until(lambda: run.get_status() == st.CANCELED, timeout=15, what="Canceled")
    assert_all_stopped(run, "leaky", background_pids(pids), "was canceled")


NOTEBOOK_LEAKS = """\
import os, subprocess, time
sleeper = f"bash -c 'echo $$ >> {pid_file}; exec sleep 300'"
subprocess.Popen(sleeper, shell=True)
os.system(f"( setsid {sleeper} > /dev/null 2>&1 & )")
while not os.path.exists(pid_file) or len(open(pid_file).read().split()) < 2:
    time.sleep(0.02)
"""


def test_a_notebook_kernel_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    project.notebook("leaky.ipynb", "pid_file = ''\n", NOTEBOOK_LEAKS)
    step = NotebookStep("leaky.ipynb", name="leaky", parameters={"pid_file": str(pids)})
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    found = background_pids(pids)
    assert len(found) == 2
    assert_all_stopped(run, "leaky", found, "finished")


def test_a_daemon_that_cleared_its_environment_ends_with_the_run(project: Project) -> None:
    """Without the step's marker it is not known as the step's, but the driver adopted it
    (a child subreaper): it is stopped when the run ends, and the driver's log says so."""
    pids = project.pid_file("bg.pids")
    daemon = f"env -i /bin/bash -c 'echo $$ >> {pids}; exec /bin/sleep 300'"
    step = CommandStep(
        f"( setsid {daemon} > /dev/null 2>&1 & ) ; while [ ! -s {pids} ]; do sleep 0.02; done",
        name="escaper",
    )
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    (pid,) = background_pids(pids)
    wait_until(lambda: not alive(pid), timeout=10, what="the daemon to be stopped")
    driver_log = project.ws.runs_dir / run.id / "driver.log"
    wait_until(
        lambda: f"pid {pid}: /bin/sleep 300" in driver_log.read_text(),
        timeout=10,
        what="driver.log to name it",
    )


def test_a_step_that_kills_itself_leaves_no_background_process(project: Project) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "kill -9 $$"), name="leaky")
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError, match="exited with code -9"):
        run.wait_for_completion(show_output=False)
    assert_all_stopped(run, "leaky", background_pids(pids), "failed")


def test_a_step_that_kills_its_driver_fails_the_run_and_leaves_nothing(
    project: Project,
) -> None:
    pids = project.pid_file("bg.pids")
    step = CommandStep(leave_behind(pids, "kill -9 $PPID; sleep 60"), name="parricide")
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError, match=r"run driver \(pid \d+\) exited"):
        run.wait_for_completion(show_output=False)
    root = project.ws.run_store.get_step(run.id, "parricide").pid
    assert root is not None
    everything = [root, *background_pids(pids)]
    wait_until(lambda: not any(alive(p) for p in everything), timeout=5, what="no process")
