"""The run driver's watchdog: a small process that outlives a killed driver and ends its run.

The driver starts it with a pipe as its standard input and writes ``done`` into it when
the run ended. When the pipe closes without that (the driver was killed, even with
SIGKILL), the watchdog waits for the driver to be gone, then stops every process of the
run's steps, wherever it is (the double-forked ones too), and marks the run failed with
the reason, exactly as a reader of the run store would on finding the driver dead.
Started as ``python -m jupyter_pipelines.engine.watchdog WORKSPACE_DIR RUN_ID PID START``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import IO

MODULE = "jupyter_pipelines.engine.watchdog"
DONE = b"done"
#: How long the watchdog waits for a driver that closed its pipe to be gone.
EXIT_WAIT_S = 10.0


class Watchdog:
    """The driver's side: start the watchdog, and tell it when the run ended."""

    def __init__(self, proc: subprocess.Popen[bytes], pipe: IO[bytes]) -> None:
        self.proc = proc
        self.pipe = pipe

    @classmethod
    def start(cls, workspace_dir: str, run_id: str, log_path: str) -> Watchdog | None:
        """Start the watchdog of this process (the run's driver); None when it cannot be."""
        from ..executors.processes import process_start_time, without_markers

        read, write = os.pipe()
        me = os.getpid()
        argv = [sys.executable, "-m", MODULE, workspace_dir, run_id, str(me)]
        argv.append(repr(process_start_time(me)))
        try:
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    argv,
                    stdin=read,
                    stdout=log,
                    stderr=log,
                    # Its own session: a signal to the driver's process group spares it.
                    start_new_session=True,
                    env=without_markers(dict(os.environ)),
                )
        except OSError:
            os.close(write)
            return None
        finally:
            os.close(read)
        return cls(proc, os.fdopen(write, "wb", buffering=0))

    def done(self) -> None:
        """The run ended: the watchdog exits without doing anything."""
        try:
            self.pipe.write(DONE)
            self.pipe.close()
        except OSError:  # it was killed: nothing to tell
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
    said = sys.stdin.buffer.read()  # until the driver closes the pipe, however it ends
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
