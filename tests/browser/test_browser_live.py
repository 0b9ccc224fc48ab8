"""Runs while they run: a step's logs stream into the editor while its node is still running,
the editor stays usable meanwhile, and the sidebar shows a long run as Running, filters its
rows and cancels the run."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.browser.scenarios import (
    LONG,
    by_testid,
    expect,
    expect_status,
    open_editor,
    open_sidebar,
    run_from_editor,
    select_node,
    shown_run_id,
    step_node,
)
from tests.browser.support import (
    WAIT_FIRST_LINE,
    WAIT_LAST_LINE,
    Lab,
    open_lab,
    save_chain_pipeline,
    save_sleeping_pipeline,
    save_waiting_pipeline,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_logs_stream_while_the_step_runs_and_the_editor_stays_usable(
    lab: Lab, page: Any, shot: Any
) -> None:
    release = lab.root / f"release-{secrets.token_hex(4)}"
    path = save_waiting_pipeline(lab.root, "live", release, limit=150)
    editor = open_editor(page, lab, path.name, "waiter")
    try:
        run_from_editor(page, editor)
        run_id = shown_run_id(editor)
        waiter = step_node(editor, "waiter")
        expect_status(waiter, "running", lab, timeout=60_000)
        shot(page, "running")

        # The step's first line shows while it still runs (it blocks until the release file).
        select_node(page, editor, "waiter")
        details = by_testid(editor, "step-details")
        expect(details, "clicking a running node shows no step-details").to_be_visible()
        expect(details).to_have_attribute("data-step", "waiter")
        logs = by_testid(details, "step-logs")
        expect(
            logs, "the first line the running step printed does not show in step-logs"
        ).to_contain_text(WAIT_FIRST_LINE, timeout=30_000)
        # ... and more lines keep coming while it runs (the log follows, it is not a snapshot).
        expect(logs).to_contain_text("waiter tick 2", timeout=30_000)
        expect(waiter).to_have_attribute("data-status", "running")
        assert not release.exists()
        assert lab.api(f"runs/{run_id}")["status"] == "Running"
        shot(page, "logs-while-running")

        # The editor is not blocked: another node can be selected and its properties shown.
        select_node(page, editor, "after")
        expect(by_testid(editor, "step-details")).to_have_attribute("data-step", "after")
        by_testid(editor, "tab-properties").click()
        props = by_testid(editor, "properties")
        expect(props, "the properties tab shows nothing during a run").to_be_visible()
        expect(props.locator('[data-field="name"]')).to_have_value("after")
        expect(props.locator('[data-field="file"]')).to_have_value("chain_step.py")
        # The Pipelines sidebar lists the run as running meanwhile.
        sidebar = open_sidebar(page)
        row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')
        expect(row, "the sidebar lists no run-row for the running run").to_be_visible(
            timeout=30_000
        )
        expect(row).to_have_attribute("data-status", "Running")
        expect(waiter).to_have_attribute("data-status", "running")
        shot(page, "usable-while-running")
    finally:
        release.write_text("go\n")

    # Released: the step finishes, then the next one; the log shows the last line.
    expect_status(waiter, "finished", lab, timeout=60_000)
    expect_status(step_node(editor, "after"), "finished", lab, timeout=60_000)
    assert lab.wait_run(run_id, timeout=60)["status"] == "Finished"
    select_node(page, editor, "waiter")
    by_testid(editor, "tab-run").click()
    logs = by_testid(by_testid(editor, "step-details"), "step-logs")
    expect(logs).to_contain_text(WAIT_LAST_LINE, timeout=30_000)
    expect(logs).to_contain_text(WAIT_FIRST_LINE)
    shot(page, "finished")


def test_sidebar_shows_a_long_run_running_filters_rows_and_cancels_it(
    lab: Lab, page: Any, shot: Any
) -> None:
    # A finished run in another experiment, for the filter to hide.
    chain = save_chain_pipeline(lab.root, "filtered_other")
    other_id = lab.api("runs", {"path": chain.name, "experiment": "sidebar-other"})["run"]["id"]
    assert lab.wait_run(other_id, timeout=LONG / 1000)["status"] == "Finished"
    path = save_sleeping_pipeline(lab.root, "sleepy", seconds=30)
    run_id = lab.api("runs", {"path": path.name, "experiment": "sidebar-cancel"})["run"]["id"]
    try:
        wait_for(
            lambda: lab.api(f"runs/{run_id}")["status"] == "Running", 60, "the long run to start"
        )

        open_lab(page, lab)
        sidebar = open_sidebar(page)
        row = sidebar.locator(f'[data-testid="run-row"][data-run-id="{run_id}"]')
        other = sidebar.locator(f'[data-testid="run-row"][data-run-id="{other_id}"]')
        expect(row, f"the sidebar lists no run-row for the long run {run_id}").to_be_visible(
            timeout=30_000
        )
        expect(row).to_have_attribute("data-status", "Running")
        expect(other).to_be_visible()
        expect(other).to_have_attribute("data-status", "Finished")
        shot(page, "running")

        # The filter hides the rows that do not match (by experiment, then by status).
        flt = by_testid(sidebar, "runs-filter")
        flt.fill("sidebar-cancel")
        expect(other, "the filter 'sidebar-cancel' still shows the other run").to_have_count(0)
        expect(row).to_be_visible()
        shot(page, "filter-experiment")
        flt.fill("sidebar-other")
        expect(row, "the filter 'sidebar-other' still shows the long run").to_have_count(0)
        expect(other).to_be_visible()
        flt.fill("no-such-run-anywhere")
        expect(sidebar.locator('[data-testid="run-row"]')).to_have_count(0)
        shot(page, "filter-nothing")
        flt.fill(run_id[:8])
        expect(row).to_be_visible()
        expect(other).to_have_count(0)
        shot(page, "filter-run-id")

        # Cancel: the row turns Canceled within a few seconds, and so does the run in the API.
        cancel = by_testid(row, "run-cancel")
        expect(cancel, "a running run's row has no run-cancel button").to_be_visible()
        cancel.click()
        expect(row, "run-cancel did not turn the row Canceled").to_have_attribute(
            "data-status", "Canceled", timeout=10_000
        )
        run = lab.api(f"runs/{run_id}")
        assert run["status"] == "Canceled", run
        assert run["step_runs"][0]["status"] == "Canceled", run["step_runs"]
        expect(by_testid(row, "run-cancel"), "a canceled run still offers Cancel").to_have_count(0)
        flt.fill("")
        expect(other).to_be_visible()
        shot(page, "canceled")
    finally:
        if lab.api(f"runs/{run_id}")["status"] not in ("Finished", "Failed", "Canceled"):
            lab.api(f"runs/{run_id}/cancel", {})
