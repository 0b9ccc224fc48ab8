"""The runner's worker processes: started, fed one mini-batch at a time, watched, replaced.

Our own small pool of subprocesses rather than ``multiprocessing.Pool`` or
``ProcessPoolExecutor``: a mini-batch that runs past ``run_invocation_timeout`` must be
stopped by killing the one worker running it, and a worker that dies must be replaced with
its mini-batch retried. ``Pool`` loses the task of a dead worker and cannot time out one
call; ``ProcessPoolExecutor`` marks the whole pool broken when a worker dies. Here each
worker is a plain process with two pipes (mini-batches in, answers out), and the runner
knows at every moment which mini-batch each worker holds. Dynamic scheduling follows: an
idle worker is given the next mini-batch.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from .protocol import FrameBuffer, encode, write_all

WORKER_MODULE = "jupyter_pipelines.runtime.parallel.worker"


@dataclass
class Worker:
    """One worker process and what it is doing."""

    number: int  # unique per process started, names its log
    slot: int  # which of the pool's places it fills (a replacement takes the same)
    proc: subprocess.Popen[bytes]
    task_fd: int
    answer_fd: int
    buffer: FrameBuffer = field(default_factory=FrameBuffer)
    ready: bool = False
    task: Any = None  # the mini-batch index it runs, or None
    attempt: int = 0
    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)
    closed: bool = False
    gone: bool = False  # its death was reported

    @property
    def busy(self) -> bool:
        return self.task is not None


@dataclass
class Event:
    """Something a worker did: ``ready``, ``init_error``, ``done``, ``error``, ``died``,
    ``timeout``. ``message`` is the worker's answer; ``task`` the mini-batch it held."""

    kind: str
    worker: Worker
    message: dict[str, Any] = field(default_factory=dict)
    task: Any = None


class WorkerPool:
    """``size`` workers running ``entry_script`` in ``working_dir``, logging to ``logs_dir``."""

    def __init__(
        self,
        size: int,
        settings: dict[str, Any],
        logs_dir: str,
        timeout: float,
        env: dict[str, str] | None = None,
    ) -> None:
        self.size = size
        self.settings = settings
        self.logs_dir = logs_dir
        self.timeout = timeout
        self.env = {**(env or os.environ), "PYTHONUNBUFFERED": "1"}
        self.workers: list[Worker] = []
        self.started = 0
        self._selector = selectors.DefaultSelector()
        os.makedirs(logs_dir, exist_ok=True)

    # -- processes -----------------------------------------------------------------------------
    def start(self) -> None:
        for slot in range(self.size):
            self._spawn(slot)

    def _spawn(self, slot: int) -> Worker:
        number = self.started
        self.started += 1
        task_r, task_w = os.pipe()
        answer_r, answer_w = os.pipe()
        settings = {**self.settings, "worker": number, "task_fd": task_r, "answer_fd": answer_w}
        log = open(self.log_path(number), "ab")  # noqa: SIM115 (the child keeps it)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, json.dumps(settings)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(task_r, answer_w),
                env=self.env,
            )
        finally:
            log.close()
            os.close(task_r)
            os.close(answer_w)
        os.set_blocking(answer_r, False)
        worker = Worker(number, slot, proc, task_w, answer_r)
        self._selector.register(answer_r, selectors.EVENT_READ, worker)
        self.workers.append(worker)
        return worker

    def log_path(self, number: int) -> str:
        """The log of worker process ``number`` (its stdout and stderr)."""
        return os.path.join(self.logs_dir, f"worker_{number}.txt")

    def replace(self, worker: Worker) -> Worker:
        """Close ``worker`` (killing it if it lives) and start another in its slot."""
        self._close(worker, kill=True)
        return self._spawn(worker.slot)

    def _close(self, worker: Worker, kill: bool) -> None:
        if worker.closed:
            return
        worker.closed = True
        self.workers.remove(worker)
        self._selector.unregister(worker.answer_fd)
        for fd in (worker.task_fd, worker.answer_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        if kill and worker.proc.poll() is None:
            try:
                worker.proc.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            worker.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()

    def close(self, kill: bool = False) -> None:
        """Stop every worker: the end of the task pipe tells an idle one to finish."""
        for worker in list(self.workers):
            try:
                os.close(worker.task_fd)
            except OSError:
                pass
            worker.task_fd = -1
        deadline = time.monotonic() + (0 if kill else 10)
        for worker in list(self.workers):
            if not kill:
                try:
                    worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            self._close(worker, kill=True)
        self._selector.close()

    # -- mini-batches --------------------------------------------------------------------------
    def idle(self) -> list[Worker]:
        """Ready workers without a mini-batch."""
        return [w for w in self.workers if w.ready and not w.busy]

    def assign(self, worker: Worker, task: Any, attempt: int, payload: Any) -> bool:
        """Give ``worker`` mini-batch ``task``; False when its pipe is gone (it died)."""
        worker.task, worker.attempt = task, attempt
        worker.deadline = time.monotonic() + self.timeout
        try:
            write_all(worker.task_fd, encode({"id": task, "mini_batch": payload}))
        except (BrokenPipeError, OSError):
            return False
        return True

    def wait(self, timeout: float) -> list[Event]:
        """Events of the next ``timeout`` seconds at most (fewer when something happens)."""
        events: list[Event] = []
        for key, _ in self._selector.select(timeout):
            worker: Worker = key.data
            events += self._read(worker)
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.closed or worker.gone:
                continue
            if worker.busy and worker.deadline is not None and now > worker.deadline:
                events.append(Event("timeout", worker, task=worker.task))
                worker.task = None
            elif worker.proc.poll() is not None:
                # It exited: what it said before, then its death (even when a process it
                # started still holds its pipe open, so that no end of file comes).
                events += self._read(worker)
                if not worker.gone:
                    events.append(self._died(worker))
        return events

    def _read(self, worker: Worker) -> list[Event]:
        events: list[Event] = []
        while not worker.gone:
            try:
                data = os.read(worker.answer_fd, 1 << 20)
            except BlockingIOError:
                break
            if not data:  # the worker's end is closed: it exited or was killed
                events.append(self._died(worker))
                break
            for message in worker.buffer.feed(data):
                events.append(self._answer(worker, message))
        return events

    def _answer(self, worker: Worker, message: dict[str, Any]) -> Event:
        kind = message.get("t", "")
        if kind == "ready":
            worker.ready = True
            return Event("ready", worker, message)
        if kind == "init_error":
            return Event("init_error", worker, message)
        task, worker.task, worker.deadline = worker.task, None, None
        return Event(kind, worker, message, task)

    def _died(self, worker: Worker) -> Event:
        worker.gone = True
        try:
            code = worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # its pipe closed, yet it lives: stop it
            worker.proc.kill()
            code = worker.proc.wait()
        task, worker.task = worker.task, None
        return Event("died", worker, {"exit_code": code}, task)


def exit_description(code: int | None) -> str:
    """``exit code 1`` or ``killed by signal 9 (SIGKILL)``."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "?"
        return f"killed by signal {-code} ({name})"
    return f"exit code {code}"
