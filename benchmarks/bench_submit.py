"""Submit latency: ``Experiment.submit`` until ``wait_for_completion`` returns, one no-op step.

The figure held to the target is the median of 30 submits of a one-step pipeline (one
no-op ``PythonScriptStep``, never reused), from the call of ``submit`` until
``wait_for_completion(show_output=False)`` returns, with the warm driver server running
(it forks each run's driver; see ``engine/driver_server.py``). The time is broken down
with the times the run store recorded:

- ``submit``: validation, plan, snapshot and fingerprint, the SQLite transaction, and the
  request to the driver server (until ``submit`` returns);
- ``driver_up``: until the forked driver recorded the run Running;
- ``to_step_start``: the driver prepares and launches the step;
- ``step``: the step's recorded duration (mostly a new Python process);
- ``to_run_end``: the step's end noticed and recorded, the run's end recorded;
- ``noticed``: until ``wait_for_completion`` sees it.

Also measured: the first submit (which starts a driver server), submits without the
server (``JUPYTER_PIPELINES_WARM_DRIVER=0``: a new ``python -m`` driver per run, as before),
a one-notebook run with the notebook driver server (papermill imported before the fork)
and without, and a bare ``python -c pass`` on the same machine for scale. Bytecode of the package is
compiled first, as an installed package has it.
"""

from __future__ import annotations

import compileall
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, bare_python_runs, median, percentile, print_figures, temp_workspace

from jupyter_pipelines.engine.driver_start import WARM_ENV

REPEATS = 30
COLD_REPEATS = 8
NOTEBOOK_REPEATS = 4
PHASES = ("submit", "driver_up", "to_step_start", "step", "to_run_end", "noticed")

TARGETS = {"submit_to_wait_return_ms": ("<=", 100.0)}


def _one(ws: Any, source: Path, name: str) -> dict[str, float]:
    """Submit a one-step pipeline, wait for it; the phases in seconds."""
    from jupyter_pipelines import Experiment, Pipeline, PythonScriptStep

    step = PythonScriptStep(script_name="noop.py", name=name, source_directory=str(source))
    pipeline = Pipeline(workspace=ws, steps=[step])
    start = time.time()
    run = Experiment(ws, "bench-submit").submit(
        pipeline, regenerate_outputs=True, show_output=False
    )
    submitted = time.time()
    run.wait_for_completion(show_output=False)
    waited = time.time()
    record = ws.run_store.get_run(run.id)
    (step_record,) = ws.run_store.get_steps(run.id)
    marks = [
        start,
        submitted,
        record.started,
        step_record.started,
        step_record.ended,
        record.ended,
        waited,
    ]
    out = {phase: marks[i + 1] - marks[i] for i, phase in enumerate(PHASES)}
    out["total"] = waited - start
    return out


def _first_submit(ws: Any, source: Path) -> float:
    """A submit that starts its own driver server (one for a new ``PYTHON*`` variable,
    let go 5 s after)."""
    with _env(PYTHONJPBENCH=uuid.uuid4().hex, JUPYTER_PIPELINES_DRIVER_SERVER_IDLE="5"):
        return _one(ws, source, "first")["total"]


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    """``os.environ`` with ``values`` set meanwhile."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _notebook_run(ws: Any, folder: Path, name: str) -> float:
    """Seconds from submit until the wait returns, one no-op notebook step."""
    from jupyter_pipelines import Experiment, NotebookStep, Pipeline

    step = NotebookStep("noop.ipynb", name=name, source_directory=str(folder), allow_reuse=False)
    start = time.perf_counter()
    run = Experiment(ws, "bench-submit-nb").submit(
        Pipeline(workspace=ws, steps=[step]), show_output=False
    )
    run.wait_for_completion(show_output=False)
    return time.perf_counter() - start


def _notebook_figures(ws: Any, root: Path) -> dict[str, float]:
    """A one-notebook run with the notebook driver server (papermill imported) and
    without any warm server."""
    import nbformat

    folder = root / "nb"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("pass")]
    nbformat.write(nb, str(folder / "noop.ipynb"))
    _notebook_run(ws, folder, "nb_first")  # starts the notebook server in the background
    warm, cold = [], []
    for i in range(NOTEBOOK_REPEATS):
        warm.append(_notebook_run(ws, folder, f"nb_warm_{i}"))
        with _env(**{WARM_ENV: "0"}):
            cold.append(_notebook_run(ws, folder, f"nb_cold_{i}"))
    return {
        "notebook_run_ms": median(warm[1:]) * 1000,  # the first may come before it serves
        "notebook_run_no_warm_server_ms": median(cold) * 1000,
    }


def main() -> dict[str, Any]:
    compileall.compile_dir(str(ROOT / "jupyter_pipelines"), quiet=1)
    bare = bare_python_runs(20)
    warm: list[dict[str, float]] = []
    cold: list[float] = []
    with temp_workspace() as (ws, root):
        source = root / "src"
        source.mkdir()
        (source / "noop.py").write_text("pass\n")
        # Code written long before it runs, as usual: a file changed within the last
        # seconds is hashed again at each submit (its times cannot be trusted yet).
        long_ago = time.time() - 3600
        os.utime(source / "noop.py", (long_ago, long_ago))
        first = _first_submit(ws, source)
        _one(ws, source, "warm_up")  # the usual server, started if it was not
        for i in range(REPEATS):
            warm.append(_one(ws, source, f"warm_{i:02d}"))
            if i % (REPEATS // COLD_REPEATS) == 0 and len(cold) < COLD_REPEATS:
                with _env(**{WARM_ENV: "0"}):  # interleaved: both see the same machine load
                    cold.append(_one(ws, source, f"cold_{i:02d}")["total"])
        notebooks = _notebook_figures(ws, root)
    totals = [w["total"] for w in warm]
    figures: dict[str, Any] = {
        "bare_python_ms": median(bare) * 1000,
        "submit_to_wait_return_ms": median(totals) * 1000,
        "submit_to_wait_return_p90_ms": percentile(totals, 90) * 1000,
        "first_submit_with_server_start_ms": first * 1000,
        "no_warm_server_ms": median(cold) * 1000,
        **notebooks,
    }
    for phase in PHASES:
        figures[f"phase_{phase}_ms"] = median([w[phase] for w in warm]) * 1000
    print_figures("submit latency (one no-op PythonScriptStep, submit -> wait returns)", figures)
    return figures


if __name__ == "__main__":
    main()
