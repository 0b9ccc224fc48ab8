"""Live run events: one poller per watched run, fanned out to every WebSocket client.

A run's hub reads the run store's events (status changes of the run and its steps) and the
new lines of its running steps' logs into messages whose ids are cursors derived from the
store and the logs' byte offsets (see ``event_reader``), so they mean the same to any server.
The hub keeps only a bounded window of its latest messages. A client is served from the
window when it stands in it; a client further back (a resume from before the window, or
from another server's stream) first gets what it missed replayed from the store and the
log files, then joins the window: nothing is missed or repeated, and memory stays bounded
whatever the size of the logs. Each client is sent one message at a time, waiting for the
socket to take it, so a slow client holds nothing but its cursor.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from ..engine.recovery import reap_if_orphaned
from ..stores.runstore import RunStore
from .event_reader import Cursor, RunReader

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
#: How often an unfinished run is checked for a dead driver.
REAP_SECONDS = 1.0
#: Hubs of finished runs kept once no client watches them (their windows are dropped).
KEEP_FINISHED = 32
#: The window of latest messages a hub keeps: at most this many bytes of JSON ...
WINDOW_BYTES = 2 * 1024 * 1024
#: ... and at most this many messages.
WINDOW_MESSAGES = 5000
#: Bytes of messages made in one turn of the event loop before letting others run.
TURN_BYTES = 1024 * 1024
#: How long a hub goes on polling after its last client left (a reconnect finds the window).
LINGER_SECONDS = 10.0

#: Sends one message's JSON text to a client; done when the socket took it.
Send = Callable[[str], Awaitable[None]]


class RunEventHub:
    """The latest messages of one run, and the clients following it."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.reader: RunReader | None = None
        #: ``(id, JSON text)`` of the latest messages; ``base`` is the id before the first.
        self.window: deque[tuple[str, str]] = deque()
        self.base = str(Cursor())
        self.watchers = 0
        self._window_bytes = 0
        self._first_seq = 0
        self._seq_of: dict[str, int] = {}
        self._pending: Iterator[dict[str, Any]] | None = None
        self._waiters: list[asyncio.Future[None]] = []
        #: The next poll, while the hub polls (a timer, not a task: see ``_poll``).
        self._timer: asyncio.Handle | None = None
        self._left_at = 0.0
        self._last_reap = 0.0

    @property
    def ended(self) -> bool:
        """True once the run's ``end`` message was made."""
        return self.reader is not None and self.reader.ended

    @property
    def head(self) -> str:
        """The id of the latest message (where a client that has everything stands)."""
        return self.window[-1][0] if self.window else self.base

    # -- clients -------------------------------------------------------------------------
    async def follow(self, after: Cursor, send: Send) -> None:
        """Send every message after ``after``, then each new one, until the run's ``end``."""
        self._attach()
        try:
            position = str(after)
            while True:
                seq = self._next_seq_after(position)
                if seq is None:
                    position = await self._replay(position, send)
                    continue
                while (entry := self._entry(seq)) is not None:
                    position, text = entry
                    await send(text)
                    seq += 1
                if seq == self._first_seq + len(self.window):  # has everything made so far
                    if self.ended:
                        return
                    await self._changed()
        finally:
            self._detach()

    async def _replay(self, position: str, send: Send) -> str:
        """Send what lies between ``position`` and the head, read from the store and logs."""
        target = self.head
        reader = RunReader(self.store, self.run_id, Cursor.parse(position))
        for message in reader.replay(Cursor.parse(target)):
            await send(json.dumps(message))
        # Replayed up to the head as it was (the log files being what they are).
        return target

    def _next_seq_after(self, position: str) -> int | None:
        if position == self.base:
            return self._first_seq
        seq = self._seq_of.get(position)
        return None if seq is None else seq + 1

    def _entry(self, seq: int) -> tuple[str, str] | None:
        index = seq - self._first_seq
        return self.window[index] if 0 <= index < len(self.window) else None

    async def _changed(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _attach(self) -> None:
        self.watchers += 1
        if self._timer is not None:
            return
        if self.reader is None or not self.ended:
            # Not polled lately: start from the present; clients further back replay.
            self._restart(RunReader.at_present(self.store, self.run_id))
        if not self.ended:
            self._timer = asyncio.get_running_loop().call_soon(self._poll)

    def _detach(self) -> None:
        self.watchers -= 1
        self._left_at = time.monotonic()
        if self.watchers == 0 and self.ended:
            self._restart(self.reader)

    def _restart(self, reader: RunReader | None) -> None:
        """Empty the window; ``reader`` stands where its next message starts."""
        self._first_seq += len(self.window)
        self.window.clear()
        self._seq_of.clear()
        self._window_bytes = 0
        self._pending = None
        self.reader = reader
        self.base = str(reader.cursor) if reader is not None else str(Cursor())

    # -- polling -------------------------------------------------------------------------
    def _poll(self) -> None:
        """One poll, then the next one scheduled on the event loop while the run goes on
        and someone watches. A chain of timers rather than a looping task: a server that
        stops with the hub between polls leaves a timer behind, not a pending task that
        the garbage collector reports ("Task was destroyed but it is pending")."""
        try:
            busy = self.poll()
        except Exception:  # keep watching: the store may be busy for a moment
            log.exception("polling the events of run %s failed", self.run_id)
            self._pending, busy = None, False
        if self.ended or not self._wanted():
            self._timer = None
            self._notify()
            return
        self._timer = asyncio.get_running_loop().call_later(0 if busy else POLL_SECONDS, self._poll)

    def _wanted(self) -> bool:
        return self.watchers > 0 or time.monotonic() - self._left_at < LINGER_SECONDS

    def poll(self) -> bool:
        """Make the messages of what happened since the last poll, up to ``TURN_BYTES``;
        True when there is more to read at once."""
        assert self.reader is not None
        if self._pending is None:
            self._pending = self.reader.poll()
        made = 0
        for message in self._pending:
            made += self._push(message)
            if made >= TURN_BYTES:
                self._notify()
                return True
        self._pending = None
        self._notify()
        if not self.ended and time.monotonic() - self._last_reap > REAP_SECONDS:
            self._last_reap = time.monotonic()
            # A run whose driver died is marked failed here; its events come next poll.
            reap_if_orphaned(self.store, self.store.get_run(self.run_id))
        return False

    def _push(self, message: dict[str, Any]) -> int:
        text = json.dumps(message)
        self._seq_of[message["id"]] = self._first_seq + len(self.window)
        self.window.append((message["id"], text))
        self._window_bytes += len(text)
        while len(self.window) > 1 and (
            self._window_bytes > WINDOW_BYTES or len(self.window) > WINDOW_MESSAGES
        ):
            old_id, old_text = self.window.popleft()
            del self._seq_of[old_id]
            self._first_seq += 1
            self._window_bytes -= len(old_text)
            self.base = old_id
        return len(text)


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
        self._hubs.move_to_end(run_id)
        idle = [k for k, h in self._hubs.items() if h.ended and not h.watchers]
        for key in idle[:-KEEP_FINISHED] if len(idle) > KEEP_FINISHED else []:
            del self._hubs[key]
        return hub
