"""The demo behind ``make demo``: run the quickstart pipeline and show where its results are.

It runs ``pipeline.py`` (build the pipeline with the v1-style SDK, save
``quickstart.pipeline.yaml``, submit, follow the run) in the demo workspace,
``examples/.pipelines``, the one ``make lab`` shows in JupyterLab, then prints the run id,
each step's folder, the executed notebook, the outputs, the metrics, and the commands that
inspect the run again. Exits 1 when the run did not finish.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The folder `make lab` serves; its .pipelines/ is the demo workspace.
EXAMPLES = HERE.parent
sys.path.insert(0, str(HERE))

import pipeline as quickstart  # noqa: E402  (pipeline.py next to this file)

from jupyter_pipelines import Experiment, PipelineRun, Workspace  # noqa: E402
from jupyter_pipelines.errors import RunFailedError  # noqa: E402


def shown(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the current folder when it is under it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cli() -> str:
    """How to call the CLI: the one next to this Python (a venv's), else the one on PATH."""
    candidate = Path(sys.executable).parent / "jupyter-pipelines"
    return shown(candidate) if candidate.exists() else "jupyter-pipelines"


def latest_run(ws: Workspace) -> PipelineRun:
    return Experiment(ws, "quickstart").get_runs()[0]


def value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    return str(v)


def report(run: PipelineRun) -> None:
    status = run.get_status()
    print()
    print(f"Quickstart run {run.id}: {status}")
    print(f"  workspace     {shown(run.workspace.dir)}")
    print(f"  run folder    {shown(run.run_dir)}")
    print(f"  pipeline file {shown(quickstart.pipeline_file)}")
    print(f"  parameters    {', '.join(f'{k}={v!r}' for k, v in run.parameters.items())}")
    steps = run.get_steps()
    width = max(len(s.name) for s in steps)
    print("\nSteps (logs, manifest and outputs are in each step's folder):")
    for step in steps:
        took = f"{step.duration:.1f}s" if step.duration is not None else "-"
        print(f"  {step.name:<{width}}  {step.status:<9} {took:>6}  {shown(step.step_dir)}")
    print("\nExecuted notebook:")
    for step in steps:
        notebook = step.get_notebook_path()
        if notebook is not None:
            print(f"  {step.name:<{width}}  {shown(notebook)}")
    print("\nOutputs:")
    for step in steps:
        for name, out in step.get_details()["outputs"].items():
            folder = Path(out["path"])
            files = ", ".join(sorted(p.name for p in folder.iterdir())) if folder.is_dir() else "-"
            print(f"  {step.name}.{name}: {shown(folder)}  ({files})")
    print("\nMetrics:")
    pipeline_metrics = run.get_metrics()
    if pipeline_metrics:
        text = ", ".join(f"{k}={value(v)}" for k, v in pipeline_metrics.items())
        print(f"  {'(run)':<{width}}  {text}")
    for step in steps:
        metrics = step.get_metrics()
        if metrics:
            text = ", ".join(f"{k}={value(v)}" for k, v in metrics.items())
            print(f"  {step.name:<{width}}  {text}")
    where = f"-w {shown(run.workspace.root)}"
    prefix = run.id[:8]
    print("\nInspect it again:")
    print(f"  {cli()} {where} runs")
    print(f"  {cli()} {where} show {prefix}")
    print(f"  {cli()} {where} logs {prefix} train")
    print("Run the saved pipeline file from the command line:")
    print(f"  {cli()} {where} run {shown(quickstart.pipeline_file)} -p rows=500")


def main() -> int:
    try:
        run = quickstart.main(ws=Workspace.at(EXAMPLES))
    except RunFailedError as exc:
        print(f"\n{exc}", file=sys.stderr)
        run = latest_run(Workspace.at(EXAMPLES))
    report(run)
    return 0 if run.get_status() == "Finished" else 1


if __name__ == "__main__":
    sys.exit(main())
