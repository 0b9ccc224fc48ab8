"""Finding running Jupyter servers: the one serving a run (for the run widget) or a workspace
(for the authentication classes' token).

A running Jupyter server writes ``jpserver-<pid>.json`` (url, token, root_dir, pid) into the
Jupyter runtime folder; this is what ``jupyter_server.serverapp.list_running_servers`` reads.
It is read here directly with ``jupyter_core`` (a dependency of every kernel), so that the
kernel need not import jupyter_server (seconds on a busy machine). A server serves the run
when its root folder lies inside the run's project folder (its extension then opens that
project's workspace) and it answers ``GET jupyter-pipelines/api/runs/{id}`` with 200 for the
token it advertises. A server serves a *workspace* when its extension opens it (the nearest
workspace root from the server's root) and it accepts its advertised token.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The extension's REST prefix under a server's base URL.
API_PATH = "jupyter-pipelines/api"


@dataclass(frozen=True)
class ServerInfo:
    """A running Jupyter server: base URL (ending with ``/``), token and root folder."""

    url: str
    token: str
    root_dir: Path

    @property
    def api(self) -> str:
        """The extension's REST base URL (no trailing ``/``)."""
        return self.url + API_PATH

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header carrying the token (none when the server has no token)."""
        return {"Authorization": f"token {self.token}"} if self.token else {}

    def events_url(self, run_id: str, after: str | int = "0") -> str:
        """The WebSocket URL of the run's events after message ``after`` (a message's id)."""
        base = "ws" + self.api[len("http") :] if self.api.startswith("http") else self.api
        return f"{base}/runs/{run_id}/events?after={urllib.parse.quote(str(after), safe='')}"


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def running_servers(runtime_dir: str | os.PathLike[str] | None = None) -> Iterator[ServerInfo]:
    """The Jupyter servers whose runtime files are in ``runtime_dir`` and whose process lives."""
    if runtime_dir is None:
        try:
            from jupyter_core.paths import jupyter_runtime_dir
        except ImportError:
            return
        runtime_dir = jupyter_runtime_dir()
    folder = Path(runtime_dir)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("jpserver-*.json")):
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(info, dict) or not _alive(info.get("pid")) or not info.get("url"):
            continue
        url = str(info["url"])
        yield ServerInfo(
            url=url if url.endswith("/") else url + "/",
            token=str(info.get("token") or ""),
            root_dir=Path(str(info.get("root_dir") or "/")).expanduser(),
        )


def serves(server: ServerInfo, project: Path, run_id: str, timeout: float = 2.0) -> bool:
    """Whether ``server``'s root lies in ``project`` and it knows run ``run_id`` (HTTP 200)."""
    try:
        root = server.root_dir.resolve()
    except OSError:
        return False
    project = project.resolve()
    if root != project and project not in root.parents:
        return False
    request = urllib.request.Request(f"{server.api}/runs/{run_id}", headers=server.headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def find_server(
    project: Path, run_id: str, runtime_dir: str | os.PathLike[str] | None = None
) -> ServerInfo | None:
    """The first running server that serves run ``run_id`` of the project in ``project``."""
    for server in running_servers(runtime_dir):
        if serves(server, project, run_id):
            return server
    return None


def workspace_root_of(server: ServerInfo) -> Path:
    """The root of the workspace a server's extension opens: the nearest folder from the
    server's root upwards with a ``.pipelines/`` folder or a v1 config file, else its root
    (as ``Workspace.from_config(root_dir)`` in the server's service)."""
    from .workspace_config import nearest_root

    root = server.root_dir.expanduser().resolve()
    return nearest_root(root) or root


def answers(server: ServerInfo, headers: dict[str, str], timeout: float = 2.0) -> int | None:
    """The HTTP status of ``GET <api>/experiments`` with ``headers``; None when unreachable."""
    request = urllib.request.Request(f"{server.api}/experiments", headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


def server_for_workspace(
    root: Path, runtime_dir: str | os.PathLike[str] | None = None
) -> ServerInfo | None:
    """The first running server whose extension serves the workspace rooted at ``root`` and
    accepts its advertised token (HTTP 200)."""
    root = root.expanduser().resolve()
    for server in running_servers(runtime_dir):
        try:
            serves_root = workspace_root_of(server) == root
        except OSError:
            continue
        if serves_root and answers(server, server.headers) == 200:
            return server
    return None
