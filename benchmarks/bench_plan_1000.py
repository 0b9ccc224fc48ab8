"""Validating and planning a 1,000-step pipeline.

The pipeline: 1,000 ``PythonScriptStep``s, each with its own small script file in a temporary
folder, forming a random DAG (fixed seed): every step after the first reads the outputs
(``PipelineData``) of 1 to 3 earlier steps, passed as arguments, and writes one output.
All steps share one ``PipelineParameter``.

Figures (median of a few repetitions, each on a freshly built pipeline object so that
nothing cached on it carries over):

- ``validate_and_plan_s``: ``check_pipeline`` (engine/submit.py) plus ``Planner.plan()``
  (engine/plan.py), the figure held to the target;
- ``submit_no_start_s``: a whole ``submit_pipeline(..., start=False)``: validation, parameter
  resolution, planning, the pipeline document, and recording the run and its 1,000 step
  runs in SQLite, without starting the driver;
- ``build_pipeline_s``: constructing the step objects and the ``Pipeline`` (not in a target).
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

STEPS = 1000
REPEATS = 5
SEED = 20261124

TARGETS = {
    "validate_and_plan_s": ("<=", 1.0),
    "submit_no_start_s": ("<=", 1.0),
}


def write_scripts(folder: Path, count: int = STEPS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"step_{i:04d}.py").write_text(
            f"# step {i}\nimport sys\nprint('step {i}', sys.argv[1:])\n"
        )


def build_pipeline(ws: Any, folder: Path, count: int = STEPS, seed: int = SEED) -> Any:
    from jupyter_pipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep

    rng = random.Random(seed)
    rate = PipelineParameter("rate", default_value=0.5)
    outputs: list[Any] = []
    steps = []
    for i in range(count):
        out = PipelineData(f"out_{i:04d}")
        args: list[Any] = ["--rate", rate, "--out", out]
        if i:
            for k, j in enumerate(sorted(rng.sample(range(i), min(i, rng.randint(1, 3))))):
                args += [f"--in{k}", outputs[j].as_input(f"in_{k}")]
        steps.append(
            PythonScriptStep(
                script_name=f"step_{i:04d}.py",
                name=f"step_{i:04d}",
                source_directory=str(folder),
                arguments=args,
                outputs=[out],
            )
        )
        outputs.append(out)
    return Pipeline(workspace=ws, steps=steps)


def validate_and_plan(ws: Any, pipeline: Any) -> list[Any]:
    from jupyter_pipelines.engine.plan import Planner
    from jupyter_pipelines.engine.submit import check_pipeline
    from jupyter_pipelines.model.parameters import resolve_parameter_values

    issues = [i for i in check_pipeline(ws, pipeline) if i.severity == "error"]
    if issues:
        raise RuntimeError(f"benchmark pipeline is invalid: {issues[:3]}")
    values = resolve_parameter_values(pipeline.parameters, None)
    run_id = str(uuid.uuid4())
    return Planner(ws.runs_dir / run_id, run_id, pipeline, values).plan()


def main() -> dict[str, Any]:
    from jupyter_pipelines.engine.submit import submit_pipeline

    builds, plans, submits = [], [], []
    with temp_workspace() as (ws, root):
        folder = root / "scripts"
        write_scripts(folder)
        ws.run_store  # noqa: B018  (open the store outside the timings)
        for _ in range(REPEATS):
            start = time.perf_counter()
            pipeline = build_pipeline(ws, folder)
            builds.append(time.perf_counter() - start)

            start = time.perf_counter()
            records = validate_and_plan(ws, pipeline)
            plans.append(time.perf_counter() - start)
            assert len(records) == STEPS

            pipeline = build_pipeline(ws, folder)
            start = time.perf_counter()
            run_id = submit_pipeline(ws, "bench-plan", pipeline, start=False)
            submits.append(time.perf_counter() - start)
            assert len(ws.run_store.get_steps(run_id)) == STEPS

    figures = {
        "steps": STEPS,
        "edges": pipeline.graph.number_of_edges(),
        "build_pipeline_s": median(builds),
        "validate_and_plan_s": median(plans),
        "submit_no_start_s": median(submits),
    }
    print_figures("1,000-step pipeline: validate + plan, submit without starting", figures)
    return figures


def profile(what: str = "submit") -> None:
    """Print a cProfile of one validate+plan (or submit) of the 1,000-step pipeline."""
    import cProfile
    import pstats

    from jupyter_pipelines.engine.submit import submit_pipeline

    with temp_workspace() as (ws, root):
        folder = root / "scripts"
        write_scripts(folder)
        pipeline = build_pipeline(ws, folder)
        ws.run_store  # noqa: B018
        prof = cProfile.Profile()
        prof.enable()
        if what == "submit":
            submit_pipeline(ws, "bench-plan", pipeline, start=False)
        else:
            validate_and_plan(ws, pipeline)
        prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile(sys.argv[2] if len(sys.argv) > 2 else "submit")
    else:
        main()
