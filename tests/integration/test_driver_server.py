"""Run drivers forked by the warm driver server: the same driver as a new process gives
(its own session, outliving the submitter, the submitter's environment and folder), a
server that goes away when its code changed, and the cold start where the server is off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import psutil
import pytest

from jupyter_pipelines import Pipeline, PythonScriptStep
from jupyter_pipelines.engine import driver_server
from jupyter_pipelines.engine.driver_start import WARM_ENV, socket_path
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration

HEAVY = ("networkx", "pandas", "jsonschema", "yaml", "fsspec", "jupyter_client", "papermill")

#: A step that writes what it sees: an environment variable, its folder, its umask.
REPORT = """
import json, os, sys
mask = os.umask(0)
json.dump(
    {"var": os.environ.get("JP_TEST_VAR"), "cwd": os.getcwd(), "umask": mask},
    open(sys.argv[1], "w"),
)
"""


def report_pipeline(project: Project, out: Path) -> Pipeline:
    project.script("src/report.py", REPORT)
    step = PythonScriptStep(
        script_name="report.py",
        name="report",
        source_directory=str(project.root / "src"),
        arguments=[str(out)],
        allow_reuse=False,
    )
    return Pipeline(workspace=project.ws, steps=[step])


def driver_parent(project: Project, run_id: str) -> str:
    """The command line of the process that started the run's driver (while it runs)."""
    pid = project.ws.run_store.get_run(run_id).driver_pid
    assert pid is not None
    parent = psutil.Process(pid).parent()
    return " ".join(parent.cmdline()) if parent is not None else ""


def test_a_forked_driver_takes_the_submitters_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WARM_ENV, raising=False)
    out = project.root / "seen.json"
    # Set after the server started (a first run starts it): the driver must get it anyway.
    project.experiment().submit(report_pipeline(project, out)).wait_for_completion()
    monkeypatch.setenv("JP_TEST_VAR", "from the submitter")
    old_mask = os.umask(0o027)
    try:
        run = project.experiment().submit(report_pipeline(project, out))
    finally:
        os.umask(old_mask)
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    seen = json.loads(out.read_text())
    assert seen["var"] == "from the submitter"
    assert seen["umask"] == 0o027
    driver = project.ws.run_store.get_run(run.id).driver_pid
    assert driver is not None and driver != os.getpid()
    log = (project.ws.runs_dir / run.id / "driver.log").read_text()
    assert f"run {run.id} ended: Finished" in log


def test_a_forked_driver_is_the_servers_child_in_a_session_of_its_own(project: Project) -> None:
    project.script("src/wait.py", "import time\ntime.sleep(30)\n")
    step = PythonScriptStep(script_name="wait.py", source_directory=str(project.root / "src"))
    run = project.experiment().submit(Pipeline(workspace=project.ws, steps=[step]))
    wait_until(lambda: project.ws.run_store.get_run(run.id).status == st.RUNNING, what="Running")
    pid = project.ws.run_store.get_run(run.id).driver_pid
    assert pid is not None
    assert driver_server.MODULE in driver_parent(project, run.id)
    assert psutil.Process(pid).name() == driver_server.DRIVER_NAME
    assert os.getsid(pid) == pid != os.getsid(0)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED


