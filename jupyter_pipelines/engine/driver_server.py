"""The warm driver server: a process that has imported the engine and forks run drivers.

Starting a run's driver as a new Python process costs about 0.2 s of CPU, nearly all of
it importing the engine. This server imports it once, then, asked over a Unix socket,
forks a driver per run: the driver is a process of its own, in a session of its own,
that outlives both the submitter and this server, exactly like a driver started with
``python -m jupyter_pipelines.engine.driver`` (see ``driver_start``). The forked driver
takes the submitter's environment, current folder and umask, so that its steps see what
they would have seen.

One server per user and interpreter (its socket is named by a hash of the interpreter,
the package's folder and the ``PYTHON*`` variables), serving every workspace, and a
second one for runs with notebook steps, which has imported papermill and
jupyter_client as well (1 to 2 s of CPU that each such driver saves). It never
starts a thread or opens a run store (a fork copies only the forking thread, and SQLite
connections must not cross a fork); it exits when idle for ``IDLE_ENV`` seconds (default
600), and as soon as a module it imported changed on disk (a new version, an edited
checkout), so that drivers never run stale code.
Started as ``python -m jupyter_pipelines.engine.driver_server SOCKET_PATH [notebooks]``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import traceback
from typing import Any

MODULE = "jupyter_pipelines.engine.driver_server"
#: Seconds without a request after which the server exits.
IDLE_ENV = "JUPYTER_PIPELINES_DRIVER_SERVER_IDLE"
IDLE_DEFAULT_S = 600.0
#: Process names (``ps -e``, ``psutil.Process.name()``): their command line is the server's.
SERVER_NAME, DRIVER_NAME = "jp-driver-srv", "jp-driver"
#: What the server prints on its standard output once it serves, or when another
#: server already serves its socket.
READY, BUSY = "ready", "busy"
#: Modules a driver needs, imported before the server says it is ready.
WARM_MODULES = (
    "jupyter_pipelines.engine.driver",
    "jupyter_pipelines.executors.local",
    "jupyter_pipelines.engine.recovery",
    "jupyter_pipelines.engine.watchdog",
    "jupyter_pipelines.log",
    "jupyter_pipelines.stores.datastores",  # every step's data inputs are looked at
)
#: What the drivers of runs with notebook steps import besides (1 to 2 s of CPU, mostly
#: nbformat's jsonschema): a server started with ``NOTEBOOKS`` imports them too.
NOTEBOOK_MODULES = (
    "jupyter_client.kernelspec",
    "jupyter_client.manager",
    "jupyter_core.utils",
    "nbformat",
    "papermill",
    "jupyter_pipelines.executors.warm_kernels",
)
NOTEBOOKS = "notebooks"


def loaded_files() -> dict[str, int]:
    """Modification times (ns) of the source files of every module imported now, and of
    the package folders (an install or upgrade changes them: entry points, new modules)."""
    out = {}
    paths = [getattr(module, "__file__", None) for module in list(sys.modules.values())]
    paths += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    for path in paths:
        if path:
            try:
                out[path] = os.stat(path).st_mtime_ns
            except OSError:
                continue
    return out


def changed(files: dict[str, int]) -> str | None:
    """The first of ``files`` changed or gone since it was recorded, or None."""
    for path, mtime in files.items():
        try:
            if os.stat(path).st_mtime_ns != mtime:
                return path
        except OSError:
            return path
    return None


def peer_uid(conn: socket.socket) -> int | None:
    """The user id of the process at the other end of a Unix socket (Linux), or None."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    data = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return int(struct.unpack("3i", data)[1])


