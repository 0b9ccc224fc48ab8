"""Runs on a real Dask cluster: a LocalCluster of two process workers that the target starts
for each run (steps spread over both, results right, code and data through the artifact
store), cancel, a worker killed mid-step, an unreachable scheduler, and GPU placement on a
scheduler started by the test with a worker that declares a GPU joining later."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "distributed", reason="dask is not installed: pip install 'jupyter_pipelines[dask]'"
)

from jupyter_pipelines import (
    ComputeTarget,
    DaskCompute,
    Pipeline,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, steps_by_name, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.dask]

LEAF = """\
    import os, sys, time
    value, out = sys.argv[1], sys.argv[2]
    time.sleep(1.0)  # long enough that both workers take some
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "value.txt"), "w") as fh:
        fh.write(str(int(value) ** 2))
    print("leaf", value, "done")
"""
JOIN = """\
    import os, sys
    print("sum", sum(int(open(os.path.join(p, "value.txt")).read()) for p in sys.argv[1:]))
"""
SLEEPER = """\
    import os, sys, time
    with open(sys.argv[1], "w") as fh:
        fh.write(f"{os.getpid()} {os.getppid()}")
    print("sleeping", flush=True)
    time.sleep(120)
"""


def dask_target(project: Project, name: str = "dask", **config: Any) -> Any:
    """A DaskCompute target of the project's workspace (LocalCluster of 2 workers)."""
    config.setdefault("min_nodes", 2)
    config.setdefault("max_nodes", 2)
    return ComputeTarget.create(project.ws, name, DaskCompute.provisioning_configuration(**config))


def records(run: Any) -> dict[str, Any]:
    """The step records of ``run`` by name (worker and dashboard included)."""
    return {s.name: s for s in run.workspace.run_store.get_steps(run.id)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fan_out_spreads_over_workers_with_right_results(project: Project) -> None:
    store = project.root / "store"  # not the workspace: code and data are copied there
    target = dask_target(project, artifact_store=store.as_uri())
    project.script("src/leaf.py", LEAF)
    project.script("src/join.py", JOIN)
    outs = [PipelineData(f"out{i}") for i in range(4)]
    leaves = [
        PythonScriptStep(
            script_name="leaf.py",
            name=f"leaf{i}",
            source_directory="src",
            arguments=[str(i + 1), outs[i]],
            outputs=[outs[i]],
            compute_target=target,
        )
        for i in range(4)
    ]
    join = PythonScriptStep(
        script_name="join.py",
        name="join",
        source_directory="src",
        arguments=outs,
        inputs=outs,
        compute_target=target,
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [*leaves, join]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=120) == st.FINISHED

    steps = steps_by_name(run)
    assert "sum 30" in steps["join"].get_logs()["stdout"]  # 1 + 4 + 9 + 16
    found = records(run)
    workers = {found[f"leaf{i}"].worker for i in range(4)}
    assert len(workers) == 2 and all(w and w.startswith("tcp://") for w in workers), workers
    assert all(r.worker for r in found.values())
    # The code and data went through the target's artifact store, not the shared disk.
    assert any((store / "objects").rglob("*.tar*"))
    # The REST step summary shows where each step ran.
    from jupyter_pipelines.server.service import PipelinesService

    summary = PipelinesService.step_summary(None, found["join"])  # type: ignore[arg-type]
    assert summary["worker"] == found["join"].worker
    assert summary["dashboard_link"] == found["join"].dashboard_link
    assert found["join"].dashboard_link.startswith("http://"), "no dashboard (is bokeh there?)"


def test_cancel_stops_the_step_process_on_the_worker(project: Project) -> None:
    target = dask_target(project)
    project.script("src/sleeper.py", SLEEPER)
    pids = project.pid_file("pids.txt")
    step = PythonScriptStep(
        script_name="sleeper.py",
        name="sleeper",
        source_directory="src",
        arguments=[str(pids)],
        compute_target=target,
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [step]))
    wait_until(lambda: pids.exists() and pids.read_text(), 60, "the step to start on a worker")
    pid = int(pids.read_text().split()[0])
    assert records(run)["sleeper"].worker
    run.cancel()
    wait_until(lambda: run.get_status() == st.CANCELED, 30, "the run to be canceled")
    wait_until(lambda: not alive(pid), 10, "the step's process to die")
    assert steps_by_name(run)["sleeper"].get_status() == st.CANCELED
    # A LocalCluster the target starts, with no store named, runs steps in place.
    assert not (project.ws.dir / "artifacts").exists()


def test_a_worker_killed_mid_step_fails_the_step_and_the_run_ends(project: Project) -> None:
    target = dask_target(project)
    project.script("src/sleeper.py", SLEEPER)
    pids = project.pid_file("pids.txt")
    step = PythonScriptStep(
        script_name="sleeper.py",
        name="victim",
        source_directory="src",
        arguments=[str(pids)],
        compute_target=target,
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [step]))
    wait_until(lambda: pids.exists() and pids.read_text(), 60, "the step to start on a worker")
    step_pid, worker_pid = (int(w) for w in pids.read_text().split())
    os.kill(worker_pid, signal.SIGKILL)
    started = time.monotonic()
    wait_until(lambda: run.get_status() in st.TERMINAL, 30, "the run to end")
    assert time.monotonic() - started < 30
    assert run.get_status() == st.FAILED
    error = records(run)["victim"].error or ""
    assert "victim" in error and "died while running it" in error, error
    wait_until(lambda: not alive(step_pid), 10, "the step's process to die with its worker")


