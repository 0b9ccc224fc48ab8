"""A real ``jupyter server`` subprocess with the extension, for tests that kill it, restart
it or measure its memory; and a WebSocket reader of its run-event streams."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.integration.support import wait_until

TOKEN = "server-process-test"
HEADERS = {"Authorization": f"token {TOKEN}"}


class ServerProcess:
    """``jupyter server`` on ``root`` (runtime files in ``runtime``), answering when built."""

    def __init__(self, root: Path, runtime: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.api = f"http://127.0.0.1:{port}/jupyter-pipelines/api"
        runtime.mkdir(parents=True, exist_ok=True)
        self.log = runtime / "server.log"
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
        env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
        argv = [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
            "--no-browser",
            "--allow-root",
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=60, what="the jupyter server to answer")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"the jupyter server exited:\n{self.log.read_text()[-3000:]}")
        try:
            self.call("runs?limit=1")
        except (urllib.error.URLError, ConnectionError):
            return False
        return True

    def call(self, path: str, body: Any = None) -> Any:
        """GET ``path`` (POST ``body`` when given) under the extension's API; the JSON answer."""
        request = urllib.request.Request(
            f"{self.api}/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "POST",
            headers=HEADERS,
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def memory(self) -> tuple[int, int]:
        """The server's resident memory now and its peak so far, in bytes (Linux)."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return psutil.Process(self.proc.pid).memory_info().rss, _kib(fields["VmHWM"])

    def kill(self) -> None:
        """kill -9: the server gets no chance to say anything to anyone."""
        self.proc.kill()
        self.proc.wait(15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # -- the run-event WebSocket ----------------------------------------------------------
    def events(
        self,
        run_id: str,
        after: str = "0",
        stop: Callable[[list[dict[str, Any]]], bool] | None = None,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        keep: bool = True,
    ) -> list[dict[str, Any]]:
        """The messages of ``run_id``'s stream after ``after`` until the server closes it
        (the run's end), or until ``stop(messages so far)`` says so."""
        return asyncio.run(self._events(run_id, after, stop, on_message, keep))

    async def _events(
        self,
        run_id: str,
        after: str,
        stop: Callable[[list[dict[str, Any]]], bool] | None,
        on_message: Callable[[dict[str, Any]], None] | None,
        keep: bool,
    ) -> list[dict[str, Any]]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        query = urllib.parse.urlencode({"after": after})
        url = f"ws{self.api[4:]}/runs/{run_id}/events?{query}"
        connection = await websocket_connect(
            HTTPRequest(url, headers=HEADERS), max_message_size=64 * 1024 * 1024
        )
        messages: list[dict[str, Any]] = []
        try:
            while True:
                text = await asyncio.wait_for(connection.read_message(), timeout=60)
                if text is None:
                    return messages
                message = json.loads(text)
                if on_message is not None:
                    on_message(message)
                if keep:
                    messages.append(message)
                if stop is not None and stop(messages):
                    return messages
        finally:
            connection.close()


def _kib(field: str) -> int:
    return int(field.split()[0]) * 1024
