"""The LocalCluster a Dask target starts inside a run's driver dies with that driver: a driver
killed with SIGKILL mid-run leaves no nanny, worker or step process behind, and its run is
Failed with the reason; a run that ends normally leaves no process of its cluster."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import psutil
import pytest

pytest.importorskip(
    "distributed", reason="dask is not installed: pip install 'jupyter_pipelines[dask]'"
)

from jupyter_pipelines import CommandStep, ComputeTarget, DaskCompute, Pipeline, PythonScriptStep
from jupyter_pipelines.engine.watchdog import MODULE, NAME
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.dask]

SLEEPER = """\
    import os, sys, time
    with open(sys.argv[1], "w") as fh:
        fh.write(f"{os.getpid()} {os.getppid()}")
    time.sleep(float(sys.argv[2]))
"""


def sleeping_run(project: Project, seconds: float, beside: bool = False) -> tuple[Any, int, int]:
    """A run whose step sleeps ``seconds`` on a LocalCluster of 2 workers that the target
    starts in the run's driver; with ``beside``, after a first Dask step (the cluster
    exists), with a local step sleeping next to it (a process the driver started after its
    cluster). The run, its driver's pid and the Dask step's pid, once the steps run."""
    target = ComputeTarget.create(
        project.ws, "dask", DaskCompute.provisioning_configuration(min_nodes=2, max_nodes=2)
    )
    project.script("src/sleeper.py", SLEEPER)
    pids, local_pids = project.pid_file("pids.txt"), project.pid_file("local.txt")
    step = PythonScriptStep(
        script_name="sleeper.py",
        name="sleeper",
        source_directory="src",
        arguments=[str(pids), str(seconds)],
        compute_target=target,
    )
    steps = [step]
    if beside:
        first = PythonScriptStep(
            script_name="sleeper.py",
            name="first",
            source_directory="src",
            arguments=[str(project.root / "first.txt"), "0"],
            compute_target=target,
        )
        local = CommandStep(f"echo $$ > {local_pids}; exec sleep {seconds}", name="local")
        step.run_after(first)
        local.run_after(first)
        steps += [first, local]
    run = project.experiment("dask").submit(Pipeline(project.ws, steps))
    wait_until(lambda: pids.exists() and pids.read_text(), 60, "the step to start on a worker")
    if beside:
        wait_until(lambda: local_pids.exists() and local_pids.read_text(), 30, "the local step")
    step_pid = int(pids.read_text().split()[0])
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert driver is not None and alive(driver)
    return run, driver, step_pid


def cluster_of(driver: int) -> list[psutil.Process]:
    """The driver's descendants but its watchdog: its cluster's nannies, workers and their
    helpers, and the steps on them."""
    found = []
    for proc in psutil.Process(driver).children(recursive=True):
        try:
            if proc.name() != NAME and MODULE not in " ".join(proc.cmdline()):
                found.append(proc)
        except psutil.NoSuchProcess:
            continue
    return found


def running(procs: list[psutil.Process]) -> list[str]:
    """``procs`` that still run, described."""
    left = []
    for proc in procs:
        if alive(proc.pid):
            try:
                left.append(f"{proc.pid}: {' '.join(proc.cmdline())[:300]}")
            except psutil.Error:
                continue
    return left


@pytest.mark.parametrize("beside", [False, True], ids=["alone", "beside-a-local-step"])
def test_a_killed_driver_takes_its_local_cluster_along(project: Project, beside: bool) -> None:
    run, driver, step_pid = sleeping_run(project, 120, beside)
    cluster = cluster_of(driver)
    assert step_pid in {p.pid for p in cluster}
    # The nannies run in the driver; each starts its worker as a process of its own.
    workers = [p for p in cluster if "multiprocessing.spawn" in " ".join(p.cmdline())]
    assert len(workers) == 2, running(cluster)

    killed = time.monotonic()
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not running(cluster), 10, "no process of the cluster left")
    print(f"\n{len(cluster)} processes gone {time.monotonic() - killed:.2f} s after the kill")
    store = project.ws.run_store
    wait_until(lambda: store.get_run(run.id).status == st.FAILED, 10, "the run to be Failed")
    error = store.get_run(run.id).error or ""
    assert f"run driver (pid {driver}) exited before the run ended" in error, error
    steps = {s.name: s.status for s in store.get_steps(run.id)}
    expected = {"sleeper": st.FAILED}
    if beside:
        expected.update(first=st.FINISHED, local=st.FAILED)
    assert steps == expected


def test_the_cluster_dies_with_its_driver_without_the_watchdog(project: Project) -> None:
    """The workers carry no run marker: they end on their own (Dask's parent-alive pipe),
    the step by its parent-death signal, with no sweep by the watchdog."""
    _, driver, _ = sleeping_run(project, 120)
    cluster = cluster_of(driver)
    for proc in psutil.Process(driver).children():
        if proc.name() == NAME or MODULE in " ".join(proc.cmdline()):
            proc.kill()
    os.kill(driver, signal.SIGKILL)
    wait_until(lambda: not running(cluster), 10, "no process of the cluster left")


def test_a_run_that_ends_leaves_no_process_of_its_cluster(project: Project) -> None:
    run, driver, _ = sleeping_run(project, 1)
    cluster = cluster_of(driver)
    assert len(cluster) >= 3, running(cluster)
    assert run.wait_for_completion(show_output=False, timeout_seconds=60) == st.FINISHED
    wait_until(lambda: not running(cluster), 10, "no process of the cluster left")
    wait_until(lambda: not alive(driver), 10, "the driver to end")
    # The executor closed its cluster: the driver had nothing left over to stop.
    log = (project.ws.runs_dir / run.id / "driver.log").read_text()
    assert "stopped a process left" not in log, log
