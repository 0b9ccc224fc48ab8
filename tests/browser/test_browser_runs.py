"""Runs in a real JupyterLab: the Pipelines sidebar lists a run, its run view shows the DAG
and a timeline, and a rerun from the sidebar shows the steps as reused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.scenarios import (
    LONG,
    by_testid,
    expect,
    expect_status,
    open_sidebar,
    step_node,
)
from tests.browser.support import Lab, open_lab, save_flow_pipeline, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_the_sidebar_lists_a_run_its_view_and_a_rerun_reusing_every_step(
    lab: Lab, page: Any, shot: Any
) -> None:
    # The run is submitted through the REST API (the editor's own Run is covered by
    # test_browser_editor), so that this scenario tests the sidebar and run views alone.
    path = save_flow_pipeline(lab.root, "flow.pipeline.yaml")
    run_id = lab.api("runs", {"path": path.name, "experiment": "browser-runs"})["run"]["id"]
    assert lab.wait_run(run_id, timeout=LONG / 1000)["status"] == "Finished"

    # 3. The sidebar lists it; its run view shows the DAG and one timeline bar per step.
    open_lab(page, lab)
    sidebar = open_sidebar(page)
    by_testid(sidebar, "runs-filter").fill(run_id[:8])
    row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')
    expect(row, f"the sidebar lists no run-row for run {run_id}").to_be_visible(timeout=30_000)
    expect(row).to_have_attribute("data-status", "Finished", ignore_case=True)
    shot(page, "sidebar")
    by_testid(row, "run-open").click()
    view = page.locator(f'[data-testid="run-view"][data-run-id="{run_id}"]')
    expect(view, "run-open opened no run-view for the run").to_be_visible()
    for name in ("make_data", "train"):
        expect(step_node(view, name), f"the run view does not show the node {name}").to_be_visible()
        expect(step_node(view, name)).to_have_attribute("data-status", "finished")
        expect(
            by_testid(view, "timeline").locator(f'[data-testid="timeline-bar"][data-step="{name}"]')
        ).to_have_count(1)
    shot(page, "run-view")

    # 4. Rerun from the sidebar: a new run whose steps are all reused.
    by_testid(sidebar, "runs-filter").fill("")
    by_testid(row, "run-rerun").click()
    second = wait_for(
        lambda: [r for r in lab.runs(pipeline=path.name) if r["id"] != run_id],
        30,
        "run-rerun to submit a new run",
    )[0]
    rerun_id = second["id"]
    assert lab.wait_run(rerun_id, timeout=LONG / 1000)["reused"] == 2
    new_row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{rerun_id}"]')
    expect(new_row, f"the sidebar lists no run-row for the rerun {rerun_id}").to_be_visible(
        timeout=30_000
    )
    shot(page, "sidebar-rerun")
    by_testid(new_row, "run-open").click()
    new_view = page.locator(f'[data-testid="run-view"][data-run-id="{rerun_id}"]')
    expect(new_view, "run-open opened no run-view for the rerun").to_be_visible()
    for name in ("make_data", "train"):
        expect(step_node(new_view, name)).to_be_visible()
        expect_status(step_node(new_view, name), "reused", lab, timeout=60_000)
    shot(page, "rerun-reused")
