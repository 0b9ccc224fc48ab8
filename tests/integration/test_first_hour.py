"""What a newcomer meets in the first hour, run for real: the CLI outside a project, flags
in either place, one submission line, the progress bar of a reused run, ``run = %pipeline
run``, and a server stopped while it follows a run."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

import jupyter_pipelines
from jupyter_pipelines import CommandStep, Pipeline, PipelineRun
from jupyter_pipelines.engine.progress import follow_run
from jupyter_pipelines.magics.magics import PipelineMagics
from jupyter_pipelines.server.events import RunEventHub
from jupyter_pipelines.stores import status as st
from jupyter_pipelines.widgets.view import RunDetails
from tests.integration.support import CLI, VENV_BIN, Project

pytestmark = pytest.mark.integration

TWO_STEPS = """\
version: 1
steps:
  make:
    type: command
    command: echo made > ${{outputs.thing}}/thing.txt
    outputs:
      thing: {}
  use:
    type: command
    command: cat ${{inputs.thing}}/thing.txt
    inputs:
      thing: {step: make, output: thing}
"""

#: A step that prints a line every tenth of a second for 30 s.
TICKING = "for i in $(seq 300); do echo tick $i; sleep 0.1; done"

#: Commands that only read (or act on what is there): none may create a workspace.
READING = [
    ["runs"],
    ["runs", "--json"],
    ["show", "abc"],
    ["logs", "abc"],
    ["why", "abc", "make"],
    ["cancel", "abc"],
    ["published"],
    ["endpoints"],
    ["schedules"],
    ["schedule", "show", "abc"],
]


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"}
    base["PATH"] = f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}"
    return subprocess.run(
        [CLI, *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder with no workspace in it nor above it."""
    folder = tmp_path / "outside" / "deeper"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("args", READING, ids=lambda a: " ".join(a))
def test_reading_commands_outside_a_project_create_nothing_and_say_where_they_looked(
    outside: Path, args: list[str]
) -> None:
    proc = cli(outside, *args)
    assert proc.returncode == 3, proc.stderr
    assert f"looked for a .pipelines/ folder in {str(outside)!r}" in proc.stderr
    assert "every folder above it" in proc.stderr and proc.stdout == ""
    assert not list(outside.parent.parent.rglob(".pipelines"))


