"""Following a run live: a progress bar of step states, then each finished step's log tail.

Used by ``PipelineRun.wait_for_completion`` and the CLI; reads only the run store,
so it works from any process. It writes to stdout unless given a stream, as v1's
``wait_for_completion(show_output=True)`` prints; the CLI passes stderr, keeping its stdout
for results.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from ..executors.base import failure_summary, tail
from ..log import progress_bars_wanted
from ..stores import status as st

if TYPE_CHECKING:
    from .runs import PipelineRun

#: The longest wait between two looks at the run store.
POLL_SECONDS = 0.1
#: The shortest: a run that just started is looked at often (its end is noticed within
#: a few ms), a long one every POLL_SECONDS (about 1 read per 0.1 s, a few microseconds).
MIN_POLL_SECONDS = 0.002
TAIL_LINES = 5
#: Lines of a failed step's log shown under its summary: its end, where the error is.
FAILURE_LINES = 12
_MARK = {st.FINISHED: "✔", st.FAILED: "✘", st.CANCELED: "⊘"}


def follow_run(
    run: PipelineRun,
    show_output: bool = True,
    timeout_seconds: float | None = None,
    stream: TextIO | None = None,
) -> str:
    """Block until ``run`` ends (or the timeout passes) and return its status.

    What it shows goes to ``stream``, by default the ``sys.stdout`` of the moment (so a
    redirected or captured stdout gets it).
    """
    out = stream or sys.stdout
    store = run._store
    steps = {s.name: s for s in store.get_steps(run.id)}
    done = {n for n, s in steps.items() if s.status in st.TERMINAL}
    bar = _bar(run, len(steps), out) if show_output else None
    if bar is not None:  # steps that ended before we looked, reused ones above all
        for name in (n for n in steps if n in done):
            _report_step(bar, steps[name], show_output, out)
            bar.update(1)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    last_event, last_reap = 0, 0.0
    began = time.monotonic()
    running: set[str] = set()
    try:
        while True:
            for event in store.events(run.id, after=last_event):
                last_event = event["id"]
                name, status = event["step"], event["status"]
                if name is None or name not in steps:
                    if name is None and status in st.TERMINAL:
                        last_reap = 0.0  # the run ended: confirm it now, not up to 1 s later
                    continue
                if status == st.RUNNING:
                    running.add(name)
                elif status in st.TERMINAL and name not in done:
                    running.discard(name)
                    done.add(name)
                    if bar is not None:
                        _report_step(bar, store.get_step(run.id, name), show_output, out)
                        bar.update(1)
            if bar is not None:
                bar.set_postfix_str(f"running: {', '.join(sorted(running)) or '-'}", refresh=True)
            if time.monotonic() - last_reap > 1.0:
                last_reap = time.monotonic()
                if run.refresh().status in st.TERMINAL and not store.events(run.id, last_event):
                    break
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(poll_interval(time.monotonic() - began))
    finally:
        if bar is not None:
            bar.close()
    status = run.refresh().status
    if show_output:
        _summary(run, status, out)
    return status


def poll_interval(waited: float) -> float:
    """Seconds to sleep before the next look, having waited ``waited`` seconds so far.

    A twentieth of the time waited, between MIN_POLL_SECONDS and POLL_SECONDS: the end
    of a run is noticed at most about 5 % (and 0.1 s) after it happened."""
    return min(POLL_SECONDS, max(MIN_POLL_SECONDS, waited / 20))


def _bar(run: PipelineRun, total: int, out: TextIO) -> Any:
    from tqdm.auto import tqdm

    # A bar redrawn into a log file is noise: show it on terminals and in notebooks only.
    interactive = progress_bars_wanted(out)
    return tqdm(
        total=total,
        desc=f"run {run.id[:8]}",
        unit="step",
        file=out,
        dynamic_ncols=True,
        leave=True,
        disable=not interactive,
    )


def _report_step(bar: Any, step: Any, show_output: bool, out: TextIO) -> None:
    # The bar's own stream: a disabled bar (not a terminal) has none, and tqdm.write
    # would otherwise fall back to stdout while the caller asked for another stream.
    def write(line: str) -> None:
        bar.write(line, file=out)

    took = f" in {step.ended - step.started:.1f}s" if step.started and step.ended else ""
    reused = f" (reused {step.reused_from[:8]})" if step.reused_from else ""
    write(f"{_MARK.get(step.status, '?')} {step.name}: {step.status}{took}{reused}")
    if step.status == st.FAILED and step.error:
        # The end of its log is where the error that matters is (a traceback's last line).
        write(f"    {failure_summary(step.error)}")
        for line in step.error.strip().splitlines()[1:][-FAILURE_LINES:]:
            write(f"    | {line}")
    elif show_output and step.status == st.FINISHED and step.started:
        text = tail(step.spec.get("stdout_path", ""), TAIL_LINES)
        for line in text.splitlines():
            write(f"    | {line}")


def _summary(run: PipelineRun, status: str, out: TextIO) -> None:
    record = run._record
    took = f" in {record.ended - record.started:.1f}s" if record.started and record.ended else ""
    print(f"Run {run.id} {status}{took}", file=out)
    if record.error and status != st.FINISHED:
        print(f"  {record.error.splitlines()[0]}", file=out)
