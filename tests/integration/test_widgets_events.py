"""The run widget follows a real Jupyter server's event stream when one serves the workspace,
and polls the run store otherwise (no server, or a stream that fails)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_pipelines import CommandStep, Pipeline, PipelineRun
from jupyter_pipelines.stores import status as st
from jupyter_pipelines.widgets import RunDetails
from jupyter_pipelines.widgets import source as source_module
from jupyter_pipelines.widgets.servers import ServerInfo, find_server
from jupyter_pipelines.widgets.source import EventSource, StoreSource
from tests.integration.event_support import content, truth
from tests.integration.support import Project, wait_until

pytestmark = pytest.mark.integration

TOKEN = "widget-events"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private Jupyter runtime folder, where servers advertise themselves."""
    folder = tmp_path / "runtime"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(folder))
    return folder


@pytest.fixture
def server(project: Project, runtime: Path) -> Iterator[str]:
    """A real ``jupyter server`` with the extension on the project root; yields its base URL."""
    port = free_port()
    log = runtime / "server.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    argv = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={TOKEN}",
        f"--ServerApp.root_dir={project.root}",
        "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
    ]
    url = f"http://127.0.0.1:{port}/"
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def answers() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the jupyter server exited:\n{log.read_text()[-3000:]}")
        request = urllib.request.Request(
            f"{url}jupyter-pipelines/api/runs?limit=1", headers={"Authorization": f"token {TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except (urllib.error.URLError, ConnectionError):
            return False
        return any(runtime.glob("jpserver-*.json"))

    try:
        wait_until(answers, timeout=60, what="the jupyter server to answer")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def gated_run(project: Project, gate: Path) -> PipelineRun:
    """first -> second: ``first`` waits (at most 30 s) for ``gate``, ``second`` echoes."""
    first = CommandStep(
        f"for i in $(seq 600); do [ -f {gate} ] && break; sleep 0.05; done; echo first",
        name="first",
        allow_reuse=False,
    )
    second = CommandStep("echo second", name="second", allow_reuse=False)
    second.run_after(first)
    pipeline = Pipeline(steps=[first, second], name="events")
    return project.experiment().submit(pipeline, show_output=False)


def test_the_widget_follows_the_event_stream_of_the_server_serving_the_workspace(
    project: Project, server: str
) -> None:
    gate = project.root / "gate"
    run = gated_run(project, gate)
    found = find_server(project.root, run.id)
    assert found is not None and found.url == server and found.token == TOKEN

    # A poll every 60 s: only the event stream can bring the changes in time.
    view = RunDetails(run, poll_seconds=60)
    view.start()
    wait_until(lambda: isinstance(view.source, EventSource), what="the view to pick the server")
    source = view.source
    assert isinstance(source, EventSource) and source.server.url == server
    wait_until(lambda: view.snapshot.step("first").status == st.RUNNING, what="first shown Running")
    gate.touch()
    view.wait(timeout=30)
    assert not view.following
    assert view.source is source  # followed to the end, no fallback
    assert view.snapshot.status == st.FINISHED
    assert [s.status for s in view.snapshot.steps] == [st.FINISHED, st.FINISHED]
    assert 'data-step="second" data-status="Finished"' in view.dag.value

    # Every status change of the run reached the view, in order, then the end.
    statuses = [
        (m["kind"], m["step"], m["status"]) for m in source.messages if m["type"] == "status"
    ]
    events = [(e["kind"], e["step"], e["status"]) for e in project.ws.run_store.events(run.id)]
    assert statuses == events
    for step in ("first", "second"):
        assert ("step", step, st.RUNNING) in statuses and ("step", step, st.FINISHED) in statuses
    assert source.messages[-1]["type"] == "end" and source.messages[-1]["status"] == st.FINISHED
    ids = [m["id"] for m in source.messages]
    assert len(set(ids)) == len(ids)  # each id is the cursor right after its message
    assert content(source.messages) == truth(project.ws.run_store, run.id)
    logs = [line for m in source.messages if m["type"] == "log" for line in m["lines"]]
    assert "first" in logs and "second" in logs


def test_without_a_server_the_widget_polls_the_store(project: Project, runtime: Path) -> None:
    gate = project.root / "gate"
    gate.touch()
    run = gated_run(project, gate)
    assert find_server(project.root, run.id) is None
    view = RunDetails(run, poll_seconds=0.1)
    view.start()
    view.wait(timeout=30)
    assert isinstance(view.source, StoreSource)
    assert view.snapshot.status == st.FINISHED
    assert 'data-step="second" data-status="Finished"' in view.dag.value


def test_a_failing_stream_falls_back_to_the_store(
    project: Project, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A "server" whose port nothing listens on: the WebSocket is refused.
    dead = ServerInfo(url=f"http://127.0.0.1:{free_port()}/", token="x", root_dir=project.root)
    monkeypatch.setattr(source_module, "find_server", lambda *_: dead)
    gate = project.root / "gate"
    run = gated_run(project, gate)
    view = RunDetails(run, poll_seconds=0.1)
    view.start()
    wait_until(lambda: isinstance(view.source, StoreSource), what="the fallback to the store")
    gate.touch()
    view.wait(timeout=30)
    assert view.snapshot.status == st.FINISHED
    assert [s.status for s in view.snapshot.steps] == [st.FINISHED, st.FINISHED]
