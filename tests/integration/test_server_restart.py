"""Runs submitted through a real ``jupyter server`` subprocess outlive it: a restarted server
on the same root shows their true state (Finished, or Failed when their driver died)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.stores import status as st
from tests.integration.server_process import ServerProcess
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def server(root: Path, runtime: Path) -> Iterator[ServerProcess]:
    started = ServerProcess(root, runtime)
    try:
        yield started
    finally:
        started.stop()


def one_step(command: str, name: str) -> dict[str, Any]:
    return {"version": 1, "name": name, "steps": {"only": {"type": "command", "command": command}}}


def test_runs_outlive_the_server_and_show_their_true_state_after_a_restart(
    project: Project, tmp_path: Path
) -> None:
    go = project.root / "go"
    waiting = one_step(f"while [ ! -f {go} ]; do sleep 0.05; done; echo went", "waits")
    doomed = one_step("sleep 60", "doomed")
    store = project.ws.run_store

    def running(run_id: str) -> bool:
        run = store.get_run(run_id)
        step = store.get_step(run_id, "only")
        return run.driver_pid is not None and step.status == st.RUNNING and step.pid is not None

    with server(project.root, tmp_path / "runtime-1") as first:
        waits = first.call("runs", {"document": waiting})["run"]["id"]
        killed = first.call("runs", {"document": doomed})["run"]["id"]
        wait_until(lambda: running(waits) and running(killed), what="both runs to be running")
        assert first.call(f"runs/{waits}")["status"] == st.RUNNING

    # The server is gone; its runs are not.
    driver = store.get_run(waits).driver_pid
    assert driver is not None and alive(driver)
    assert store.get_run(waits).status == st.RUNNING
    go.write_text("")
    killed_driver = store.get_run(killed).driver_pid
    assert killed_driver is not None
    os.kill(killed_driver, signal.SIGKILL)
    wait_until(lambda: not alive(killed_driver), what="the driver to die")
    wait_until(lambda: store.get_run(waits).status == st.FINISHED, what="the run to finish")

    with server(project.root, tmp_path / "runtime-2") as second:
        run = second.call(f"runs/{waits}")
        assert run["status"] == st.FINISHED
        assert [s["status"] for s in run["step_runs"]] == [st.FINISHED]
        logs = second.call(f"runs/{waits}/steps/only/logs")
        assert logs["text"] == "went\n"

        dead = second.call(f"runs/{killed}")
        assert dead["status"] == st.FAILED
        assert f"the run driver (pid {killed_driver}) exited" in dead["error"]
        assert dead["step_runs"][0]["status"] == st.FAILED
        assert "run driver" in dead["step_runs"][0]["error"]
    step_pid = store.get_step(killed, "only").pid
    assert step_pid is not None
    wait_until(lambda: not alive(step_pid), what="the orphaned step to be stopped")
