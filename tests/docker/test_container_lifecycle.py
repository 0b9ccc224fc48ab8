"""Containers never outlive their step: cancel, timeout, and a killed driver."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from jupyter_pipelines import Pipeline, PythonScriptStep
from jupyter_pipelines.stores import status as st
from tests.docker.conftest import TARGET, containers_of
from tests.integration.support import Project, alive, steps_by_name, wait_until

pytestmark = pytest.mark.docker

SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(120)\n"


def sleeper(project: Project, timeout: float | None = None) -> Pipeline:
    project.script("sleep.py", SLEEPER)
    step = PythonScriptStep(
        "sleep.py", name="sleeper", compute_target=TARGET, source_directory=".", timeout=timeout
    )
    return Pipeline(steps=[step])


def running_container(engine: Any, run_id: str) -> Any:
    return wait_until(
        lambda: [c for c in containers_of(engine, run_id) if c["State"] == "running"],
        timeout=60,
        what="the step's container to run",
    )[0]


def test_cancel_stops_and_removes_the_container(project: Project, engine: Any) -> None:
    run = project.experiment("docker").submit(sleeper(project))
    container = running_container(engine, run.id)
    assert container["Labels"]["jupyter_pipelines.step"] == "sleeper"
    assert container["Labels"]["jupyter_pipelines.workspace"] == str(project.ws.dir)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED
    assert steps_by_name(run)["sleeper"].status == st.CANCELED
    assert containers_of(engine, run.id) == []


def test_a_timeout_stops_and_removes_the_container(project: Project, engine: Any) -> None:
    run = project.experiment("docker").submit(sleeper(project, timeout=2))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    error = steps_by_name(run)["sleeper"].error or ""
    assert "timed out after 2 s" in error
    assert "sleeping" in steps_by_name(run)["sleeper"].get_logs()["stdout"]
    assert containers_of(engine, run.id) == []


def test_containers_of_a_killed_driver_are_removed_by_label(project: Project, engine: Any) -> None:
    run = project.experiment("docker").submit(sleeper(project))
    running_container(engine, run.id)
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert driver is not None
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to die")
    # The container runs on without its driver, until the engine notices the dead driver.
    assert containers_of(engine, run.id)
    assert run.get_status() == st.FAILED
    assert containers_of(engine, run.id) == []


def test_a_new_docker_run_sweeps_containers_a_killed_driver_left(
    project: Project, engine: Any
) -> None:
    """Nobody looked at the dead run: the next run on a Docker target removes its container."""
    first = project.experiment("docker").submit(sleeper(project))
    running_container(engine, first.id)
    driver = project.ws.run_store.get_run(first.id).driver_pid
    assert driver is not None
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(driver), timeout=10, what="the driver to die")
    assert containers_of(engine, first.id)
    project.script("quick.py", "print('quick')\n")
    quick = PythonScriptStep("quick.py", name="quick", compute_target=TARGET, source_directory=".")
    second = project.experiment("docker").submit(Pipeline(steps=[quick]))
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    assert containers_of(engine, first.id) == []
