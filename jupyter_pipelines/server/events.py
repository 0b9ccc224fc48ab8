"""Live run events: one poller per watched run, fanned out to every WebSocket client.

A run's hub turns the run store's events (status changes of the run and its steps) and
the new lines of its running steps' logs into messages numbered 1, 2, 3, ... A client
that reconnects with ``after=N`` gets every message after N: the hub keeps them all for
the life of the server (messages are never renumbered), so none is missed or repeated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.recovery import reap_if_orphaned
from ..stores import status as st
from ..stores.runstore import RunStore

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
#: How often an unfinished run is checked for a dead driver.
REAP_SECONDS = 1.0
#: Hubs of finished runs kept (with their messages) once no client watches them.
KEEP_FINISHED = 32
STREAMS = ("stdout", "stderr")

Listener = Callable[[dict[str, Any]], None]


class _LogTail:
    """New complete lines of one log file, from where the previous read stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    def read(self, final: bool = False) -> list[str]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            data = b""
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = b"" if final else lines.pop()
        if final and lines and lines[-1] == b"":
            lines.pop()
        return [line.decode("utf-8", errors="replace") for line in lines]


class RunEventHub:
    """Every message of one run, and the clients that listen to it."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.messages: list[dict[str, Any]] = []
        self.listeners: set[Listener] = set()
        self.ended = False
        self._last_event = 0
        self._last_reap = 0.0
        self._tails: dict[str, dict[str, _LogTail]] = {}
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, listener: Listener, after: int = 0) -> None:
        """Send ``listener`` every message after ``after`` now, and each new one as it comes."""
        for message in self.messages[max(after, 0) :]:
            listener(message)
        self.listeners.add(listener)
        if self._task is None and not self.ended:
            self._task = asyncio.get_running_loop().create_task(self._poll_forever())

    def unsubscribe(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _poll_forever(self) -> None:
        try:
            while not self.ended and self.listeners:
                try:
                    self.poll()
                except Exception:  # keep watching: the store may be busy for a moment
                    log.exception("polling the events of run %s failed", self.run_id)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            self._task = None

    def poll(self) -> None:
        """Turn what happened since the last poll into messages."""
        for event in self.store.events(self.run_id, after=self._last_event):
            self._last_event = event["id"]
            self._on_event(event)
        for name in list(self._tails):
            self._read_logs(name, final=False)
        if not self.ended and time.monotonic() - self._last_reap > REAP_SECONDS:
            self._last_reap = time.monotonic()
            # A run whose driver died is marked failed here; its events come next poll.
            reap_if_orphaned(self.store, self.store.get_run(self.run_id))

    def _on_event(self, event: dict[str, Any]) -> None:
        name, status = event["step"], event["status"]
        if name is not None and status in st.TERMINAL:
            self._read_logs(name, final=True)
            self._tails.pop(name, None)
        self._emit(
            {
                "type": "status",
                "kind": event["kind"],
                "step": name,
                "status": status,
                "message": event["message"],
                "ts": event["ts"],
                "event_id": event["id"],
            }
        )
        if name is not None and status == st.RUNNING and name not in self._tails:
            spec = self.store.get_step(self.run_id, name).spec
            self._tails[name] = {s: _LogTail(Path(spec[f"{s}_path"])) for s in STREAMS}
        if name is None and status in st.TERMINAL:
            for step in list(self._tails):
                self._read_logs(step, final=True)
            self._tails.clear()
            record = self.store.get_run(self.run_id)
            self._emit({"type": "end", "status": status, "error": record.error})
            self.ended = True

    def _read_logs(self, name: str, final: bool) -> None:
        for stream, tail in self._tails.get(name, {}).items():
            lines = tail.read(final=final)
            if lines:
                self._emit({"type": "log", "step": name, "stream": stream, "lines": lines})

    def _emit(self, message: dict[str, Any]) -> None:
        message = {"id": len(self.messages) + 1, "run_id": self.run_id, **message}
        self.messages.append(message)
        for listener in list(self.listeners):
            listener(message)


class EventHubs:
    """The hubs of a service, by run id; finished unwatched ones beyond a few are dropped."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._hubs: OrderedDict[str, RunEventHub] = OrderedDict()

    def hub(self, run_id: str) -> RunEventHub:
        """The hub of a run (an unknown run raises UnknownRunError)."""
        run_id = self.store.get_run(run_id).id
        hub = self._hubs.get(run_id)
        if hub is None:
            hub = self._hubs[run_id] = RunEventHub(self.store, run_id)
            hub.poll()  # the history so far, before the first client sees it
        self._hubs.move_to_end(run_id)
        idle = [k for k, h in self._hubs.items() if h.ended and not h.listeners]
        for key in idle[:-KEEP_FINISHED] if len(idle) > KEEP_FINISHED else []:
            del self._hubs[key]
        return hub
