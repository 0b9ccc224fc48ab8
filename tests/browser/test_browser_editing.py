"""Editing a pipeline in the editor: keys and history (Delete, undo/redo, copy/paste), renames
that references follow, validation issues on nodes and fields, and Elyra files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines import Pipeline
from tests.browser.scenarios import (
    EDITOR,
    by_testid,
    click_empty_canvas,
    expect,
    open_editor,
    save_editor,
    select_node,
    step_node,
)
from tests.browser.support import REPO_ROOT, Lab, save_chain_pipeline, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ELYRA_EXAMPLE = REPO_ROOT / "examples" / "elyra"


def _nodes(editor: Any) -> Any:
    return editor.locator('[data-testid="step-node"]')


def _data_edges(editor: Any) -> Any:
    """The canvas's data edges (React Flow's edge elements, with the editor's class)."""
    return editor.locator(".react-flow__edge.jp-mod-data")


def _press(page: Any, keys: str) -> None:
    page.keyboard.press(keys)


def _focus_canvas(page: Any) -> None:
    """Click the empty canvas: the keyboard shortcuts act where the canvas has the focus."""
    click_empty_canvas(page)
    expect(
        page.locator(f"{EDITOR} .jp-PipelineDag"), "clicking the canvas does not focus it"
    ).to_be_focused()


def _saved(path: Path, check: Any, what: str) -> dict[str, Any]:
    """The saved YAML once ``check(doc)`` holds."""
    return wait_for(
        lambda: (lambda d: d if check(d) else None)(yaml.safe_load(path.read_text()) or {}),
        30,
        what,
    )


