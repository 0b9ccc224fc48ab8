"""Resubmitting a fully reused 100-step pipeline.

The pipeline: 100 ``PythonScriptStep``s whose scripts live in four shared source folders
(each folder holds a few scripts and a helper module, so a folder's snapshot is taken once
per submit and shared by its 25 steps). Every step writes one output, a ``PipelineData``
(even steps) or an ``OutputFileDatasetConfig`` (odd steps), and every step after the first
reads the outputs of 1 or 2 earlier steps (a random DAG, fixed seed), passed as arguments.

The first submit runs every step with the engine (and is waited for). Then the same
pipeline, rebuilt from fresh objects each time, is resubmitted ``REPEATS`` times. Nothing
changed, so every step is reused at submit and the run is recorded Finished without a run
driver. Figures (medians of the repeats):

- ``resubmit_to_wait_s`` (the target, under 0.5 s): from ``Experiment.submit(pipeline,
  show_output=False)`` until ``wait_for_completion(show_output=False)`` returns, checked
  to be Finished with every step reused and no driver started;
- ``submit_s``: ``Experiment.submit`` alone (snapshots of the four folders, fingerprints,
  reuse look-ups, recording the run and its 100 step runs);
- ``first_run_s``: the first, real run (informational).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

STEPS = 100
FOLDERS = 4
REPEATS = 5
SEED = 20261124
EXPERIMENT = "bench-reuse"

TARGETS = {"resubmit_to_wait_s": ("<=", 0.5)}

_HELPER = '''"""Shared helper of the benchmark steps."""
import hashlib
import os
import sys


def run(kind):
    args = sys.argv[1:]
    out = args[args.index("--out") + 1]
    digest = hashlib.sha256(kind.encode())
    for i, arg in enumerate(args):
        if arg.startswith("--in"):
            with open(os.path.join(args[i + 1], "result.txt"), "rb") as fh:
                digest.update(fh.read())
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "result.txt"), "w") as fh:
        fh.write(digest.hexdigest() + "\\n")
'''

SCRIPTS = ("prepare", "transform", "merge")


def write_sources(root: Path) -> list[Path]:
    """Four source folders, each with a helper module, three scripts and a README."""
    folders = []
    for f in range(FOLDERS):
        folder = root / f"src_{f}"
        folder.mkdir(parents=True)
        (folder / "helper.py").write_text(_HELPER)
        (folder / "README.md").write_text(f"Source folder {f} of the reuse benchmark.\n")
        for kind in SCRIPTS:
            (folder / f"{kind}.py").write_text(
                f"# {kind} (folder {f})\nimport helper\n\nhelper.run({kind!r})\n"
            )
        folders.append(folder)
    return folders


def build_pipeline(ws: Any, folders: list[Path]) -> Any:
    from jupyter_pipelines import (
        OutputFileDatasetConfig,
        Pipeline,
        PipelineData,
        PythonScriptStep,
    )

    rng = random.Random(SEED)
    outputs: list[Any] = []
    steps = []
    for i in range(STEPS):
        out = (
            PipelineData(f"out_{i:03d}") if i % 2 == 0 else OutputFileDatasetConfig(f"out_{i:03d}")
        )
        args: list[Any] = ["--out", out]
        if i:
            picks = sorted(rng.sample(range(i), min(i, rng.randint(1, 2))))
            for k, j in enumerate(picks):
                args += [f"--in{k}", outputs[j].as_input(f"in_{k}")]
        steps.append(
            PythonScriptStep(
                script_name=f"{SCRIPTS[i % len(SCRIPTS)]}.py",
                name=f"step_{i:03d}",
                source_directory=str(folders[i % len(folders)]),
                arguments=args,
            )
        )
        outputs.append(out)
    return Pipeline(workspace=ws, steps=steps)


def main() -> dict[str, Any]:
    from jupyter_pipelines import Experiment

    submits, totals = [], []
    with temp_workspace() as (ws, root):
        folders = write_sources(root / "code")
        experiment = Experiment(ws, EXPERIMENT)
        ws.run_store  # noqa: B018  (open the store outside the timings)

        start = time.perf_counter()
        first = experiment.submit(build_pipeline(ws, folders), show_output=False)
        status = first.wait_for_completion(show_output=False)
        first_run = time.perf_counter() - start
        steps = first.get_steps()
        if status != "Finished" or len(steps) != STEPS or any(s.is_reused for s in steps):
            raise RuntimeError(f"the first run did not run all {STEPS} steps: {status}")

        for _ in range(REPEATS):
            pipeline = build_pipeline(ws, folders)
            start = time.perf_counter()
            run = experiment.submit(pipeline, show_output=False)
            submitted = time.perf_counter()
            status = run.wait_for_completion(show_output=False)
            end = time.perf_counter()
            submits.append(submitted - start)
            totals.append(end - start)
            steps = run.get_steps()
            reused = sum(s.is_reused for s in steps)
            if status != "Finished" or len(steps) != STEPS or reused != STEPS:
                raise RuntimeError(f"resubmit: {status}, {reused} of {len(steps)} steps reused")
            if ws.run_store.get_run(run.id).driver_pid is not None:
                raise RuntimeError("a fully reused run started a run driver")

    figures = {
        "steps": STEPS,
        "source_folders": FOLDERS,
        "edges": pipeline.graph.number_of_edges(),
        "first_run_s": first_run,
        "submit_s": median(submits),
        "resubmit_to_wait_s": median(totals),
        "resubmit_to_wait_min_s": min(totals),
        "resubmit_to_wait_max_s": max(totals),
    }
    print_figures("100-step pipeline, resubmitted with every step reused", figures)
    return figures


def profile() -> None:
    """Print a cProfile of one fully reused resubmit (submit and wait)."""
    import cProfile
    import pstats

    from jupyter_pipelines import Experiment

    with temp_workspace() as (ws, root):
        folders = write_sources(root / "code")
        experiment = Experiment(ws, EXPERIMENT)
        experiment.submit(build_pipeline(ws, folders), show_output=False).wait_for_completion(
            show_output=False
        )
        pipeline = build_pipeline(ws, folders)
        prof = cProfile.Profile()
        prof.enable()
        experiment.submit(pipeline, show_output=False).wait_for_completion(show_output=False)
        prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile()
    else:
        main()
