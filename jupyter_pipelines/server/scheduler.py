"""The scheduler loop of a Jupyter server: passes of engine/scheduler.py on the server's event
loop, each run on a worker thread so that requests are never blocked by it.

Every server with the extension (a JupyterLab, or the workspace's background server) runs
one; the scheduler lease makes one of them fire the workspace's schedules, and another takes
over when that server stops or dies. A pass is scheduled again after the wait it returns (at
most one tick; sooner when a schedule is due sooner). The lease is handed back when the
process exits. ``JUPYTER_PIPELINES_SCHEDULER=0`` starts none.
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

from tornado.ioloop import IOLoop

from ..engine.scheduler import Scheduler, scheduler_enabled, tick_seconds
from ..stores.workspace import Workspace

log = logging.getLogger(__name__)

#: Where the running loop is kept in the tornado application's settings.
SCHEDULER_KEY = "jupyter_pipelines_scheduler"


class SchedulerLoop:
    """Runs scheduler passes for one workspace until stopped (or the event loop closes)."""

    def __init__(self, workspace: Workspace) -> None:
        self.scheduler = Scheduler(workspace)
        self._loop: IOLoop | None = None
        self._timeout: Any = None
        self._stopped = False

    @property
    def holder(self) -> str:
        """This scheduler's lease holder id."""
        return self.scheduler.holder.id

    def start(self) -> None:
        """Run the first pass as soon as the event loop runs, then one after each wait."""
        self._loop = IOLoop.current()
        self._loop.add_callback(self._pass)
        atexit.register(self.stop)

    async def _pass(self) -> None:
        if self._stopped or self._loop is None:
            return
        try:
            wait = await self._loop.run_in_executor(None, self.scheduler.run_pass)
        except Exception:  # the loop must survive anything a pass meets
            log.exception("jupyter_pipelines: the scheduler pass failed")
            wait = tick_seconds()
        if not self._stopped:
            self._timeout = self._loop.call_later(wait, self._pass)

    def stop(self) -> None:
        """Stop the passes and hand the lease back."""
        if self._stopped:
            return
        self._stopped = True
        if self._timeout is not None and self._loop is not None:
            try:
                self._loop.remove_timeout(self._timeout)
            except RuntimeError:  # the event loop is closed already
                pass
        self.scheduler.close()


def start_scheduler(web_app: Any, workspace: Workspace) -> SchedulerLoop | None:
    """Start the scheduler loop of a server (none when ``JUPYTER_PIPELINES_SCHEDULER=0``)."""
    if not scheduler_enabled():
        log.info("jupyter_pipelines: no scheduler in this server (JUPYTER_PIPELINES_SCHEDULER=0)")
        return None
    loop = SchedulerLoop(workspace)
    web_app.settings[SCHEDULER_KEY] = loop
    loop.start()
    return loop


__all__ = ["SCHEDULER_KEY", "SchedulerLoop", "start_scheduler"]
