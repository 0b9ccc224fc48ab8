"""Overhead of a no-op script step over a bare ``python -c pass``.

Three figures, each the median of a few repetitions:

- the per-step overhead in a chain of N no-op ``PythonScriptStep``s run by the engine:
  the run's recorded total time divided by N, minus a bare ``python -c pass``. This is the
  marginal cost of one more step (dispatch, status records, manifest, process start) and
  the figure held to the target;
- the median of each step's recorded duration (start to end in the run store) minus a
  bare ``python -c pass``: the part of the overhead spent inside the step's own slot;
- the end-to-end latency of a one-step pipeline, from ``Experiment.submit`` until
  ``wait_for_completion(show_output=False)`` returns (includes starting the run driver
  process and the waiter's polling), and until the run's end is recorded in the store.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bare_python_runs, median, percentile, print_figures, temp_workspace

CHAIN_LENGTH = 20
CHAIN_REPEATS = 3
SINGLE_REPEATS = 5
BARE_RUNS = 20

TARGETS = {"chain_overhead_per_step_ms": ("<=", 80.0)}


def _noop_step(name: str, source: Path) -> Any:
    from jupyter_pipelines import PythonScriptStep

    return PythonScriptStep(script_name="noop.py", name=name, source_directory=str(source))


def _run(ws: Any, steps: list[Any]) -> tuple[float, Any, float]:
    """Submit a pipeline of ``steps``, wait for it; return (wall seconds, run, submit time)."""
    from jupyter_pipelines import Experiment, Pipeline

    pipeline = Pipeline(workspace=ws, steps=steps)
    start = time.time()
    # Every repetition must execute: reuse would measure nothing.
    run = Experiment(ws, "bench-overhead").submit(
        pipeline, regenerate_outputs=True, show_output=False
    )
    run.wait_for_completion(show_output=False)
    elapsed = time.time() - start
    assert not any(s.is_reused for s in run.get_steps()), "a step was reused"
    return elapsed, run, start


def main() -> dict[str, Any]:
    from jupyter_pipelines import StepSequence

    bare_runs = bare_python_runs(BARE_RUNS)
    chain_per_step, step_durations, chain_totals = [], [], []
    single_wait, single_recorded = [], []
    with temp_workspace() as (ws, root):
        source = root / "src"
        source.mkdir()
        (source / "noop.py").write_text("pass\n")

        for _ in range(CHAIN_REPEATS):
            # Interleaved with the chains, so that both see the same machine load.
            bare_runs += bare_python_runs(BARE_RUNS // 2)
            steps = [_noop_step(f"noop_{i:02d}", source) for i in range(CHAIN_LENGTH)]
            StepSequence(steps)
            _wall, run, _ = _run(ws, steps)
            record = ws.run_store.get_run(run.id)
            total = record.ended - record.started
            chain_totals.append(total)
            chain_per_step.append(total / CHAIN_LENGTH)
            step_durations += [s.ended - s.started for s in ws.run_store.get_steps(run.id)]

        for i in range(SINGLE_REPEATS):
            wall, run, submitted = _run(ws, [_noop_step(f"single_{i}", source)])
            record = ws.run_store.get_run(run.id)
            single_wait.append(wall)
            single_recorded.append(record.ended - submitted)

    bare = median(bare_runs)
    figures = {
        "bare_python_ms": bare * 1000,
        "chain_steps": CHAIN_LENGTH,
        "chain_total_s": median(chain_totals),
        "chain_wall_per_step_ms": median(chain_per_step) * 1000,
        "chain_overhead_per_step_ms": (median(chain_per_step) - bare) * 1000,
        "step_recorded_duration_ms": median(step_durations) * 1000,
        "step_recorded_overhead_ms": (median(step_durations) - bare) * 1000,
        "step_recorded_duration_p90_ms": percentile(step_durations, 90) * 1000,
        "single_step_submit_to_recorded_end_ms": median(single_recorded) * 1000,
        "single_step_submit_to_wait_return_ms": median(single_wait) * 1000,
    }
    print_figures("step overhead (no-op PythonScriptStep vs python -c pass)", figures)
    return figures


if __name__ == "__main__":
    main()
