"""Helpers of the tests of the run-event stream: what a list of messages says, whatever its
grouping (a replayed stream groups log lines differently from a live one)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_pipelines.engine.log_reader import split_block
from jupyter_pipelines.stores import status as st
from jupyter_pipelines.stores.runstore import RunStore


@dataclass
class StreamContent:
    """The status events (by event id), each log's lines, and the end of a stream."""

    events: list[int] = field(default_factory=list)
    logs: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    end: str | None = None


def content(
    messages: list[dict[str, Any]], before: list[dict[str, Any]] | None = None
) -> StreamContent:
    """What ``messages`` deliver (when resuming, after the messages ``before`` them); fails
    when a log line comes outside its step's Running and terminal status messages, or when
    anything follows the end."""
    running: set[str] = set()
    _walk(before or [], StreamContent(), running)
    found = StreamContent()
    _walk(messages, found, running)
    return found


def _walk(messages: list[dict[str, Any]], found: StreamContent, running: set[str]) -> None:
    for message in messages:
        assert found.end is None, f"a message after the end: {message}"
        if message["type"] == "status":
            found.events.append(message["event_id"])
            if message["step"] is not None and message["status"] == st.RUNNING:
                running.add(message["step"])
            elif message["step"] is not None and message["status"] in st.TERMINAL:
                running.discard(message["step"])
        elif message["type"] == "log":
            assert message["step"] in running, f"log lines of a step not running: {message}"
            key = (message["step"], message["stream"])
            found.logs.setdefault(key, []).extend(message["lines"])
        else:
            found.end = message["status"]


def truth(store: RunStore, run_id: str) -> StreamContent:
    """What a complete stream of an ended run must deliver: every event up to the run's end,
    and every line of each log of the steps that ran (read whole, split at once)."""
    expected = StreamContent()
    for event in store.events(run_id):
        expected.events.append(event["id"])
        if event["step"] is None and event["status"] in st.TERMINAL:
            expected.end = event["status"]
            break
    ran = {e["step"] for e in store.events(run_id) if e["status"] == st.RUNNING and e["step"]}
    for step in store.get_steps(run_id):
        if step.name not in ran:
            continue
        for stream in ("stdout", "stderr"):
            # Lines longer than MAX_LINE bytes come in pieces (see engine/log_reader.py).
            found, _ = split_block(Path(step.spec[f"{stream}_path"]).read_bytes(), last=True)
            if found:
                expected.logs[(step.name, stream)] = [b.decode("utf-8", "replace") for b in found]
    return expected


def parse(texts: list[str]) -> list[dict[str, Any]]:
    return [json.loads(text) for text in texts]
