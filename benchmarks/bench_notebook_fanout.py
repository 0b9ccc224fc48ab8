"""A 10-notebook fan-out run by the engine versus the same notebooks run one after another.

The pipeline: one root notebook writes a value into its output ``data``; nine child
notebooks read it (each depends on the root through that data edge) and do a tiny
computation. Every notebook has a ``parameters`` cell.

- engine: ``Experiment.submit`` until ``wait_for_completion(show_output=False)`` returns,
  with the default local slots (the number of CPUs); includes starting the run driver
  and its papermill import.
- sequential: one fresh Python process that imports papermill and runs the ten notebooks
  with ``papermill.execute_notebook`` one after another, with the same parameters
  (timed from outside: interpreter start, papermill import and each kernel start).

The figure held to the target is engine time / sequential time (best of the repetitions).

Second figure, the fixed cost of a notebook step: a chain of 20 no-op notebook steps and a
chain of 20 no-op script steps, interleaved; each chain's recorded run time divided by 20,
and the notebook chain's median minus the script chain's median
(``notebook_minus_script_step_ms``, held to at most 150 ms).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

CHILDREN = 9
REPEATS = 3
CHAIN_LENGTH = 20
CHAIN_REPEATS = 3

TARGETS = {
    "engine_over_sequential": ("<=", 0.35),
    "notebook_minus_script_step_ms": ("<=", 150.0),
}

ROOT_CODE = (
    "import os\n"
    "value = sum(i * i for i in range(1000)) * scale\n"
    "os.makedirs(data, exist_ok=True)\n"
    "with open(os.path.join(data, 'value.txt'), 'w') as fh:\n"
    "    fh.write(str(value))\n"
    "value"
)
CHILD_CODE = (
    "import os\n"
    "with open(os.path.join(data, 'value.txt')) as fh:\n"
    "    value = int(fh.read())\n"
    "result = value % (index + 7)\n"
    "result"
)

SEQUENTIAL = """
import sys, json
import papermill as pm
jobs = json.loads(sys.argv[1])
for src, dst, params in jobs:
    pm.execute_notebook(src, dst, parameters=params, progress_bar=False, kernel_name="python3")
"""


def _notebook(parameters: str, code: str) -> dict[str, Any]:
    def cell(source: str, tags: list[str]) -> dict[str, Any]:
        return {
            "id": tags[0] if tags else "compute",
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"tags": tags},
            "outputs": [],
            "source": source,
        }

    return {
        "cells": [cell(parameters, ["parameters"]), cell(code, [])],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebooks(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    root = _notebook("scale = 1\ndata = None", ROOT_CODE)
    child = _notebook("index = 0\ndata = None", CHILD_CODE)
    (folder / "root.ipynb").write_text(json.dumps(root))
    (folder / "child.ipynb").write_text(json.dumps(child))


def build_pipeline(ws: Any, folder: Path) -> Any:
    from jupyter_pipelines import NotebookStep, Pipeline, PipelineData

    data = PipelineData("data")
    root = NotebookStep(
        "root.ipynb",
        source_directory=str(folder),
        name="root",
        parameters={"scale": 1},
        outputs=[data],
    )
    children = [
        NotebookStep(
            "child.ipynb",
            source_directory=str(folder),
            name=f"child_{i}",
            parameters={"index": i},
            inputs=[data.as_input()],
        )
        for i in range(CHILDREN)
    ]
    return Pipeline(workspace=ws, steps=[root, *children])


def run_engine(ws: Any, folder: Path) -> float:
    from jupyter_pipelines import Experiment

    pipeline = build_pipeline(ws, folder)
    start = time.perf_counter()
    # Every repetition must execute: reuse would measure nothing.
    run = Experiment(ws, "bench-fanout").submit(
        pipeline, regenerate_outputs=True, show_output=False
    )
    run.wait_for_completion(show_output=False)
    elapsed = time.perf_counter() - start
    assert not any(s.is_reused for s in run.get_steps()), "a step was reused"
    return elapsed


def run_sequential(folder: Path, out: Path, children: int = CHILDREN) -> float:
    out.mkdir(parents=True, exist_ok=True)
    data = out / "data"
    jobs = [[str(folder / "root.ipynb"), str(out / "root.ipynb"), {"scale": 1, "data": str(data)}]]
    jobs += [
        [
            str(folder / "child.ipynb"),
            str(out / f"child_{i}.ipynb"),
            {"index": i, "data": str(data)},
        ]
        for i in range(children)
    ]
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", SEQUENTIAL, json.dumps(jobs)],
        cwd=str(folder),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"sequential papermill run failed:\n{proc.stderr.decode()[-3000:]}")
    return took


def _chain(ws: Any, folder: Path, kind: str) -> tuple[float, list[float]]:
    """One chain of CHAIN_LENGTH no-op steps of ``kind``: the run's recorded seconds per
    step, and each step's recorded duration."""
    from jupyter_pipelines import Experiment, NotebookStep, Pipeline, PythonScriptStep, StepSequence

    def step(i: int) -> Any:
        if kind == "notebook":
            return NotebookStep("noop.ipynb", source_directory=str(folder), name=f"nb_{i:02d}")
        return PythonScriptStep("noop.py", source_directory=str(folder), name=f"py_{i:02d}")

    steps = [step(i) for i in range(CHAIN_LENGTH)]
    StepSequence(steps)
    run = Experiment(ws, f"bench-chain-{kind}").submit(
        Pipeline(workspace=ws, steps=steps), regenerate_outputs=True, show_output=False
    )
    run.wait_for_completion(show_output=False)
    assert not any(s.is_reused for s in run.get_steps()), "a step was reused"
    record = ws.run_store.get_run(run.id)
    durations = [s.ended - s.started for s in ws.run_store.get_steps(run.id)]
    return float(record.ended - record.started) / CHAIN_LENGTH, durations


