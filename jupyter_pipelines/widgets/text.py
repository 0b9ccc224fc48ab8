"""The run view as plain text: what ``RunDetails(run).show()`` prints outside a notebook."""

from __future__ import annotations

from ..executors.base import failure_summary
from ..stores import status as st
from .snapshot import RunSnapshot, StepView


def duration_text(seconds: float | None) -> str:
    """A duration as "0.4 s", "2:05" or "1:02:05"; '' when unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def step_note(step: StepView) -> str:
    """Where a reused step's result came from, or why a step failed (its cause included)."""
    if step.reused_from:
        return f"reused {step.reused_from[:8]}"
    return failure_summary(step.error) if step.error else ""


def status_table(snapshot: RunSnapshot) -> str:
    """A header line for the run, then one row per step: status, duration, note."""
    took = ""
    if snapshot.started is not None:
        running = "" if snapshot.ended else " so far"
        took = f" in {duration_text(snapshot.duration)}{running}"
    lines = [f"Run {snapshot.run_id} (experiment {snapshot.experiment!r}): {snapshot.status}{took}"]
    if snapshot.error and snapshot.status != st.FINISHED:
        lines.append(f"  {snapshot.error.strip().splitlines()[0]}")
    rows = [("STEP", "STATUS", "DURATION", "NOTE")]
    rows += [(s.name, s.status, duration_text(s.duration), step_note(s)) for s in snapshot.steps]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(3)] + [row[3]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
