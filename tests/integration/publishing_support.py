"""Helpers of the publishing tests: a two-step pipeline whose code says which version ran, and
a real ``jupyter server`` with the extension, advertised in a private runtime folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_pipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep
from tests.integration.support import Project, wait_until

TOKEN = "publishing-token-for-tests"

MAKE = """\
import argparse, os, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("--out")
parser.add_argument("--n")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
pathlib.Path(args.out, "x.txt").write_text(f"n={args.n} code=VERSION")
print(f"make: n={args.n} code=VERSION")
"""

SHOW = """\
import pathlib, sys
print("show:", pathlib.Path(sys.argv[2], "x.txt").read_text())
"""


def write_code(project: Project, version: str = "one") -> None:
    """The two steps' scripts under ``src/``; ``version`` is what they print."""
    project.script("src/make.py", MAKE.replace("VERSION", version))
    project.script("src/show.py", SHOW)


def two_steps(
    project: Project, default_n: int = 3, parameters: tuple[PipelineParameter, ...] = ()
) -> Pipeline:
    """make (writes ``n`` and its code version to an output) -> show (prints it); more
    ``parameters`` are declared (no step uses them)."""
    n = PipelineParameter("n", default_value=default_n)
    data = PipelineData("data")
    make = PythonScriptStep(
        name="make",
        script_name="make.py",
        source_directory="src",
        arguments=["--out", data, "--n", n],
        outputs=[data],
    )
    show = PythonScriptStep(
        name="show",
        script_name="show.py",
        source_directory="src",
        arguments=["--in", data],
        inputs=[data],
    )
    return Pipeline(project.ws, [make, show], name="two", parameters=parameters)


def stdout(run: object, step: str) -> str:
    """What a step of a run printed (the run that ran it, for a reused step)."""
    step_run = run.get_step_run(step)  # type: ignore[attr-defined]
    return (Path(step_run.step_dir) / "stdout.txt").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str, headers: dict[str, str]) -> int | None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, ConnectionError):
        return None


@dataclass
class Server:
    """A running jupyter server: its REST base URL and the v1 auth header."""

    api: str
    proc: subprocess.Popen[bytes]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def jupyter_server(root: Path, runtime: Path) -> Iterator[Server]:
    """A real ``jupyter server`` with the extension serving ``root``, listed in ``runtime``."""
    port = free_port()
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
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
    ]
    api = f"http://127.0.0.1:{port}/jupyter-pipelines/api"
    log = runtime / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the jupyter server exited:\n{log.read_text()[-3000:]}")
        ok = http_status(f"{api}/experiments", {"Authorization": f"token {TOKEN}"}) == 200
        return ok and any(runtime.glob("jpserver-*.json"))

    try:
        wait_until(ready, timeout=90, what="the jupyter server to answer")
        yield Server(api, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
