"""The run driver's watchdog: a small process that outlives a killed driver and ends its run.

The driver starts it with a pipe as its standard input and writes ``done`` into it when
the run ended. It is forked from the driver (a process named ``jp-watchdog``) where that
is sound, else started as a Python process of its own. When the pipe closes without
``done`` (the driver was killed, even with SIGKILL), the watchdog waits for the driver to
be gone, then stops every process of the run's steps, wherever it is (the double-forked
ones too), and marks the run failed with the reason, exactly as a reader of the run store
would on finding the driver dead.
Started as ``python -m jupyter_pipelines.engine.watchdog WORKSPACE_DIR RUN_ID PID START``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import IO

MODULE = "jupyter_pipelines.engine.watchdog"
#: The process name of a forked watchdog (``ps -e``, ``psutil.Process.name()``).
NAME = "jp-watchdog"
DONE = b"done"
#: How long the watchdog waits for a driver that closed its pipe to be gone.
EXIT_WAIT_S = 10.0


class Watchdog:
    """The driver's side: start the watchdog, and tell it when the run ended."""

    def __init__(self, pid: int, pipe: IO[bytes], proc: subprocess.Popen[bytes] | None) -> None:
        #: The watchdog's process id; ``proc`` when it is a new Python process.
        self.pid = pid
        self.pipe = pipe
        self.proc = proc

    @classmethod
    def start(cls, workspace_dir: str, run_id: str, log_path: str) -> Watchdog | None:
        """Start the watchdog of this process (the run's driver); None when it cannot be.

        Forked (about 1 ms, named ``NAME``) while the driver has no other thread and
        carries no step markers; otherwise a new ``python -m`` process (30 ms of CPU).
        """
        from ..executors.processes import process_start_time

        read, write = os.pipe()
        me = os.getpid()
        args = [workspace_dir, run_id, str(me), repr(process_start_time(me))]
        try:
            if _can_fork():
                pid, proc = _fork(args, read, write, log_path), None
            else:
                proc = _spawn(args, read, log_path)
                pid = proc.pid
        except OSError:
            os.close(write)
            return None
        finally:
            os.close(read)
        return cls(pid, os.fdopen(write, "wb", buffering=0), proc)

    def done(self) -> None:
        """The run ended: the watchdog exits without doing anything."""
        try:
            self.pipe.write(DONE)
            self.pipe.close()
        except OSError:  # it was killed: nothing to tell
            pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            return
        _reap(self.pid, timeout=5)


def _can_fork() -> bool:
    """Whether a fork gives a sound watchdog: no other thread (a fork copies only the
    calling one, not the locks others hold) and no step markers (the watchdog's
    environment, as other processes read it, is the one this process started with)."""
    import threading

    from ..executors.processes import MARKERS

    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    return not any(os.environ.get(m) for m in MARKERS)


def _fork(args: list[str], read: int, write: int, log_path: str) -> int:
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked watchdog
        code = 1
        try:
            os.setsid()  # a signal to the driver's process group spares it
            os.close(write)
            os.dup2(read, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            from ..executors.processes import set_process_name

            set_process_name(NAME)
            code = main(args)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError):
                    pass
            os._exit(code)
    os.close(log)
    return pid


def _spawn(args: list[str], read: int, log_path: str) -> subprocess.Popen[bytes]:
    from ..executors.processes import without_markers

    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", MODULE, *args],
            stdin=read,
            stdout=log,
            stderr=log,
            # Its own session: a signal to the driver's process group spares it.
            start_new_session=True,
            env=without_markers(dict(os.environ)),
        )


def _reap(pid: int, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for child ``pid`` to end, then kill it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.005)
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _read_all(fd: int) -> bytes:
    """What comes through ``fd`` until its writer closes it, however the writer ends."""
    data = b""
    while chunk := os.read(fd, 4096):
        data += chunk
    return data


def _wait_until_gone(pid: int, started: float | None) -> None:
    from ..executors.processes import is_alive

    deadline = time.monotonic() + EXIT_WAIT_S
    while is_alive(pid, started) and time.monotonic() < deadline:
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    """Wait for the driver's word; when its pipe closes without it, end the run."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print(
            "usage: python -m jupyter_pipelines.engine.watchdog DIR RUN PID START", file=sys.stderr
        )
        return 2
    workspace_dir, run_id, pid = args[0], args[1], int(args[2])
    started = None if args[3] == "None" else float(args[3])
    said = _read_all(0)  # until the driver closes the pipe, however it ends
    if said == DONE:
        return 0
    _wait_until_gone(pid, started)
    from ..stores.workspace import Workspace
    from .recovery import reap_dead_driver

    stopped = reap_dead_driver(Workspace.at(workspace_dir).run_store, run_id)
    print(
        f"watchdog: the run driver (pid {pid}) of run {run_id} died; "
        f"stopped {len(stopped)} step process(es)" + "".join(f"\n  {what}" for what in stopped),
        file=sys.stderr,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
