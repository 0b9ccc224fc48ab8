"""Batch steps in the editor: a ParallelRunStep added from a dropped script (its Type), wired to
a data-producing script step, configured (entry script, arguments, mini-batch size, processes,
output), saved as the SDK reads it, reopened, and run with its mini-batch progress bar moving
on the node and in the run view; a pipeline file with a ParallelRunStep and a DataTransferStep
saved by the SDK opens with both, and the editor writes it back unchanged but for what was
edited (and the layout)."""

from __future__ import annotations

import re
import secrets
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines import Pipeline
from tests.browser.scenarios import (
    EDITOR,
    LONG,
    by_testid,
    canvas,
    dir_item,
    drop_file_on_canvas,
    expect,
    expect_status,
    new_pipeline_from_menu,
    node_menu,
    open_editor,
    run_from_editor,
    save_editor,
    select_node,
    shown_run_id,
    step_node,
)
from tests.browser.support import Lab, center, drag, open_lab, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

#: How many files make_files.py writes, and the mini-batch size the test types: 8 mini-batches.
FILES = 24
BATCH = 3
TOTAL = FILES // BATCH
#: Files from this name on wait for the hold file to go: the first half of the mini-batches
#: finish at once, the second half waits, so the test sees the bar stop half way.
HELD_FROM = "f12"

MAKE_FILES = f"""\
import os

from jupyter_pipelines import Run

outputs = dict(Run.get_context().output_datasets)
assert len(outputs) == 1, f"make_files.py needs one output, got {{sorted(outputs)}}"
folder = next(iter(outputs.values()))
os.makedirs(folder, exist_ok=True)
for i in range({FILES}):
    with open(os.path.join(folder, f"f{{i:02d}}.txt"), "w") as handle:
        handle.write(f"line {{i}}\\n")
print("make_files wrote {FILES} files")
"""

SCORE = f"""\
import argparse
import os
import time

HOLD = None


def init():
    global HOLD
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold")
    args, _ = parser.parse_known_args()
    HOLD = args.hold


def run(mini_batch):
    rows = []
    for path in mini_batch:
        name = os.path.basename(path)
        if HOLD and name >= "{HELD_FROM}":
            deadline = time.monotonic() + 50
            while os.path.exists(HOLD) and time.monotonic() < deadline:
                time.sleep(0.05)
        with open(path) as handle:
            rows.append(f"{{name}}: {{handle.read().strip()}}")
    return rows
"""


def _write_scripts(root: Path) -> None:
    (root / "make_files.py").write_text(MAKE_FILES)
    (root / "score.py").write_text(SCORE)


def _props(editor: Any) -> Any:
    props = by_testid(editor, "properties")
    expect(props, "the properties panel is not shown").to_be_visible()
    return props


def _field(props: Any, name: str) -> Any:
    return props.locator(f'[data-field="{name}"]').first


def _fill(props: Any, name: str, value: str) -> None:
    field = _field(props, name)
    expect(field, f"the properties panel has no field {name}").to_be_visible()
    field.fill(value)
    field.press("Tab")


def _field_issue(props: Any, name: str) -> Any:
    return props.locator(f'[data-testid="field-issue"][data-field-issue="{name}"]')


def _progress(scope: Any, step: str) -> Any:
    return step_node(scope, step).locator('[data-testid="node-progress"]')


def _expect_bar_full(page: Any, bar: Any, part: str) -> None:
    """Wait until the bar's done part (class ``part``) is drawn across the whole bar (its
    width follows the counts with a short transition)."""
    handle = bar.element_handle()
    page.wait_for_function(
        """([bar, part]) => {
            const done = bar.querySelector('.' + part);
            const full = bar.getBoundingClientRect().width;
            return done && done.getBoundingClientRect().width >= 0.99 * full;
        }""",
        arg=[handle, part],
        timeout=10_000,
    )


def _register_dataset(root: Path, name: str, files: int) -> None:
    """A registered file dataset of ``files`` small text files on the default datastore."""
    from jupyter_pipelines import Dataset, Workspace

    source = root / "dataset-source"
    source.mkdir(exist_ok=True)
    for i in range(files):
        (source / f"d{i:02d}.txt").write_text(f"row {i}\n")
    ws = Workspace.at(root)
    store = ws.get_default_datastore()
    store.upload(str(source), target_path=name, overwrite=True, show_progress=False)
    Dataset.File.from_files((store, f"{name}/")).register(workspace=ws, name=name)


