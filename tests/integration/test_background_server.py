"""The workspace's background Jupyter server and the publishing CLI: a plain script with no
server running publishes and posts (reading the auth header or ``.endpoint`` starts a real
jupyter server for the workspace, which outlives the script), two processes asking at once
start one server, ``jupyter-pipelines serve --stop`` stops it and nothing is left."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from jupyter_pipelines.stores import background as bg
from jupyter_pipelines.stores import status as st
from tests.integration.publishing_support import two_steps, write_code
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration

SCRIPT = """\
import json, requests
from jupyter_pipelines import (InteractiveLoginAuthentication, Pipeline, PipelineData,
                               PipelineParameter, PythonScriptStep, Workspace)

ws = Workspace.from_config()
n = PipelineParameter("n", default_value=3)
data = PipelineData("data")
make = PythonScriptStep(name="make", script_name="make.py", source_directory="src",
                        arguments=["--out", data, "--n", n], outputs=[data])
show = PythonScriptStep(name="show", script_name="show.py", source_directory="src",
                        arguments=["--in", data], inputs=[data])
published = Pipeline(ws, [make, show]).publish(name="nightly", description="a script", version="1")

# v1's order: the header first (this starts the workspace's server), then the endpoint.
auth = InteractiveLoginAuthentication().get_authentication_header()
response = requests.post(published.endpoint, headers=auth,
                         json={"ExperimentName": "script", "ParameterAssignments": {"n": 11}})
print(json.dumps({"status": response.status_code, "answer": response.json(),
                  "endpoint": published.endpoint, "published": published.id}))
"""


@pytest.fixture
def env(project: Project, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a plain script: a private Jupyter runtime folder where no server
    runs; the workspace's server is stopped at the end whatever happens."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_PIPELINES_")}
    environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    yield environ
    bg.stop_server(project.ws.dir, timeout=10)


def run_python(project: Project, env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def cli(project: Project, env: dict[str, str], *args: str, check: int = 0) -> str:
    """The stdout of ``jupyter-pipelines ARGS`` (its stderr when ``check`` is an error)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-pipelines"), *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == check, done.stdout + done.stderr
    return done.stdout if check == 0 else done.stderr


def server_processes(project: Project) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if bg.PROGRAM in cmdline and str(project.root) in cmdline and alive(proc.pid):
            found.append(proc)
    return found


def test_a_plain_script_publishes_and_posts_and_serve_stop_leaves_nothing(
    project: Project, env: dict[str, str]
) -> None:
    write_code(project, "one")
    assert bg.serving(project.root) is None
    out = json.loads(run_python(project, env, SCRIPT).strip().splitlines()[-1])
    assert out["status"] == 200, out
    record = bg.read_record(project.ws.dir)
    assert record is not None, "the background server is gone with the script"
    assert out["endpoint"].startswith(record.url)
    files = bg.server_dir(project.ws.dir)
    for name in (bg.TOKEN_NAME, bg.RECORD_NAME):
        assert stat.S_IMODE((files / name).stat().st_mode) == 0o600, name

    from jupyter_pipelines import Experiment, PipelineRun

    run = PipelineRun(Experiment(project.ws, "script"), out["answer"]["Id"])
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "make: n=11 code=one" in (run.get_step_run("make").step_dir / "stdout.txt").read_text()

    # Later processes find the same server: the CLI shows a curl-able URL on it.
    shown = json.loads(cli(project, env, "published", out["published"][:8], "--json"))
    assert shown["endpoint"] == out["endpoint"]
    assert shown["token"] and shown["token"] in shown["curl"]
    assert bg.read_record(project.ws.dir) == record
    if shutil.which("curl"):
        posted = subprocess.run(shown["curl"], shell=True, capture_output=True, text=True)
        assert json.loads(posted.stdout)["PipelineId"] == out["published"], posted.stderr

    assert f"pid {record.pid}" in cli(project, env, "serve", "--stop")
    wait_until(lambda: not alive(record.pid), timeout=20, what="the server to exit")
    assert server_processes(project) == []
    assert bg.read_record(project.ws.dir) is None
    assert list(Path(env["JUPYTER_RUNTIME_DIR"]).glob("jpserver-*.json")) == []
    assert "no background server runs" in cli(project, env, "serve", "--stop")


