"""What tells the run widget to read its run again: the server's event stream or a timer.

A ``RunSource`` calls ``refresh(message)`` whenever the run may have changed; ``refresh``
reads the run store (the view's snapshot) and returns True once the run has ended.

- ``EventSource`` follows ``runs/{id}/events`` of a Jupyter server with the extension over a
  WebSocket (tornado, in the calling thread with its own event loop) and refreshes on each
  message (status, log, end): changes show within the server's 50 ms poll, and the kernel
  does no polling of its own.
- ``StoreSource`` reads the store every ``poll_seconds`` (no server, or the stream failed).

:func:`open_source` picks the event stream when a running server serves the run's workspace
(see ``servers.py``), else the store. A source that fails says so (``follow`` returns False)
and the view goes on with a ``StoreSource``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .servers import ServerInfo, find_server

#: ``refresh(message)``: read the run again (``message`` is the event, or None for a poll);
#: returns True once the run has ended.
Refresh = Callable[[dict[str, Any] | None], bool]

#: How long the stream is still read, without refreshing, after the store says the run
#: ended (the store is ahead of the stream by up to one server poll): up to its ``end``.
DRAIN_SECONDS = 2.0


class RunSource(ABC):
    """Calls ``refresh`` whenever the run may have changed, until it ends or ``stop`` is set."""

    #: ``"events"`` or ``"store"``: what the view follows (shown by tests and ``repr``).
    kind: str = ""

    @abstractmethod
    def follow(self, refresh: Refresh, stop: threading.Event) -> bool:
        """Follow the run; True when it ended or ``stop`` was set, False when the source failed."""


class StoreSource(RunSource):
    """Reads the run store every ``poll_seconds`` (SQLite in WAL mode: never blocks the run)."""

    kind = "store"

    def __init__(self, poll_seconds: float = 0.5) -> None:
        self.poll_seconds = poll_seconds

    def follow(self, refresh: Refresh, stop: threading.Event) -> bool:
        while not stop.wait(self.poll_seconds):
            if refresh(None):
                break
        return True


class EventSource(RunSource):
    """Follows the run's events WebSocket on ``server``; refreshes on every message.

    Once ``refresh`` says the run ended (the store can be a poll ahead of the stream), the
    rest of the stream is read up to its ``end`` message without refreshing, so that
    ``messages`` holds the whole stream.
    """

    kind = "events"

    def __init__(self, server: ServerInfo, run_id: str, timeout: float = 5.0) -> None:
        self.server = server
        self.run_id = run_id
        self.timeout = timeout
        #: Every message received, in order.
        self.messages: list[dict[str, Any]] = []

    @property
    def last_id(self) -> str:
        """The id of the last message received ("0" before any): where a resume starts."""
        return str(self.messages[-1].get("id", "0")) if self.messages else "0"

    def follow(self, refresh: Refresh, stop: threading.Event) -> bool:
        try:
            return asyncio.run(self._follow(refresh, stop))
        except Exception:  # refused, dropped, a server gone: the caller polls the store instead
            return False

    async def _follow(self, refresh: Refresh, stop: threading.Event) -> bool:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        request = HTTPRequest(
            self.server.events_url(self.run_id, self.last_id),
            headers=self.server.headers,
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
        )
        connection = await websocket_connect(request)
        loop = asyncio.get_running_loop()
        done_at: float | None = None  # when refresh said the run ended
        try:
            while not stop.is_set():
                if done_at is not None and loop.time() - done_at > DRAIN_SECONDS:
                    return True
                try:
                    raw = await asyncio.wait_for(connection.read_message(), timeout=0.25)
                except TimeoutError:
                    continue
                if raw is None:  # closed: normal only after the end of the run
                    return done_at is not None or self._ended(refresh)
                message = json.loads(raw)
                self.messages.append(message)
                if done_at is None and refresh(message):
                    done_at = loop.time()
                if message.get("type") == "end":
                    return done_at is not None or self._ended(refresh)
            return True
        finally:
            connection.close()

    def _ended(self, refresh: Refresh) -> bool:
        """After the stream closed: True when the store says the run ended too."""
        return bool(self.messages) and self.messages[-1].get("type") == "end" and refresh(None)


def open_source(
    project: Path, run_id: str, poll_seconds: float = 0.5, use_server: bool = True
) -> RunSource:
    """The event stream of a server serving run ``run_id`` of ``project``, else the store."""
    if use_server:
        try:
            server = find_server(project, run_id)
        except Exception:
            server = None
        if server is not None:
            return EventSource(server, run_id)
    return StoreSource(poll_seconds)
