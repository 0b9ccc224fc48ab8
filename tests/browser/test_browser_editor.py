"""The pipeline editor in a real JupyterLab: drawing a pipeline from notebooks, saving exactly
the format the SDK reads, running it, opening SDK-saved and malformed files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines import Pipeline
from tests.browser.scenarios import (
    EDITOR,
    by_testid,
    click_empty_canvas,
    drop_file_on_canvas,
    expect,
    expect_status,
    new_pipeline_from_menu,
    run_from_editor,
    select_node,
    step_node,
)
from tests.browser.support import (
    MAKE_DATA_LINE,
    TRAIN_LINE,
    Lab,
    center,
    drag,
    open_lab,
    save_flow_pipeline,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _connect(page: Any, editor: Any, source: str, target: str) -> None:
    """Connect ``source``'s output to ``target``: drag from its port-out to the target's
    port-in (or onto the target node when it has no input port yet)."""
    out_port = step_node(editor, source).locator('[data-testid="port-out"]')
    if out_port.count() == 0:
        # No output yet: add one in the properties panel (field "outputs").
        select_node(page, editor, source)
        props = by_testid(page, "properties")
        expect(props, "selecting a node shows no properties panel").to_be_visible()
        outputs = props.locator('[data-field="outputs"]')
        expect(
            outputs, "make_data has no port-out and the properties panel no [data-field=outputs]"
        ).to_be_visible()
        by_testid(outputs, "add-output").click()
        expect(out_port.first, "adding an output made no port-out on the node").to_be_visible()
    in_port = step_node(editor, target).locator('[data-testid="port-in"]')
    goal = in_port.first if in_port.count() else step_node(editor, target)
    drag(page, center(out_port.first.bounding_box()), center(goal.bounding_box()), steps=20)


def test_create_a_pipeline_by_dragging_notebooks_save_and_run_it(
    lab: Lab, page: Any, shot: Any
) -> None:
    open_lab(page, lab)
    shot(page, "lab")

    # 1. File > New > Pipeline creates and opens untitled.pipeline.yaml in the editor.
    new_pipeline_from_menu(page)
    editor = page.locator(EDITOR).first
    expect(editor, "File > New > Pipeline opened no .jp-PipelineEditor").to_be_visible()
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).to_contain_text(
        "untitled.pipeline.yaml"
    )
    path = lab.root / "untitled.pipeline.yaml"
    assert path.exists(), "File > New > Pipeline did not create untitled.pipeline.yaml"
    shot(page, "new-pipeline")

    # Two notebooks dragged from the file browser become two step nodes.
    drop_file_on_canvas(page, "make_data.ipynb", 0.25, 0.35)
    expect(step_node(editor, "make_data"), "dropping make_data.ipynb made no node").to_be_visible()
    drop_file_on_canvas(page, "train.ipynb", 0.6, 0.35)
    expect(step_node(editor, "train"), "dropping train.ipynb made no node").to_be_visible()
    expect(editor.locator('[data-testid="step-node"]')).to_have_count(2)
    shot(page, "two-nodes")

    # make_data's output feeds train.
    _connect(page, editor, "make_data", "train")
    expect(
        step_node(editor, "train").locator('[data-testid="port-in"]'),
        "connecting the ports gave train no input port",
    ).to_have_count(1)
    shot(page, "connected")

    # A pipeline parameter: with no node selected, the panel shows the pipeline's fields.
    click_empty_canvas(page)
    params = by_testid(editor, "pipeline-parameters")
    expect(params, "with no node selected, no pipeline-parameters panel shows").to_be_visible()
    before = params.locator('[data-testid="parameter-row"]').count()
    by_testid(params, "add-parameter").click()
    rows = params.locator('[data-testid="parameter-row"]')
    expect(rows).to_have_count(before + 1)
    name_field = rows.nth(before).locator('[data-field="param-name"]')
    name_field.fill("rows")
    name_field.press("Enter")
    row = params.locator('[data-testid="parameter-row"][data-param="rows"]')
    expect(row, "renaming the new parameter to 'rows' made no row data-param=rows").to_have_count(1)
    row.locator('[data-field="param-type"]').select_option("int")
    default_field = row.locator('[data-field="param-default"]')
    default_field.fill("5")
    default_field.press("Enter")
    expect(row.locator('[data-field="param-default"]')).to_have_value("5")
    shot(page, "parameter")

    # Save, then read the file as the SDK does.
    by_testid(editor, "tb-save").click()
    expect(
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty")
    ).to_have_count(0)
    wait_for(
        lambda: "train" in (yaml.safe_load(path.read_text()) or {}).get("steps", {}),
        30,
        "tb-save to write both steps to untitled.pipeline.yaml",
    )
    shot(page, "saved")
    doc = yaml.safe_load(path.read_text())
    assert set(doc["steps"]) == {"make_data", "train"}, doc
    assert doc["steps"]["make_data"]["type"] == "notebook"
    assert doc["steps"]["make_data"]["notebook"] == "make_data.ipynb"
    assert doc["parameters"]["rows"]["default"] in (5, "5"), doc["parameters"]
    pipeline = Pipeline.load(path)
    assert sorted(s.name for s in pipeline.steps) == ["make_data", "train"]
    train = pipeline.step("train")
    assert [b.producer.name for b in train.inputs] == ["make_data"], train.inputs
    assert "rows" in pipeline.parameters
    assert pipeline.validate() == [] or all(i.severity != "error" for i in pipeline.validate())
    assert pipeline.topological_order() == ["make_data", "train"]

    # 2. Run it: both nodes finish, and the step's logs show what the notebook printed.
    run_from_editor(page, editor)
    shot(page, "submitted")
    expect_status(step_node(editor, "make_data"), "finished", lab)
    expect_status(step_node(editor, "train"), "finished", lab)
    shot(page, "finished")
    select_node(page, editor, "train")
    details = by_testid(page, "step-details")
    expect(details, "clicking a finished node shows no step-details").to_be_visible()
    expect(by_testid(details, "step-logs")).to_contain_text(TRAIN_LINE, timeout=30_000)
    select_node(page, editor, "make_data")
    expect(by_testid(details, "step-logs")).to_contain_text(MAKE_DATA_LINE, timeout=30_000)
    shot(page, "step-logs")

    (run,) = lab.runs(pipeline="untitled.pipeline.yaml")
    assert run["status"] == "Finished", run

    # Run again from the editor: nothing changed, so both steps are reused.
    run_from_editor(page, editor)
    for name in ("make_data", "train"):
        expect_status(step_node(editor, name), "reused", lab, timeout=60_000)
    shot(page, "run-again-reused")
    runs = lab.runs(pipeline="untitled.pipeline.yaml")
    assert len(runs) == 2 and runs[0]["reused"] == 2, runs


def test_a_pipeline_saved_by_the_sdk_opens_with_its_layout(lab: Lab, page: Any, shot: Any) -> None:
    from jupyter_pipelines import PythonScriptStep

    positions = {"first": (100, 100), "second": (500, 100), "third": (500, 400)}
    steps = [
        PythonScriptStep(
            name=name, script_name="summarize.py", source_directory=str(lab.root), arguments=[name]
        )
        for name in positions
    ]
    layout = {"nodes": {n: {"x": x, "y": y} for n, (x, y) in positions.items()}}
    path = lab.root / "laid_out.pipeline.yaml"
    Pipeline(steps=steps, name="laid_out", layout=layout).save(path)
    assert yaml.safe_load(path.read_text())["layout"] == layout

    open_lab(page, lab, path.name)
    editor = page.locator(EDITOR).first
    expect(editor, "laid_out.pipeline.yaml did not open in the pipeline editor").to_be_visible()
    boxes = {}
    for name in positions:
        node = step_node(editor, name)
        expect(node).to_be_visible()
        boxes[name] = node.bounding_box()
    shot(page, "opened")
    a, b, c = boxes["first"], boxes["second"], boxes["third"]
    # The view may be zoomed to fit: compare positions relative to each other.
    across = b["x"] - a["x"]  # 400 units in the file
    down = c["y"] - b["y"]  # 300 units in the file
    assert across > 0 and down > 0, boxes
    assert across / down == pytest.approx(400 / 300, rel=0.08), boxes
    assert abs(b["y"] - a["y"]) <= 0.05 * down, boxes
    assert abs(c["x"] - b["x"]) <= 0.05 * across, boxes


def test_a_malformed_pipeline_file_opens_to_an_error_naming_the_line(
    lab: Lab, page: Any, shot: Any
) -> None:
    text = "version: 1\nsteps:\n  broken:\n    type: command\n    command: echo hi\n   bad: [1, 2\n"
    path: Path = lab.root / "broken.pipeline.yaml"
    path.write_text(text)
    with pytest.raises(Exception, match="line 6"):
        Pipeline.load(path)

    open_lab(page, lab, path.name)
    editor = page.locator(EDITOR).first
    expect(editor, "broken.pipeline.yaml did not open in the pipeline editor").to_be_visible()
    expect(
        editor, "the editor of a malformed file does not name the line of the error"
    ).to_contain_text(re.compile(r"line\s*6", re.I))
    shot(page, "malformed")
    # Not a blank page: the message is visible text, not only in the DOM.
    message = editor.get_by_text(re.compile(r"line\s*6", re.I)).first
    expect(message).to_be_visible()
    # The file is left as it was.
    assert path.read_text() == text


def test_run_dialog_can_be_canceled(lab: Lab, page: Any, shot: Any) -> None:
    """Escape-hatch check of the run dialog: dismissing it submits nothing."""
    path = save_flow_pipeline(lab.root, "dialog.pipeline.yaml")
    open_lab(page, lab, path.name)
    editor = page.locator(EDITOR).first
    expect(step_node(editor, "make_data")).to_be_visible()
    by_testid(editor, "tb-run").click()
    dialog = by_testid(page, "run-dialog")
    expect(dialog).to_be_visible()
    expect(
        dialog.locator('[data-param="rows"]'), "the run dialog has no input for rows"
    ).to_be_visible()
    shot(page, "run-dialog")
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-reject").click()
    expect(dialog).to_have_count(0)
    assert lab.runs(pipeline=path.name) == []
