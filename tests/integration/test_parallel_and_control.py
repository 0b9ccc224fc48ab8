"""Concurrency, slots, timeouts, cancel, failure propagation and isolation between runs."""

from __future__ import annotations

import os

import psutil
import pytest

from jupyter_pipelines import (
    CommandStep,
    NotebookStep,
    Pipeline,
    PipelineData,
    PythonScriptStep,
    RunFailedError,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, overlaps, steps_by_name, wait_until

pytestmark = pytest.mark.integration

SLEEP = "import sys, time; time.sleep(float(sys.argv[1]))\n"

#: Starts a child in its process group and a grandchild in a session of its own, writes
#: every pid to the file in argv[1], then sleeps.
SPAWNER = """\
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    escaped = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    with open(sys.argv[1] + ".tmp", "w") as fh:
        fh.write(f"{os.getpid()} {child.pid} {escaped.pid}")
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(60)
"""


#: Waits (at most 30 s) for the file argv[1], then writes "go" into argv[2].
WAIT_FOR_GO = """\
    import pathlib, sys, time
    go, marker = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    deadline = time.time() + 30
    while not go.exists():
        if time.time() > deadline:
            sys.exit("never got the go")
        time.sleep(0.05)
    marker.write_text("go")
"""


def sleepers(project: Project, n: int = 2, seconds: float = 1.0) -> Pipeline:
    project.script("sleep.py", SLEEP)
    return Pipeline(
        steps=[PythonScriptStep("sleep.py", name=f"s{i}", arguments=[seconds]) for i in range(n)]
    )


#: A two-party barrier: writes DIR/ME, waits (at most 20 s) for DIR/OTHER, then exits 0.
BARRIER = """\
    import pathlib, sys, time
    folder, me, other = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    (folder / me).touch()
    deadline = time.time() + 20
    while not (folder / other).exists():
        if time.time() > deadline:
            sys.exit(f"{other} never started while {me} ran")
        time.sleep(0.02)
    time.sleep(0.2)
"""


def test_independent_steps_overlap(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "2")
    project.script("barrier.py", BARRIER)
    folder = str(project.root)
    steps = [
        PythonScriptStep("barrier.py", name="left", arguments=[folder, "L", "R"]),
        PythonScriptStep("barrier.py", name="right", arguments=[folder, "R", "L"]),
    ]
    run = project.experiment().submit(Pipeline(steps=steps))
    # Each step only finishes once the other has started: they ran at the same time.
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    s = steps_by_name(run)
    assert overlaps(s["left"], s["right"]), [(x.start_time, x.end_time) for x in s.values()]


def test_one_slot_serializes_steps(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "1")
    run = project.experiment().submit(sleepers(project, seconds=0.5))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    s = steps_by_name(run)
    assert not overlaps(s["s0"], s["s1"]), [(x.start_time, x.end_time) for x in s.values()]
    # The step that waited for the slot was recorded as queued first.
    queued = [e["step"] for e in project.ws.run_store.events(run.id) if e["status"] == st.QUEUED]
    assert len(queued) == 1


def test_timeout_stops_a_command_step(project: Project) -> None:
    pids = project.pid_file("pids.txt")
    project.script("spawner.py", SPAWNER)
    slow = PythonScriptStep("spawner.py", name="slow", arguments=[str(pids)], timeout=1.5)
    after = CommandStep("echo never", name="after")
    after.run_after(slow)
    run = project.experiment().submit(Pipeline(steps=[slow, after]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    s = steps_by_name(run)
    assert s["slow"].status == st.FAILED
    assert "timed out after 1.5 s" in s["slow"].error
    assert s["after"].status == st.FAILED
    assert "upstream step 'slow' failed" in s["after"].error
    assert s["after"].start_time is None
    for pid in map(int, pids.read_text().split()):
        assert not alive(pid), f"process {pid} of the timed-out step survived"


def test_timeout_stops_a_notebook_step(project: Project) -> None:
    pids = project.pid_file("kernel.pid")
    project.notebook(
        "slow.ipynb",
        "pid_file = ''\n",
        "import os, time\nopen(pid_file, 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
    )
    step = NotebookStep("slow.ipynb", name="slow", parameters={"pid_file": str(pids)}, timeout=4)
    run = project.experiment().submit(Pipeline(steps=[step]))
    with pytest.raises(RunFailedError, match="timed out after 4 s"):
        run.wait_for_completion(show_output=False)
    assert run.get_status() == st.FAILED
    slow = run.find_step_run("slow")[0]
    assert slow.status == st.FAILED
    assert "timed out after 4 s" in slow.error
    kernel_pid = int(wait_until(lambda: pids.exists() and pids.read_text(), what="kernel pid"))
    wait_until(lambda: not alive(kernel_pid), timeout=10, what="the kernel to die")


def group_members(pgid: int) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid:
                found.append(proc.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    return [p for p in found if alive(p)]


def test_cancel_kills_the_whole_process_tree(project: Project) -> None:
    pids = project.pid_file("pids.txt")
    project.script("spawner.py", SPAWNER)
    project.script("sleep.py", SLEEP)
    busy = PythonScriptStep("spawner.py", name="busy", arguments=[str(pids)])
    later = PythonScriptStep("sleep.py", name="later", arguments=[0])
    later.run_after(busy)
    run = project.experiment().submit(Pipeline(steps=[busy, later]))
    root, child, escaped = map(
        int, wait_until(lambda: pids.exists() and pids.read_text().split(), what="step pids")
    )
    assert run.get_status() == st.RUNNING
    assert os.getpgid(root) == root  # the step leads its own process group
    assert set(group_members(root)) >= {root, child}

    run.cancel()
    wait_until(lambda: run.get_status() == st.CANCELED, timeout=15, what="Canceled")
    for pid in (root, child, escaped):
        assert not alive(pid), f"process {pid} of the canceled step survived"
    assert group_members(root) == []
    s = steps_by_name(run)
    assert s["busy"].status == st.CANCELED
    assert s["later"].status == st.CANCELED
    assert s["later"].start_time is None
    driver = project.ws.run_store.get_run(run.id).driver_pid
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to exit")
    with pytest.raises(RunFailedError, match="Canceled"):
        run.wait_for_completion(show_output=False)
    run.cancel()  # canceling an ended run changes nothing
    assert run.get_status() == st.CANCELED


def test_cancel_stops_a_notebook_kernel(project: Project) -> None:
    pids = project.pid_file("kernel.pid")
    project.notebook(
        "busy.ipynb",
        "pid_file = ''\n",
        "import os, time\nopen(pid_file, 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
    )
    step = NotebookStep("busy.ipynb", name="busy", parameters={"pid_file": str(pids)})
    run = project.experiment().submit(Pipeline(steps=[step]))
    kernel_pid = int(wait_until(lambda: pids.exists() and pids.read_text(), what="kernel pid"))
    run.cancel()
    wait_until(lambda: run.get_status() == st.CANCELED, timeout=15, what="Canceled")
    assert run.find_step_run("busy")[0].status == st.CANCELED
    assert not alive(kernel_pid)


def failing_pipeline(project: Project) -> Pipeline:
    """bad (exits 3) -> needs_bad; slow (1 s) -> after_slow, independent of bad."""
    project.script("bad.py", "import sys\nprint('bad is failing', file=sys.stderr)\nsys.exit(3)\n")
    project.script("sleep.py", SLEEP)
    data = PipelineData("data")
    bad = PythonScriptStep("bad.py", name="bad", outputs=[data])
    needs_bad = CommandStep(["ls", data.as_input()], name="needs_bad")
    slow = PythonScriptStep("sleep.py", name="slow", arguments=[1])
    after_slow = CommandStep("echo after-slow", name="after_slow")
    after_slow.run_after(slow)
    return Pipeline(steps=[bad, needs_bad, slow, after_slow])


def test_failed_step_fails_downstream_and_stops_the_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "2")
    run = project.experiment().submit(failing_pipeline(project))
    with pytest.raises(RunFailedError, match="step 'bad'"):
        run.wait_for_completion(show_output=False)
    assert run.get_status() == st.FAILED
    s = steps_by_name(run)
    assert s["bad"].status == st.FAILED
    assert s["bad"].exit_code == 3
    assert "exited with code 3" in s["bad"].error
    assert "bad is failing" in s["bad"].error  # the log tail
    assert "bad is failing" in s["bad"].get_logs()["stderr"]
    assert s["needs_bad"].status == st.FAILED
    assert "upstream step 'bad' failed" in s["needs_bad"].error
    # slow was already running and finishes; nothing new starts after the failure.
    assert s["slow"].status == st.FINISHED
    assert s["after_slow"].status == st.CANCELED
    assert s["after_slow"].start_time is None
    assert "continue_on_step_failure" in s["after_slow"].error
    # A failed step's outputs stay where it wrote them, marked as never used.
    note = (s["bad"].step_dir / "outputs" / "INCOMPLETE.txt").read_text()
    assert "ended Failed" in note and "never used" in note
    # The run's error says what went wrong in the step: the end of its log.
    assert run.error == "step 'bad' exited with code 3: bad is failing"


def test_continue_on_step_failure_lets_independent_branches_finish(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "2")
    run = project.experiment().submit(failing_pipeline(project), continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    s = steps_by_name(run)
    assert s["bad"].status == st.FAILED
    assert s["needs_bad"].status == st.FAILED
    assert s["needs_bad"].start_time is None
    assert s["slow"].status == st.FINISHED
    assert s["after_slow"].status == st.FINISHED
    assert "after-slow" in s["after_slow"].get_logs()["stdout"]
    assert s["slow"].end_time <= s["after_slow"].start_time


def test_a_crashing_run_does_not_disturb_another(project: Project) -> None:
    project.script("steady.py", WAIT_FOR_GO)
    project.script(
        "crash.py",
        """\
        print("about to crash", flush=True)
        raise RuntimeError("kaboom")
        """,
    )
    project.script("die.py", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    go, marker = project.root / "go", project.root / "steady.txt"
    steady = project.experiment("steady").submit(
        Pipeline(
            steps=[PythonScriptStep("steady.py", name="steady", arguments=[str(go), str(marker)])]
        )
    )
    wait_until(
        lambda: steady.find_step_run("steady")[0].get_status() == st.RUNNING, what="steady running"
    )
    crash = PythonScriptStep("crash.py", name="crash")
    die = PythonScriptStep("die.py", name="die")
    crashing = project.experiment("crashing").submit(
        Pipeline(steps=[crash, die]), continue_on_step_failure=True
    )
    assert crashing.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    assert steady.get_status() == st.RUNNING  # still going while the other run ended
    c = steps_by_name(crashing)
    assert c["crash"].exit_code == 1
    assert "RuntimeError: kaboom" in c["crash"].error
    assert "about to crash" in c["crash"].get_logs()["stdout"]
    assert c["die"].status == st.FAILED
    assert c["die"].exit_code == -9

    go.touch()
    assert steady.wait_for_completion(show_output=False) == st.FINISHED
    assert marker.read_text() == "go"
    assert steady.find_step_run("steady")[0].exit_code == 0


def test_cancel_right_after_submit_cancels(project: Project) -> None:
    project.script("sleep.py", SLEEP)
    step = PythonScriptStep("sleep.py", name="never", arguments=[30])
    run = project.experiment().submit(Pipeline(steps=[step]))
    run.cancel()  # most likely before the driver has even started the run
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED
    assert run.error == "the run was canceled"
    never = run.find_step_run("never")[0]
    assert never.status == st.CANCELED
    driver = project.ws.run_store.get_run(run.id).driver_pid
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to exit")


def test_failing_notebook_keeps_its_executed_copy_and_metrics(project: Project) -> None:
    project.notebook(
        "bad.ipynb",
        "limit = 1\n",
        [
            "from jupyter_pipelines import Run\nRun.get_context().log('before', 1)\n",
            "raise ValueError(f'limit {limit} exceeded')\n",
        ],
    )
    step = NotebookStep("bad.ipynb", name="bad", parameters={"limit": 5})
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    bad = run.find_step_run("bad")[0]
    assert bad.status == st.FAILED
    assert bad.exit_code == 1
    assert "failed in cell" in bad.error
    assert "ValueError: limit 5 exceeded" in bad.error
    assert bad.get_metrics() == {"before": 1}
    executed = bad.get_notebook_path()
    assert executed is not None
    assert "limit 5 exceeded" in executed.read_text()


def test_many_notebook_kernels_start_at_once(project: Project, monkeypatch) -> None:
    """Kernels started together must not collide (they once raced for TCP ports)."""
    from jupyter_pipelines import NotebookStep

    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "6")
    for i in range(6):
        project.notebook(f"nb{i}.ipynb", "x = 0\n", f"print('notebook {i}', x)\n")
    steps = [NotebookStep(f"nb{i}.ipynb", name=f"nb{i}", parameters={"x": i}) for i in range(6)]
    run = project.experiment("kernels").submit(Pipeline(steps=steps), show_output=False)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FINISHED, [
        (s.name, s.error) for s in run.get_steps()
    ]
    for i in range(6):
        assert f"notebook {i} {i}" in run.get_step_run(f"nb{i}").get_logs()["stdout"]