def test_delete_undo_redo_copy_paste_and_renames_that_references_follow(
    lab: Lab, page: Any, shot: Any
) -> None:
    path = save_chain_pipeline(lab.root, "editing", allow_reuse=True)
    editor = open_editor(page, lab, path.name, "a")
    expect(_nodes(editor)).to_have_count(3)
    expect(_data_edges(editor), "a -> b -> c shows no two data edges").to_have_count(2)
    shot(page, "opened")

    # Delete b with the Delete key on the canvas: its node and both its edges go.
    select_node(page, editor, "b")
    expect(step_node(editor, "b")).to_have_class(re.compile(r"\bjp-mod-selected\b"))
    _press(page, "Delete")
    expect(step_node(editor, "b"), "the Delete key did not delete the selected step").to_have_count(
        0
    )
    expect(_nodes(editor)).to_have_count(2)
    expect(_data_edges(editor)).to_have_count(0)
    expect(step_node(editor, "c").locator('[data-testid="port-in"]')).to_have_count(0)
    shot(page, "deleted")

    # Undo brings it back with its connections; redo removes it again; undo once more.
    _focus_canvas(page)
    _press(page, "Control+z")
    expect(step_node(editor, "b"), "Ctrl+Z did not bring the deleted step back").to_be_visible()
    expect(_data_edges(editor), "Ctrl+Z brought b back without its edges").to_have_count(2)
    expect(
        step_node(editor, "c").locator('[data-testid="port-in"][data-port="b_out"]')
    ).to_have_count(1)
    expect(
        step_node(editor, "b").locator('[data-testid="port-in"][data-port="a_out"]')
    ).to_have_count(1)
    shot(page, "undone")
    _press(page, "Control+Shift+z")
    expect(step_node(editor, "b"), "Ctrl+Shift+Z did not delete b again").to_have_count(0)
    expect(_data_edges(editor)).to_have_count(0)
    shot(page, "redone")
    _press(page, "Control+z")
    expect(step_node(editor, "b")).to_be_visible()
    expect(_data_edges(editor)).to_have_count(2)

    # Copy/paste a: a second node with a unique name.
    select_node(page, editor, "a")
    _press(page, "Control+c")
    _press(page, "Control+v")
    expect(_nodes(editor), "Ctrl+C, Ctrl+V on a made no new node").to_have_count(4)
    expect(step_node(editor, "a_2"), "the pasted copy of a is not named a_2").to_be_visible()
    expect(step_node(editor, "a")).to_have_count(1)
    shot(page, "pasted")

    # Rename b in the properties panel: c's input follows.
    select_node(page, editor, "b")
    props = by_testid(editor, "properties")
    name = props.locator('[data-field="name"]')
    expect(name).to_have_value("b")
    name.fill("bee")
    name.press("Enter")
    expect(step_node(editor, "bee"), "renaming b to bee in the properties panel").to_be_visible()
    expect(step_node(editor, "b")).to_have_count(0)
    expect(_data_edges(editor), "the edges did not follow the rename").to_have_count(2)

    # Rename bee's output port: c's input (output:) and bee's argument follow.
    props = by_testid(editor, "properties")
    expect(props.locator('[data-field="name"]')).to_have_value("bee")
    port = props.locator('[data-testid="output-row"][data-port="b_out"] [data-field="output-name"]')
    expect(port, "the properties of bee show no output-row b_out").to_be_visible()
    port.fill("bee_data")
    port.press("Enter")
    expect(
        step_node(editor, "bee").locator('[data-testid="port-out"][data-port="bee_data"]'),
        "renaming the output port made no port-out bee_data",
    ).to_have_count(1)
    expect(_data_edges(editor), "the edge did not follow the port rename").to_have_count(2)
    shot(page, "renamed")

    save_editor(page, editor)
    doc = _saved(
        path,
        lambda d: "bee" in d.get("steps", {}) and "a_2" in d.get("steps", {}),
        "the saved file to hold bee and a_2",
    )
    steps = doc["steps"]
    assert set(steps) == {"a", "a_2", "bee", "c"}, steps
    assert steps["c"]["inputs"]["b_out"] == {"step": "bee", "output": "bee_data"}, steps["c"]
    assert steps["bee"]["inputs"]["a_out"] == {"step": "a", "output": "a_out"}, steps["bee"]
    assert "bee_data" in steps["bee"]["outputs"] and "b_out" not in steps["bee"]["outputs"]
    assert "${{outputs.bee_data}}" in steps["bee"]["arguments"], steps["bee"]["arguments"]
    assert steps["a_2"]["script"] == steps["a"]["script"]
    assert set(doc["layout"]["nodes"]) == {"a", "a_2", "bee", "c"}, doc["layout"]
    pipeline = Pipeline.load(path)
    assert sorted(s.name for s in pipeline.steps) == ["a", "a_2", "bee", "c"]
    assert [b.producer.name for b in pipeline.step("c").inputs] == ["bee"]
    assert [b.name for b in pipeline.step("c").inputs] == ["b_out"]
    assert [i for i in pipeline.validate() if i.severity == "error"] == []
    assert pipeline.topological_order().index("bee") < pipeline.topological_order().index("c")

    # Undo in the toolbar goes back through the renames (history holds them).
    by_testid(editor, "tb-undo").click()
    expect(
        step_node(editor, "bee").locator('[data-testid="port-out"][data-port="b_out"]')
    ).to_have_count(1)
    by_testid(editor, "tb-undo").click()
    expect(step_node(editor, "b")).to_be_visible()
    shot(page, "toolbar-undo")


