"""Where a client stands in a run's event stream (a ``Cursor``), and the reader that makes
the messages after any cursor from the run store and the step logs.

A cursor is made only of what survives a server restart: the id of the last status event
delivered (the run store's events table numbers them) and, for each step running at that
event, how many bytes of its stdout and stderr were delivered. Each message's ``id`` is the
cursor right after it, so that a client resuming with ``after=<id>``, from this server or
from one started later, gets exactly the rest: every event and log line once, in order.

Written as text: ``<event>[.<key><o|e><offset>]...[.end]``, e.g. ``41``, ``41.38o2048.38e17``
or ``45.end``, where ``key`` is the id of the step's Running event, ``o``/``e`` stdout or
stderr, and ``end`` says the ``end`` message was delivered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine.log_reader import file_size, read_lines, resume_point
from ..errors import PipelinesError
from ..stores import status as st
from ..stores.runstore import RunStore

STREAMS = ("stdout", "stderr")
_CODES = {"stdout": "o", "stderr": "e"}
_STREAM_OF = {code: stream for stream, code in _CODES.items()}
_LOG_PART = re.compile(r"(\d+)([oe])(\d+)")
#: Events read from the store at once.
EVENT_PAGE = 500


@dataclass(frozen=True)
class Cursor:
    """A position in a run's event stream (see the module docstring)."""

    event: int = 0
    #: ``(key, stream, offset)`` for the logs of steps running at ``event``, offsets > 0.
    logs: tuple[tuple[int, str, int], ...] = ()
    ended: bool = False

    def __str__(self) -> str:
        parts = [str(self.event)]
        parts += [f"{key}{_CODES[stream]}{offset}" for key, stream, offset in self.logs]
        return ".".join([*parts, "end"] if self.ended else parts)

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor written as ``text`` ('' or '0': the start); ValueError when malformed."""
        head, *rest = (text.strip() or "0").split(".")
        ended = bool(rest) and rest[-1] == "end"
        logs = []
        for part in rest[:-1] if ended else rest:
            match = _LOG_PART.fullmatch(part)
            if match is None:
                raise ValueError(_bad_cursor(text))
            key, code, offset = match.groups()
            if int(offset) > 0:
                logs.append((int(key), _STREAM_OF[code], int(offset)))
        if not head.isdigit():
            raise ValueError(_bad_cursor(text))
        return cls(int(head), tuple(sorted(logs)), ended)


def _bad_cursor(text: str) -> str:
    return (
        f"'after' must be the id of a message of this stream (like 12 or 12.9o4096), not {text!r}"
    )


@dataclass
class _Tail:
    """The logs of one running step: their paths and how far they were delivered."""

    key: int
    step: str
    paths: dict[str, str]
    offsets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STREAMS, 0))


class RunReader:
    """Makes the messages of one run from a cursor on, advancing its own cursor."""

    def __init__(self, store: RunStore, run_id: str, cursor: Cursor | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.event = 0
        self.ended = False
        #: The run's final status once its terminal event was read (the stream is over).
        self.over: str | None = None
        self._tails: dict[int, _Tail] = {}
        self._running: dict[str, int] = {}
        if cursor is not None and cursor.event:
            self._restore(cursor)

    @classmethod
    def at_present(cls, store: RunStore, run_id: str) -> RunReader:
        """A reader standing where a client that read everything until now stands."""
        reader = cls(store, run_id)
        for event in reader._events_after(0):
            reader._track(event)
            if reader.over:
                reader.ended = True
                break
        for tail in reader._tails.values():
            tail.offsets = {s: resume_point(tail.paths[s]) for s in STREAMS}
        return reader

    @property
    def cursor(self) -> Cursor:
        logs = [
            (key, stream, offset)
            for key, tail in self._tails.items()
            for stream, offset in tail.offsets.items()
            if offset > 0
        ]
        return Cursor(self.event, tuple(sorted(logs)), self.ended)

    # -- the two ways of reading --------------------------------------------------------
    def poll(self) -> Iterator[dict[str, Any]]:
        """What happened since the cursor: new events, then the running steps' new lines."""
        if not self.over:
            for event in self._events_after(self.event):
                yield from self._apply(event)
                if self.over:
                    break
        if self.over:
            if not self.ended:
                yield self._end()
            return
        for tail in list(self._tails.values()):
            for stream in STREAMS:
                end = file_size(tail.paths[stream])
                yield from self._read(tail, stream, end, final=False)

    def replay(self, target: Cursor) -> Iterator[dict[str, Any]]:
        """The messages from the cursor up to ``target`` (a later cursor of the same run)."""
        if not self.over:
            for event in self._events_after(self.event, upto=target.event):
                yield from self._apply(event)
                if self.over:
                    break
        if not self.over:
            goals = {(key, stream): offset for key, stream, offset in target.logs}
            for tail in list(self._tails.values()):
                for stream in STREAMS:
                    goal = goals.get((tail.key, stream), 0)
                    yield from self._read(tail, stream, goal, final=True)
        if self.over and target.ended and not self.ended:
            yield self._end()

    # -- inside -------------------------------------------------------------------------
    def _restore(self, cursor: Cursor) -> None:
        for event in self._events_after(0, upto=cursor.event):
            self._track(event)
            if self.over:
                break
        self.event = max(self.event, cursor.event)
        self.ended = cursor.ended and self.over is not None
        offsets = {(key, stream): offset for key, stream, offset in cursor.logs}
        for tail in self._tails.values():
            tail.offsets = {s: offsets.get((tail.key, s), 0) for s in STREAMS}

    def _events_after(self, after: int, upto: int | None = None) -> Iterator[dict[str, Any]]:
        while True:
            page = self.store.events(self.run_id, after=after, limit=EVENT_PAGE)
            for event in page:
                if upto is not None and event["id"] > upto:
                    return
                yield event
            if len(page) < EVENT_PAGE:
                return
            after = page[-1]["id"]

    def _track(self, event: dict[str, Any]) -> None:
        """Move the cursor past ``event``: start or stop following a step's logs."""
        name, status = event["step"], event["status"]
        self.event = event["id"]
        if name is None:
            if status in st.TERMINAL:
                self.over = status
                self._tails.clear()
                self._running.clear()
        elif status in st.TERMINAL:
            key = self._running.pop(name, None)
            if key is not None:
                del self._tails[key]
        elif status == st.RUNNING and name not in self._running:
            self._follow_step(name, event["id"])

    def _follow_step(self, name: str, key: int) -> None:
        try:
            spec = self.store.get_step(self.run_id, name).spec
        except PipelinesError:
            return  # an event of a step the run does not have: nothing to read
        paths = {s: str(spec.get(f"{s}_path") or "") for s in STREAMS}
        self._running[name] = key
        self._tails[key] = _Tail(key, name, paths)

    def _apply(self, event: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The messages of one event: a step's last lines before its end, then the status."""
        name, status = event["step"], event["status"]
        if status in st.TERMINAL:
            ending = list(self._tails) if name is None else [self._running.get(name)]
            for key in ending:
                if key is not None:
                    yield from self._drain(self._tails[key])
        self._track(event)
        yield self._message(
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

    def _drain(self, tail: _Tail) -> Iterator[dict[str, Any]]:
        for stream in STREAMS:
            yield from self._read(tail, stream, file_size(tail.paths[stream]), final=True)

    def _read(self, tail: _Tail, stream: str, end: int, final: bool) -> Iterator[dict[str, Any]]:
        """Log messages of ``stream`` from the delivered offset up to ``end``, a block each."""
        path = tail.paths[stream]
        while path and tail.offsets[stream] < end:
            chunk = read_lines(path, tail.offsets[stream], end, final=final)
            if chunk.offset == tail.offsets[stream]:
                return
            tail.offsets[stream] = chunk.offset
            yield self._message(
                {"type": "log", "step": tail.step, "stream": stream, "lines": chunk.lines}
            )

    def _end(self) -> dict[str, Any]:
        self.ended = True
        error = self.store.get_run(self.run_id).error
        return self._message({"type": "end", "status": self.over, "error": error})

    def _message(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"id": str(self.cursor), "run_id": self.run_id, **body}


__all__ = ["STREAMS", "Cursor", "RunReader"]
