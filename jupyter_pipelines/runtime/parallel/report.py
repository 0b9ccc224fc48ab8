"""What the runner tells while it runs and when it ends, in the step's ``logs/`` folder.

- ``logs/progress.json``: the counts as JSON, rewritten (atomically) at most twice a
  second; what the run view reads to show mini-batches done / total;
- ``logs/job_progress_overview.txt``: the same in words (v1 has a file of this name);
- ``logs/processed_mini-batches.csv``: one line per finished mini-batch;
- ``logs/user/error.txt``: every failed attempt with its error;
- ``logs/runner.txt``: the runner's own log; ``logs/user/worker_<n>.txt``: each worker's;
- the step's stdout: a progress line (``mini-batches 40/100 ...``) now and then, and the
  summary at the end.

Results of ``append_row`` are written to the output file in input order as soon as every
mini-batch before them is finished (``OrderedOutput``).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from typing import IO, Any

PROGRESS_FILE = "progress.json"
OVERVIEW_FILE = "job_progress_overview.txt"
BATCHES_FILE = "processed_mini-batches.csv"
ERRORS_FILE = os.path.join("user", "error.txt")
_WRITE_EVERY = 0.5
_PRINT_EVERY = 5.0


@dataclass
class Counts:
    """Where the step stands; ``state`` is ``running``, ``finished`` or ``failed``."""

    total: int = 0
    done: int = 0
    from_cache: int = 0
    failed: int = 0
    retried: int = 0
    running: int = 0
    items: int = 0
    failed_items: int = 0
    rows: int = 0
    workers: int = 0
    workers_replaced: int = 0
    state: str = "running"
    reason: str = ""
    started: float = 0.0
    updated: float = 0.0

    @property
    def finished(self) -> int:
        """Mini-batches done or failed for good."""
        return self.done + self.failed

    def throughput(self) -> float:
        """Items (files or rows) finished per second so far."""
        elapsed = max(1e-9, self.updated - self.started)
        return self.items / elapsed


def write_atomic(path: str, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class Report:
    """Counts, progress files, the per-mini-batch report and the errors of one step."""

    def __init__(self, logs_dir: str, step: str, total: int, stdout: IO[str] | None = None):
        self.logs_dir = logs_dir
        self.step = step
        os.makedirs(os.path.join(logs_dir, "user"), exist_ok=True)
        now = time.time()
        self.counts = Counts(total=total, started=now, updated=now)
        self.stdout = stdout or sys.stdout
        self._written = 0.0
        self._printed = 0.0
        self._printed_tenth = -1
        self._csv_file = open(os.path.join(logs_dir, BATCHES_FILE), "w", newline="")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(
            ["index", "input", "items", "status", "attempts", "from_cache", "seconds", "worker"]
        )
        self._errors = open(os.path.join(logs_dir, ERRORS_FILE), "a", encoding="utf-8")  # noqa: SIM115

    # -- events --------------------------------------------------------------------------------
    def batch_finished(
        self,
        batch: Any,
        status: str,
        attempts: int,
        seconds: float = 0.0,
        worker: int | None = None,
        from_cache: bool = False,
    ) -> None:
        """One line of ``processed_mini-batches.csv``."""
        self._csv.writerow(
            [
                batch.index,
                batch.input,
                batch.size,
                status,
                attempts,
                int(from_cache),
                f"{seconds:.3f}",
                "" if worker is None else worker,
            ]
        )

    def attempt_failed(self, batch: Any, attempt: int, reason: str) -> None:
        """An attempt at a mini-batch failed: kept in ``user/error.txt``."""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._errors.write(
            f"[{stamp}] mini-batch {batch.index} ({batch.label}), attempt {attempt}:\n"
            f"{reason.rstrip()}\n\n"
        )
        self._errors.flush()

    def update(self, force: bool = False) -> None:
        """Rewrite the progress files (at most twice a second unless ``force``) and print a
        progress line at each tenth done, or every five seconds."""
        now = time.time()
        self.counts.updated = now
        if force or now - self._written >= _WRITE_EVERY:
            self._written = now
            self._csv_file.flush()
            write_atomic(self._path(PROGRESS_FILE), self.progress_json())
            write_atomic(self._path(OVERVIEW_FILE), self.overview())
        c = self.counts
        tenth = (10 * c.finished) // c.total if c.total else 10
        if tenth != self._printed_tenth or now - self._printed >= _PRINT_EVERY:
            self._printed, self._printed_tenth = now, tenth
            print(self.progress_line(), file=self.stdout, flush=True)

    def finish(self, state: str, reason: str = "") -> None:
        """The end: final counts, files and the summary on stdout."""
        self.counts.state, self.counts.reason = state, reason
        self.counts.running = 0
        self.update(force=True)
        print(self.summary(), file=self.stdout, flush=True)
        self._csv_file.close()
        self._errors.close()

    # -- texts ---------------------------------------------------------------------------------
    def _path(self, name: str) -> str:
        return os.path.join(self.logs_dir, name)

    def progress_json(self) -> str:
        data: dict[str, Any] = asdict(self.counts)
        data["elapsed_s"] = round(self.counts.updated - self.counts.started, 3)
        data["throughput_per_s"] = round(self.counts.throughput(), 3)
        data["step"] = self.step
        return json.dumps(data, indent=1)

    def progress_line(self) -> str:
        c = self.counts
        return (
            f"mini-batches {c.finished}/{c.total} (done {c.done}, from cache {c.from_cache}, "
            f"failed {c.failed}, retried {c.retried}, running {c.running})"
        )

    def summary(self) -> str:
        c = self.counts
        elapsed = c.updated - c.started
        lines = [
            f"ParallelRunStep {self.step!r}: {c.state}" + (f": {c.reason}" if c.reason else ""),
            f"  mini-batches: {c.total} in all, {c.done} done ({c.from_cache} from the cache), "
            f"{c.failed} failed, {c.retried} retried",
            f"  items: {c.items} processed, {c.failed_items} failed; rows returned: {c.rows}",
            f"  workers: {c.workers} processes, {c.workers_replaced} replaced",
            f"  time: {elapsed:.2f} s, {c.throughput():.1f} items/s",
        ]
        if c.failed or c.retried:
            lines.append(f"  errors: see {self._path(ERRORS_FILE)}")
        return "\n".join(lines)

    def overview(self) -> str:
        return f"{self.progress_line()}\n{self.summary()}\n"


class OrderedOutput:
    """The ``append_row`` file, appended in mini-batch order as results complete."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._pending: dict[int, list[str] | None] = {}
        self._next = 0
        self.lines = 0
        if path is not None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()  # a rerun of a step starts it anew

    def put(self, index: int, lines: list[str] | None) -> None:
        """The result of mini-batch ``index`` (None: it failed, nothing to write)."""
        self._pending[index] = lines
        if self.path is None:
            self._pending.clear()
            return
        ready = []
        while self._next in self._pending:
            ready.append(self._pending.pop(self._next))
            self._next += 1
        if ready:
            with open(self.path, "a", encoding="utf-8") as fh:
                for chunk in ready:
                    for line in chunk or []:
                        fh.write(line)
                        fh.write("\n")
                        self.lines += 1
