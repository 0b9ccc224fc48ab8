"""In-flight deduplication: runs that need the same step (same fingerprint) at the same time
compute it once; the others wait for that computation and reuse its result, or compute it
themselves when it fails or is canceled."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import Experiment, PipelineRun
from jupyter_pipelines.stores import status as st
from tests.integration.reuse_support import describe_failure
from tests.integration.support import Project, wait_until

pytestmark = pytest.mark.integration

#: How many runs are submitted at once.
SUBMISSIONS = 20

#: One step of the chain: counts its execution (a line in COUNTS/STEP.txt), takes a
#: moment, and writes its input's value followed by its own name.
STEP = """\
    import os, sys, time
    step, counts, inp, out = sys.argv[1:5]
    with open(os.path.join(counts, step + ".txt"), "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    time.sleep(0.5)
    value = open(os.path.join(inp, "v.txt")).read() if inp != "-" else ""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "v.txt"), "w") as fh:
        fh.write(value + step)
"""

#: Builds the chain a -> b -> c (``pipeline(counts)``): imported by the test, and by each
#: submitting process of the multi-process test.
CHAIN = """\
    from jupyter_pipelines import Pipeline, PipelineData, PythonScriptStep

    def pipeline(counts):
        a_out, b_out, c_out = PipelineData("a_out"), PipelineData("b_out"), PipelineData("c_out")
        def step(name, inp, out):
            return PythonScriptStep(
                "step.py", name=name, source_directory="steps", arguments=[name, counts, inp, out]
            )
        return Pipeline(
            steps=[
                step("a", "-", a_out),
                step("b", a_out.as_input(), b_out),
                step("c", b_out.as_input(), c_out),
            ],
            name="chain",
        )
"""

SUBMITTER = """\
    import pathlib, sys, time
    sys.path.insert(0, sys.argv[1])
    from chain import pipeline
    from jupyter_pipelines import Experiment, Workspace
    go = pathlib.Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.01)
    ws = Workspace.at(sys.argv[2])
    run = Experiment(ws, "dedupe").submit(pipeline(sys.argv[4]), show_output=False)
    print(run.id)
"""


def chain_project(project: Project, tmp_path: Path) -> tuple[Path, Any]:
    """The step script (in ``steps/``), the chain's module (outside the project) and the
    counts folder (outside the project, so that counting changes no step's code)."""
    project.script("steps/step.py", STEP)
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "chain.py").write_text(textwrap.dedent(CHAIN))
    counts = tmp_path / "counts"
    counts.mkdir()
    namespace: dict[str, Any] = {}
    exec(textwrap.dedent(CHAIN), namespace)
    return counts, namespace["pipeline"]


def executions(counts: Path) -> dict[str, int]:
    return {
        step: len((counts / f"{step}.txt").read_text().split())
        if (counts / f"{step}.txt").exists()
        else 0
        for step in "abc"
    }


def check_all_finished(project: Project, run_ids: list[str], counts: Path) -> None:
    """Every run finished with the chain's result; each step ran exactly once."""
    experiment = Experiment(project.ws, "dedupe")
    for run_id in run_ids:
        run = PipelineRun(experiment, run_id)
        status = run.wait_for_completion(show_output=False, timeout_seconds=120)
        assert status == st.FINISHED, describe_failure(run)
        c = project.ws.run_store.get_step(run_id, "c")
        assert Path(c.outputs["c_out"]["path"], "v.txt").read_text() == "abc"
    found = executions(counts)
    print(f"\n{len(run_ids)} concurrent submissions: step executions {found}")
    assert found == {"a": 1, "b": 1, "c": 1}, [
        (e["run_id"][:8], e["step"], e["status"], e["message"])
        for run_id in run_ids
        for e in project.ws.run_store.events(run_id)
        if e["step"]
    ]
    ran = [
        s
        for run_id in run_ids
        for s in project.ws.run_store.get_steps(run_id)
        if s.reused_from is None
    ]
    assert sorted(s.name for s in ran) == ["a", "b", "c"]


