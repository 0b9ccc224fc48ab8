"""A step run on a real Dask cluster, seen in JupyterLab (issue 19): the run view's DAG node
names, in its tooltip, the host of the worker that ran the step (learnt while the run is
followed live), and the step's details say "ran on <worker>" with a "Dask dashboard" link
that opens in a new tab.

The target is a ``DaskCompute`` with a ``LocalCluster`` of one process worker that the
target starts for the run. Without bokeh the scheduler serves no dashboard, and the step
record then has no link: the test writes one through the run store after the run (the
worker stays the real one), so the link's rendering is checked either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "distributed", reason="dask is not installed: pip install 'jupyter_pipelines[dask]'"
)

from jupyter_pipelines import ComputeTarget, DaskCompute, Pipeline, PythonScriptStep, Workspace
from tests.browser.scenarios import LONG, by_testid, expect, open_sidebar, select_node, step_node
from tests.browser.support import WAIT_SCRIPT, Lab, open_lab, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.dask, pytest.mark.timeout(300)]

#: What the test writes as the cluster's dashboard when the scheduler serves none.


def save_dask_pipeline(root: Path, release: Path) -> tuple[Path, Workspace]:
    """``remote``: a script step on a DaskCompute target (a LocalCluster of one worker) that
    waits until ``release`` exists."""
    ws = Workspace.from_config(root)
    target = ComputeTarget.create(
        ws, "dask", DaskCompute.provisioning_configuration(min_nodes=1, max_nodes=1)
    )
    (root / "dask_src").mkdir(exist_ok=True)
    (root / "dask_src" / "wait_for_file.py").write_text(WAIT_SCRIPT)
    step = PythonScriptStep(
        name="remote",
        script_name="wait_for_file.py",
        source_directory=str(root / "dask_src"),
        arguments=[str(release), "120"],
        compute_target=target,
        allow_reuse=False,
    )
    path = root / "on_dask.pipeline.yaml"
    Pipeline(steps=[step], name="on_dask").save(path)
    return path, ws


def body_colour(page: Any) -> str:
    """The colour of JupyterLab's ordinary text."""
    return str(page.evaluate("getComputedStyle(document.querySelector('.jp-LabShell')).color"))


def open_run_view(page: Any, lab: Lab, run_id: str) -> Any:
    """A fresh JupyterLab page, and run ``run_id``'s view opened from the sidebar."""
    open_lab(page, lab)
    sidebar = open_sidebar(page)
    by_testid(sidebar, "runs-filter").fill(run_id[:8])
    row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')
    expect(row, f"the sidebar lists no run-row for run {run_id}").to_be_visible(timeout=30_000)
    by_testid(row, "run-open").click()
    view = page.locator(f'[data-testid="run-view"][data-run-id="{run_id}"]')
    expect(view, "run-open opened no run-view for the run").to_be_visible()
    return view


def test_the_run_view_shows_the_dask_worker_and_dashboard_of_a_step(
    lab: Lab, page: Any, shot: Any
) -> None:
    release = lab.root / "dask_release.flag"
    path, ws = save_dask_pipeline(lab.root, release)
    run_id = lab.api("runs", {"path": path.name, "experiment": "browser-dask"})["run"]["id"]

    # The run view opened while the step runs: the node's tooltip learns the worker live.
    view = open_run_view(page, lab, run_id)
    node = step_node(view, "remote")
    expect(node).to_have_attribute("data-status", "running", timeout=LONG)
    record = wait_for(
        lambda: (r := ws.run_store.get_step(run_id, "remote")).worker and r,
        60,
        "the Dask executor to record the step's worker",
    )
    assert record.worker.startswith("tcp://127.0.0.1:"), record.worker
    expect(node, "the running node's tooltip does not name its worker's host").to_have_attribute(
        "title", "wait_for_file.py\nran on 127.0.0.1", timeout=15_000
    )
    expect(node).to_have_attribute("data-worker", record.worker)
    shot(page, "running-on-dask")

    release.write_text("go")
    assert lab.wait_run(run_id, timeout=120)["status"] == "Finished"
    # bokeh (the dask extra's diagnostics) is installed, so the scheduler served a dashboard
    dashboard = ws.run_store.get_step(run_id, "remote").dashboard_link
    assert dashboard and dashboard.startswith("http://127.0.0.1:"), dashboard

    # The step's details (loaded after the run: the record as it ended).
    select_node(page, view, "remote")
    details = view.locator('[data-testid="step-details"][data-step="remote"]')
    expect(details).to_be_visible()
    expect(by_testid(details, "step-worker")).to_have_text(f"ran on {record.worker}")
    link = by_testid(details, "step-dashboard")
    expect(link).to_have_text("Dask dashboard")
    expect(link).to_have_attribute("href", dashboard)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    shot(page, "step-details")
    # drawn as a link (JupyterLab's `.jp-ThemedContainer a` unsets the colour of anchors)
    assert link.evaluate("el => getComputedStyle(el).color") != body_colour(page)

    # A run view opened on the ended run reads the placements from the run's step summaries,
    # and its header links the target's dashboard.
    view = open_run_view(page, lab, run_id)
    expect(step_node(view, "remote")).to_have_attribute(
        "title", "wait_for_file.py\nran on 127.0.0.1"
    )
    header_link = by_testid(view, "run-dashboards").locator("a")
    expect(header_link).to_have_attribute("href", dashboard)
    expect(header_link).to_have_attribute("rel", "noopener noreferrer")
    shot(page, "ended-run")
