"""Partial runs: steps=, from_steps=, to_steps= (and the CLI's --step/--from/--to)."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from jupyter_pipelines.errors import EngineError
from jupyter_pipelines.stores import status as st
from tests.integration.reuse_support import Chain, ran, reason
from tests.integration.support import Project

pytestmark = pytest.mark.integration


@pytest.fixture
def chain(project: Project) -> Chain:
    return Chain(project)


def test_steps_runs_only_that_step_with_upstream_pinned(
    chain: Chain, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    first = chain.run(report=True)
    # Even with a different parameter value, gen is pinned to its latest result.
    run = project.experiment("reuse").submit(
        chain.pipeline(report=True), steps=["use"], pipeline_parameters={"value": "z"}
    )
    printed = capsys.readouterr().out
    gen_source = first.get_step_run("gen").id
    assert (
        f"gen: reuses step run {gen_source} (pinned: not selected in this partial run)" in printed
    )
    assert "use: will run (selected to run)" in printed
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert [s.name for s in run.get_steps()] == ["gen", "use"]  # report is left out
    assert ran(run) == {"gen": False, "use": True}  # use runs although it could be reused
    gen = run.get_step_run("gen").get_reuse_info()
    assert gen["mode"] == "pinned" and gen["reused_from"] == gen_source
    assert "use read a" in run.get_step_run("use").get_logs()["stdout"]
    assert run.get_details()["options"]["selection"] == {"use": "forced", "gen": "pinned"}


def test_from_steps_runs_them_and_decides_downstream_by_fingerprint(
    chain: Chain, project: Project
) -> None:
    first = chain.run(report=True)
    run = chain.run(report=True, from_steps=["gen"])
    assert ran(run) == {"gen": True, "use": False, "report": False}
    assert reason(run, "gen") == "selected to run"
    assert run.get_step_run("use").reused_from == first.get_step_run("use").id
    # From the middle: gen is pinned, use runs, report is decided by its input.
    use_py = project.root / "use" / "use.py"
    use_py.write_text(use_py.read_text().replace("value.upper()", "value.upper() + '!'"))
    later = chain.run(report=True, from_steps="use")
    assert ran(later) == {"gen": False, "use": True, "report": True}
    assert later.get_step_run("gen").get_reuse_info()["mode"] == "pinned"
    assert "report: A!" in later.get_step_run("report").get_logs()["stdout"]


def test_to_steps_leaves_out_downstream_steps(chain: Chain, project: Project) -> None:
    run = chain.run(report=True, to_steps=["use"])
    assert [s.name for s in run.get_steps()] == ["gen", "use"]
    assert ran(run) == {"gen": True, "use": True}
    # Steps up to 'use' are reused by fingerprint, not forced.
    again = project.experiment("reuse").submit(
        chain.pipeline(report=True), to_steps="use", show_output=False
    )
    assert again.get_status() == st.FINISHED and ran(again) == {"gen": False, "use": False}
    assert again.get_step_run("gen").get_reuse_info()["mode"] == "normal"


def test_from_and_to_together(chain: Chain) -> None:
    chain.run(report=True)
    run = chain.run(report=True, from_steps=["use"], to_steps=["use"])
    assert [s.name for s in run.get_steps()] == ["gen", "use"]
    assert ran(run) == {"gen": False, "use": True}


@pytest.mark.parametrize("selection", [{"steps": ["use"]}, {"from_steps": ["use"]}])
def test_an_upstream_step_that_never_ran_is_named(
    chain: Chain, project: Project, selection: dict[str, Any]
) -> None:
    with pytest.raises(EngineError) as info:
        project.experiment("reuse").submit(chain.pipeline(), show_output=False, **selection)
    message = str(info.value)
    assert message.startswith("step 'gen' has no successful earlier run in experiment 'reuse'")
    assert "run it first" in message
    project.assert_nothing_recorded()


def test_only_a_successful_upstream_result_can_be_pinned(chain: Chain, project: Project) -> None:
    flag = project.root.parent / "fail-flag"
    flag.touch()
    exp = project.experiment("reuse")
    failed = exp.submit(chain.pipeline(fail_if=flag), show_output=False)
    assert failed.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    with pytest.raises(EngineError, match="step 'gen' has no successful earlier run"):
        exp.submit(chain.pipeline(fail_if=flag), steps=["use"], show_output=False)
    assert [r.id for r in exp.get_runs()] == [failed.id]  # nothing more recorded


def test_a_pinned_upstream_whose_outputs_are_gone_is_named(chain: Chain, project: Project) -> None:
    first = chain.run()
    shutil.rmtree(first.get_step_run("gen").get_output_path("data"))
    with pytest.raises(EngineError, match="step 'gen' has no successful earlier run"):
        project.experiment("reuse").submit(chain.pipeline(), steps="use", show_output=False)


def test_a_pinned_upstream_without_an_output_the_step_needs_is_named(
    chain: Chain, project: Project
) -> None:
    chain.run()
    # gen's output was renamed since its last run: that result cannot feed 'use'.
    with pytest.raises(EngineError, match="step 'gen' has no successful earlier run"):
        project.experiment("reuse").submit(
            chain.pipeline(data_name="renamed"), steps=["use"], show_output=False
        )
    assert len(project.experiment("reuse").get_runs()) == 1


def test_steps_from_another_experiment_are_not_pinned(chain: Chain, project: Project) -> None:
    chain.run(experiment="other")
    with pytest.raises(EngineError, match="in experiment 'reuse'"):
        project.experiment("reuse").submit(chain.pipeline(), steps=["use"], show_output=False)


def test_an_unknown_step_name_is_refused(chain: Chain, project: Project) -> None:
    expected = "steps: the pipeline has no step 'usee' (did you mean \"use\"?)"
    with pytest.raises(EngineError, match=re.escape(expected)):
        project.experiment("reuse").submit(chain.pipeline(), steps=["usee"], show_output=False)
    project.assert_nothing_recorded()


PIPELINE = {
    "version": 1,
    "name": "partial",
    "parameters": {"value": {"type": "string", "default": "a"}},
    "steps": {
        "gen": {
            "type": "python_script",
            "script": "gen.py",
            "source_directory": "gen",
            "arguments": ["--out", "${{outputs.data}}", "--value", "${{parameters.value}}"],
            "outputs": {"data": {}},
        },
        "use": {
            "type": "python_script",
            "script": "use.py",
            "source_directory": "use",
            "arguments": ["--inp", "${{inputs.data}}", "--out", "${{outputs.result}}"],
            "inputs": {"data": {"step": "gen", "output": "data"}},
            "outputs": {"result": {}},
        },
        "report": {
            "type": "python_script",
            "script": "report.py",
            "source_directory": "report",
            "arguments": ["--inp", "${{inputs.result}}"],
            "inputs": {"result": {"step": "use", "output": "result"}},
        },
    },
}


def test_cli_step_from_and_to(chain: Chain, project: Project) -> None:
    project.pipeline_file("partial.pipeline.yaml", PIPELINE)
    proc = project.cli("run", "partial.pipeline.yaml", "--step", "use", check=2)
    assert "step 'gen' has no successful earlier run" in proc.stderr
    doc = project.cli_json("run", "partial.pipeline.yaml", "--to", "use")
    assert doc["status"] == st.FINISHED
    assert [s["name"] for s in doc["steps"]] == ["gen", "use"]
    proc = project.cli("run", "partial.pipeline.yaml", "--step", "use", check=0)
    assert "use: will run (selected to run)" in proc.stderr
    assert "gen: reuses step run" in proc.stderr and "pinned" in proc.stderr
    doc = project.cli_json("run", "partial.pipeline.yaml", "--from", "use")
    steps = {s["name"]: s for s in doc["steps"]}
    assert list(steps) == ["gen", "use", "report"]
    assert steps["gen"]["reusedFrom"] is not None
    assert steps["use"]["reusedFrom"] is None and steps["report"]["reusedFrom"] is None
    assert all(s["status"] == st.FINISHED for s in doc["steps"])
    proc = project.cli("submit", "partial.pipeline.yaml", "--step", "use", "--from", "gen", check=2)
    assert "give either steps= or from_steps=/to_steps=" in proc.stderr
