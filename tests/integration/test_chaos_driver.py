"""Chaos: the run driver is killed (SIGKILL) at random moments of a small pipeline.

Each trial submits a three-step chain (its own parameter value, so its own fingerprints)
whose middle step also leaves a background process, kills the driver at a random moment
(before it started, mid-step, between steps, after the end), then checks:

- wrong outcomes: the run, as listed, is not Failed with the driver's death as reason
  (nor Finished, when the kill came after its end), or a step is left unfinished;
- orphans: a process of the run's steps still runs 5 s after the kill;
- wrong reuses: the resubmitted run does not reuse exactly the steps that finished
  before the kill, or its result is wrong.

It prints the figures and asserts zero of each. ``JUPYTER_PIPELINES_CHAOS_SEED`` and
``JUPYTER_PIPELINES_CHAOS_TRIALS`` replay or widen it.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import psutil
import pytest

from jupyter_pipelines import (
    Experiment,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
)
from jupyter_pipelines.executors.processes import RUN_MARKER
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive

pytestmark = pytest.mark.integration

TRIALS = int(os.environ.get("JUPYTER_PIPELINES_CHAOS_TRIALS", "10"))
SEED = int(os.environ.get("JUPYTER_PIPELINES_CHAOS_SEED", str(int(time.time()))))
ORPHAN_WAIT_S = 5.0

#: A step: writes its input's value plus its name; the middle one also leaves a sleeper.
STEP = """\
    import os, subprocess, sys, time
    name, value, inp, out, pids = sys.argv[1:6]
    if name == "b":
        child = subprocess.Popen(["sleep", "300"])
        with open(pids, "a") as fh:
            fh.write(f"{child.pid}\\n")
    time.sleep(0.25)
    before = open(os.path.join(inp, "v.txt")).read() if inp != "-" else value
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "v.txt"), "w") as fh:
        fh.write(before + name)
"""


def chain(pids: Path) -> Pipeline:
    value = PipelineParameter("value", default_value="x")
    outs = {name: PipelineData(f"{name}_out") for name in "abc"}
    steps, inp = [], "-"
    for name, out in outs.items():
        steps.append(
            PythonScriptStep(
                "step.py",
                name=name,
                source_directory="steps",
                arguments=[name, value, inp, out, str(pids)],
            )
        )
        inp = out.as_input()
    return Pipeline(steps=steps, name="chaos")


def processes_of(run_id: str, pids: Path) -> list[int]:
    found = {int(p) for p in pids.read_text().split() if alive(int(p))} if pids.exists() else set()
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(RUN_MARKER) == run_id and alive(proc.pid):
                found.add(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return sorted(found)


def run_time(project: Project) -> float:
    """Seconds from submit to the end of a run of the chain left alone."""
    pids = project.root.parent / "pids-whole.txt"
    started = time.monotonic()
    run = project.experiment("chaos").submit(
        chain(pids), pipeline_parameters={"value": "whole-"}, show_output=False
    )
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    return time.monotonic() - started


def trial(
    project: Project, rng: random.Random, n: int, latest: float, figures: dict[str, list[str]]
) -> None:
    pids = project.root.parent / f"pids-{n}.txt"
    experiment = project.experiment("chaos")
    value = f"t{n}-"
    run = experiment.submit(chain(pids), pipeline_parameters={"value": value}, show_output=False)
    delay = rng.uniform(0, latest)
    time.sleep(delay)
    driver = project.ws.run_store.get_run(run.id).driver_pid
    finished_before = project.ws.run_store.get_run(run.id).status == st.FINISHED
    if driver is not None and alive(driver):
        os.kill(driver, signal.SIGKILL)
    what = f"trial {n} (kill at {delay:.2f} s)"

    deadline = time.monotonic() + ORPHAN_WAIT_S
    while (driver and alive(driver)) or processes_of(run.id, pids):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    left = processes_of(run.id, pids)
    if left:
        figures["orphans"] += [f"{what}: pid {pid}" for pid in left]
        for pid in left:
            os.kill(pid, signal.SIGKILL)

    listed = {r.id: r for r in Experiment(project.ws, "chaos").get_runs()}[run.id]
    steps = {s.name: s for s in project.ws.run_store.get_steps(run.id)}
    done = sum(1 for s in steps.values() if s.status == st.FINISHED)
    figures["steps finished at the kill"].append(str(done))
    if finished_before:
        figures["finished before the kill"].append(what)
        ok = listed.status == st.FINISHED
    else:
        ok = listed.status == st.FAILED and "run driver" in (listed.error or "")
        ok = ok and all(s.status in st.TERMINAL for s in steps.values())
        if listed.status == st.FINISHED:  # it ended between the look and the kill
            figures["finished before the kill"].append(what)
            ok = True
    if not ok:
        figures["wrong outcomes"].append(f"{what}: {listed.status} {listed.error}")

    again = experiment.submit(chain(pids), pipeline_parameters={"value": value}, show_output=False)
    status = again.wait_for_completion(show_output=False, raise_on_error=False)
    redone = {s.name: s for s in project.ws.run_store.get_steps(again.id)}
    for name, step in redone.items():
        should_reuse = steps[name].status == st.FINISHED
        if (step.reused_from is not None) != should_reuse:
            figures["wrong reuses"].append(
                f"{what}: step {name} was {steps[name].status}, resubmit reused: "
                f"{step.reused_from is not None}"
            )
    result = Path(redone["c"].outputs["c_out"]["path"], "v.txt")
    if status != st.FINISHED or result.read_text() != f"{value}abc":
        figures["wrong reuses"].append(f"{what}: resubmit {status}, result wrong")


def test_killing_the_driver_at_random_moments(project: Project) -> None:
    project.script("steps/step.py", STEP)
    rng = random.Random(SEED)
    figures: dict[str, list[str]] = {
        "steps finished at the kill": [],
        "finished before the kill": [],
        "wrong outcomes": [],
        "orphans": [],
        "wrong reuses": [],
    }
    # Kills fall anywhere from the submit to a little after a whole run's time.
    latest = 1.1 * run_time(project)
    started = time.monotonic()
    for n in range(TRIALS):
        trial(project, rng, n, latest, figures)
    moments = figures.pop("steps finished at the kill")
    print(
        f"\nchaos (seed {SEED}): {TRIALS} drivers killed with SIGKILL in "
        f"{time.monotonic() - started:.0f} s (a run takes {latest / 1.1:.1f} s), "
        "with 0/1/2/3 steps finished: "
        + "/".join(str(moments.count(str(k))) for k in range(4))
        + "; "
        + ", ".join(f"{len(v)} {k}" for k, v in figures.items())
    )
    for key in ("wrong outcomes", "orphans", "wrong reuses"):
        assert figures[key] == [], f"seed {SEED}: {key}: {figures[key]}"
