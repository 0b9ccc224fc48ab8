"""Stand-ins the driver keeps for steps that have no executor handle (yet)."""

from __future__ import annotations

import threading

from ..executors.base import StepHandle, StepResult


class DeferredHandle(StepHandle):
    """Stands for a step while it is being started; forwards a cancel once it runs."""

    def __init__(self) -> None:
        self.canceled: str | None = None
        self._handle: StepHandle | None = None
        self._lock = threading.Lock()

    def attach(self, handle: StepHandle) -> None:
        """The step started: from now on a cancel goes to ``handle``."""
        with self._lock:
            self._handle = handle
            canceled = self.canceled
        if canceled is not None:
            handle.terminate(canceled)

    def wait(self) -> StepResult:
        raise RuntimeError("waited on by its own thread")

    def terminate(self, reason: str) -> None:
        with self._lock:
            self.canceled = reason
            handle = self._handle
        if handle is not None:
            handle.terminate(reason)


class DoneHandle(StepHandle):
    """Stands for a step whose result is already queued."""

    def wait(self) -> StepResult:
        raise RuntimeError("not waitable")

    def terminate(self, reason: str) -> None:
        pass
