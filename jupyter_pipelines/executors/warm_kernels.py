"""Notebook kernels forked from warm processes: the pool of fork servers and the provisioner.

A fresh Python kernel spends about half a second of CPU importing ipykernel, IPython, zmq
and debugpy. A :class:`WarmKernelPool` keeps one fork server
(:mod:`.kernel_forkserver`) per interpreter, its flags, and the environment variables
read when an interpreter starts; the server has imported those modules once, and forks a
fresh kernel per notebook step. Each kernel is a process of its own that never ran another
step's code; the server runs no user code, holds no thread and no CUDA library.

:class:`WarmKernelProvisioner` is a ``jupyter_client`` kernel provisioner that asks the
pool and falls back to a normal start (``LocalProvisioner``) when it cannot serve: a
kernel that is not ``python -m ipykernel...``, another OS than Linux, an interpreter
without ipykernel, a server that failed; the driver's log says why, once per reason.
``JUPYTER_PIPELINES_WARM_KERNELS=0`` turns warm kernels off.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

log = logging.getLogger(__name__)

#: ``0`` (or ``false``, ``no``, ``off``) starts every kernel cold.
WARM_ENV = "JUPYTER_PIPELINES_WARM_KERNELS"
SERVER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernel_forkserver.py")
#: Modules run as a kernel that the fork server can start (``python -m MODULE``).
KERNEL_MODULES = frozenset({"ipykernel_launcher", "ipykernel", "ipykernel.kernelapp"})
#: Variables an interpreter reads as it starts: kernels that differ in one get another server.
STARTUP_PREFIXES = ("PYTHON", "PYDEVD", "LC_", "LD_")
STARTUP_NAMES = frozenset({"LANG", "LANGUAGE"})
#: Interpreter options that take the next argument as their value.
_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "--check-hash-based-pycs"})
READY_TIMEOUT_S = 60.0
#: Fork servers one pool keeps at most: steps that each differ in a startup variable (a
#: PYTHONPATH of their own) would otherwise pay a server's start instead of a kernel's.
MAX_SERVERS = 4
#: The client of a notebook step's kernel (:class:`StepKernelClient`), by name.
STEP_CLIENT = "jupyter_pipelines.executors.warm_kernels.StepKernelClient"
#: How long IOPub must stay silent before a new kernel counts as ready (jupyter_client: 0.2 s).
IOPUB_SETTLE_S = 0.01
_HEADER = struct.Struct("!I")


class WarmKernelUnavailable(Exception):
    """A fork server cannot give this kernel; it starts cold (the message says why)."""


@dataclass(frozen=True)
class KernelCommand:
    """A kernel command split as ``INTERPRETER [FLAGS] -m MODULE ARGS``."""

    interpreter: tuple[str, ...]
    module: str
    args: tuple[str, ...]


def parse_kernel_command(cmd: Sequence[str]) -> KernelCommand | None:
    """``cmd`` as a Python kernel the fork server can start, or None."""
    if not cmd:
        return None
    i = 1
    while i < len(cmd) and cmd[i].startswith("-") and cmd[i] not in ("-m", "-c", "-"):
        i += 2 if cmd[i] in _OPTIONS_WITH_VALUE else 1
    if i + 1 >= len(cmd) or cmd[i] != "-m" or cmd[i + 1] not in KERNEL_MODULES:
        return None
    return KernelCommand(tuple(cmd[:i]), cmd[i + 1], tuple(cmd[i + 2 :]))


def startup_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``env`` that an interpreter reads as it starts."""
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES) or k in STARTUP_NAMES}