def test_an_unreachable_scheduler_fails_the_step_naming_its_address(project: Project) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    target = dask_target(
        project, "nowhere", address=address, connect_timeout=1, min_nodes=0, max_nodes=None
    )
    project.script("src/join.py", JOIN)
    step = PythonScriptStep(
        script_name="join.py", name="lonely", source_directory="src", compute_target=target
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [step]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=60, raise_on_error=False) == (
        st.FAILED
    )
    error = records(run)["lonely"].error or ""
    assert "cannot reach the Dask scheduler" in error and address in error, error
    assert "'nowhere'" in error


@pytest.fixture
def scheduler() -> Iterator[Any]:
    """A LocalCluster of one process worker (no GPU) in this process: a running scheduler."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    yield cluster
    cluster.close()


def test_a_gpu_step_waits_for_a_worker_with_a_gpu(
    project: Project, scheduler: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from distributed import Client

    target = dask_target(
        project, "remote", address=scheduler.scheduler_address, min_nodes=0, max_nodes=None
    )
    project.script("src/noop.py", "import sys\nprint('ran', sys.argv[1:])\n")
    cpu = PythonScriptStep(
        script_name="noop.py",
        name="cpu",
        arguments=["cpu"],
        source_directory="src",
        compute_target=target,
    )
    gpu = PythonScriptStep(
        script_name="noop.py",
        name="gpu",
        arguments=["gpu"],
        source_directory="src",
        compute_target=target,
        resources={"gpu": 1},
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [cpu, gpu]))
    assert "runs without GPUs" not in capsys.readouterr().out  # Dask places it
    wait_until(lambda: records(run)["cpu"].status == st.FINISHED, 60, "the CPU step to finish")
    time.sleep(2)  # the GPU step had every chance to go to the worker without a GPU
    assert records(run)["gpu"].worker is None
    assert records(run)["gpu"].status not in st.TERMINAL

    dask = str(Path(sys.executable).with_name("dask"))
    options = ["--nthreads", "1", "--resources", "GPU=1", "--name", "gpu", "--no-dashboard"]
    worker = subprocess.Popen(
        [dask, "worker", scheduler.scheduler_address, *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert run.wait_for_completion(show_output=False, timeout_seconds=60) == st.FINISHED
        with Client(scheduler.scheduler_address, set_as_default=False) as client:
            info = client.scheduler_info(n_workers=-1)["workers"]
        with_gpu = {a for a, w in info.items() if (w.get("resources") or {}).get("GPU")}
        found = records(run)
        assert found["gpu"].worker in with_gpu, (found["gpu"].worker, info)
        assert found["cpu"].worker not in with_gpu
    finally:
        worker.terminate()
        worker.wait(20)


def test_notebook_steps_run_on_a_worker_with_papermill(project: Project) -> None:
    from jupyter_pipelines import NotebookStep

    target = dask_target(project, min_nodes=1, max_nodes=1)
    project.notebook("nb/ok.ipynb", "alpha = 0.1\n", "print('alpha is', alpha)\n")
    project.notebook("nb/bad.ipynb", "alpha = 0.1\n", "raise ValueError('no good')\n")
    ok = NotebookStep("nb/ok.ipynb", name="ok", parameters={"alpha": 0.5}, compute_target=target)
    bad = NotebookStep("nb/bad.ipynb", name="bad", compute_target=target)
    run = project.experiment("dask").submit(
        Pipeline(project.ws, [ok, bad]), continue_on_step_failure=True
    )
    run.wait_for_completion(show_output=False, timeout_seconds=120, raise_on_error=False)
    found = records(run)
    assert found["ok"].status == st.FINISHED, found["ok"].error
    assert "alpha is 0.5" in steps_by_name(run)["ok"].get_logs()["stdout"]
    assert Path(found["ok"].spec["output_notebook"]).is_file()
    assert found["bad"].status == st.FAILED
    assert "failed in cell" in (found["bad"].error or "") and "no good" in found["bad"].error


FLAKY = """\
    import os, sys, time
    marker = sys.argv[1]
    if not os.path.exists(marker):  # the first attempt: its worker will be killed
        with open(marker + ".tmp", "w") as fh:
            fh.write(f"{os.getpid()} {os.getppid()}")
        os.rename(marker + ".tmp", marker)
        time.sleep(120)
    print("second attempt done")
"""


def test_a_step_whose_worker_died_is_retried_when_the_target_allows(project: Project) -> None:
    target = dask_target(project, max_retries=1)
    project.script("src/flaky.py", FLAKY)
    pids = project.pid_file("pids.txt")
    step = PythonScriptStep(
        script_name="flaky.py",
        name="flaky",
        source_directory="src",
        arguments=[str(pids)],
        compute_target=target,
    )
    run = project.experiment("dask").submit(Pipeline(project.ws, [step]))
    wait_until(pids.exists, 60, "the first attempt to start")
    _step_pid, worker_pid = (int(w) for w in pids.read_text().split())
    os.kill(worker_pid, signal.SIGKILL)
    assert run.wait_for_completion(show_output=False, timeout_seconds=90) == st.FINISHED
    logs = steps_by_name(run)["flaky"].get_logs()
    assert "second attempt done" in logs["stdout"]
    assert "died while running it" in logs["stderr"] and "retrying (attempt 2)" in logs["stderr"]
