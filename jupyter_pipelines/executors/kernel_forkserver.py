"""A warm process that forks a fresh Jupyter kernel per request: the fork server.

It is started as ``PYTHON [FLAGS] kernel_forkserver.py SOCKET`` by
:mod:`.warm_kernels`, with the interpreter and flags of the kernels it will serve, so it
uses only the standard library (the step's interpreter need not have jupyter_pipelines).
It imports the kernel's own modules once (ipykernel, IPython, zmq, debugpy; never torch
or another CUDA library), checks that no thread and no CUDA library exists, says
``ready`` on its stdout, then answers requests on a Unix socket: each names a kernel
module and its arguments (``ipykernel_launcher -f CONNECTION_FILE``), a working directory
and an environment, and passes the kernel's stdout and stderr as file descriptors. For
each it forks a child that becomes a kernel of its own (new session, parent-death
signal, the step's cwd, environment, ``sys.argv``, ``sys.path[0]`` and random seed; zmq
contexts and threads are made after the fork, by ipykernel) and writes back
``pid N``, later ``exit STATUS`` when the kernel ended. A client that hangs up kills its
kernel; EOF on stdin (the client process died) kills every kernel and ends the server.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder is sys.path[0]; it must not shadow any module (a
# kernel gets its own working directory there instead, as ``python -m`` gives it).
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    del sys.path[0]

import ctypes
import json
import select
import signal
import socket
import struct
import threading
from typing import Any

#: What a kernel imports as it starts, imported here once (a missing one is skipped).
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
    "debugpy",
    "debugpy.server",
    "_pydevd_bundle.pydevd_constants",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.core.logger",
    "tornado.platform.asyncio",
    "faulthandler",
    "jupyter_client.session",
    "sqlite3",
    "pdb",
    "psutil",
    "runpy",
    "random",
    "atexit",
    "traceback",
    "tempfile",
)
#: Modules that initialise (or may initialise) CUDA: the warm process never holds them.
FORBIDDEN = ("torch", "cupy", "tensorflow", "jax", "numba", "pycuda", "cuda")
_PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct("!I")


def preload() -> str | None:
    """Import the kernel's modules; why this process cannot fork kernels, or None."""
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            if name == "ipykernel.kernelapp":
                return "ipykernel is not installed for this interpreter"
        except Exception as exc:  # a broken optional module is a cold start's problem
            if name == "ipykernel.kernelapp":
                return f"importing ipykernel failed: {type(exc).__name__}: {exc}"
    return unsafe_to_fork()


def unsafe_to_fork() -> str | None:
    """Why forking now would copy something a kernel must make itself, or None."""
    held = [m for m in FORBIDDEN if m in sys.modules]
    if held:
        return f"the warm process imported {', '.join(held)}"
    tasks = len(os.listdir("/proc/self/task"))
    if threading.active_count() != 1 or tasks != 1:
        return f"the warm process has {tasks} threads"
    with open("/proc/self/maps") as fh:
        if "libcuda" in fh.read():
            return "the warm process has loaded libcuda"
    return None