def test_concurrent_submissions_from_threads_compute_each_step_once(
    project: Project, tmp_path: Path
) -> None:
    counts, pipeline = chain_project(project, tmp_path)
    run_ids: list[str] = []
    go = threading.Event()

    def submit() -> None:
        go.wait()
        run = project.experiment("dedupe").submit(pipeline(str(counts)), show_output=False)
        run_ids.append(run.id)

    threads = [threading.Thread(target=submit) for _ in range(SUBMISSIONS)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(120)
    assert len(run_ids) == SUBMISSIONS
    check_all_finished(project, run_ids, counts)


def test_concurrent_submissions_from_processes_compute_each_step_once(
    project: Project, tmp_path: Path
) -> None:
    counts, _ = chain_project(project, tmp_path)
    go = tmp_path / "go"
    argv = [
        sys.executable,
        "-c",
        textwrap.dedent(SUBMITTER),
        str(tmp_path / "helpers"),
        str(project.root),
        str(go),
        str(counts),
    ]
    submitters = [
        subprocess.Popen(argv, cwd=project.root, stdout=subprocess.PIPE, text=True)
        for _ in range(SUBMISSIONS)
    ]
    time.sleep(0.5)  # let them all import, then submit at once
    go.touch()
    run_ids = [proc.communicate(timeout=120)[0].strip() for proc in submitters]
    assert all(proc.returncode == 0 for proc in submitters)
    check_all_finished(project, run_ids, counts)


#: Counts its execution; the first one waits for RELEASE, then fails.
FLAKY = """\
    import os, sys, time
    counts, release = sys.argv[1:3]
    with open(os.path.join(counts, "flaky.txt"), "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    if len(open(os.path.join(counts, "flaky.txt")).read().split()) == 1:
        while not os.path.exists(release):
            time.sleep(0.02)
        sys.exit("the first computation fails")
"""


@pytest.mark.parametrize("ending", ["fails", "is canceled"])
def test_a_waiting_step_runs_itself_when_the_computation_it_waits_for_ends_badly(
    project: Project, tmp_path: Path, ending: str
) -> None:
    from jupyter_pipelines import Pipeline, PythonScriptStep

    project.script("flaky/flaky.py", FLAKY)
    counts, release = tmp_path / "counts", tmp_path / "release"
    counts.mkdir()

    def pipeline() -> Pipeline:
        step = PythonScriptStep(
            "flaky.py",
            name="flaky",
            source_directory="flaky",
            arguments=[str(counts), str(release)],
        )
        return Pipeline(steps=[step])

    first = project.experiment("dedupe").submit(pipeline(), show_output=False)
    wait_until(lambda: (counts / "flaky.txt").exists(), what="the first computation")
    claimant = project.ws.run_store.get_step(first.id, "flaky")
    second = project.experiment("dedupe").submit(pipeline(), show_output=False)
    waiting = f"waiting for step run {claimant.id} of run {first.id} (same fingerprint)"
    wait_until(
        lambda: any(e["message"] == waiting for e in project.ws.run_store.events(second.id)),
        what="the second run to wait for the first",
    )
    assert project.ws.run_store.get_step(second.id, "flaky").status == st.QUEUED
    time.sleep(0.5)  # it goes on waiting
    assert executions_of(counts) == 1

    if ending == "fails":
        release.touch()
    else:
        first.cancel()
    expected = st.FAILED if ending == "fails" else st.CANCELED
    assert first.wait_for_completion(show_output=False, raise_on_error=False) == expected
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    step = project.ws.run_store.get_step(second.id, "flaky")
    assert step.reused_from is None
    assert executions_of(counts) == 2


def executions_of(counts: Path) -> int:
    return len((counts / "flaky.txt").read_text().split())


def test_a_waiting_run_can_be_canceled_and_the_computation_goes_on(
    project: Project, tmp_path: Path
) -> None:
    from jupyter_pipelines import Pipeline, PythonScriptStep

    project.script("flaky/flaky.py", FLAKY)
    counts, release = tmp_path / "counts", tmp_path / "release"
    counts.mkdir()
    step = PythonScriptStep(
        "flaky.py", name="flaky", source_directory="flaky", arguments=[str(counts), str(release)]
    )
    first = project.experiment("dedupe").submit(Pipeline(steps=[step]), show_output=False)
    wait_until(lambda: (counts / "flaky.txt").exists(), what="the first computation")
    second = project.experiment("dedupe").submit(Pipeline(steps=[step]), show_output=False)
    wait_until(
        lambda: project.ws.run_store.get_step(second.id, "flaky").status == st.QUEUED,
        what="the second run to wait",
    )
    second.cancel()
    assert second.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED
    assert project.ws.run_store.get_step(second.id, "flaky").status == st.CANCELED
    assert first.get_status() == st.RUNNING
    release.touch()
    assert first.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    assert executions_of(counts) == 1