def test_a_run_outlives_the_process_that_submitted_it(project: Project) -> None:
    project.script("src/slow.py", "import time\ntime.sleep(1)\n")
    code = textwrap.dedent(
        f"""
        from jupyter_pipelines import Experiment, Pipeline, PythonScriptStep, Workspace
        ws = Workspace.at({str(project.root)!r})
        src = {str(project.root / "src")!r}
        step = PythonScriptStep(script_name="slow.py", source_directory=src)
        run = Experiment(ws, "it").submit(Pipeline(workspace=ws, steps=[step]), show_output=False)
        print(run.id)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    run_id = done.stdout.split()[-1]
    record = project.ws.run_store.get_run(run_id)
    assert record.status not in st.TERMINAL  # the submitter is gone, its run goes on
    wait_until(
        lambda: project.ws.run_store.get_run(run_id).status in st.TERMINAL, what="the run's end"
    )
    assert project.ws.run_store.get_run(run_id).status == st.FINISHED


def test_without_the_warm_server_the_driver_is_a_new_process(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_ENV, "0")
    project.script("src/wait.py", "import time\ntime.sleep(30)\n")
    step = PythonScriptStep(script_name="wait.py", source_directory=str(project.root / "src"))
    run = project.experiment().submit(Pipeline(workspace=project.ws, steps=[step]))
    wait_until(lambda: project.ws.run_store.get_run(run.id).status == st.RUNNING, what="Running")
    pid = project.ws.run_store.get_run(run.id).driver_pid
    assert pid is not None
    assert "jupyter_pipelines.engine.driver" in " ".join(psutil.Process(pid).cmdline())
    assert psutil.Process(pid).parent().pid == os.getpid()  # type: ignore[union-attr]
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED


def test_a_server_whose_code_changed_makes_way_for_a_new_one(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A server of its own (its PYTHONPATH names it), watching a package folder of its own.
    packages = tmp_path / "lib" / "site-packages"
    packages.mkdir(parents=True)
    monkeypatch.setenv("PYTHONPATH", str(packages))
    monkeypatch.setenv(driver_server.IDLE_ENV, "20")
    out = project.root / "seen.json"
    first = project.experiment().submit(report_pipeline(project, out))
    first.wait_for_completion(show_output=False)
    path = socket_path()
    servers = servers_at(path)
    assert len(servers) == 1
    (packages / f"new_{uuid.uuid4().hex}.py").write_text("")  # an install changed the folder
    os.utime(packages, ns=(0, 1))
    second = project.experiment().submit(report_pipeline(project, out))
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    wait_until(lambda: not alive(servers[0].pid), timeout=10, what="the stale server to exit")
    now = servers_at(path)
    assert len(now) == 1 and now[0].pid != servers[0].pid
    stop_servers(path)


def stop_servers(*paths: str) -> None:
    """Stop the servers of ``paths`` and remove what they leave (their lock and log)."""
    for path in paths:
        for proc in servers_at(path):
            proc.terminate()
            proc.wait(10)
        for leftover in [Path(path), *Path(path).parent.glob(Path(path).name + ".*")]:
            leftover.unlink(missing_ok=True)


def servers_at(path: str) -> list[psutil.Process]:
    """Driver servers serving the socket ``path`` (not the drivers they forked)."""
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.name() == driver_server.SERVER_NAME and path in proc.cmdline():
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_the_driver_of_a_script_step_imports_nothing_heavy(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's start and a script step's run stay free of the model's and the
    notebooks' libraries (each costs 10 to 600 ms to import in every new driver)."""
    from jupyter_pipelines.engine.submit import submit_pipeline

    project.script("src/noop.py", "pass\n")
    step = PythonScriptStep(script_name="noop.py", source_directory=str(project.root / "src"))
    run_id = submit_pipeline(
        project.ws, "it", Pipeline(workspace=project.ws, steps=[step]), start=False
    )
    code = textwrap.dedent(
        f"""
        import sys
        from jupyter_pipelines.engine import driver, driver_server
        assert driver.main([{str(project.ws.dir)!r}, {run_id!r}]) == 0
        print(" ".join(m for m in {HEAVY!r} if m in sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project.root,
        env={k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"the driver imported {done.stdout.strip()}"
    assert project.ws.run_store.get_run(run_id).status == st.FINISHED


def test_where_no_server_can_start_drivers_start_as_new_processes_without_retrying(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    from jupyter_pipelines.engine import driver_start

    # A socket path longer than a Unix socket address may be: the server cannot bind.
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(driver_start, "_failed_at", {})
    out = project.root / "seen.json"
    for _ in range(2):
        run = project.experiment().submit(report_pipeline(project, out))
        assert run.wait_for_completion(show_output=False) == st.FINISHED
    (log,) = (deep / f"jupyter-pipelines-{os.getuid()}").glob("driver-*.log")
    assert log.read_text().count("Traceback") == 1  # tried once, not at every submit


def test_runs_with_notebooks_get_drivers_that_imported_papermill_already(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_pipelines import NotebookStep

    monkeypatch.delenv(WARM_ENV, raising=False)
    monkeypatch.setenv("PYTHONJPTEST", uuid.uuid4().hex)  # servers of this test's own
    monkeypatch.setenv(driver_server.IDLE_ENV, "30")
    project.notebook("nb/wait.ipynb", body="import time\ntime.sleep(30)\n")

    def submit() -> object:
        step = NotebookStep("wait.ipynb", name="wait", source_directory="nb", allow_reuse=False)
        return project.experiment().submit(Pipeline(workspace=project.ws, steps=[step]))

    first = submit()  # starts the notebook server, in the background
    path = socket_path() + "." + driver_server.NOTEBOOKS
    wait_until(lambda: servers_at(path), timeout=60, what="the notebook driver server")
    wait_until(lambda: os.path.exists(path), timeout=60, what="it to serve")
    second = submit()
    wait_until(lambda: project.ws.run_store.get_run(second.id).status == st.RUNNING, what="Running")
    assert path in driver_parent(project, second.id)  # forked with papermill imported
    assert path not in driver_parent(project, first.id)
    for run in (first, second):
        run.cancel()
        assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED
    stop_servers(path, socket_path())


def test_a_submitter_with_many_open_files_starts_a_server(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jupyter server may hold more than 1024 file descriptors (select's limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) < 1200:
        pytest.skip("this machine allows too few open files")
    monkeypatch.delenv(WARM_ENV, raising=False)
    monkeypatch.setenv("PYTHONJPTEST", uuid.uuid4().hex)  # a server not running yet
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        project.script("src/wait.py", "import time\ntime.sleep(30)\n")
        step = PythonScriptStep(script_name="wait.py", source_directory=str(project.root / "src"))
        run = project.experiment().submit(Pipeline(workspace=project.ws, steps=[step]))
    finally:
        for fd in opened:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    wait_until(lambda: project.ws.run_store.get_run(run.id).status == st.RUNNING, what="Running")
    assert socket_path() in driver_parent(project, run.id)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.CANCELED
    stop_servers(socket_path())
