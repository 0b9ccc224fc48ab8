"""Steps die with their run driver: a driver killed with SIGKILL leaves no step process,
and every listing shows its run Failed, with the reason."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from jupyter_pipelines import CommandStep, Experiment, Pipeline, Run
from jupyter_pipelines.engine.watchdog import MODULE, NAME
from jupyter_pipelines.executors.processes import RUN_MARKER
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration


def processes_of(run_id: str, pids: Path | None = None) -> list[int]:
    """Live processes that belong to run ``run_id``'s steps: those that carry its marker,
    and those whose pids the steps wrote into ``pids``."""
    found = [int(p) for p in pids.read_text().split() if alive(int(p))] if pids else []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_MARKER) == run_id and alive(proc.pid):
                found.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return sorted(set(found))


def sleeping_run(project: Project) -> tuple[Run, int, Path]:
    """A run whose step sleeps, with a double-forked ``setsid`` sleeper beside it; the run,
    its driver's pid and the file of the sleepers' pids, once both sleepers run."""
    pids = project.pid_file("step.pids")
    sleeper = f"bash -c 'echo $$ >> {pids}; exec sleep 300'"
    step = CommandStep(
        f"( setsid {sleeper} > /dev/null 2>&1 & ) ; echo $$ >> {pids}; exec sleep 300",
        name="sleepy",
    )
    after = CommandStep("echo never", name="after")
    after.run_after(step)
    run = project.experiment().submit(Pipeline(steps=[step, after]))
    wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2, what="both sleepers")
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert driver is not None and alive(driver)
    assert len(processes_of(run.id)) == 2
    return run, driver, pids


def is_watchdog(proc: psutil.Process) -> bool:
    """Whether ``proc`` is a driver's watchdog: forked (named so) or a process of its own."""
    return proc.name() == NAME or MODULE in " ".join(proc.cmdline())


def listed(project: Project, run_id: str) -> dict[str, object]:
    rows = project.cli_json("runs")
    return next(row for row in rows if row["id"] == run_id)


def test_a_killed_driver_takes_its_steps_along(project: Project) -> None:
    run, driver, pids = sleeping_run(project)

    killed = time.monotonic()
    os.kill(driver, signal.SIGKILL)
    # Nobody reads the run: the steps die anyway (the step by its parent-death signal,
    # the setsid daemon by the driver's watchdog).
    wait_until(lambda: not processes_of(run.id, pids), timeout=5, what="no step process left")
    print(f"\nno step process left {time.monotonic() - killed:.2f} s after the kill")
    # The watchdog also failed the run (the store read as is: no reader's check).
    store = project.ws.run_store
    wait_until(lambda: store.get_run(run.id).status == st.FAILED, timeout=5, what="Failed")
    row = listed(project, run.id)
    assert row["status"] == st.FAILED
    assert f"run driver (pid {driver}) exited before the run ended" in str(row["error"])


def test_a_listing_fails_a_run_whose_driver_and_watchdog_died(project: Project) -> None:
    run, driver, pids = sleeping_run(project)
    watchdogs = [p for p in psutil.Process(driver).children() if is_watchdog(p)]
    assert len(watchdogs) == 1
    watchdogs[0].kill()
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(driver), timeout=5, what="the driver to die")
    # The step's own process died with the driver; the daemon it left needs a reader.
    wait_until(lambda: len(processes_of(run.id, pids)) == 1, timeout=5, what="the step to die")
    assert project.ws.run_store.get_run(run.id).status == st.RUNNING

    row = listed(project, run.id)
    assert row["status"] == st.FAILED
    assert f"run driver (pid {driver}) exited before the run ended" in str(row["error"])
    assert processes_of(run.id, pids) == []
    steps = {s.name: s.status for s in project.ws.run_store.get_steps(run.id)}
    assert steps == {"sleepy": st.FAILED, "after": st.FAILED}


@pytest.mark.parametrize("reader", ["Experiment.get_runs", "Run.list", "GET runs"])
def test_listings_fail_a_run_whose_driver_died(project: Project, reader: str) -> None:
    run, driver, pids = sleeping_run(project)
    for proc in psutil.Process(driver).children():
        if is_watchdog(proc):
            proc.kill()
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(driver), timeout=5, what="the driver to die")
    experiment = Experiment(project.ws, run.experiment.name)
    if reader == "GET runs":  # what the server's route answers
        from jupyter_pipelines.server.service import PipelinesService

        (found,) = [
            r for r in PipelinesService(project.root).list_runs()["runs"] if r["id"] == run.id
        ]
        status, error = found["status"], found["error"]
    else:
        runs = experiment.get_runs() if reader == "Experiment.get_runs" else Run.list(experiment)
        (listed,) = [r for r in runs if r.id == run.id]
        status, error = listed.status, listed.error
    assert status == st.FAILED
    assert "exited before the run ended" in (error or "")
    assert processes_of(run.id, pids) == []