def test_validation_issues_show_on_the_node_and_field_and_clear_when_fixed(
    lab: Lab, page: Any, shot: Any
) -> None:
    path = save_chain_pipeline(lab.root, "validation", allow_reuse=True)
    editor = open_editor(page, lab, path.name, "b")
    issues = by_testid(editor, "issues")
    expect(issues, "the editor shows no issues list").to_be_visible()
    expect(issues.locator('[data-testid="issue"]')).to_have_count(0)
    expect(step_node(editor, "b").locator('[data-testid="node-issues"]')).to_have_count(0)

    # An unknown compute target: an issue in the list, on the node and under the field.
    select_node(page, editor, "b")
    props = by_testid(editor, "properties")
    target = props.locator('[data-field="compute_target"]')
    target.fill("no-such-cluster")
    issue = issues.locator('[data-testid="issue"][data-step="b"][data-field="compute_target"]')
    expect(issue, "an unknown compute target gives no issue in the issues list").to_have_count(
        1, timeout=15_000
    )
    expect(issue).to_contain_text("no-such-cluster")
    badge = step_node(editor, "b").locator('[data-testid="node-issues"]')
    expect(badge, "node b shows no node-issues for its unknown compute target").to_have_text("1")
    expect(step_node(editor, "b")).to_have_attribute("data-issues", "1")
    expect(step_node(editor, "a").locator('[data-testid="node-issues"]')).to_have_count(0)
    field_issue = props.locator(
        "label.jp-PipelineField", has=page.locator('[data-field="compute_target"]')
    ).locator('[data-testid="field-issue"]')
    expect(field_issue, "the compute_target field shows no field-issue").to_contain_text(
        "no-such-cluster"
    )
    shot(page, "unknown-compute-target")

    # Fixed (the known target "local"): the issue goes everywhere.
    target.fill("local")
    expect(issues.locator('[data-testid="issue"]')).to_have_count(0, timeout=15_000)
    expect(badge).to_have_count(0)
    expect(step_node(editor, "b")).to_have_attribute("data-issues", "0")
    expect(props.locator('[data-testid="field-issue"]')).to_have_count(0)
    shot(page, "fixed-compute-target")

    # A negative timeout: an issue naming the timeout, on c, until it is cleared.
    select_node(page, editor, "c")
    props = by_testid(editor, "properties")
    expect(props.locator('[data-field="name"]')).to_have_value("c")
    timeout = props.locator('[data-field="timeout"]')
    timeout.fill("-1")
    timeout.press("Enter")
    listed = issues.locator('[data-testid="issue"]').filter(has_text=re.compile("timeout", re.I))
    expect(listed, "a timeout of -1 gives no issue naming the timeout").to_have_count(
        1, timeout=15_000
    )
    expect(listed).to_have_attribute("data-step", "c")
    expect(
        step_node(editor, "c").locator('[data-testid="node-issues"]'),
        "node c shows no node-issues for its timeout of -1",
    ).to_have_text("1")
    expect(
        props.locator("label.jp-PipelineField", has=page.locator('[data-field="timeout"]')).locator(
            '[data-testid="field-issue"]'
        ),
        "the timeout field shows no field-issue",
    ).to_contain_text(re.compile(r"-1|minimum|positive|timeout"))
    shot(page, "negative-timeout")
    timeout.fill("")
    timeout.press("Enter")
    expect(issues.locator('[data-testid="issue"]')).to_have_count(0, timeout=15_000)
    expect(step_node(editor, "c").locator('[data-testid="node-issues"]')).to_have_count(0)
    shot(page, "fixed-timeout")

    # The fixed pipeline saves and loads.
    save_editor(page, editor)
    _saved(
        path,
        lambda d: d["steps"]["b"].get("compute_target") == "local",
        "tb-save to write b's compute target",
    )
    pipeline = Pipeline.load(path)
    assert pipeline.step("b").compute_target == "local"
    assert pipeline.step("c").timeout is None
    assert pipeline.validate() == []


def test_a_stale_validation_answer_does_not_replace_the_issues_of_a_newer_edit(
    lab: Lab, page: Any, shot: Any
) -> None:
    """The editor validates once its canvas is drawn; when that answer comes after the answer
    for a later edit (a slow server), the issues shown must stay those of the edit."""
    from tests.browser.scenarios import FORMAT_ROUTE
    from tests.browser.support import open_lab

    path = save_chain_pipeline(lab.root, "stale", allow_reuse=True)
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if not held:
            held.append(route)  # the post-load validation: answered below, late
        else:
            route.continue_()

    page.route(re.compile(f".*{re.escape(FORMAT_ROUTE)}.*"), hold_first)
    open_lab(page, lab, path.name)
    editor = page.locator(EDITOR).first
    expect(step_node(editor, "b")).to_be_visible()
    wait_for(lambda: held or page.wait_for_timeout(100), 30, "the editor's first validation")
    select_node(page, editor, "b")
    props = by_testid(editor, "properties")
    props.locator('[data-field="compute_target"]').fill("no-such-cluster")
    issue = by_testid(editor, "issue")
    expect(issue).to_have_count(1, timeout=15_000)
    expect(step_node(editor, "b").locator('[data-testid="node-issues"]')).to_have_text("1")
    shot(page, "issue-of-the-edit")

    stale = held[0]
    stale.fulfill(response=stale.fetch())  # the answer for the document as loaded: no issue
    page.wait_for_timeout(1000)  # (let it land: what follows asserts that nothing changes)
    shot(page, "after-the-stale-answer")
    expect(props.locator('[data-field="compute_target"]')).to_have_value("no-such-cluster")
    expect(
        issue, "a late answer of the post-load validation wiped the issues of a newer edit"
    ).to_have_count(1, timeout=1_000)
    expect(step_node(editor, "b").locator('[data-testid="node-issues"]')).to_have_text("1")


