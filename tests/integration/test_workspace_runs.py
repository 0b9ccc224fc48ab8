"""The workspace's run members (``experiments``, ``get_run``) and the workspace a step reaches
through ``Run.get_context()``: all of them the exported ``jupyter_pipelines.Workspace``."""

from __future__ import annotations

import json

import pytest

import jupyter_pipelines as jp
from jupyter_pipelines import (
    AmlCompute,
    CommandStep,
    ComputeTarget,
    Pipeline,
    PipelineRun,
    PythonScriptStep,
    StepRun,
    Workspace,
)
from jupyter_pipelines.errors import UnknownRunError
from tests.integration.support import Project, wait_until

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


def test_a_cluster_lists_the_steps_running_on_it_as_nodes_and_active_runs(
    project: Project,
) -> None:
    ws = project.ws
    cluster = ComputeTarget.create(
        ws, "cpu-cluster", AmlCompute.provisioning_configuration(max_nodes=2)
    )
    gate = project.root / "gate"
    waits = f"for i in $(seq 600); do [ -f {gate} ] && break; sleep 0.05; done"
    step = CommandStep(waits, name="waits", compute_target=cluster, allow_reuse=False)
    run = project.experiment().submit(Pipeline(ws, [step]), show_output=False)
    try:
        nodes = wait_until(cluster.list_nodes, what="the step to run on the cluster")
        step_run = run.get_steps()[0]
        assert [n["runId"] for n in nodes] == [step_run.id]
        assert nodes[0]["nodeState"] == "running"
        active = cluster.get_active_runs()
        assert [type(r) for r in active] == [StepRun] and active[0].id == step_run.id
        assert cluster.get_active_runs(status="Queued") == []
        assert cluster.get_status().serialize()["nodeStateCounts"]["runningNodeCount"] == 1
        assert ws.get_default_compute_target("CPU") == cluster
    finally:
        gate.touch()
    run.wait_for_completion(show_output=False)
    assert cluster.list_nodes() == [] and cluster.get_active_runs() == []
