"""The ``jupyter-pipelines`` command line, run as a subprocess: commands, JSON and exit codes.

Exit codes: 0 success, 1 run failed or validation errors, 2 bad input, 3 unknown run.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from jupyter_pipelines.stores import status as st
from tests.integration.support import VENV_BIN, Project, wait_until

pytestmark = pytest.mark.integration

MAKE = """\
    import argparse, os
    from jupyter_pipelines import Run
    p = argparse.ArgumentParser()
    p.add_argument("--out")
    p.add_argument("--who")
    p.add_argument("--times", type=int)
    a = p.parse_args()
    with open(os.path.join(a.out, "greeting.txt"), "w") as fh:
        fh.write("".join(f"hello {a.who}\\n" for _ in range(a.times)))
    Run.get_context().log("times", a.times)
    print("made", a.times)
"""


def greet_doc() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "greet",
        "parameters": {
            "who": {"type": "string", "default": "world"},
            "times": {"type": "int", "default": 1},
        },
        "steps": {
            "make": {
                "type": "python_script",
                "script": "make.py",
                "arguments": [
                    "--out",
                    "${{outputs.greeting}}",
                    "--who",
                    "${{parameters.who}}",
                    "--times",
                    "${{parameters.times}}",
                ],
                "outputs": {"greeting": {}},
            },
            "show": {
                "type": "command",
                "command": "cat ${{inputs.greeting}}/greeting.txt",
                "inputs": {"greeting": {"step": "make", "output": "greeting"}},
            },
        },
    }


@pytest.fixture
def greet(project: Project) -> Project:
    project.script("make.py", MAKE)
    project.pipeline_file("greet.pipeline.yaml", greet_doc())
    return project


def test_run_with_params_then_show_logs_and_runs(greet: Project) -> None:
    doc = greet.cli_json("run", "greet.pipeline.yaml", "--param", "who=cli", "-p", "times=2")
    assert doc["status"] == st.FINISHED
    assert doc["experiment"] == "greet"
    assert doc["parameters"] == {"who": "cli", "times": 2}
    assert [s["name"] for s in doc["steps"]] == ["make", "show"]
    assert all(s["status"] == st.FINISHED and s["exitCode"] == 0 for s in doc["steps"])
    run_id = doc["runId"]

    shown = greet.cli_json("show", run_id[:8])
    assert shown["runId"] == run_id
    assert shown["status"] == st.FINISHED
    text = greet.cli("show", run_id, check=0).stdout
    assert run_id in text and "Finished" in text and "show" in text

    out = greet.cli("logs", run_id, "show", "--stdout", check=0).stdout
    assert out == "hello cli\nhello cli\n"
    assert greet.cli("logs", run_id, "show", "--stdout", "--tail", "1", check=0).stdout == (
        "hello cli\n"
    )
    assert "==> show stdout <==\nhello cli\n" in greet.cli("logs", run_id, "show").stdout
    both = greet.cli("logs", run_id, check=0).stdout
    assert "==> make stdout <==" in both and "made 2" in both
    assert "==> show stderr <==" in both
    assert greet.cli("logs", run_id, "make", "--stderr", check=0).stdout.strip() == ""

    rows = greet.cli_json("runs")
    assert [r["id"] for r in rows] == [run_id]
    assert rows[0]["status"] == st.FINISHED and rows[0]["steps"] == "2/2"
    table = greet.cli("runs", check=0).stdout
    assert "STATUS" in table and run_id in table
    assert greet.cli_json("runs", "--experiment", "other") == []


def test_run_text_output_and_workspace_option(greet: Project, tmp_path: Any) -> None:
    proc = greet.cli("run", "greet.pipeline.yaml", "-e", "named", check=0)
    assert "make: Finished" in proc.stderr
    assert "show: Finished" in proc.stderr
    assert "hello world" in proc.stderr  # the log tail of the step
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"}
    listed = subprocess.run(
        [str(VENV_BIN / "jupyter-pipelines"), "-w", str(greet.root), "runs", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert [r["experiment"] for r in json.loads(listed.stdout)] == ["named"]
    assert not (elsewhere / ".pipelines").exists()


def test_run_of_a_failing_pipeline_exits_1(greet: Project) -> None:
    doc = greet_doc()
    doc["steps"]["show"]["command"] = "echo going down >&2; exit 4"
    greet.pipeline_file("fail.pipeline.yaml", doc)
    proc = greet.cli("run", "fail.pipeline.yaml", "--json", check=1)
    result = json.loads(proc.stdout)
    assert result["status"] == st.FAILED
    show = {s["name"]: s for s in result["steps"]}["show"]
    assert show["status"] == st.FAILED
    assert show["exitCode"] == 4
    assert "going down" in show["error"]
    proc = greet.cli("run", "fail.pipeline.yaml", check=1)
    assert "exited with code 4" in proc.stderr


def test_submit_returns_and_cancel_stops_the_run(greet: Project) -> None:
    doc = greet_doc()
    doc["steps"]["show"]["command"] = "sleep 30"
    greet.pipeline_file("slow.pipeline.yaml", doc)
    submitted = greet.cli_json("submit", "slow.pipeline.yaml", "--tag", "who=me")
    run_id = submitted["run_id"]
    assert submitted["experiment"] == "greet"
    store = greet.ws.run_store
    wait_until(
        lambda: store.get_step(run_id, "show").status == st.RUNNING, what="the sleep to start"
    )
    assert store.get_run(run_id).tags == {"who": "me"}
    proc = greet.cli("cancel", run_id, check=0)
    assert "cancel requested" in proc.stdout
    wait_until(lambda: store.get_run(run_id).status == st.CANCELED, timeout=15, what="Canceled")
    assert store.get_step(run_id, "show").status == st.CANCELED
    assert "already ended: Canceled" in greet.cli("cancel", run_id, check=0).stdout
    assert greet.cli_json("show", run_id)["status"] == st.CANCELED
    submitted = greet.cli("submit", "greet.pipeline.yaml", check=0).stdout.strip()
    assert len(submitted) == 36  # a plain run id


def test_validate(greet: Project) -> None:
    proc = greet.cli("validate", "greet.pipeline.yaml", check=0)
    assert "valid (2 steps)" in proc.stdout
    assert greet.cli_json("validate", "greet.pipeline.yaml") == {
        "file": "greet.pipeline.yaml",
        "valid": True,
        "issues": [],
    }
    doc = greet_doc()
    doc["steps"]["make"]["script"] = "mkae.py"
    greet.pipeline_file("broken.pipeline.yaml", doc)
    proc = greet.cli("validate", "broken.pipeline.yaml", check=1)
    assert "file 'mkae.py' not found" in proc.stdout
    result = greet.cli_json("validate", "broken.pipeline.yaml", check=1)
    assert result["valid"] is False
    (issue,) = result["issues"]
    assert issue["severity"] == "error"
    assert issue["step"] == "make"
    assert issue["field"] == "script_name"
    (greet.root / "bad.pipeline.yaml").write_text("steps: [\n")
    assert "not valid YAML" in greet.cli("validate", "bad.pipeline.yaml", check=2).stderr
    greet.assert_nothing_recorded()


def test_describe(greet: Project) -> None:
    doc = greet.cli_json("describe", "greet.pipeline.yaml")
    assert doc["name"] == "greet"
    assert doc["order"] == ["make", "show"]
    assert doc["parameters"] == {
        "who": {"type": "string", "default": "world"},
        "times": {"type": "int", "default": 1},
    }
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["show"]["depends_on"] == ["make"]
    assert steps["show"]["inputs"] == {"greeting": "make.greeting"}
    assert steps["make"]["outputs"] == ["greeting"]
    text = greet.cli("describe", "greet.pipeline.yaml", check=0).stdout
    assert "Pipeline greet: 2 steps" in text
    assert "show [command]" in text and "after make" in text
    greet.assert_nothing_recorded()


def test_unknown_run_exits_3(greet: Project) -> None:
    for args in (("show", "nope"), ("logs", "nope"), ("cancel", "nope")):
        proc = greet.cli(*args, check=3)
        assert "no run 'nope'" in proc.stderr
    run_id = greet.cli_json("run", "greet.pipeline.yaml")["runId"]
    proc = greet.cli("logs", run_id, "shwo", check=3)
    assert "has no step 'shwo'" in proc.stderr and 'did you mean "show"' in proc.stderr


def test_help(project: Project) -> None:
    proc = project.cli("--help", check=0)
    for command in ("run", "submit", "validate", "describe", "runs", "show", "logs", "cancel"):
        assert command in proc.stdout
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [str(VENV_BIN / "jupyter"), "pipelines", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: jupyter-pipelines" in proc.stdout
    assert "submit" in proc.stdout
    assert project.cli("frobnicate").returncode == 2  # argparse's own usage error


def test_validate_does_not_create_a_workspace(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "s.py").write_text("pass\n")
    (folder / "p.pipeline.yaml").write_text(
        "version: 1\nsteps:\n  s:\n    type: python_script\n    script: s.py\n"
    )
    cli = Path(sys.executable).with_name("jupyter-pipelines")
    done = subprocess.run(
        [str(cli), "validate", "p.pipeline.yaml"], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "valid (1 steps)" in done.stdout
    assert not (folder / ".pipelines").exists()
