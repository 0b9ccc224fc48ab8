"""No shared disk needed: a Dask worker in a container that mounts nothing runs a pipeline.

A scheduler runs on this machine as its own process (``dask scheduler``); one worker runs
in a container of the worker image (``scripts/dask-worker-image.sh``: python, dask,
adlfs and jupyter_pipelines from a wheel of this checkout), on the host's network so that
it reaches the scheduler and Azurite, with no volume. The code, inputs and results of
every step travel through an Azure Blob datastore on Azurite. A three-step v1 pipeline
runs there on a ``DaskCompute`` target with ``address=``: right results, the steps saw
neither the project nor the workspace, and the first step's log reached the driver while
the step was still running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed", reason="dask is not installed: pip install -e '.[dask]'")

from jupyter_pipelines import (
    ComputeTarget,
    DaskCompute,
    Datastore,
    Pipeline,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.azure.conftest import (
    azurite,  # noqa: F401  (the emulator fixture of tests/azure)
    new_container,
)
from tests.azure.emulator import ACCOUNT, KEY, Azurite
from tests.integration.support import Project, steps_by_name

pytestmark = [pytest.mark.docker, pytest.mark.dask, pytest.mark.azure]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# Each step says whether it can see the project folder (it must not) and runs in a container.
FIRST = """\
    import os, sys, time
    project, out = sys.argv[1], sys.argv[2]
    seen = os.path.exists(project)
    print("first: sees project", seen, "in container", os.path.exists("/.dockerenv"), flush=True)
    time.sleep(4)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "numbers.txt"), "w") as fh:
        fh.write("1 2 3 4")
    print("first: done", flush=True)
"""
SECOND = """\
    import os, sys
    project, src, out = sys.argv[1:4]
    numbers = [int(n) for n in open(os.path.join(src, "numbers.txt")).read().split()]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "squares.txt"), "w") as fh:
        fh.write(" ".join(str(n * n) for n in numbers))
    print("second: sees project", os.path.exists(project), flush=True)
"""
THIRD = """\
    import os, sys
    from jupyter_pipelines import Run
    project, src, out = sys.argv[1:4]
    total = sum(int(n) for n in open(os.path.join(src, "squares.txt")).read().split())
    Run.get_context().log("total", total)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "total.txt"), "w") as fh:
        fh.write(str(total))
    print("third: total", total, "sees project", os.path.exists(project), flush=True)
