"""Starting a run's driver: forked by the warm driver server, or as a new Python process.

Both give the same driver: a process in a session of its own that outlives the submitter,
runs with the submitter's environment in the workspace's root folder and writes to the
run's ``driver.log``. The warm server (``driver_server``) saves the 0.2 s of CPU a new
process spends importing the engine; it is started on the first submit (and again when
it went away) and is left out where a fork could change what the driver is:
``JUPYTER_PIPELINES_WARM_DRIVER=0``, platforms without ``fork``, and submitters that are
themselves a step's processes (a pipeline submitted from a step: its driver must carry
the step's markers, so the step's end stops it, as before).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import selectors
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..errors import EngineError
from ..executors.processes import MARKERS, process_start_time, without_markers
from ..stores import status as st
from ..stores.workspace import Workspace
from . import driver_server as server

log = logging.getLogger("jupyter_pipelines.driver")

WARM_ENV = "JUPYTER_PIPELINES_WARM_DRIVER"
#: Seconds a new server may take to import the engine and say it is ready.
READY_TIMEOUT_S = 20.0
#: Seconds during which a server that could not be started is not tried again (each try
#: costs a Python start; the driver starts as a new process meanwhile).
RETRY_AFTER_S = 60.0
_failed_at: dict[str, float] = {}


def start_driver(workspace: Workspace, run_id: str, *, notebooks: bool = False) -> int:
    """Start the detached driver process of a run, record its pid and return it.

    ``notebooks``: the run has notebook steps (its driver is best forked by the server
    that has imported papermill)."""
    run_dir = workspace.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    pid = forked_driver(workspace, run_id, notebooks) if warm_wanted() else None
    if pid is None:
        pid = _new_process(workspace, run_id)
    workspace.run_store.update_run(run_id, driver_pid=pid, driver_started=process_start_time(pid))
    return pid


def warm_wanted() -> bool:
    """Whether drivers are forked by the warm server here (see the module's docstring)."""
    if os.environ.get(WARM_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        return False
    return not any(os.environ.get(m) for m in MARKERS)


def _new_process(workspace: Workspace, run_id: str) -> int:
    """``python -m jupyter_pipelines.engine.driver``: the driver as a process of its own."""
    try:
        with open(workspace.runs_dir / run_id / "driver.log", "ab") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_pipelines.engine.driver",
                    str(workspace.dir),
                    run_id,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
                close_fds=True,
                cwd=str(workspace.root),
                env=dict(os.environ),
            )
    except OSError as exc:
        workspace.run_store.update_run(
            run_id, status=st.FAILED, ended=time.time(), error=f"cannot start the run driver: {exc}"
        )
        raise EngineError(f"cannot start the run driver for run {run_id!r}: {exc}") from exc
    # Reap the driver when it ends while this process lives (no zombie left behind).
    threading.Thread(target=proc.wait, name=f"reap-driver-{run_id[:8]}", daemon=True).start()
    return proc.pid


# -- the warm server's client --------------------------------------------------------------
def forked_driver(workspace: Workspace, run_id: str, notebooks: bool = False) -> int | None:
    """The pid of a driver the warm server forked for the run; None when it could not
    (a new process is started instead: the reason is logged at debug level).

    A run with notebook steps goes to the notebook server when it serves; when it does
    not, it is started in the background for the next such run, and this one goes to
    the engine's server (its driver imports papermill itself)."""
    request = {
        "workspace": str(workspace.dir),
        "run_id": run_id,
        "cwd": str(workspace.root),
        "env": dict(os.environ),
        "umask": _umask(),
        "log": str(workspace.runs_dir / run_id / "driver.log"),
    }
    try:
        path = socket_path()
    except OSError as exc:
        log.debug("no warm driver server: %s", exc)
        return None
    if notebooks:
        pid = _notebook_server_driver(path + "." + server.NOTEBOOKS, request)
        if pid is not None:
            return pid
    if time.monotonic() - _failed_at.get(path, -RETRY_AFTER_S) < RETRY_AFTER_S:
        return None
    for _attempt in range(3):
        try:
            return _ask(path, request)
        except (OSError, ValueError, EngineError) as exc:
            log.debug("warm driver server at %s: %s", path, exc)
        if not _start_server(path):
            break
    _failed_at[path] = time.monotonic()
    return None


def _notebook_server_driver(path: str, request: dict[str, object]) -> int | None:
    try:
        return _ask(path, request)
    except (OSError, ValueError, EngineError) as exc:
        log.debug("warm notebook driver server at %s: %s", path, exc)
    if time.monotonic() - _failed_at.get(path, -RETRY_AFTER_S) >= RETRY_AFTER_S:
        # Not waited for: it is ready for the next run. Tried again only after a while.
        _failed_at[path] = time.monotonic()
        _spawn_server(path, notebooks=True)
    return None


def _ask(path: str, request: dict[str, object]) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(path)
        server.send_message(conn, request)
        answer = server.read_message(conn)
    if "pid" not in answer:
        raise EngineError(str(answer.get("error") or answer))
    return int(answer["pid"])


def _start_server(path: str) -> bool:
    """Start a server for ``path`` and wait until it (or another one) serves; False when
    none can be started."""
    proc = _spawn_server(path)
    if proc is None:
        return False
    assert proc.stdout is not None
    try:
        # A selector, not select.select: a long-lived process (a Jupyter server) may
        # have file descriptors past select's limit of 1024.
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            ready = selector.select(READY_TIMEOUT_S)
        said = proc.stdout.readline().decode(errors="replace").strip() if ready else ""
    except (OSError, ValueError) as exc:
        log.debug("the warm driver server did not answer: %s", exc)
        said = ""
    finally:
        proc.stdout.close()
    if said == server.BUSY:  # another one starts or serves: give it time to bind
        time.sleep(0.05)
    return said in (server.READY, server.BUSY)


def _spawn_server(path: str, notebooks: bool = False) -> subprocess.Popen[bytes] | None:
    """Start a server for ``path``: a notebook server in the background (nobody reads
    what it says), an engine server with its standard output a pipe, where it says
    ``ready``."""
    argv = [sys.executable, "-m", server.MODULE, path, *([server.NOTEBOOKS] if notebooks else [])]
    try:
        with open(Path(path).parent / f"{Path(path).name}.log", "ab") as err:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if notebooks else subprocess.PIPE,
                stderr=err,
                start_new_session=True,
                close_fds=True,
                cwd=str(Path(path).parent),
                env=without_markers(dict(os.environ)),
            )
    except OSError as exc:
        log.debug("cannot start the warm driver server: %s", exc)
        return None
    # It lives on in its own session; this thread only reaps it if it ends while we live.
    threading.Thread(target=proc.wait, name="reap-driver-server", daemon=True).start()
    return proc


def socket_path() -> str:
    """The warm server's socket for this interpreter (and environment), package and
    ``PYTHON*`` variables, in a folder only this user can enter."""
    folder = Path(tempfile.gettempdir()) / f"jupyter-pipelines-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user")
    key = json.dumps(
        [
            # As given, not resolved: a virtual environment's python links to its base's.
            sys.executable,
            sys.prefix,
            str(Path(server.__file__).resolve().parent.parent),
            sorted((k, v) for k, v in os.environ.items() if k.startswith("PYTHON")),
        ]
    )
    return str(folder / f"driver-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sock")


def _umask() -> int:
    try:  # Linux says it without changing it
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    # Elsewhere reading the umask means setting it: put it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
