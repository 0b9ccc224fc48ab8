"""The background Jupyter server of a workspace: started on demand when a plain script needs a
REST endpoint (or a token) while no Jupyter server serves the workspace, found again by
later processes, and stopped by ``jupyter-pipelines serve --stop``.

It is a real ``jupyter server`` (jupyter_server's ServerApp with this package's extension,
run by ``python -m jupyter_pipelines.server.background``), bound to 127.0.0.1 on a free
port. Its token is made for it and kept in ``.pipelines/server/token``, readable only by the
user (mode 0600), and reaches it through ``JUPYTER_TOKEN_FILE`` (never the command line,
which other users can read). While it runs it keeps ``.pipelines/server/server.json`` (0600:
pid, start time, URL, root); Jupyter's runtime folder lists it too, as every server.
It starts in a new session, detached like a run driver, so it outlives the script that
started it; a lock file makes two processes asking at once start one server.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from ..errors import StoreError
from .servers import ServerInfo, answers, server_for_workspace
from .workspace_config import WORKSPACE_DIRNAME

SERVER_DIRNAME = "server"
RECORD_NAME, TOKEN_NAME, LOCK_NAME, LOG_NAME = "server.json", "token", "start.lock", "server.log"
#: Set to "0" to never start a background server (a missing server is then an error).
ENV_SWITCH = "JUPYTER_PIPELINES_BACKGROUND_SERVER"
#: How long to wait for a started server to answer (seconds).
START_TIMEOUT = float(os.environ.get("JUPYTER_PIPELINES_SERVER_START_TIMEOUT", "120"))
PROGRAM = "jupyter_pipelines.server.background"


@dataclass(frozen=True)
class ServerRecord:
    """What a running background (or ``serve``) server keeps in ``server.json``."""

    pid: int
    started: float
    url: str
    root: str

    def alive(self) -> bool:
        """Whether the recorded process still runs (not a zombie, not a recycled pid)."""
        try:
            proc = psutil.Process(self.pid)
            return (
                proc.status() != psutil.STATUS_ZOMBIE
                and abs(proc.create_time() - self.started) < 1.0
            )
        except psutil.Error:
            return False


def server_dir(workspace_dir: str | os.PathLike[str]) -> Path:
    """``.pipelines/server/``: the record, token, lock and log of the background server."""
    return Path(workspace_dir) / SERVER_DIRNAME


def _private_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable and writable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def new_token(workspace_dir: str | os.PathLike[str]) -> Path:
    """A fresh token for the next server, in ``.pipelines/server/token`` (0600)."""
    path = server_dir(workspace_dir) / TOKEN_NAME
    _private_write(path, secrets.token_urlsafe(32))
    return path


def read_token(workspace_dir: str | os.PathLike[str]) -> str:
    try:
        return (server_dir(workspace_dir) / TOKEN_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def write_record(workspace_dir: str | os.PathLike[str], url: str, root: str | Path) -> None:
    """Record this process as the workspace's running server (called by the server)."""
    pid = os.getpid()
    record = ServerRecord(pid, psutil.Process(pid).create_time(), url, str(root))
    _private_write(server_dir(workspace_dir) / RECORD_NAME, json.dumps(asdict(record)))


def remove_record(workspace_dir: str | os.PathLike[str], pid: int) -> None:
    """Forget the record when it is ``pid``'s (a newer server's record is left alone)."""
    current = read_record(workspace_dir, alive_only=False)
    if current is not None and current.pid == pid:
        (server_dir(workspace_dir) / RECORD_NAME).unlink(missing_ok=True)