def chain_figures(ws: Any, root: Path) -> dict[str, Any]:
    """Per-step seconds of no-op notebook chains against no-op script chains, interleaved."""
    folder = root / "chain"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "noop.py").write_text("pass\n")
    (folder / "noop.ipynb").write_text(json.dumps(_notebook("", "pass")))
    per_step: dict[str, list[float]] = {"notebook": [], "script": []}
    durations: dict[str, list[float]] = {"notebook": [], "script": []}
    for i in range(CHAIN_REPEATS):
        order = ("notebook", "script") if i % 2 == 0 else ("script", "notebook")
        for kind in order:
            seconds, steps = _chain(ws, folder, kind)
            per_step[kind].append(seconds)
            durations[kind] += steps
    notebook, script = per_step["notebook"], per_step["script"]
    return {
        "chain_steps": CHAIN_LENGTH,
        "notebook_step_ms": median(notebook) * 1000,
        "script_step_ms": median(script) * 1000,
        "notebook_minus_script_step_ms": (median(notebook) - median(script)) * 1000,
        "notebook_minus_script_step_duration_median_ms": (
            median(durations["notebook"]) - median(durations["script"])
        )
        * 1000,
        "notebook_chain_runs_ms_per_step": [round(x * 1000) for x in notebook],
        "script_chain_runs_ms_per_step": [round(x * 1000) for x in script],
    }


def main(chains: bool = True, fanout: bool = True) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    if fanout:
        figures.update(fanout_figures())
    if chains:
        with temp_workspace() as (ws, root):
            figures.update(chain_figures(ws, root))
    print_figures("notebook steps: 10-notebook fan-out and a 20-step chain", figures)
    return figures


def fanout_figures() -> dict[str, Any]:
    engine, sequential = [], []
    with temp_workspace() as (ws, root):
        folder = root / "notebooks"
        write_notebooks(folder)
        run_sequential(folder, root / "warm-up", children=0)  # untimed: warms the file cache
        for i in range(REPEATS):
            # Alternate the order so that neither side always runs on a warmer machine.
            if i % 2 == 0:
                sequential.append(run_sequential(folder, root / f"seq{i}"))
                engine.append(run_engine(ws, folder))
            else:
                engine.append(run_engine(ws, folder))
                sequential.append(run_sequential(folder, root / f"seq{i}"))
    best_engine, best_seq = min(engine), min(sequential)
    figures = {
        "notebooks": CHILDREN + 1,
        "local_slots": os.cpu_count() or 1,
        "engine_best_s": best_engine,
        "sequential_papermill_best_s": best_seq,
        "engine_over_sequential": best_engine / best_seq,
        "engine_over_sequential_median": median(engine) / median(sequential),
        "engine_runs_s": [round(x, 2) for x in engine],
        "sequential_runs_s": [round(x, 2) for x in sequential],
    }
    return figures


if __name__ == "__main__":
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    main(chains=only != "fanout", fanout=only != "chain")
