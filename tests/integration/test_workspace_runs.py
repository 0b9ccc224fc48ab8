"""The workspace's run members (``experiments``, ``get_run``) and the workspace a step reaches
through ``Run.get_context()``: all of them the exported ``jupyter_pipelines.Workspace``."""

from __future__ import annotations

import json

import pytest

import jupyter_pipelines as jp
from jupyter_pipelines import Pipeline, PipelineRun, PythonScriptStep, StepRun, Workspace
from jupyter_pipelines.errors import UnknownRunError
from tests.integration.support import Project

pytestmark = pytest.mark.integration


def test_experiments_get_run_and_the_workspace_inside_a_step(project: Project) -> None:
    project.script(
        "probe.py",
        """
        import json, sys
        from jupyter_pipelines import Run
        ws = Run.get_context().experiment.workspace
        found = {
            "class": f"{type(ws).__module__}.{type(ws).__name__}",
            "name": ws.name,
            "experiments": sorted(ws.experiments),
        }
        with open(sys.argv[1], "w") as out:
            json.dump(found, out)
        """,
    )
    report = project.root / "report.json"
    step = PythonScriptStep("probe.py", name="probe", arguments=[str(report)], allow_reuse=False)
    ws = Workspace(
        "11111111-2222-3333-4444-555555555555", "ml-rg", "ml-ws", auth=jp.MsiAuthentication()
    )
    run = jp.Experiment(ws, "v1-workspace").submit(Pipeline(ws, [step]), show_output=False)
    run.wait_for_completion(show_output=False)

    inside = json.loads(report.read_text())
    assert inside == {
        "class": "jupyter_pipelines.engine.workspace.Workspace",
        "name": "ml-ws",  # the ids recorded by Workspace(...) reach the step
        "experiments": ["v1-workspace"],
    }
    assert list(ws.experiments) == ["v1-workspace"]
    assert ws.experiments["v1-workspace"].workspace == ws

    again = ws.get_run(run.id)
    assert isinstance(again, PipelineRun) and again.id == run.id
    assert again.get_status() == "Finished"
    step_run = run.get_steps()[0]
    found = ws.get_run(step_run.id)
    assert isinstance(found, StepRun) and found.id == step_run.id and found.name == "probe"
    with pytest.raises(UnknownRunError, match=r"no pipeline run or step run 'nope'"):
        ws.get_run("nope")