def read_record(
    workspace_dir: str | os.PathLike[str], alive_only: bool = True
) -> ServerRecord | None:
    """The recorded server of the workspace (only while its process lives, by default)."""
    try:
        data = json.loads((server_dir(workspace_dir) / RECORD_NAME).read_text(encoding="utf-8"))
        record = ServerRecord(
            int(data["pid"]), float(data["started"]), str(data["url"]), str(data["root"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if record.alive() or not alive_only else None


def recorded_server(workspace_dir: str | os.PathLike[str]) -> ServerInfo | None:
    """The workspace's recorded server when it lives and accepts its token."""
    record = read_record(workspace_dir)
    if record is None:
        return None
    info = ServerInfo(record.url, read_token(workspace_dir), Path(record.root))
    # A generous timeout: a busy machine must not make a live server look dead.
    return info if answers(info, info.headers, timeout=10.0) == 200 else None


def serving(root: Path) -> ServerInfo | None:
    """A server that serves the workspace rooted at ``root``: one listed in Jupyter's runtime
    folder (``jupyter lab`` started there), else the workspace's recorded one."""
    root = root.expanduser().resolve()
    return server_for_workspace(root) or recorded_server(root / WORKSPACE_DIRNAME)


def ensure_server(root: Path) -> ServerInfo:
    """The server serving the workspace at ``root``, started in the background when none
    does (unless ``JUPYTER_PIPELINES_BACKGROUND_SERVER=0``)."""
    root = root.expanduser().resolve()
    found = serving(root)
    if found is not None:
        return found
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        raise StoreError(
            f"no Jupyter server serves the workspace in {str(root)!r} and {ENV_SWITCH}=0 "
            "forbids starting one; start one with 'jupyter-pipelines serve' or 'jupyter lab'"
        )
    workspace_dir = root / WORKSPACE_DIRNAME
    with _start_lock(workspace_dir):
        found = serving(root)  # another process may have started it while we waited
        if found is not None:
            return found
        if read_record(workspace_dir) is not None:  # alive but not answering: replace it
            stop_server(workspace_dir, timeout=10)
        return _wait_ready(workspace_dir, launch(root))


def server_if_workspace(root: Path) -> ServerInfo | None:
    """``ensure_server(root)`` when ``root`` holds a workspace; else only a running server
    (nothing is started for a folder that is no workspace)."""
    if not (root / WORKSPACE_DIRNAME).is_dir():
        return serving(root)
    try:
        return ensure_server(root)
    except StoreError:
        return None


@contextmanager
def _start_lock(workspace_dir: Path) -> Iterator[None]:
    path = server_dir(workspace_dir) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(root: Path, port: int) -> list[str]:
    """The command that runs the workspace's server in the foreground."""
    return [sys.executable, "-m", PROGRAM, str(root), "--port", str(port)]


def server_environment(workspace_dir: Path) -> dict[str, str]:
    """The environment of a server: the token file made for it, no inherited token."""
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "JUPYTER_TOKEN_FILE")}
    env["JUPYTER_TOKEN_FILE"] = str(new_token(workspace_dir))
    return env


def launch(root: Path) -> subprocess.Popen[bytes]:
    """Start the server of the workspace at ``root`` detached (a new session, no terminal,
    output to ``.pipelines/server/server.log``)."""
    workspace_dir = root / WORKSPACE_DIRNAME
    log_path = server_dir(workspace_dir) / LOG_NAME
    env = server_environment(workspace_dir)
    try:
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                server_command(root, free_port()),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                cwd=str(root),
                env=env,
            )
    except OSError as exc:
        raise StoreError(f"cannot start a Jupyter server for {str(root)!r}: {exc}") from exc
    # Reap it if it ends while this process lives (no zombie left behind).
    threading.Thread(target=proc.wait, name="reap-background-server", daemon=True).start()
    return proc


def _wait_ready(workspace_dir: Path, proc: subprocess.Popen[bytes]) -> ServerInfo:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StoreError(
                f"the background Jupyter server for {str(workspace_dir.parent)!r} exited "
                f"with code {proc.returncode}:\n{_log_tail(workspace_dir)}"
            )
        record = read_record(workspace_dir)
        if record is not None and record.pid == proc.pid:
            info = recorded_server(workspace_dir)
            if info is not None:
                return info
        time.sleep(0.2)
    raise StoreError(
        f"the background Jupyter server for {str(workspace_dir.parent)!r} did not answer "
        f"within {START_TIMEOUT:.0f} s; see {str(server_dir(workspace_dir) / LOG_NAME)!r}"
    )


def _log_tail(workspace_dir: Path, size: int = 3000) -> str:
    try:
        return (server_dir(workspace_dir) / LOG_NAME).read_text(errors="replace")[-size:]
    except OSError:
        return "(no log)"


def stop_server(workspace_dir: str | os.PathLike[str], timeout: float = 30.0) -> int | None:
    """Stop the workspace's recorded server (SIGTERM, then SIGKILL after ``timeout``); its
    pid, or None when none runs."""
    record = read_record(workspace_dir)
    if record is None:
        (server_dir(workspace_dir) / RECORD_NAME).unlink(missing_ok=True)
        return None
    try:
        os.kill(record.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while record.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if record.alive():
        try:
            os.kill(record.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    remove_record(workspace_dir, record.pid)
    return record.pid


def describe(workspace_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The recorded server as a JSON-ready dict (with its token), or None."""
    record = read_record(workspace_dir)
    if record is None:
        return None
    return {**asdict(record), "token": read_token(workspace_dir)}


__all__ = [
    "ServerRecord",
    "describe",
    "ensure_server",
    "launch",
    "read_record",
    "remove_record",
    "server_command",
    "server_environment",
    "server_if_workspace",
    "serving",
    "stop_server",
    "write_record",
]
