"""What the run widget shows, read from the run store: a ``RunSnapshot`` of a run and its steps.

A snapshot is plain data (no ipywidgets), so the renderers and the tests can use it alone.
Reading one costs a few SQLite queries on the run store (WAL, so it never blocks the run).
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.runs import PipelineRun, shape_metrics
from ..stores import status as st
from ..stores.runstore import StepRecord

#: Display state of a step: its store status, or "reused" for a step that reuses another run.
REUSED = "Reused"


@dataclass
class StepView:
    """One step as the widget shows it."""

    name: str
    status: str
    depends: list[str]
    started: float | None = None
    ended: float | None = None
    reused_from: str | None = None
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    log_paths: dict[str, str] = field(default_factory=dict)
    #: The Dask worker that ran the step (its address) and its target's dashboard, else None.
    worker: str | None = None
    dashboard_link: str | None = None

    @property
    def state(self) -> str:
        """The status used for colours: ``Reused`` for a finished reused step, else the status."""
        if self.reused_from is not None and self.status == st.FINISHED:
            return REUSED
        return self.status

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while running); None before it started."""
        if self.started is None:
            return None
        return (self.ended or time.time()) - self.started


@dataclass
class RunSnapshot:
    """A run and its steps at one moment."""

    run_id: str
    name: str
    experiment: str
    status: str
    started: float | None
    ended: float | None
    error: str | None
    steps: list[StepView]

    @property
    def done(self) -> bool:
        """Whether the run has ended (Finished, Failed or Canceled)."""
        return self.status in st.TERMINAL

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now while running); None before it started."""
        if self.started is None:
            return None
        return (self.ended or time.time()) - self.started

    def to_dict(self) -> dict[str, Any]:
        """The snapshot as JSON-ready data (``RunDetails.get_widget_data``)."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "experiment": self.experiment,
            "status": self.status,
            "start_time": self.started,
            "end_time": self.ended,
            "duration": self.duration,
            "error": self.error,
            "steps": [
                {
                    "name": s.name,
                    "status": s.status,
                    "state": s.state,
                    "depends_on": list(s.depends),
                    "start_time": s.started,
                    "end_time": s.ended,
                    "duration": s.duration,
                    "reused_from": s.reused_from,
                    "error": s.error,
                    "metrics": dict(s.metrics),
                    "logs": dict(s.log_paths),
                }
                for s in self.steps
            ],
        }

    def step(self, name: str) -> StepView:
        """The step called ``name``."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


def _log_paths(run: PipelineRun, record: StepRecord) -> dict[str, str]:
    origin = record
    if record.reused_from is not None:
        try:
            origin = run._store.get_step_run(record.reused_from)
        except Exception:  # the reused run was deleted: no logs to show
            return {}
    return {k: str(origin.spec.get(f"{k}_path", "")) for k in ("stdout", "stderr")}


def _metrics(run: PipelineRun, record: StepRecord) -> dict[str, Any]:
    step_run_id = record.reused_from or record.id
    return shape_metrics(run._store.get_metrics(step_run_id))


def read_snapshot(run: PipelineRun, previous: RunSnapshot | None = None) -> RunSnapshot:
    """Read ``run`` and its steps from the run store.

    Metrics and log paths of steps that had already ended in ``previous`` are taken from
    it (they no longer change), so polling a big run costs a few queries, not one per step.
    """
    record = run.refresh()._record
    ended = {s.name: s for s in previous.steps if s.status in st.TERMINAL} if previous else {}
    steps = []
    for r in run._store.get_steps(run.id):
        old = ended.get(r.name)
        steps.append(
            StepView(
                name=r.name,
                status=r.status,
                depends=list(r.depends),
                started=r.started,
                ended=r.ended,
                reused_from=r.reused_from,
                error=r.error,
                metrics=old.metrics if old else _metrics(run, r),
                log_paths=old.log_paths if old else _log_paths(run, r),
                worker=r.worker,
                dashboard_link=r.dashboard_link,
            )
        )
    return RunSnapshot(
        run_id=record.id,
        name=run.display_name,
        experiment=record.experiment,
        status=record.status,
        started=record.started,
        ended=record.ended,
        error=record.error,
        steps=steps,
    )


class LogFollower:
    """Reads new text of a step's log files, from where the previous read stopped."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._offsets: dict[str, int] = {}
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}
        self.text = ""

    def reset(self) -> None:
        """Forget what was read (another step was selected)."""
        self._offsets.clear()
        self._decoders.clear()
        self.text = ""

    def read(self, paths: dict[str, str]) -> bool:
        """Append new complete bytes of ``paths`` (stdout, then stderr); True when text grew."""
        grew = False
        for key in ("stdout", "stderr"):
            path = Path(paths.get(key) or "")
            if not paths.get(key) or not path.is_file():
                continue
            offset = self._offsets.get(key, 0)
            with path.open("rb") as fh:
                fh.seek(offset)
                data = fh.read()
            if not data:
                continue
            self._offsets[key] = offset + len(data)
            decoder = self._decoders.setdefault(
                key, codecs.getincrementaldecoder("utf-8")(errors="replace")
            )
            chunk = decoder.decode(data)  # a character cut between two reads waits

            self.text += chunk if key == "stdout" else _prefix(chunk, "[stderr] ")
            grew = True
        if len(self.text) > self.limit:
            self.text = "…" + self.text[-self.limit :]
        return grew


def _prefix(text: str, prefix: str) -> str:
    return "".join(prefix + line for line in text.splitlines(keepends=True))
