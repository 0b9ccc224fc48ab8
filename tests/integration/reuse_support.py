"""Pipelines of cheap script steps for the reuse and partial-run tests.

``gen`` (folder ``gen/``) writes ``data.txt`` with ``--value``; ``use`` (folder ``use/``)
reads it and writes it upper-cased; ``report`` (folder ``report/``) prints the result.
Each step lives in its own source folder, so editing one step's code touches only it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_pipelines import (
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

GEN = """\
    import argparse, os, sys
    from jupyter_pipelines import Run

    p = argparse.ArgumentParser()
    p.add_argument("--out")
    p.add_argument("--value")
    p.add_argument("--note", default="")
    p.add_argument("--fail-if", default="")
    a = p.parse_args()
    if a.fail_if and os.path.exists(a.fail_if):
        sys.exit("gen was asked to fail")
    with open(os.path.join(a.out, "data.txt"), "w") as fh:
        fh.write(a.value)
    Run.get_context().log("value", a.value)
    print("gen wrote", a.value, "mode", os.environ.get("AML_PARAMETER_mode"))
"""

USE = """\
    import argparse, os
    from jupyter_pipelines import Run

    p = argparse.ArgumentParser()
    p.add_argument("--inp")
    p.add_argument("--out")
    a = p.parse_args()
    value = open(os.path.join(a.inp, "data.txt")).read()
    with open(os.path.join(a.out, "result.txt"), "w") as fh:
        fh.write(value.upper())
    Run.get_context().log("length", len(value))
    print("use read", value)
"""

REPORT = """\
    import argparse, os
    p = argparse.ArgumentParser()
    p.add_argument("--inp")
    a = p.parse_args()
    print("report:", open(os.path.join(a.inp, "result.txt")).read())
"""


@dataclass
class Chain:
    """gen -> use [-> report], with knobs for what a test changes between submits."""

    project: Project

    def __post_init__(self) -> None:
        self.project.script("gen/gen.py", GEN)
        self.project.script("use/use.py", USE)
        self.project.script("report/report.py", REPORT)

    def pipeline(
        self,
        value: str = "a",
        mode: str = "fast",
        note: str = "",
        fail_if: Path | None = None,
        gen_reuse: bool = True,
        report: bool = False,
        data_name: str = "data",
    ) -> Pipeline:
        data, result = PipelineData(data_name), PipelineData("result")
        args: list[Any] = ["--out", data, "--value", PipelineParameter("value", value)]
        if note:
            args += ["--note", note]
        if fail_if is not None:
            args += ["--fail-if", str(fail_if)]
        gen = PythonScriptStep(
            "gen.py",
            name="gen",
            source_directory="gen",
            arguments=args,
            params={"mode": PipelineParameter("mode", mode)},
            allow_reuse=gen_reuse,
        )
        use = PythonScriptStep(
            "use.py",
            name="use",
            source_directory="use",
            arguments=["--inp", data.as_input(), "--out", result],
        )
        steps: list[Any] = [gen, use]
        if report:
            steps.append(
                PythonScriptStep(
                    "report.py",
                    name="report",
                    source_directory="report",
                    arguments=["--inp", result.as_input()],
                )
            )
        return Pipeline(steps=steps, name="chain")

    def run(self, experiment: str = "reuse", **kwargs: Any) -> PipelineRun:
        """Submit (quietly) and wait; the run must finish."""
        submit = {k: kwargs.pop(k) for k in list(kwargs) if k in SUBMIT_KEYS}
        run = self.project.experiment(experiment).submit(
            self.pipeline(**kwargs), show_output=False, **submit
        )
        status = run.wait_for_completion(show_output=False, raise_on_error=False)
        assert status == st.FINISHED, describe_failure(run)
        return run


SUBMIT_KEYS = {"pipeline_parameters", "regenerate_outputs", "steps", "from_steps", "to_steps"}


def describe_failure(run: PipelineRun) -> str:
    lines = [f"run {run.id}: {run.refresh().status} {run.error or ''}"]
    for step in run.get_steps():
        logs = step.get_logs() if step.step_dir.exists() else {}
        lines.append(f"  {step.name}: {step.status} {step.error or ''} {logs}")
    return "\n".join(lines)


def ran(run: PipelineRun) -> dict[str, bool]:
    """Step name -> whether the step ran in this run (False: reused)."""
    return {s.name: not s.is_reused for s in run.get_steps()}


def reason(run: PipelineRun, step: str) -> str:
    return str(run.get_step_run(step).get_reuse_info()["reason"])
