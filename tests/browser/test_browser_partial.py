"""Partial runs from the editor: the node context menu's "Run this step", "Run from here" and
"Run up to here" on the middle step of a -> b -> c submit runs selecting exactly those steps
(checked in the run's options and step runs through the REST API, and in the node statuses)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.scenarios import (
    LONG,
    accept_run_dialog,
    by_testid,
    expect,
    expect_status,
    node_menu_item,
    open_editor,
    run_from_editor,
    select_node,
    shown_run_id,
    step_node,
)
from tests.browser.support import Lab, save_chain_pipeline

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]


def _step_runs(lab: Lab, run_id: str) -> dict[str, dict[str, Any]]:
    run = lab.wait_run(run_id, timeout=LONG / 1000)
    assert run["status"] == "Finished", run
    return {s["name"]: s for s in run["step_runs"]}


def _expect_statuses(editor: Any, lab: Lab, statuses: dict[str, str]) -> None:
    for name, status in statuses.items():
        expect_status(step_node(editor, name), status, lab, timeout=60_000)


def test_run_this_from_and_up_to_a_step_from_the_node_menu(lab: Lab, page: Any, shot: Any) -> None:
    path = save_chain_pipeline(lab.root, "partial")
    editor = open_editor(page, lab, path.name, "a")
    shot(page, "opened")

    # A full run first: the pinned steps of the partial runs need an earlier result.
    run_from_editor(page, editor)
    full = shown_run_id(editor)
    _expect_statuses(editor, lab, {"a": "finished", "b": "finished", "c": "finished"})
    assert set(_step_runs(lab, full)) == {"a", "b", "c"}
    shot(page, "full-run")

    # "Run this step" on b: only b runs; a is pinned to its latest result; c is left out.
    node_menu_item(page, editor, "b", "Run this step")
    expect(
        page.locator(".jp-Dialog-header"), "the run dialog does not name the step"
    ).to_contain_text("Run step b")
    shot(page, "run-this-dialog")
    accept_run_dialog(page)
    only = shown_run_id(editor, other_than=full)
    steps = _step_runs(lab, only)
    detail = lab.api(f"runs/{only}")
    selection = detail["options"].get("selection", {})
    assert selection == {"b": "forced", "a": "pinned"}, detail["options"]
    assert set(steps) == {"a", "b"}, f"Run this step on b ran {sorted(steps)}"
    assert steps["a"]["reused_from"], f"a was not pinned/reused: {steps['a']}"
    assert not steps["b"]["reused_from"] and steps["b"]["status"] == "Finished", steps["b"]
    _expect_statuses(editor, lab, {"a": "reused", "b": "finished", "c": "none"})
    shot(page, "run-this-step")

    # "Run from here" on b: b and c run, a is pinned.
    node_menu_item(page, editor, "b", "Run from here")
    accept_run_dialog(page)
    frm = shown_run_id(editor, other_than=only)
    steps = _step_runs(lab, frm)
    selection = lab.api(f"runs/{frm}")["options"].get("selection", {})
    assert selection.get("a") == "pinned" and selection.get("b") == "forced", selection
    assert "c" not in selection or selection["c"] != "pinned", selection
    assert set(steps) == {"a", "b", "c"}, f"Run from here on b ran {sorted(steps)}"
    assert steps["a"]["reused_from"], steps["a"]
    for name in ("b", "c"):
        assert not steps[name]["reused_from"], f"{name} did not run: {steps[name]}"
    _expect_statuses(editor, lab, {"a": "reused", "b": "finished", "c": "finished"})
    shot(page, "run-from-here")

    # "Run up to here" on b: a and b run (allow_reuse is off), c is left out.
    node_menu_item(page, editor, "b", "Run up to here")
    accept_run_dialog(page)
    upto = shown_run_id(editor, other_than=frm)
    steps = _step_runs(lab, upto)
    selection = lab.api(f"runs/{upto}")["options"].get("selection", {})
    assert "pinned" not in selection.values(), selection
    assert set(steps) == {"a", "b"}, f"Run up to here on b ran {sorted(steps)}"
    for name in ("a", "b"):
        assert not steps[name]["reused_from"], f"{name} did not run: {steps[name]}"
    _expect_statuses(editor, lab, {"a": "finished", "b": "finished", "c": "none"})
    shot(page, "run-up-to-here")

    # The properties panel's run buttons submit the same scopes (run-to on c: everything).
    select_node(page, editor, "c")
    by_testid(editor, "tab-properties").click()
    props = by_testid(editor, "properties")
    expect(props.locator('[data-field="name"]')).to_have_value("c")
    by_testid(props, "run-step").click()
    accept_run_dialog(page)
    last = shown_run_id(editor, other_than=upto)
    steps = _step_runs(lab, last)
    assert lab.api(f"runs/{last}")["options"]["selection"] == {
        "c": "forced",
        "b": "pinned",
        "a": "pinned",
    }
    assert set(steps) == {"a", "b", "c"} and not steps["c"]["reused_from"], steps
    _expect_statuses(editor, lab, {"a": "reused", "b": "reused", "c": "finished"})
    shot(page, "properties-run-step")