def test_two_processes_asking_at_once_start_one_server(
    project: Project, env: dict[str, str]
) -> None:
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from jupyter_pipelines.stores.background import ensure_server
        print(ensure_server(Path({str(project.root)!r})).url)
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=project.root, env=env, stdout=subprocess.PIPE
        )
        for _ in range(2)
    ]
    urls = {p.communicate(timeout=180)[0].decode().strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(urls) == 1 and next(iter(urls)).startswith("http://127.0.0.1:")
    assert len(server_processes(project)) == 1
    stopped = json.loads(cli(project, env, "serve", "--stop", "--json"))["stopped"]
    wait_until(lambda: not alive(stopped), timeout=20, what="the server to exit")
    assert server_processes(project) == []


def test_the_publishing_cli(project: Project, env: dict[str, str]) -> None:
    write_code(project)
    two_steps(project).save(project.root / "two.pipeline.yaml")
    env = {**env, "JUPYTER_PIPELINES_BACKGROUND_SERVER": "0"}  # no URL: nothing started
    first = json.loads(
        cli(
            project,
            env,
            "publish",
            "two.pipeline.yaml",
            "--name",
            "two",
            "-v",
            "1",
            "--endpoint",
            "scoring",
            "--json",
        )
    )
    assert (first["name"], first["version"], first["status"]) == ("two", "1", "Active")
    assert first["endpoint"] is None and first["endpoint_added"]["default_version"] == "0"
    second = json.loads(
        cli(
            project,
            env,
            "publish",
            "two.pipeline.yaml",
            "--name",
            "two",
            "-v",
            "2",
            "--endpoint",
            "scoring",
            "--not-default",
            "--json",
        )
    )
    versions = second["endpoint_added"]["versions"]
    assert [(v["version"], v["pipeline_id"], v["default"]) for v in versions] == [
        ("0", first["id"], True),
        ("1", second["id"], False),
    ]
    listed = json.loads(cli(project, env, "published", "--json"))["published"]
    assert [p["id"] for p in listed] == [first["id"], second["id"]]
    table = cli(project, env, "published")
    assert "two" in table and first["id"] in table
    endpoints = json.loads(cli(project, env, "endpoints", "--json"))["endpoints"]
    assert [e["name"] for e in endpoints] == ["scoring"]
    one = json.loads(cli(project, env, "endpoints", "scoring", "--json"))
    assert one["id"] == endpoints[0]["id"] and one["endpoint"] is None
    assert "no published pipeline 'nope'" in cli(project, env, "published", "nope", check=3)
    assert "no pipeline endpoint with name 'x'" in cli(project, env, "endpoints", "x", check=3)
    assert bg.read_record(project.ws.dir) is None


def test_a_recorded_server_that_does_not_answer_is_replaced(
    project: Project, env: dict[str, str]
) -> None:
    impostor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        started = psutil.Process(impostor.pid).create_time()
        files = bg.server_dir(project.ws.dir)
        files.mkdir(parents=True, exist_ok=True)
        record = {
            "pid": impostor.pid,
            "started": started,
            "url": "http://127.0.0.1:9/",
            "root": "x",
        }
        (files / bg.RECORD_NAME).write_text(json.dumps(record))
        assert bg.read_record(project.ws.dir) is not None  # alive, but no server
        url = run_python(
            project,
            env,
            "from pathlib import Path\n"
            "from jupyter_pipelines.stores.background import ensure_server\n"
            f"print(ensure_server(Path({str(project.root)!r})).url)\n",
        ).strip()
        assert impostor.wait(timeout=20) is not None  # stopped
        replaced = bg.read_record(project.ws.dir)
        assert replaced is not None and replaced.pid != impostor.pid and replaced.url == url
    finally:
        impostor.kill()
        impostor.wait()
