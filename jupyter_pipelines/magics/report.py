"""Text views of runs for the magics: the ``%pipeline status`` table."""

from __future__ import annotations

from typing import Any


def status_text(run: Any) -> str:
    """A PipelineRun's status and one line per step: status, duration, reused from."""
    run.refresh()
    lines = [f"run {run.id} (experiment {run.experiment.name!r}): {run.status}"]
    steps = run.get_steps()
    width = max((len(s.name) for s in steps), default=4)
    for step in steps:
        duration = f"{step.duration:.1f}s" if step.duration is not None else "-"
        reused = f"  reused from {step.reused_from}" if step.reused_from else ""
        lines.append(f"  {step.name:<{width}}  {step.status:<10} {duration:>7}{reused}")
    return "\n".join(lines)
