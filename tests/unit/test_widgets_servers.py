"""Finding the Jupyter server of a run's workspace: runtime files, roots, URLs."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jupyter_pipelines.widgets.servers import ServerInfo, find_server, running_servers, serves
from jupyter_pipelines.widgets.source import StoreSource, open_source


def advertise(runtime: Path, name: str, pid: int, url: str, root: Path) -> None:
    info = {"pid": pid, "url": url, "token": "tok", "root_dir": str(root)}
    (runtime / f"jpserver-{name}.json").write_text(json.dumps(info))


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_running_servers_keeps_live_processes_and_skips_broken_files(tmp_path: Path) -> None:
    advertise(tmp_path, "1", os.getpid(), "http://127.0.0.1:1/base", tmp_path)
    advertise(tmp_path, "2", dead_pid(), "http://127.0.0.1:2/", tmp_path)
    (tmp_path / "jpserver-3.json").write_text("{not json")
    (tmp_path / "kernel-4.json").write_text(json.dumps({"pid": os.getpid(), "url": "x"}))
    servers = list(running_servers(tmp_path))
    assert servers == [ServerInfo(url="http://127.0.0.1:1/base/", token="tok", root_dir=tmp_path)]
    assert list(running_servers(tmp_path / "missing")) == []


def test_urls_of_a_server() -> None:
    server = ServerInfo(url="https://h:8888/base/", token="tok", root_dir=Path("/"))
    assert server.api == "https://h:8888/base/jupyter-pipelines/api"
    assert server.events_url("abc", 7) == (
        "wss://h:8888/base/jupyter-pipelines/api/runs/abc/events?after=7"
    )
    assert server.events_url("abc", "41.38o2048.end").endswith("events?after=41.38o2048.end")
    assert server.headers == {"Authorization": "token tok"}
    assert ServerInfo(url="http://h/", token="", root_dir=Path("/")).headers == {}


def test_a_server_rooted_outside_the_project_is_not_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    asked: list[str] = []

    class Opener:
        def open(self, request: urllib.request.Request, timeout: float) -> Any:
            asked.append(request.full_url)
            return contextlib.nullcontext(SimpleNamespace(status=200))

    monkeypatch.setattr(urllib.request, "build_opener", lambda *_: Opener())
    outside = ServerInfo(url="http://h/", token="t", root_dir=tmp_path)
    inside = ServerInfo(url="http://h/", token="t", root_dir=project / "sub")
    assert not serves(outside, project, "run")  # a parent folder's server has another workspace
    assert asked == []
    assert serves(inside, project, "run")
    assert asked == ["http://h/jupyter-pipelines/api/runs/run"]


def test_without_a_server_the_source_is_the_store(tmp_path: Path) -> None:
    advertise(tmp_path, "1", os.getpid(), "http://127.0.0.1:9/", tmp_path)
    assert find_server(tmp_path, "run", runtime_dir=tmp_path) is None
    source = open_source(tmp_path, "run", poll_seconds=0.3, use_server=False)
    assert isinstance(source, StoreSource) and source.poll_seconds == 0.3