def _saved(path: Path, check: Any, what: str) -> dict[str, Any]:
    return wait_for(
        lambda: (lambda d: d if check(d) else None)(yaml.safe_load(path.read_text()) or {}),
        30,
        what,
    )


def _switch_to_parallel_run(page: Any, editor: Any, step: str) -> Any:
    """Select ``step`` (a script) and choose parallel_run as its Type."""
    select_node(page, editor, step)
    props = _props(editor)
    expect(_field(props, "name")).to_have_value(step)
    kind = props.locator('select[data-field="type"]')
    expect(kind, "a script step's Type is not a drop-down offering parallel_run").to_be_visible()
    kind.select_option("parallel_run")
    node = step_node(editor, step)
    expect(node, "choosing parallel_run did not change the node's type").to_have_attribute(
        "data-type", "parallel_run"
    )
    expect(node.locator('[data-testid="node-type"]')).to_have_text("BATCH")
    return props


def test_add_configure_save_reopen_and_run_a_parallel_run_step(
    lab: Lab, page: Any, shot: Any
) -> None:
    _write_scripts(lab.root)
    hold = lab.root / f"hold-{secrets.token_hex(4)}"
    open_lab(page, lab)
    new_pipeline_from_menu(page)
    editor = page.locator(EDITOR).first
    expect(editor, "File > New > Pipeline opened no editor").to_be_visible()
    path = lab.root / "untitled.pipeline.yaml"

    # Two scripts dropped from the file browser: a data-producing step and the scorer.
    drop_file_on_canvas(page, "make_files.py", 0.15, 0.3)
    expect(step_node(editor, "make_files"), "dropping make_files.py made no node").to_be_visible()
    drop_file_on_canvas(page, "score.py", 0.5, 0.3)
    expect(step_node(editor, "score"), "dropping score.py made no node").to_be_visible()

    # make_files gets an output named files.
    select_node(page, editor, "make_files")
    props = _props(editor)
    by_testid(props.locator('[data-field="outputs"]'), "add-output").click()
    port = props.locator('[data-testid="output-row"] [data-field="output-name"]').first
    port.fill("files")
    port.press("Enter")
    expect(
        step_node(editor, "make_files").locator('[data-testid="port-out"][data-port="files"]')
    ).to_have_count(1)

    # score.py becomes a ParallelRunStep: entry script, an output for its rows, batch fields.
    props = _switch_to_parallel_run(page, editor, "score")
    expect(_field(props, "file"), "the entry script is not the dropped script").to_have_value(
        "score.py"
    )
    expect(by_testid(props, "parallel-run-config")).to_be_visible()
    outputs = props.locator('[data-field="outputs"]')
    expect(outputs.locator('[data-testid="output-row"][data-port="scores"]')).to_have_count(1)
    expect(
        by_testid(outputs, "add-output"), "a ParallelRunStep offers a second output"
    ).to_have_count(0)
    # Without inputs it is invalid, and the issue shows under the inputs.
    inputs_issue = props.locator('[data-field="inputs"] [data-testid="field-issue"]')
    expect(inputs_issue, "no issue under the inputs of an unfed ParallelRunStep").to_contain_text(
        "inputs", timeout=15_000
    )
    shot(page, "parallel-run-step-unfed")

    # Fed by make_files' output (dragged onto the node: a new input named files).
    out_port = step_node(editor, "make_files").locator('[data-testid="port-out"]').first
    drag(page, center(out_port.bounding_box()), center(step_node(editor, "score").bounding_box()))
    expect(
        step_node(editor, "score").locator('[data-testid="port-in"][data-port="files"]'),
        "connecting make_files to score made no input port",
    ).to_have_count(1)
    select_node(page, editor, "score")
    props = _props(editor)
    expect(inputs_issue).to_have_count(0, timeout=15_000)

    # A mini-batch size that is neither a count nor a size is refused under its field.
    _fill(props, "mini_batch_size", "lots")
    expect(
        _field_issue(props, "mini_batch_size"), "no issue under a mini-batch size of 'lots'"
    ).to_have_count(1, timeout=15_000)
    expect(step_node(editor, "score").locator('[data-testid="node-issues"]')).to_be_visible()
    shot(page, "mini-batch-size-issue")
    _fill(props, "mini_batch_size", str(BATCH))
    expect(_field_issue(props, "mini_batch_size")).to_have_count(0, timeout=15_000)
    _fill(props, "process_count_per_node", "2")
    _fill(props, "append_row_file_name", "scores.txt")
    _fill(props, "run_max_try", "2")
    arguments = _field(props, "arguments")
    arguments.fill(f"--hold\n{hold}")
    arguments.press("Tab")
    expect(step_node(editor, "score").locator('[data-testid="node-issues"]')).to_have_count(
        0, timeout=15_000
    )
    shot(page, "configured")

    # Saved as the SDK reads it.
    save_editor(page, editor)
    doc = _saved(
        path,
        lambda d: (
            d.get("steps", {}).get("score", {}).get("type") == "parallel_run"
            and "arguments" in d["steps"]["score"]
        ),
        "the saved file to hold the configured ParallelRunStep",
    )
    score = doc["steps"]["score"]
    assert score["parallel_run_config"] == {
        "entry_script": "score.py",
        "output_action": "append_row",
        "error_threshold": -1,
        "mini_batch_size": BATCH,
        "process_count_per_node": 2,
        "append_row_file_name": "scores.txt",
        "run_max_try": 2,
    }, score
    assert score["inputs"] == {"files": {"step": "make_files", "output": "files"}}, score
    assert score["outputs"] == {"scores": {}}, score
    assert score["arguments"] == ["--hold", str(hold)], score
    assert "script" not in score and "params" not in score, score
    pipeline = Pipeline.load(path)
    step = pipeline.step("score")
    assert type(step).__name__ == "ParallelRunStep", step
    config = step.parallel_run_config
    assert (config.entry_script, config.mini_batch_size, config.process_count_per_node) == (
        "score.py",
        BATCH,
        2,
    )
    assert (config.append_row_file_name, config.run_max_try, config.error_threshold) == (
        "scores.txt",
        2,
        -1,
    )
    assert [b.producer.name for b in step.inputs] == ["make_files"], step.inputs
    assert not [i for i in pipeline.validate() if i.severity == "error"], pipeline.validate()
    # The SDK writes the same step back (with its defaults spelled out).
    again = lab.root / "untitled_sdk.pipeline.yaml"
    pipeline.save(again)
    sdk = yaml.safe_load(again.read_text())["steps"]["score"]
    assert score["parallel_run_config"].items() <= sdk["parallel_run_config"].items(), sdk
    assert {k: v for k, v in sdk.items() if k != "parallel_run_config"} == {
        k: v for k, v in score.items() if k != "parallel_run_config"
    }, (sdk, score)

    # Reopened in a fresh page: the same values.
    editor = open_editor(page, lab, path.name, "score")
    select_node(page, editor, "score")
    props = _props(editor)
    expect(props.locator('select[data-field="type"]')).to_have_value("parallel_run")
    expect(_field(props, "file")).to_have_value("score.py")
    expect(_field(props, "mini_batch_size")).to_have_value(str(BATCH))
    expect(_field(props, "process_count_per_node")).to_have_value("2")
    expect(_field(props, "append_row_file_name")).to_have_value("scores.txt")
    expect(step_node(editor, "score").locator('[data-testid="node-type"]')).to_have_text("BATCH")
    shot(page, "reopened")

    # Run: the first half of the mini-batches finish, the rest wait for the hold file.
    hold.write_text("hold\n")
    try:
        run_from_editor(page, editor)
        run_id = shown_run_id(editor)
        bar = _progress(editor, "score")
        expect(bar, "the running ParallelRunStep's node shows no progress bar").to_be_visible(
            timeout=LONG
        )
        expect(bar).to_have_attribute("data-total", str(TOTAL), timeout=LONG)
        expect(bar, "the node's bar did not move to half way").to_have_attribute(
            "data-done", str(TOTAL // 2), timeout=60_000
        )
        expect(step_node(editor, "score")).to_have_attribute("data-status", "running")
        expect(bar).to_contain_text(f"{TOTAL // 2}/{TOTAL}")
        shot(page, "editor-half-way")

        # The run view shows the same, live, on its node and in the step's details.
        by_testid(editor, "open-run").click()
        view = page.locator(f'[data-testid="run-view"][data-run-id="{run_id}"]')
        expect(view, "open-run showed no run view").to_be_visible()
        expect(_progress(view, "score")).to_have_attribute("data-done", str(TOTAL // 2))
        select_node(page, view, "score")
        details = by_testid(view, "step-details")
        expect(details).to_have_attribute("data-step", "score")
        progress = by_testid(details, "step-progress")
        expect(progress, "the run view's step details show no step-progress").to_be_visible()
        expect(progress).to_have_attribute("data-done", str(TOTAL // 2))
        expect(progress).to_have_attribute("data-total", str(TOTAL))
        expect(progress).to_have_attribute("data-state", "running")
        expect(by_testid(progress, "step-progress-text")).to_contain_text("2 running")
        shot(page, "run-view-half-way")
    finally:
        hold.unlink(missing_ok=True)

    # Released: the bar reaches the total, the step finishes, the final counts stay.
    expect(progress, "the run view's bar did not reach the total").to_have_attribute(
        "data-done", str(TOTAL), timeout=60_000
    )
    expect(progress).to_have_attribute("data-state", "finished", timeout=30_000)
    expect_status(step_node(view, "score"), "finished", lab, timeout=60_000)
    expect(by_testid(progress, "step-progress-text")).to_contain_text(f"{FILES} rows")
    expect(_progress(view, "score")).to_have_attribute("data-done", str(TOTAL))
    _expect_bar_full(page, progress, "jp-Pipelines-progressDone")
    _expect_bar_full(page, _progress(view, "score"), "jp-PipelineNode-progressDone")
    shot(page, "run-view-finished")
    assert lab.wait_run(run_id, timeout=60)["status"] == "Finished"

    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="untitled.pipeline.yaml").click()
    expect_status(step_node(editor, "score"), "finished", lab, timeout=30_000)
    expect(_progress(editor, "score")).to_have_attribute("data-done", str(TOTAL))
    expect(_progress(editor, "score")).to_have_attribute("data-state", "finished")
    _expect_bar_full(page, _progress(editor, "score"), "jp-PipelineNode-progressDone")
    shot(page, "editor-finished")

    # The rows, in input order, in the file the editor named.
    rows_files = sorted((lab.root / ".pipelines").rglob("scores.txt"))
    assert rows_files, "no scores.txt was written"
    lines = rows_files[0].read_text().splitlines()
    assert lines == [f"f{i:02d}.txt: line {i}" for i in range(FILES)], lines


def _strip_layout(text: str) -> str:
    """The text without its top-level ``layout:`` block (the editor adds positions)."""
    return re.sub(r"(?ms)^layout:\n(?:[ \t].*\n?)*", "", text)


KEEP = """\
version: 1
name: batch_keep
parameters:
  batch_size: {type: int, default: 2}
steps:
  make:
    type: python_script
    script: make_files.py
    outputs:
      files: {kind: output_file_dataset}
      labels: {kind: output_file_dataset}
  score:
    type: parallel_run
    arguments: ["--labels", "${{inputs.labels}}"]
    inputs:
      files: {step: make, output: files}
      labels: {step: make, output: labels}
    side_inputs: [labels]
    outputs:
      scores: {}
    parallel_run_config:
      entry_script: score.py
      mini_batch_size: ${{parameters.batch_size}}
      output_action: append_row
      error_threshold: 2
      process_count_per_node: 2
      run_max_try: 2
  copy:
    type: data_transfer
    inputs:
      scores: {step: score, output: scores}
    destination: {datastore: workspaceblobstore, path: archive/scores}
    destination_reference_type: directory
"""


def test_batch_steps_saved_by_the_sdk_open_and_keep_their_fields(
    lab: Lab, page: Any, shot: Any
) -> None:
    _write_scripts(lab.root)
    _register_dataset(lab.root, "batch_images", 5)
    hand = lab.root / "keep_source.yaml"
    hand.write_text(textwrap.dedent(KEEP))
    path = lab.root / "keep.pipeline.yaml"
    Pipeline.load(hand).save(path)
    original = path.read_text()

    editor = open_editor(page, lab, path.name, "score")
    for name, kind, badge in [
        ("make", "python_script", "PY"),
        ("score", "parallel_run", "BATCH"),
        ("copy", "data_transfer", "COPY"),
    ]:
        node = step_node(editor, name)
        expect(node).to_have_attribute("data-type", kind)
        expect(node.locator('[data-testid="node-type"]')).to_have_text(badge)
    expect(step_node(editor, "score")).to_contain_text("score.py")
    expect(step_node(editor, "copy")).to_contain_text("workspaceblobstore/archive/scores")
    expect(editor.locator('[data-testid="node-issues"]')).to_have_count(0, timeout=15_000)

    # The DataTransferStep's fields.
    select_node(page, editor, "copy")
    props = _props(editor)
    expect(_field(props, "type")).to_have_text("data_transfer")
    expect(_field(props, "destination-datastore")).to_have_value("workspaceblobstore")
    expect(_field(props, "destination-path")).to_have_value("archive/scores")
    expect(_field(props, "destination_reference_type")).to_have_value("directory")
    expect(_field(props, "source_reference_type")).to_have_value("")
    expect(props.locator('[data-field="file"]'), "a data transfer has no file").to_have_count(0)
    expect(by_testid(props.locator('[data-field="inputs"]'), "add-input")).to_have_count(0)
    shot(page, "data-transfer")

    # The ParallelRunStep's: a parameter as mini-batch size, a side input.
    select_node(page, editor, "score")
    props = _props(editor)
    expect(_field(props, "mini_batch_size")).to_have_value("${{parameters.batch_size}}")
    expect(_field(props, "error_threshold")).to_have_value("2")
    side = props.locator('[data-testid="input-row"][data-port="labels"] [data-field="side-input"]')
    expect(side, "the side input is not ticked").to_be_checked()
    expect(
        props.locator('[data-testid="input-row"][data-port="files"] [data-field="side-input"]')
    ).not_to_be_checked()
    shot(page, "parallel-run")

    # One edit, saved: the file is the SDK's but for that value and the layout.
    _fill(props, "process_count_per_node", "3")
    save_editor(page, editor)
    _saved(
        path,
        lambda d: d["steps"]["score"]["parallel_run_config"]["process_count_per_node"] == 3,
        "the edited process count in the saved file",
    )
    saved = path.read_text()
    expected = original.replace("process_count_per_node: 2", "process_count_per_node: 3")
    assert expected != original
    assert _strip_layout(saved) == expected, saved
    assert "layout:" in saved
    loaded = Pipeline.load(path)
    assert loaded.step("score").parallel_run_config.process_count_per_node == 3
    assert [b.name for b in loaded.step("score").side_inputs] == ["labels"]
    copy = loaded.step("copy")
    assert type(copy).__name__ == "DataTransferStep", copy

    # Shift held while dropping a script adds it as a ParallelRunStep.
    item = dir_item(page, "score.py")
    expect(item).to_be_visible()
    box = canvas(page).bounding_box()
    start = center(item.bounding_box())
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 8, start[1] + 8, steps=4)
    page.keyboard.down("Shift")
    try:
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.8, steps=25)
        page.mouse.up()
    finally:
        page.keyboard.up("Shift")
    dropped = step_node(editor, "score_2")
    expect(dropped, "dropping score.py with Shift made no node").to_be_visible()
    expect(dropped).to_have_attribute("data-type", "parallel_run")
    shot(page, "shift-drop")

    # Its input: a registered dataset, offered by name.
    props = _props(editor)
    expect(_field(props, "name")).to_have_value("score_2")
    by_testid(props.locator('[data-field="inputs"]'), "add-input").click()
    dataset = props.locator(
        '[data-testid="input-row"][data-port="input"] [data-field="input-dataset"]'
    )
    expect(dataset, "an unconnected input offers no dataset field").to_be_visible()
    expect(props.locator('datalist option[value="batch_images"]')).to_have_count(1)
    dataset.fill("batch_images")
    dataset.press("Enter")
    expect(props.locator('[data-field="inputs"] [data-testid="field-issue"]')).to_have_count(
        0, timeout=15_000
    )
    _fill(props, "mini_batch_size", "2")
    expect(dropped.locator('[data-testid="node-issues"]')).to_have_count(0, timeout=15_000)
    shot(page, "dataset-input")
    save_editor(page, editor)
    doc = _saved(path, lambda d: "score_2" in d["steps"], "the saved file to hold the dropped step")
    assert doc["steps"]["score_2"]["inputs"] == {"input": {"dataset": "batch_images"}}, doc
    step = Pipeline.load(path).step("score_2")
    assert type(step).__name__ == "ParallelRunStep", step
    assert step.parallel_run_config.mini_batch_size == 2

    # Run only that step: three mini-batches of the dataset's five files.
    by_testid(props, "run-step").click()
    expect(by_testid(page, "run-dialog")).to_be_visible()
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    expect_status(dropped, "finished", lab, timeout=LONG)
    bar = _progress(editor, "score_2")
    expect(bar).to_have_attribute("data-total", "3")
    expect(bar).to_have_attribute("data-done", "3")
    _expect_bar_full(page, bar, "jp-PipelineNode-progressDone")
    shot(page, "dataset-input-run")

    # The node's menu turns it back into a script step (its entry script is the script).
    menu = node_menu(page, editor, "score_2")
    by_testid(menu, "toggle-parallel").click()
    expect(dropped).to_have_attribute("data-type", "python_script")
    expect(dropped.locator('[data-testid="node-type"]')).to_have_text("PY")
    by_testid(editor, "tab-properties").click()
    expect(_field(_props(editor), "file")).to_have_value("score.py")