"""


@pytest.fixture(scope="session")
def worker_image(engine: Any) -> str:
    """The worker image, built from this checkout (cached when nothing changed)."""
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "dask-worker-image.sh")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode == 2:  # no package index reachable: the machine lacks it
        pytest.skip(f"the Dask worker image needs its dependencies: {done.stderr[-500:]}")
    if done.returncode != 0:
        pytest.fail(f"the Dask worker image could not be built:\n{done.stderr[-3000:]}")
    print(f"\nworker image ready in {time.monotonic() - started:.1f} s")
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def scheduler(tmp_path: Path) -> Iterator[str]:
    """A scheduler on this machine, as its own process; its address."""
    info = tmp_path / "scheduler.json"
    log = open(tmp_path / "scheduler.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(VENV_BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(info)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not info.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not info.exists():
            pytest.fail(f"no scheduler: {(tmp_path / 'scheduler.log').read_text()[-2000:]}")
        time.sleep(0.2)  # the file is written in one go, but let it land
        yield str(json.loads(info.read_text())["address"])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def container_worker(engine: Any, worker_image: str, scheduler: str) -> Iterator[Any]:
    """One Dask worker in a container with no volume, on the host's network."""
    name = f"jp-dask-worker-{uuid.uuid4().hex[:8]}"
    container = engine.containers.run(
        worker_image,
        ["dask", "worker", scheduler, "--nthreads", "2", "--name", name, "--no-dashboard"],
        name=name,
        network_mode="host",
        detach=True,
        labels={"jupyter_pipelines.test": "dask-container"},
    )
    try:
        from distributed import Client

        with Client(scheduler, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            container.address = next(iter(client.scheduler_info()["workers"]))
        yield container
    except Exception:
        print(container.logs().decode(errors="replace")[-3000:])
        raise
    finally:
        container.remove(force=True)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    from jupyter_pipelines import Workspace

    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    proj = Project(root=root, ws=Workspace.at(root))
    yield proj
    proj.stop_everything()


def pipeline(project: Project, target: Any) -> Pipeline:
    """first -> second -> third, passing data, on ``target``."""
    for name, body in (("first.py", FIRST), ("second.py", SECOND), ("third.py", THIRD)):
        project.script(f"src/{name}", body)
    numbers, squares, total = (
        PipelineData("numbers"),
        PipelineData("squares"),
        PipelineData("total"),
    )
    here = str(project.root)
    common = {"source_directory": "src", "compute_target": target, "allow_reuse": False}
    return Pipeline(
        project.ws,
        [
            PythonScriptStep("first.py", name="first", arguments=[here, numbers],
                             outputs=[numbers], **common),
            PythonScriptStep("second.py", name="second", arguments=[here, numbers, squares],
                             inputs=[numbers], outputs=[squares], **common),
            PythonScriptStep("third.py", name="third", arguments=[here, squares, total],
                             inputs=[squares], outputs=[total], **common),
        ],
    )  # fmt: skip


def first_log_while_running(run: Any, timeout: float = 60) -> float:
    """Seconds before the end of step ``first`` at which its first line was on the driver."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        steps = {s.name: s for s in run.workspace.run_store.get_steps(run.id)}
        first = steps.get("first")
        if first is not None and first.step_dir:
            log = Path(first.step_dir, "stdout.txt")
            text = log.read_text() if log.exists() else ""
            if "first: sees project" in text:
                seen = time.monotonic()
                assert "first: done" not in text, text
                assert first.status == st.RUNNING, first.status
                while run.workspace.run_store.get_steps(run.id)[0].status == st.RUNNING:
                    time.sleep(0.05)
                return time.monotonic() - seen
        time.sleep(0.05)
    pytest.fail("the first step's log never reached the driver")


def test_a_pipeline_runs_on_a_worker_in_a_container_without_shared_disk(
    project: Project,
    azurite: Azurite,  # noqa: F811
    container_worker: Any,
    scheduler: str,
    engine: Any,
) -> None:
    started = time.monotonic()
    assert engine.api.inspect_container(container_worker.id)["Mounts"] == []
    container = new_container(azurite, "artifacts")
    Datastore.register_azure_blob_container(
        project.ws, "artifacts", container, ACCOUNT, account_key=KEY, protocol="http",
        endpoint=azurite.endpoint,
    )  # fmt: skip
    target = ComputeTarget.create(
        project.ws,
        "remote",
        DaskCompute.provisioning_configuration(address=scheduler, artifact_store="artifacts"),
    )
    run = project.experiment("dask-container").submit(pipeline(project, target))
    ahead = first_log_while_running(run)
    assert run.wait_for_completion(show_output=False, timeout_seconds=120) == st.FINISHED
    steps = steps_by_name(run)
    assert ahead > 1.0, f"the first line arrived only {ahead:.2f} s before the step ended"
    assert "first: sees project False in container True" in steps["first"].get_logs()["stdout"]
    assert "second: sees project False" in steps["second"].get_logs()["stdout"]
    third = steps["third"].get_logs()["stdout"]
    assert "third: total 30 sees project False" in third, third
    assert steps["third"].get_metrics()["total"] == 30
    records = {s.name: s for s in run.workspace.run_store.get_steps(run.id)}
    assert {r.worker for r in records.values()} == {container_worker.address}
    out = Path(records["third"].outputs["total"]["path"], "total.txt")
    assert out.read_text() == "30"
    # Everything went through the emulator: objects (code, data) and each step's result.
    seen = [r for r in azurite.requests() if f"/{container}/pipeline-artifacts/" in r]
    assert any("/objects/" in r for r in seen) and any("/result/" in r for r in seen)
    print(f"\nthree steps on the container worker in {time.monotonic() - started:.1f} s; "
          f"first log line {ahead:.1f} s before its step ended")  # fmt: skip
