"""Notebook kernels forked from a warm process: each step's kernel is its own.

Every notebook step of a run gets a fresh kernel forked from the run's fork server; these
tests prove that one step's code never reaches the next step in the same slot (globals,
monkeypatches, environment, a hard exit), that a forked kernel sees the same working
directory, ``sys.path``, ``sys.argv`` and environment as a kernel started cold, that the
server holds no thread and no CUDA library, and that a killed driver takes the server
and its kernels along.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_pipelines import NotebookStep, Pipeline
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, steps_by_name, wait_until

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="kernels are forked on Linux only"
)

PROBE_PARAMETERS = "report = ''\nmode = 'check'\nothers = ''\n"
#: What a kernel reports about itself, before the step's own code does anything.
PROBE = """
import json, os, random, string, sys
facts = {
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "cwd": os.getcwd(),
    "path": sys.path,
    "argv": sys.argv[1:],
    "executable": sys.executable,
    "main": __name__,
    "random": random.random(),
    "step_run_id": os.environ.get("JUPYTER_PIPELINES_STEP_RUN_ID"),
    "leaked_global": "LEAK" in globals(),
    "leaked_env": os.environ.get("POLLUTED"),
    "capwords_ok": string.capwords("a b") == "A B",
    "cuda_modules": [m for m in ("torch", "cupy", "tensorflow", "jax") if m in sys.modules],
    "others_ran_before": all(os.path.exists(p) for p in others.split(os.pathsep) if p),
}
with open(report, "w") as fh:
    json.dump(facts, fh)
"""
#: What a step then does to its kernel.
MISCHIEF = """
if mode == "pollute":
    LEAK = 1
    os.environ["POLLUTED"] = "1"
    string.capwords = lambda *a, **k: "patched"
    random.seed(42)
elif mode == "crash":
    os._exit(3)
"""


def _probe(project: Project) -> None:
    project.notebook("probe.ipynb", PROBE_PARAMETERS, [PROBE, MISCHIEF])


def _step(project: Project, name: str, mode: str, others: list[Path] | None = None) -> NotebookStep:
    report = project.root / f"{name}.json"
    params: dict[str, Any] = {"report": str(report), "mode": mode}
    params["others"] = os.pathsep.join(str(p) for p in others or [])
    return NotebookStep("probe.ipynb", name=name, parameters=params)


def _facts(project: Project, name: str) -> dict[str, Any]:
    return json.loads((project.root / f"{name}.json").read_text())


def _server_of(project: Project, name: str) -> psutil.Process:
    return psutil.Process(_facts(project, name)["ppid"])


def test_a_step_that_pollutes_or_exits_hard_leaves_the_next_kernel_untouched(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "1")
    _probe(project)
    done = [project.root / "pollute.json", project.root / "crash.json"]
    pipeline = Pipeline(
        steps=[
            _step(project, "pollute", "pollute"),
            _step(project, "crash", "crash"),
            _step(project, "check", "check", others=done),
        ]
    )
    run = project.experiment().submit(pipeline, continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    steps = steps_by_name(run)
    assert steps["pollute"].status == st.FINISHED
    assert steps["crash"].status == st.FAILED
    assert steps["check"].status == st.FINISHED

    check = _facts(project, "check")
    assert check["others_ran_before"], "the check step must run after the other two"
    assert not check["leaked_global"]
    assert check["leaked_env"] is None
    assert check["capwords_ok"], "a module monkeypatched by an earlier step"
    facts = [_facts(project, n) for n in ("pollute", "crash", "check")]
    # Three kernels, forked by one server (the run's, for this interpreter), not the driver.
    assert len({f["pid"] for f in facts}) == 3
    assert len({f["ppid"] for f in facts}) == 1
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert facts[0]["ppid"] != driver
    assert len({f["random"] for f in facts}) == 3, "every kernel gets its own random seed"
    assert len({f["step_run_id"] for f in facts}) == 3
    assert all(f["cuda_modules"] == [] for f in facts)


def test_a_forked_kernel_starts_like_a_cold_one(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same cwd, sys.path, arguments but the connection file, interpreter and __main__."""
    _probe(project)
    warm = project.experiment().submit(Pipeline(steps=[_step(project, "warm", "check")]))
    assert warm.wait_for_completion(show_output=False) == st.FINISHED
    monkeypatch.setenv("JUPYTER_PIPELINES_WARM_KERNELS", "0")
    cold = project.experiment().submit(Pipeline(steps=[_step(project, "cold", "check")]))
    assert cold.wait_for_completion(show_output=False) == st.FINISHED

    w, c = _facts(project, "warm"), _facts(project, "cold")
    assert c["ppid"] == project.ws.run_store.get_run(cold.id).driver_pid
    assert w["ppid"] != project.ws.run_store.get_run(warm.id).driver_pid
    store = project.ws.run_store
    assert w["cwd"] == store.get_step(warm.id, "warm").spec["working_dir"]
    assert c["cwd"] == store.get_step(cold.id, "cold").spec["working_dir"]
    assert w["path"] == c["path"]  # ipykernel puts '' (the cwd) after the standard library
    assert w["executable"] == c["executable"]
    assert w["main"] == c["main"] == "__main__"
    assert [a for a in w["argv"] if not a.endswith(".json")] == [
        a for a in c["argv"] if not a.endswith(".json")
    ]


def test_the_fork_server_has_one_thread_no_cuda_and_ends_with_the_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _probe(project)
    project.notebook(
        "wait.ipynb",
        "report = ''\ngo = ''\n",
        [
            PROBE.replace("others.split(os.pathsep)", "[]"),
            "import time\nwhile not os.path.exists(go):\n    time.sleep(0.02)\n",
        ],
    )
    go = project.root / "go"
    step = NotebookStep(
        "wait.ipynb",
        name="waiting",
        parameters={"report": str(project.root / "waiting.json"), "go": str(go)},
    )
    run = project.experiment().submit(Pipeline(steps=[step]))
    wait_until(lambda: (project.root / "waiting.json").exists(), what="the kernel's report")
    server = _server_of(project, "waiting")
    assert server.num_threads() == 1
    maps = Path(f"/proc/{server.pid}/maps").read_text()
    assert "libcuda" not in maps and "libcudart" not in maps
    assert "kernel_forkserver.py" in " ".join(server.cmdline())
    go.write_text("")
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    wait_until(lambda: not alive(server.pid), timeout=10, what="the fork server to end")


def test_a_killed_driver_takes_the_fork_server_and_its_kernels_along(project: Project) -> None:
    pids = project.pid_file("kernel.pids")
    project.notebook(
        "busy.ipynb",
        "pid_file = ''\n",
        "import os, time\nopen(pid_file, 'w').write(f'{os.getpid()} {os.getppid()}')\n"
        "time.sleep(120)\n",
    )
    step = NotebookStep("busy.ipynb", name="busy", parameters={"pid_file": str(pids)})
    run = project.experiment().submit(Pipeline(steps=[step]))
    text = wait_until(lambda: pids.exists() and pids.read_text(), what="the kernel's pid")
    kernel, server = (int(p) for p in text.split())
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert server != driver
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not alive(server), timeout=10, what="the fork server to die")
    wait_until(lambda: not alive(kernel), timeout=10, what="the kernel to die")
