"""Helpers of the integration tests: the ``Project`` folder, notebooks, polling, process checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
import yaml

from jupyter_pipelines import Experiment, PipelineRun, Workspace
from jupyter_pipelines.stores import status as st

VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "jupyter-pipelines")


def write_notebook(
    path: Path, parameters: str = "alpha = 0.1\n", body: str | Iterable[str] = "print(alpha)\n"
) -> Path:
    """A valid notebook: a cell tagged ``parameters``, then ``body`` (one cell per string)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    cells = [body] if isinstance(body, str) else list(body)
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) process."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def overlaps(a: Any, b: Any) -> bool:
    """Whether the recorded [start, end] intervals of two step runs intersect."""
    return a.start_time < b.end_time and b.start_time < a.end_time


@dataclass
class Project:
    """A project folder with a workspace, and helpers to write what steps run."""

    root: Path
    ws: Workspace
    _pid_files: list[Path] = field(default_factory=list)

    def script(self, name: str, body: str) -> Path:
        """Write a script (dedented) under the project root."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
        return path

    def notebook(
        self, name: str, parameters: str = "alpha = 0.1\n", body: str | Iterable[str] = "pass\n"
    ) -> Path:
        return write_notebook(self.root / name, parameters, body)

    def pipeline_file(self, name: str, doc: dict[str, Any]) -> Path:
        """Write a ``NAME.pipeline.yaml`` file from a document."""
        path = self.root / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def experiment(self, name: str = "it") -> Experiment:
        return Experiment(self.ws, name)

    def pid_file(self, name: str) -> Path:
        """A file a step writes process ids into; those processes are killed at teardown."""
        path = self.root / name
        self._pid_files.append(path)
        return path

    def runs(self) -> list[PipelineRun]:
        return [
            PipelineRun(Experiment(self.ws, r.experiment), r.id)
            for r in self.ws.run_store.list_runs(limit=1000)
        ]

    def run_dirs(self) -> list[Path]:
        return sorted(self.ws.runs_dir.iterdir()) if self.ws.runs_dir.exists() else []

    def assert_nothing_recorded(self) -> None:
        store = self.ws.run_store
        assert store.list_runs() == []
        assert store.list_experiments() == []
        assert self.run_dirs() == []

    def cli(
        self, *args: str, check: int | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run ``jupyter-pipelines ARGS`` in the project folder."""
        env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"}
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.run(
            [CLI, *args], cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout
        )
        if check is not None:
            assert proc.returncode == check, (
                f"exit {proc.returncode}, expected {check}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc

    def cli_json(self, *args: str, check: int = 0) -> Any:
        proc = self.cli(*args, "--json", check=check)
        return json.loads(proc.stdout)

    # -- teardown ----------------------------------------------------------------------
    def stop_everything(self) -> None:
        """Cancel unfinished runs, then kill their drivers and any recorded step process."""
        victims: list[psutil.Process] = []
        for run in self.ws.run_store.list_runs(limit=1000):
            if run.status in st.TERMINAL or not run.driver_pid:
                continue
            try:
                driver = psutil.Process(run.driver_pid)
                victims += [driver, *driver.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
            try:
                PipelineRun(Experiment(self.ws, run.experiment), run.id).cancel()
            except Exception:
                pass
        # Poll rather than psutil.wait_procs: a killed grandchild stays a zombie until init
        # reaps it, and wait_procs would wait for it the whole timeout.
        deadline = time.monotonic() + 5
        while any(alive(p.pid) for p in victims) and time.monotonic() < deadline:
            time.sleep(0.05)
        for path in self._pid_files:
            if path.exists():
                for word in path.read_text().split():
                    try:
                        victims.append(psutil.Process(int(word)))
                    except (ValueError, psutil.NoSuchProcess):
                        pass
        for proc in victims:
            if alive(proc.pid):
                try:
                    proc.kill()
                except psutil.NoSuchProcess:
                    pass


def steps_by_name(run: PipelineRun) -> dict[str, Any]:
    """Step runs of ``run`` by name."""
    return {s.name: s for s in run.get_steps()}