def test_an_elyra_pipeline_opens_converted_and_saves_as_yaml_leaving_the_original(
    lab: Lab, page: Any, shot: Any
) -> None:
    folder = lab.root / "elyra_demo"
    shutil.copytree(ELYRA_EXAMPLE, folder)
    source = folder / "numbers.pipeline"
    before = source.read_bytes()
    expected = sorted(s.name for s in Pipeline.load(source).steps)

    editor = open_editor(page, lab, "elyra_demo/numbers.pipeline", expected[0])
    banner = by_testid(editor, "elyra-banner")
    expect(banner, "an Elyra .pipeline file opens with no elyra-banner").to_be_visible()
    for name in expected:
        expect(step_node(editor, name), f"the Elyra pipeline shows no node {name}").to_be_visible()
    expect(_nodes(editor)).to_have_count(len(expected))
    expect(
        editor.locator(".react-flow__edge").first, "no edge between the Elyra steps"
    ).to_be_attached()
    shot(page, "elyra-opened")

    by_testid(banner, "save-as-yaml").click()
    target = folder / "numbers.pipeline.yaml"
    wait_for(target.exists, 30, "save-as-yaml to write elyra_demo/numbers.pipeline.yaml")
    # The new file opens in the (YAML) editor, without the banner.
    current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    expect(current, "save-as-yaml did not open numbers.pipeline.yaml").to_contain_text(
        "numbers.pipeline.yaml"
    )
    yaml_editor = page.locator(f"{EDITOR}:visible").first
    expect(step_node(yaml_editor, expected[0])).to_be_visible()
    expect(by_testid(yaml_editor, "elyra-banner")).to_have_count(0)
    shot(page, "saved-as-yaml")

    pipeline = Pipeline.load(target)
    assert sorted(s.name for s in pipeline.steps) == expected
    assert pipeline.validate() == [] or all(i.severity != "error" for i in pipeline.validate())
    assert yaml.safe_load(target.read_text())["version"] == 1
    assert source.read_bytes() == before, "the Elyra .pipeline file was changed"
    # Saving again does not overwrite the YAML file.
    text = target.read_text()
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="numbers.pipeline").filter(
        has_not_text="yaml"
    ).first.click()
    elyra_editor = page.locator(f"{EDITOR}:visible").first
    by_testid(elyra_editor, "save-as-yaml").click()
    expect(by_testid(elyra_editor, "status-line")).to_contain_text("exists already")
    assert target.read_text() == text
    assert source.read_bytes() == before
    shot(page, "not-overwritten")


def test_an_unsaved_edit_marks_the_tab_dirty_and_run_saves_it_first(
    lab: Lab, page: Any, shot: Any
) -> None:
    """The editor says "save when dirty, submit the run": an edit not yet saved must be in the
    run (and the tab must show the edit as unsaved)."""
    from tests.browser.scenarios import run_from_editor, shown_run_id

    path = save_chain_pipeline(lab.root, "unsaved", allow_reuse=True)
    editor = open_editor(page, lab, path.name, "b")
    select_node(page, editor, "b")
    props = by_testid(editor, "properties")
    props.locator('[data-field="compute_target"]').fill("local")
    # The edit is in the editor (its text went through pipelines/format: no issue, the field
    # keeps it) but not on disk.
    expect(props.locator('[data-field="compute_target"]')).to_have_value("local")
    expect(by_testid(editor, "issues").locator('[data-testid="issue"]')).to_have_count(0)
    assert "compute_target" not in path.read_text()
    shot(page, "edited")

    run_from_editor(page, editor)
    run_id = shown_run_id(editor)
    run = lab.wait_run(run_id, timeout=120)
    assert run["document"]["steps"]["b"].get("compute_target") == "local", (
        "tb-run submitted the file as it was on disk, without the unsaved edit "
        f"(b: {run['document']['steps']['b']}); the file now reads:\n{path.read_text()}"
    )
    assert "compute_target: local" in path.read_text()

    # A second edit: the tab shows it unsaved until tb-save.
    # While a run is shown, clicking a node shows its run details: select, then Properties.
    select_node(page, editor, "c")
    by_testid(editor, "tab-properties").click()
    by_testid(editor, "properties").locator('[data-field="compute_target"]').fill("local")
    dirty = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty")
    expect(dirty, "an edit in the pipeline editor does not mark its tab dirty").to_have_count(1)
    shot(page, "dirty")
