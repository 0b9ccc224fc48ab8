"""Steps on a Dask LocalCluster: per-step overhead over the local executor, and a large run.

Figures:

- **per-step overhead**: ``STEPS`` (100) independent no-op ``PythonScriptStep``s run on
  the local executor with 2 slots, then on a 2-worker ``LocalCluster`` (one thread per
  worker) that the target starts: in place (the default for such a cluster) and through
  an artifact store (``artifact_store=file://...``: every step's code, folder and result
  copied, as for workers without the disk). Each run's span (first step start to last
  step end, from the run store) divided by the steps; the overhead is the Dask span per
  step minus the local one. ``*_run_s`` is the whole run, the cluster's start included;
- **a large run**: ``JP_BENCH_DASK_LARGE`` (default 10,000) no-op steps, all independent,
  on the same cluster: wall time, steps per second, the driver's peak memory (RSS, with the
  scheduler, which a LocalCluster runs in the driver), and whether status events keep
  flowing (the longest gap between two step events once steps started, and how long a
  reader of the run store waits for the run's status meanwhile).

``JP_BENCH_DASK_LARGE=1000 python benchmarks/bench_dask.py`` for a quick look.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

STEPS = int(os.environ.get("JP_BENCH_DASK_STEPS", "100"))
LARGE = int(os.environ.get("JP_BENCH_DASK_LARGE", "10000"))

TARGETS = {"overhead_per_step_ms": ("<=", 50.0)}


def _steps(source: Path, n: int, target: Any, prefix: str) -> list[Any]:
    from jupyter_pipelines import PythonScriptStep

    return [
        PythonScriptStep(
            script_name="noop.py",
            name=f"{prefix}{i:05d}",
            source_directory=str(source),
            compute_target=target,
            allow_reuse=False,
        )
        for i in range(n)
    ]


def _submit(ws: Any, steps: list[Any]) -> Any:
    from jupyter_pipelines import Experiment, Pipeline

    return Experiment(ws, "bench-dask").submit(Pipeline(ws, steps), show_output=False)


def _span(ws: Any, run: Any) -> tuple[float, float, int]:
    """(first step start to last step end, run start to first step start, steps run)."""
    record = ws.run_store.get_run(run.id)
    steps = [s for s in ws.run_store.get_steps(run.id) if s.started and s.ended]
    assert record.status == "Finished", (record.status, record.error)
    first = min(s.started for s in steps)
    return max(s.ended for s in steps) - first, first - (record.started or first), len(steps)


def _target(ws: Any, name: str, **config: Any) -> Any:
    from jupyter_pipelines import ComputeTarget, DaskCompute

    return ComputeTarget.create(
        ws, name, DaskCompute.provisioning_configuration(min_nodes=2, max_nodes=2, **config)
    )


def overhead(ws: Any, source: Path) -> dict[str, Any]:
    """The per-step figures (see the module's docstring)."""
    os.environ["JUPYTER_PIPELINES_LOCAL_SLOTS"] = "2"
    try:
        run = _submit(ws, _steps(source, STEPS, None, "local"))
        run.wait_for_completion(show_output=False)
        local_span, _, _ = _span(ws, run)
    finally:
        os.environ.pop("JUPYTER_PIPELINES_LOCAL_SLOTS", None)
    figures: dict[str, Any] = {"steps": STEPS, "local_per_step_ms": local_span / STEPS * 1000}
    store = (source.parent / "store").as_uri()
    for name, config in (("dask", {}), ("dask_store", {"artifact_store": store})):
        target = _target(ws, name, **config)
        submitted = time.time()
        run = _submit(ws, _steps(source, STEPS, target, name))
        run.wait_for_completion(show_output=False, timeout_seconds=600)
        span, _, _ = _span(ws, run)
        figures[f"{name}_per_step_ms"] = span / STEPS * 1000
        figures[f"{name}_run_s"] = time.time() - submitted  # with the cluster's start
    local = figures["local_per_step_ms"]
    figures["overhead_per_step_ms"] = figures["dask_per_step_ms"] - local
    figures["overhead_through_store_per_step_ms"] = figures["dask_store_per_step_ms"] - local
    return figures


class _Watch:
    """Samples the driver's memory and how long a status read takes, while a run goes on."""

    def __init__(self, ws: Any, run: Any) -> None:
        self.ws, self.run = ws, run
        self.rss: list[float] = []
        self.reads: list[float] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        import psutil

        driver: Any = None
        while not self.done.wait(0.5):
            start = time.perf_counter()
            record = self.ws.run_store.get_run(self.run.id)
            self.reads.append(time.perf_counter() - start)
            try:
                if driver is None and record.driver_pid:
                    driver = psutil.Process(record.driver_pid)
                if driver is not None:
                    self.rss.append(driver.memory_info().rss / 2**20)
            except psutil.Error:
                pass

    def stop(self) -> None:
        self.done.set()
        self.thread.join(5)


def _events(ws: Any, run_id: str) -> list[dict[str, Any]]:
    """Every event of a run (the store pages them)."""
    found: list[dict[str, Any]] = []
    while True:
        page = ws.run_store.events(run_id, after=found[-1]["id"] if found else 0)
        if not page:
            return found
        found += page


def large(ws: Any, source: Path) -> dict[str, Any]:
    """The large-run figures (see the module's docstring)."""
    target = _target(ws, "dask_large")
    submit_start = time.time()
    run = _submit(ws, _steps(source, LARGE, target, "wide"))
    submitted = time.time() - submit_start
    watch = _Watch(ws, run)
    status = run.wait_for_completion(show_output=False, timeout_seconds=7200, raise_on_error=False)
    wall = time.time() - submit_start
    watch.stop()
    if status != "Finished":  # say why before the workspace goes
        log = ws.runs_dir / run.id / "driver.log"
        print(log.read_text()[-6000:] if log.exists() else "(no driver log)")
        raise RuntimeError(f"the large run ended {status}: {run.error}")
    span, _, count = _span(ws, run)
    times = sorted(e["ts"] for e in _events(ws, run.id) if e["step"])
    first_end = min(s.ended for s in ws.run_store.get_steps(run.id) if s.ended)
    flowing = [t for t in times if t >= first_end]
    gaps = [b - a for a, b in itertools.pairwise(flowing)] or [0.0]
    return {
        "large_steps": count,
        "large_submit_s": submitted,
        "large_wall_s": wall,
        "large_steps_per_s": count / span,
        "large_driver_rss_peak_mb": max(watch.rss or [0.0]),
        "large_driver_rss_median_mb": median(watch.rss or [0.0]),
        "large_step_events": len(times),
        "large_max_event_gap_s": max(gaps),
        "large_status_read_max_ms": max(watch.reads or [0.0]) * 1000,
    }


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with temp_workspace("jp-bench-dask-") as (ws, root):
        source = root / "src"
        source.mkdir()
        (source / "noop.py").write_text("pass\n")
        figures.update(overhead(ws, source))
        if LARGE > 0:
            figures.update(large(ws, source))
    print_figures("steps on a Dask LocalCluster (2 workers)", figures)
    return figures


if __name__ == "__main__":
    main()