def read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A request (length-prefixed JSON) and the two file descriptors sent with it."""
    conn.settimeout(10)
    head, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 2)
    if len(head) < _HEADER.size:
        head += _recv_exactly(conn, _HEADER.size - len(head))
    (size,) = _HEADER.unpack(head)
    request = json.loads(_recv_exactly(conn, size))
    conn.settimeout(None)
    return request, fds


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = conn.recv(min(size, 65536))
        if not chunk:
            raise ConnectionError("the client hung up in the middle of a request")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class ForkServer:
    """The server's state: its listening socket, and the kernels it forked (by pid)."""

    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.kernels: dict[int, socket.socket] = {}
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        self.wake_w = wake_w
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    def serve(self) -> None:
        """Answer requests until stdin ends (the client is gone)."""
        while True:
            watched: list[Any] = [0, self.listener, self.wake_r, *self.kernels.values()]
            try:
                ready, _, _ = select.select(watched, [], [])
            except InterruptedError:
                continue
            if 0 in ready and not os.read(0, 4096):
                return
            if self.wake_r in ready:
                os.read(self.wake_r, 4096)
            self.reap()
            if self.listener in ready:
                self.accept()
            for pid, conn in list(self.kernels.items()):
                if conn in ready:
                    self.hung_up(pid, conn)

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        try:
            request, fds = read_request(conn)
        except (OSError, ValueError) as exc:
            _reply(conn, f"error bad request: {exc}")
            conn.close()
            return
        try:
            why = unsafe_to_fork()
            if why is not None:
                _reply(conn, f"error {why}")
                conn.close()
                return
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                self.become_kernel(request, fds, conn)  # never returns
            self.kernels[pid] = conn
            _reply(conn, f"pid {pid}")
        finally:
            for fd in fds:
                os.close(fd)

    def reap(self) -> None:
        """Collect ended kernels; tell each one's client how it ended."""
        while self.kernels:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.kernels.pop(pid, None)
            if conn is not None:
                _reply(conn, f"exit {status}")
                conn.close()

    def hung_up(self, pid: int, conn: socket.socket) -> None:
        """A client closed its connection while its kernel runs: kill the kernel."""
        try:
            if conn.recv(1, socket.MSG_PEEK):
                return
        except OSError:
            pass
        _kill(pid)
        self.kernels.pop(pid, None)
        conn.close()

    def close(self) -> None:
        for pid in list(self.kernels):
            _kill(pid)

    def become_kernel(self, request: dict[str, Any], fds: list[int], conn: socket.socket) -> None:
        """In the forked child: become the requested kernel, then exit; never returns."""
        code = 1
        try:
            self._detach(fds, conn)
            _settle(request)
            code = _run_kernel(request["module"], request["args"])
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _detach(self, fds: list[int], conn: socket.socket) -> None:
        """Leave the server behind: own session, parent-death signal, the step's stdio,
        and none of the server's sockets, pipes or signal handlers."""
        os.setsid()
        _die_with(os.getppid())
        out, err = (fds + fds)[:2] if fds else (os.open(os.devnull, os.O_WRONLY),) * 2
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # Detached, not closed: the objects must not close a number a kernel reuses later.
        for sock in (self.listener, conn, *self.kernels.values()):
            sock.detach()
        os.closerange(3, _max_fd())


def _settle(request: dict[str, Any]) -> None:
    """The step's working directory, environment and interpreter state, as ``python -m``
    started in that directory would have them."""
    import random
    import tempfile
    import time

    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    if not getattr(sys.flags, "safe_path", False):
        sys.path.insert(0, os.getcwd())
    random.seed()
    tempfile.tempdir = None  # TMPDIR is read again


def _run_kernel(module: str, args: list[str]) -> int:
    """Run ``module`` as ``__main__`` with ``args`` (``python -m module args``); its exit code."""
    import atexit
    import runpy

    sys.argv = ["-m", *args]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    atexit._run_exitfuncs()
    return code


def _die_with(parent: int) -> None:
    """SIGKILL this process when the server dies (Linux), also if it already did."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _max_fd() -> int:
    try:
        return max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    except (OSError, ValueError):
        return os.sysconf("SC_OPEN_MAX")


def _kill(pid: int) -> None:
    """SIGKILL a kernel's process group (its own session: it and what it started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reply(conn: socket.socket, line: str) -> None:
    try:
        conn.sendall(line.encode() + b"\n")
    except OSError:
        pass


def main(argv: list[str]) -> int:
    """Preload, say ready (or why not) on stdout, serve until stdin ends."""
    # ipykernel reads its parent's pid at import; a kernel's parent is this server.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    why = preload() if sys.platform.startswith("linux") else "fork server runs on Linux only"
    if why is None:
        try:
            server = ForkServer(argv[0])
        except OSError as exc:
            why = f"cannot listen on {argv[0]!r}: {exc}"
    print(json.dumps({"ready": why is None, "why": why, "pid": os.getpid()}), flush=True)
    if why is not None:
        return 1
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # the client stopped reading: later prints must not block
    try:
        server.serve()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
