"""The v1 authentication classes against a real Jupyter server with the extension: their
header is what the extension's REST API accepts."""

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

from jupyter_pipelines import (
    AuthenticationException,
    InteractiveLoginAuthentication,
    MsiAuthentication,
    ServicePrincipalAuthentication,
    Workspace,
)
from tests.integration.support import Project, wait_until

pytestmark = pytest.mark.integration

TOKEN = "auth-token-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_of(url: str, headers: dict[str, str]) -> int:
    """The HTTP status of a GET (no proxy: the server is local)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture
def server(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real ``jupyter server`` with the extension on the project root, advertised in a
    private runtime folder; yields the extension's REST base URL."""
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
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
        f"--ServerApp.root_dir={project.root}",
        "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
    ]
    api = f"http://127.0.0.1:{port}/jupyter-pipelines/api"
    log = runtime / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the jupyter server exited:\n{log.read_text()[-3000:]}")
        try:
            ok = status_of(f"{api}/experiments", {"Authorization": f"token {TOKEN}"}) == 200
        except (urllib.error.URLError, ConnectionError):
            return False
        return ok and any(runtime.glob("jpserver-*.json"))

    try:
        wait_until(ready, timeout=60, what="the jupyter server to answer")
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_header_is_the_token_that_the_rest_api_accepts(project: Project, server: str) -> None:
    auth = InteractiveLoginAuthentication()
    header = auth.get_authentication_header()
    assert header == {"Authorization": f"Bearer {TOKEN}"}
    assert status_of(f"{server}/experiments", header) == 200
    assert status_of(f"{server}/experiments", {}) in (401, 403)
    assert status_of(f"{server}/experiments", {"Authorization": "token wrong"}) in (401, 403)

    assert auth.get_token("https://management.azure.com/.default").token == TOKEN
    session = ServicePrincipalAuthentication("tenant", "app-id", "secret").signed_session()
    assert session.get(f"{server}/experiments", timeout=10).status_code == 200


def test_an_auth_given_to_a_workspace_serves_that_workspace_from_anywhere(
    project: Project, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = MsiAuthentication(identity_config={"client_id": "x"})
    ws = Workspace.from_config(project.root, auth=auth)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the nearest workspace from here is not the project's
    assert auth.get_authentication_header() == {"Authorization": f"Bearer {TOKEN}"}
    assert ws.root == project.root

    unbound = InteractiveLoginAuthentication()
    with pytest.raises(AuthenticationException, match=r"'jupyter lab'") as caught:
        unbound.get_authentication_header()
    assert str(elsewhere) in str(caught.value)