def test_reading_commands_given_a_folder_without_a_workspace_name_it(
    outside: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = cli(outside, "runs", "-w", str(empty))
    assert proc.returncode == 3
    assert f"no workspace in {str(empty)!r} (named by -w {empty})" in proc.stderr
    proc = cli(outside, "show", "abc", env={"JUPYTER_PIPELINES_WORKSPACE": str(empty)})
    assert "(named by $JUPYTER_PIPELINES_WORKSPACE)" in proc.stderr
    # validate works without a workspace, and makes none
    (outside / "two.pipeline.yaml").write_text(TWO_STEPS)
    proc = cli(outside, "-w", str(empty), "validate", "two.pipeline.yaml")
    assert proc.returncode == 0 and "valid (2 steps)" in proc.stdout, proc.stderr
    assert not (empty / ".pipelines").exists() and not (outside / ".pipelines").exists()


def test_workspace_and_json_flags_stand_before_or_after_the_command(project: Project) -> None:
    (project.root / "two.pipeline.yaml").write_text(TWO_STEPS)
    elsewhere = project.root.parent / "elsewhere"
    elsewhere.mkdir()
    root = str(project.root)
    run = cli(elsewhere, "run", str(project.root / "two.pipeline.yaml"), "-w", root, "--json")
    assert run.returncode == 0, run.stderr
    for args in (
        ["-w", root, "--json", "runs"],
        ["--json", "runs", "-w", root],
        ["runs", "--json", "-w", root],
        ["-w", root, "runs", "--json"],
    ):
        proc = cli(elsewhere, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.lstrip().startswith("[") and '"status": "Finished"' in proc.stdout
    assert not (elsewhere / ".pipelines").exists()
    # A command with no JSON output says so, wherever --json stands.
    for args in (["--json", "logs", "x", "-w", root], ["logs", "x", "--json", "-w", root]):
        proc = cli(elsewhere, *args)
        assert proc.returncode == 2 and "'logs' has no JSON output" in proc.stderr
    nested = cli(elsewhere, "--json", "schedule", "show", "nope", "-w", root)
    assert nested.returncode == 3 and "has no JSON output" not in nested.stderr


def test_run_says_it_submitted_once_and_finishes_in_words(project: Project) -> None:
    (project.root / "two.pipeline.yaml").write_text(TWO_STEPS)
    first = project.cli("run", "two.pipeline.yaml", check=0)
    said = first.stdout + first.stderr
    assert said.count("Submitted run") == 1 and "submitted" not in said.replace("Submitted", "")
    assert "decided when 'make' finishes" in said and "(es)" not in said
    again = project.cli("run", "two.pipeline.yaml", check=0).stderr
    assert again.count("Submitted run") == 1
    # Reused steps are listed as they end, like steps that ran.
    assert "✔ make: Finished" in again and "(reused " in again


class Notebook(io.StringIO):
    """Stands for a notebook kernel's output stream, where progress bars are drawn."""


Notebook.__module__ = "ipykernel.iostream"


def test_the_progress_bar_of_a_reused_run_reaches_n_of_n(project: Project) -> None:
    (project.root / "two.pipeline.yaml").write_text(TWO_STEPS)
    pipeline = Pipeline.load(project.root / "two.pipeline.yaml")
    project.experiment("bar").submit(pipeline, show_output=False).wait_for_completion(False)
    reused = project.experiment("bar").submit(pipeline, show_output=False)
    reused.wait_for_completion(show_output=False)
    assert all(s.is_reused for s in reused.get_steps())
    out = Notebook()
    assert follow_run(reused, show_output=True, stream=out) == st.FINISHED
    text = out.getvalue()
    assert "2/2" in text and "0/2" not in text.rsplit("\r", 1)[-1], text
    assert text.count("(reused ") == 2


@pytest.fixture
def shell(project: Project, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An IPython shell with the extension loaded; ``shell.shown``: the runs whose live
    view was shown, one entry per widget."""
    monkeypatch.setenv("JPY_SESSION_NAME", str(project.root / "demo.ipynb"))
    shown: list[PipelineRun] = []
    monkeypatch.setattr(RunDetails, "show", lambda self, *a, **k: shown.append(self.run))
    config = Config()
    config.HistoryManager.enabled = False
    sh = InteractiveShell.instance(config=config)
    sh.user_ns.pop("__session__", None)
    jupyter_pipelines.load_ipython_extension(sh)
    sh.shown = shown
    yield sh
    sh.register_magics(PipelineMagics(sh))


def test_pipeline_run_returns_the_run_and_it_shows_once(shell: Any) -> None:
    shell.run_cell_magic("step", "make --outputs thing", "open(thing + '/t.txt', 'w').write('x')")
    result = shell.run_cell("run = %pipeline run")
    assert result.success, result.error_in_exec
    run = shell.user_ns["run"]
    assert isinstance(run, PipelineRun) and shell.user_ns["_pipeline_run"] is run
    assert shell.shown == []  # assigned: nothing displayed
    shell.run_cell("run")
    assert shell.shown == [run]  # displayed: the live view, once
    result = shell.run_cell("%pipeline run")
    assert result.success and isinstance(result.result, PipelineRun)
    assert shell.shown == [run, result.result]
    assert run.wait_for_completion(show_output=False) == st.FINISHED


def test_a_hub_left_polling_when_its_loop_stops_leaves_no_pending_task(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    run = project.experiment().submit(
        Pipeline(steps=[CommandStep(TICKING, name="slow", allow_reuse=False)], name="slow"),
        show_output=False,
    )
    loop = asyncio.new_event_loop()
    hubs = [RunEventHub(project.ws.run_store, run.id)]

    async def watch_a_while() -> None:
        hubs[0]._attach()  # what a WebSocket client does; the hub starts polling
        for _ in range(300):
            await asyncio.sleep(0.1)
            if any('"type": "log"' in text for _, text in hubs[0].window):
                return

    loop.run_until_complete(watch_a_while())
    assert hubs[0].window, "the hub polled the run's events"
    # The server stops: its loop stops with the hub between two polls, then goes away.
    caplog.set_level(logging.ERROR, logger="asyncio")
    hubs.clear()
    loop.close()
    del loop
    gc.collect()
    assert "Task was destroyed but it is pending" not in caplog.text