def read_message(conn: socket.socket) -> dict[str, Any]:
    """One JSON object, sent as a single line."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    message = json.loads(data.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("a request must be a JSON object")
    return message


def send_message(conn: socket.socket, message: dict[str, Any]) -> None:
    conn.sendall(json.dumps(message).encode("utf-8") + b"\n")


class DriverServer:
    """Accepts requests for drivers on a listening socket and forks them."""

    def __init__(self, listener: socket.socket, lock: Any, idle_s: float) -> None:
        self.listener = listener
        self.lock = lock
        self.listener.settimeout(idle_s)
        self.files = loaded_files()

    def serve(self) -> str:
        """Serve until idle or stale; the reason it stopped."""
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                return "idle"
            with conn:
                conn.settimeout(10)
                stale = changed(self.files)
                try:
                    if stale is not None:
                        send_message(conn, {"error": f"stale: {stale} changed"})
                        return f"{stale} changed"
                    self._answer(conn)
                except (OSError, ValueError) as exc:
                    print(f"driver server: a request failed: {exc}", file=sys.stderr, flush=True)

    def _answer(self, conn: socket.socket) -> None:
        uid = peer_uid(conn)
        if uid is not None and uid != os.getuid():
            send_message(conn, {"error": "not the server's user"})
            return
        request = read_message(conn)
        for key in ("workspace", "run_id", "cwd", "env", "log"):
            if key not in request:
                raise ValueError(f"the request lacks {key!r}")
        send_message(conn, {"pid": self._fork_driver(request, conn)})

    def _fork_driver(self, request: dict[str, Any], conn: socket.socket) -> int:
        """Fork a driver for ``request``, in a session of its own; its pid.

        The pid is answered at once (the child need not have run yet); the server is its
        parent, reaping it when it ends (``reap``), until the server exits and init
        adopts it.
        """
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked child
            try:
                conn.close()
                self.listener.close()
                self.lock.close()  # the server's lock stays held by the server alone
                os.setsid()
            finally:
                become_driver(request)
        return pid


def reap(*_: Any) -> None:
    """Collect every driver that ended (the SIGCHLD handler): no zombie is left."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def become_driver(request: dict[str, Any]) -> None:  # pragma: no cover - forked child
    """Turn this forked process into the driver of ``request``'s run; never returns."""
    code = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        from ..executors.processes import set_process_name

        set_process_name(DRIVER_NAME)
        os.chdir(request["cwd"])
        if request.get("umask") is not None:
            os.umask(int(request["umask"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        from . import driver

        # What ``python -m jupyter_pipelines.engine.driver DIR RUN`` would have.
        sys.argv = [str(driver.__file__), request["workspace"], request["run_id"]]
        code = driver.main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        exit_like_an_interpreter(code)


def exit_like_an_interpreter(code: int) -> None:  # pragma: no cover - forked child
    """End a forked process as Python ends a program: wait for its non-daemon threads, run
    its ``atexit`` functions, flush its streams; then leave without returning into the
    server's code that forked it (``os._exit``)."""
    import atexit
    import threading

    try:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def warm_up() -> None:
    """Do once here what every driver would do first, and freeze what is loaded.

    ``gc.freeze`` keeps the collector of a forked driver from walking (and so copying)
    every object the server holds: a driver's memory stays shared with the server's.
    """
    import gc

    from ..executors.registry import executor_kinds

    executor_kinds()  # reads every installed package's entry points: 20 ms
    # Writes a file to find a usable temporary folder (GPU locks live there): the same
    # folder for every driver, whose TMPDIR named this server's socket folder too.
    tempfile.gettempdir()
    gc.collect()
    gc.freeze()


def idle_seconds() -> float:
    try:
        return float(os.environ.get(IDLE_ENV) or IDLE_DEFAULT_S)
    except ValueError:
        return IDLE_DEFAULT_S


def main(argv: list[str] | None = None) -> int:
    """Take the socket's lock, import the engine, say ``ready`` and serve."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2) or args[1:] not in ([], [NOTEBOOKS]):
        print(f"usage: python -m {MODULE} SOCKET_PATH [{NOTEBOOKS}]", file=sys.stderr)
        return 2
    import fcntl  # POSIX: the server runs only where drivers can be forked

    path = args[0]
    lock = open(path + ".lock", "a+")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(BUSY, flush=True)
        return 0
    import importlib

    from ..executors.processes import set_process_name

    set_process_name(SERVER_NAME)
    for name in WARM_MODULES + (NOTEBOOK_MODULES if args[1:] else ()):
        importlib.import_module(name)
    warm_up()
    if threading.active_count() != 1:  # a fork copies one thread, not the locks of others
        print(f"driver server: an import started a thread: {threading.enumerate()}", flush=True)
        return 1
    if os.path.exists(path):
        os.unlink(path)  # a server that died left it; the lock says none serves it now
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(64)
    bound = os.stat(path).st_ino
    server = DriverServer(listener, lock, idle_seconds())
    signal.signal(signal.SIGCHLD, reap)
    print(READY, flush=True)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    try:
        why = server.serve()
    finally:
        # Only its own socket: a successor may already have bound a new one there.
        try:
            if os.stat(path).st_ino == bound:
                os.unlink(path)
        except OSError:
            pass
        listener.close()
    print(f"driver server {os.getpid()} exits: {why}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