def warm_kernels_enabled(env: Mapping[str, str] | None = None) -> bool:
    """Whether kernels may come from fork servers (``JUPYTER_PIPELINES_WARM_KERNELS``)."""
    value = (os.environ if env is None else env).get(WARM_ENV, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


class ForkedKernel:
    """A kernel forked by a server, seen like a ``subprocess.Popen`` by jupyter_client.

    It is the server's child, not ours: the server tells on the connection when it ended.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, conn: socket.socket, args: Sequence[str]) -> None:
        self.pid = pid
        self.args = list(args)
        self.returncode: int | None = None
        self._conn = conn
        self._buffer = b""
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        """The exit code once the kernel ended, else None."""
        return self._read(0.0)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end; its exit code (negative: killed by that signal)."""
        code = self._read(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def _read(self, timeout: float | None) -> int | None:
        with self._lock:
            while self.returncode is None:
                ready, _, _ = select.select([self._conn], [], [], timeout)
                if not ready:
                    return None
                chunk = self._conn.recv(4096)
                self._buffer += chunk
                if not chunk:
                    self._ended(-signal.SIGKILL)  # its server died, and took it along
                elif b"\n" in self._buffer:
                    line = self._buffer.split(b"\n", 1)[0].decode()
                    self._ended(os.waitstatus_to_exitcode(int(line.split()[1])))
            return self.returncode

    def _ended(self, code: int) -> None:
        self.returncode = code
        self._conn.close()

    def send_signal(self, sig: int) -> None:
        """Signal the kernel, unless it already ended."""
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class KernelForkServer:
    """One fork server process, for kernels of one interpreter and startup environment."""

    def __init__(self, interpreter: Sequence[str], env: Mapping[str, str]) -> None:
        self.interpreter = tuple(interpreter)
        self.folder = tempfile.mkdtemp(prefix="jp-warm-")
        self.path = os.path.join(self.folder, "s")
        self.pid: int | None = None
        self._ready: str | bool | None = False  # False: not known yet; None: ready
        self._lock = threading.Lock()
        with open(os.path.join(self.folder, "server.log"), "ab") as errors:
            self.proc = subprocess.Popen(
                [*self.interpreter, SERVER_SCRIPT, self.path],
                cwd=self.folder,
                env=dict(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> str | None:
        """None once the server serves; else why it cannot (it is then stopped)."""
        with self._lock:
            if self._ready is False:
                self._ready = self._read_ready(timeout)
                if self._ready is not None:
                    self.close()
            return self._ready  # type: ignore[return-value]

    def _read_ready(self, timeout: float) -> str | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        self.proc.stdout.close()
        try:
            answer = json.loads(line)
        except ValueError:
            return f"the fork server did not start{self._log_tail()}"
        if not answer.get("ready"):
            return str(answer.get("why") or "the fork server refused")
        self.pid = int(answer["pid"])
        return None

    def _log_tail(self) -> str:
        try:
            with open(os.path.join(self.folder, "server.log"), "rb") as fh:
                text = fh.read()[-600:].decode(errors="replace").strip()
        except OSError:
            return ""
        return f": {text}" if text else ""

    def fork(
        self, command: KernelCommand, env: Mapping[str, str], cwd: str, fds: Sequence[int]
    ) -> ForkedKernel:
        """A fresh kernel running ``command`` in ``cwd`` with ``env``; its stdout and
        stderr are ``fds``."""
        env = {**env, "JPY_PARENT_PID": str(self.pid)}  # its parent: see ipykernel's poller
        body = json.dumps(
            {"module": command.module, "args": list(command.args), "env": env, "cwd": cwd}
        ).encode()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(10)
            conn.connect(self.path)
            socket.send_fds(conn, [_HEADER.pack(len(body))], list(fds))
            conn.sendall(body)
            answer = _read_line(conn)
            conn.settimeout(None)
        except OSError as exc:
            conn.close()
            raise WarmKernelUnavailable(f"the fork server failed: {exc}") from exc
        if not answer.startswith("pid "):
            conn.close()
            raise WarmKernelUnavailable(answer.removeprefix("error ") or "no answer")
        argv = [*command.interpreter, "-m", command.module, *command.args]
        return ForkedKernel(int(answer.split()[1]), conn, argv)

    def close(self) -> None:
        """Stop the server (it kills the kernels it still has) and remove its folder."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()  # EOF: the server kills its kernels and exits
            except OSError:
                pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(256)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


class WarmKernelPool:
    """The fork servers of one run driver (or process), started when first needed."""

    def __init__(self) -> None:
        self._servers: dict[tuple[Any, ...], KernelForkServer] = {}
        self._refused: dict[tuple[Any, ...], str] = {}
        self._told: set[str] = set()
        self._lock = threading.Lock()
        self._closed = False

    def launch(
        self,
        cmd: Sequence[str],
        env: Mapping[str, str],
        cwd: str,
        stdout: IO[Any] | None = None,
        stderr: IO[Any] | None = None,
    ) -> ForkedKernel | None:
        """A kernel forked from a warm server, or None: start it cold (logged once why)."""
        why = _cannot_serve(cmd, env)
        command = parse_kernel_command(cmd)
        if why is not None or command is None:
            self._tell(why or f"kernel command {' '.join(cmd[:3])!r} is not python -m ipykernel")
            return None
        key = _key(command, env)
        server = self._server(key, env)
        why = server.wait_ready() if server is not None else self._refused.get(key)
        if server is None or why is not None:
            self._refuse(key, why or "the pool is closed")
            return None
        fds = [_fileno(stdout, 1), _fileno(stderr, 2)]
        try:
            return server.fork(command, env, cwd, fds)
        except WarmKernelUnavailable as exc:
            self._refuse(key, str(exc))
            return None

    def prepare(self, cmd: Sequence[str], env: Mapping[str, str]) -> None:
        """Start the server for kernels like ``cmd`` now, without waiting for it, so that
        it imports its modules while the caller does something else."""
        command = parse_kernel_command(cmd)
        if command is not None and _cannot_serve(cmd, env) is None:
            self._server(_key(command, env), env)

    def _server(self, key: tuple[Any, ...], env: Mapping[str, str]) -> KernelForkServer | None:
        with self._lock:
            if self._closed or key in self._refused:
                return None
            if key not in self._servers and len(self._servers) >= MAX_SERVERS:
                self._refused[key] = f"this run already has {MAX_SERVERS} fork servers"
                return None
            if key not in self._servers:
                from .processes import MARKERS  # psutil: not in every step image

                base = {
                    k: v
                    for k, v in os.environ.items()
                    if k not in MARKERS and not startup_env({k: v})
                }
                self._servers[key] = KernelForkServer(key[0], {**base, **dict(key[1])})
            return self._servers[key]

    def _refuse(self, key: tuple[Any, ...], why: str) -> None:
        with self._lock:
            self._refused.setdefault(key, why)
            server = self._servers.pop(key, None)
        if server is not None:
            server.close()
        self._tell(f"{why} (interpreter {' '.join(key[0])})")

    def _tell(self, why: str) -> None:
        if why not in self._told:
            self._told.add(why)
            log.warning("notebook kernels start cold: %s", why)

    def close(self) -> None:
        """Stop every server (and any kernel they still have)."""
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()


def _key(command: KernelCommand, env: Mapping[str, str]) -> tuple[Any, ...]:
    """What tells fork servers apart: the interpreter, its flags, its startup variables."""
    return (command.interpreter, tuple(sorted(startup_env(env).items())))


def _fileno(stream: Any, default: int) -> int:
    """The descriptor a Popen-style ``stdout``/``stderr`` argument names (None: ours)."""
    if isinstance(stream, int) and stream >= 0:
        return stream
    return int(stream.fileno()) if hasattr(stream, "fileno") else default


def _cannot_serve(cmd: Sequence[str], env: Mapping[str, str]) -> str | None:
    if not sys.platform.startswith("linux"):
        return f"warm kernels need Linux (this is {sys.platform})"
    if not warm_kernels_enabled() or not warm_kernels_enabled(env):
        return f"{WARM_ENV}=0"
    return None


_default_pool: WarmKernelPool | None = None
_default_lock = threading.Lock()


def default_pool() -> WarmKernelPool:
    """The pool of this process, for provisioners nobody gave one (closed at exit)."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            import atexit

            _default_pool = WarmKernelPool()
            atexit.register(_default_pool.close)
        return _default_pool


class WarmKernelProvisioner(LocalProvisioner):
    """A local provisioner whose kernels are forked from a warm process when it can serve.

    Registered as ``jupyter-pipelines-warm-provisioner`` (kernelspec metadata
    ``kernel_provisioner``); the local executor sets one on each notebook step's manager.
    """

    #: The pool to ask; None: this process's :func:`default_pool`.
    pool: WarmKernelPool | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        pool = self.pool or default_pool()
        env = kwargs.get("env")
        cwd = str(kwargs.get("cwd") or os.getcwd())
        process = pool.launch(
            cmd,
            os.environ if env is None else env,
            cwd,
            kwargs.get("stdout"),
            kwargs.get("stderr"),
        )
        if process is None:
            connection: KernelConnectionInfo = await super().launch_kernel(cmd, **kwargs)
        else:
            self.process = process  # type: ignore[assignment]  # Popen-like
            self.pid = self.pgid = process.pid  # its own session: pgid is its pid
            self.cwd = cwd
            connection = self.connection_info
        await self._sockets_bound()
        return connection

    async def _sockets_bound(self, timeout: float = 30.0) -> None:
        """Return once the kernel listens on its IPC sockets (or died, or ``timeout``).

        A client that connects before then is refused, and zmq retries only every 0.1 s;
        its first ``kernel_info`` may then find IOPub not yet subscribed, and
        jupyter_client waits 0.2 s more before asking again.
        """
        import asyncio
        import time

        info: dict[str, Any] = dict(self.connection_info)
        if info.get("transport") != "ipc":
            return
        names = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        paths = [f"{info['ip']}-{info[name]}" for name in names if info.get(name)]
        deadline = time.monotonic() + timeout
        while not all(os.path.exists(p) for p in paths) and time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return  # it died: the client says so
            await asyncio.sleep(0.005)


class StepKernelClient(AsyncKernelClient):
    """The client of a notebook step's kernel: ready as soon as the kernel answered.

    jupyter_client's ``wait_for_ready`` ends by waiting until IOPub was silent for 0.2 s,
    on every kernel start. Here the silence is :data:`IOPUB_SETTLE_S`: what the kernel
    publishes later about its ``kernel_info`` requests has another parent than any cell
    execution, and nbclient skips it.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel replied to ``kernel_info`` and IOPub is connected."""
        import time
        from queue import Empty

        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply" and await self._iopub_heard(0.2):
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while await self._iopub_heard(IOPUB_SETTLE_S):
            pass

    async def _iopub_heard(self, timeout: float) -> bool:
        from queue import Empty

        try:
            await self.iopub_channel.get_msg(timeout=timeout)
        except Empty:
            return False
        return True


class StepKernelManager(AsyncKernelManager):
    """A kernel manager whose clients are :class:`StepKernelClient`: for papermill's
    ``kernel_manager_class`` where papermill starts the kernel (in containers)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("client_class", STEP_CLIENT)
        super().__init__(**kwargs)
