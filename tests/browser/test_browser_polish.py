"""The editor and run views as a newcomer sees them (issue 16): readable opening zoom, edges
routed around the nodes, statuses in words, executed notebooks rendered by JupyterLab, Elyra
files run from the editor, a new pipeline connected without the properties panel, and no
run_after edge doubling a data edge. Each check measures the page (font sizes, the geometry
of the drawn edges) and keeps screenshots under test-artifacts/browser/."""

from __future__ import annotations

import base64
import re
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines import CommandStep, NotebookStep, OutputFileDatasetConfig, Pipeline
from tests.browser.scenarios import (
    EDITOR,
    accept_dialog,
    by_testid,
    canvas,
    dir_item,
    drop_file_on_canvas,
    expect,
    expect_status,
    new_pipeline_from_menu,
    open_editor,
    run_from_editor,
    save_editor,
    select_node,
    shown_run_id,
    step_node,
)
from tests.browser.support import (
    REPO_ROOT,
    Lab,
    center,
    drag,
    save_chain_pipeline,
    save_waiting_pipeline,
    wait_for,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

QUICKSTART = REPO_ROOT / "examples" / "quickstart"
ELYRA = REPO_ROOT / "examples" / "elyra"
#: The smallest size (px on screen) a node's name may be drawn at when a pipeline opens.
READABLE_PX = 11

#: Every node name's size on screen: its computed font size times the canvas zoom.
_NAME_SIZES = """
(root) => {
  const viewport = root.querySelector('.react-flow__viewport');
  const zoom = new DOMMatrix(getComputedStyle(viewport).transform).a;
  return {
    zoom,
    sizes: [...root.querySelectorAll('[data-testid="step-node"]')].map(node => [
      node.dataset.step,
      parseFloat(getComputedStyle(node.querySelector('.jp-PipelineNode-name')).fontSize) * zoom
    ])
  };
}
"""

#: Every drawn edge, sampled every 2 px along its path (in screen coordinates), against the
#: boxes of the nodes that are neither its source nor its target.
_ROUTE_PROBLEMS = """
(root) => {
  const boxes = [...root.querySelectorAll('[data-testid="step-node"]')]
    .map(node => [node.dataset.step, node.getBoundingClientRect()]);
  const problems = [];
  const edges = [];
  for (const path of root.querySelectorAll('.react-flow__edge path.react-flow__edge-path')) {
    const source = path.dataset.source, target = path.dataset.target;
    edges.push([source, target, path.dataset.routed]);
    const m = path.getScreenCTM();
    const total = path.getTotalLength();
    for (let at = 0; at <= total; at += 2) {
      const p = path.getPointAtLength(at);
      const x = m.a * p.x + m.c * p.y + m.e;
      const y = m.b * p.x + m.d * p.y + m.f;
      for (const [name, r] of boxes) {
        if (name !== source && name !== target &&
            x > r.left + 1 && x < r.right - 1 && y > r.top + 1 && y < r.bottom - 1) {
          problems.push(`${source} -> ${target} passes through ${name}`);
        }
      }
    }
  }
  return { edges, problems: [...new Set(problems)] };
}
"""


def _readable(scope: Any, what: str) -> float:
    """Assert every node name is drawn at READABLE_PX or more; the canvas zoom."""
    measured = scope.evaluate(_NAME_SIZES)
    small = [(name, round(px, 1)) for name, px in measured["sizes"] if px < READABLE_PX]
    assert measured["sizes"], f"{what}: no step node on the canvas"
    assert not small, (
        f"{what}: node names drawn under {READABLE_PX} px at zoom {measured['zoom']:.2f}: {small}"
    )
    return float(measured["zoom"])


def _routes_clear(scope: Any, what: str, edges: int) -> None:
    """Assert the canvas draws ``edges`` edges, all routed, none through another node."""
    found = scope.evaluate(_ROUTE_PROBLEMS)
    assert len(found["edges"]) == edges, f"{what}: {len(found['edges'])} edges drawn: {found}"
    unrouted = [e for e in found["edges"] if e[2] != "true"]
    assert not unrouted, f"{what}: edges drawn without a route around the nodes: {unrouted}"
    assert not found["problems"], f"{what}: {found['problems']}"


def _copy_example(lab: Lab, example: Path, folder: str) -> Path:
    target = lab.root / folder
    if not target.exists():
        shutil.copytree(example, target, ignore=shutil.ignore_patterns(".pipelines"))
    return target


def _wait_routed(scope: Any, edges: int | None = None) -> None:
    """Routes are computed once React Flow has measured the nodes (and, with ``edges``,
    once that many edges are drawn: before the graph is drawn, none is unrouted)."""
    if edges is not None:
        expect(scope.locator("path.react-flow__edge-path")).to_have_count(edges)
    expect(scope.locator('path.react-flow__edge-path[data-routed="false"]')).to_have_count(0)


# -- 1. readable opening zoom, edges around nodes, ports in order ---------------------------
def test_the_quickstart_opens_readable_with_edges_routed_around_the_nodes(
    lab: Lab, page: Any, shot: Any
) -> None:
    _copy_example(lab, QUICKSTART, "quickstart")
    editor = open_editor(page, lab, "quickstart/quickstart.pipeline.yaml", "prepare")
    _wait_routed(editor, edges=6)
    shot(page, "opened")
    zoom = _readable(editor, "the quickstart at its opening zoom")
    assert zoom >= 0.79, f"the quickstart opened at zoom {zoom:.2f}"
    # It opens on its start: the first step is on screen.
    pane = canvas(page).bounding_box()
    first = step_node(editor, "prepare").bounding_box()
    assert pane["x"] <= first["x"] and first["x"] + first["width"] <= pane["x"] + pane["width"]
    assert pane["y"] <= first["y"] and first["y"] + first["height"] <= pane["y"] + pane["height"]
    _routes_clear(editor, "the quickstart as opened", edges=6)

    # The whole graph (Fit): still no edge through a node; evaluate's inputs are in the order
    # of what feeds them (prepare's line does not cross train's to reach its port).
    by_testid(editor, "tb-fit").click()
    page.wait_for_timeout(500)
    shot(page, "fit")
    _routes_clear(editor, "the quickstart fitted", edges=6)
    evaluate = step_node(editor, "evaluate")
    ports = [
        p.get_attribute("data-port") for p in evaluate.locator('[data-testid="port-in"]').all()
    ]
    assert ports == ["prepared_data", "model"], ports

    # Moved by hand, a step's edges are routed again around the others.
    node = step_node(editor, "train").locator(".jp-PipelineNode-name")
    start = center(node.bounding_box())
    target_box = step_node(editor, "evaluate").bounding_box()
    drag(page, start, (target_box["x"] + target_box["width"] / 2, target_box["y"] - 60))
    _wait_routed(editor, edges=6)
    page.wait_for_timeout(300)
    shot(page, "train-moved")
    _routes_clear(editor, "after moving train above evaluate", edges=6)


# -- 2. statuses in words --------------------------------------------------------------------
def _status_text(editor: Any, step: str) -> str:
    return str(step_node(editor, step).locator('[data-testid="node-status"]').inner_text())


def test_node_statuses_are_said_in_words_finished_reused_running_canceled_failed(
    lab: Lab, page: Any, shot: Any
) -> None:
    path = save_chain_pipeline(lab.root, "words", allow_reuse=True)
    editor = open_editor(page, lab, path.name, "a")
    expect(by_testid(editor, "node-status"), "a node shows a status before any run").to_have_count(
        0
    )
    run_from_editor(page, editor)
    first = shown_run_id(editor)
    for step in "abc":
        expect_status(step_node(editor, step), "finished", lab)
        expect(step_node(editor, step).locator('[data-testid="node-status"]')).to_have_text(
            re.compile(r"^✓\s*finished in [\d.]+ (ms|s)$")
        )
    shot(page, "finished")

    # The same pipeline again: every step reused, said so (not "finished").
    run_from_editor(page, editor)
    shown_run_id(editor, other_than=first)
    for step in "abc":
        expect_status(step_node(editor, step), "reused", lab)
        expect(step_node(editor, step).locator('[data-testid="node-status"]')).to_have_text(
            re.compile(r"^♻\s*reused$")
        )
    shot(page, "reused")
    # The run view says the same, at a readable zoom, its edges around the nodes.
    by_testid(editor, "open-run").click()
    view = page.locator('[data-testid="run-view"]').first
    expect(step_node(view, "a").locator('[data-testid="node-status"]')).to_have_text(
        re.compile("reused")
    )
    _wait_routed(view, edges=2)
    _readable(view, "the run view")
    _routes_clear(view, "the run view", edges=2)
    shot(page, "run-view")

    # A running step counts its time; a canceled one says so.
    release = lab.root / "words-release"
    waiting = save_waiting_pipeline(lab.root, "words_wait", release)
    editor = open_editor(page, lab, waiting.name, "waiter")
    run_from_editor(page, editor)
    run_id = shown_run_id(editor)
    waiter = step_node(editor, "waiter")
    expect_status(waiter, "running", lab)
    status = waiter.locator('[data-testid="node-status"]')
    expect(status).to_have_text(re.compile(r"^▶\s*running 0:0\d$"))
    before = _status_text(editor, "waiter")
    expect(status, "the running step's clock does not move").not_to_have_text(before, timeout=5_000)
    shot(page, "running")
    lab.api(f"runs/{run_id}/cancel", {})
    expect_status(waiter, "canceled", lab, timeout=60_000)
    expect(status).to_have_text(re.compile(r"^⊘\s*canceled$"))
    shot(page, "canceled")

    # A failed step says it failed, and after how long.
    ok = CommandStep(name="ok", command="echo fine", source_directory=str(lab.root))
    bad = CommandStep(
        name="bad", command="python -c 'import sys; sys.exit(3)'", source_directory=str(lab.root)
    )
    bad.run_after(ok)
    failing = lab.root / "words_fail.pipeline.yaml"
    Pipeline(steps=[ok, bad], name="words_fail").save(failing)
    editor = open_editor(page, lab, failing.name, "ok")
    run_from_editor(page, editor)
    expect_status(step_node(editor, "bad"), "failed", lab)
    expect(step_node(editor, "bad").locator('[data-testid="node-status"]')).to_have_text(
        re.compile(r"^✗\s*failed after [\d.]+ (ms|s)$")
    )
    expect(step_node(editor, "ok").locator('[data-testid="node-status"]')).to_have_text(
        re.compile("finished")
    )
    shot(page, "failed")


# -- 3. the executed notebook, rendered ----------------------------------------------------
def _png(width: int = 24, height: int = 16) -> bytes:
    """A small valid PNG (an orange rectangle), made here: no imaging library needed."""
    row = b"\x00" + b"\xff\x8c\x00" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", raw)
        + b"".join([chunk(b"IEND", b"")])
    )


def test_the_executed_notebook_is_rendered_with_its_plot_and_outputs(
    lab: Lab, page: Any, shot: Any
) -> None:
    import nbformat

    png = base64.b64encode(_png()).decode()
    nb_path = write_notebook(
        lab.root / "plot_report.ipynb",
        "points = 3\n",
        f"""
        import base64
        from IPython.display import HTML, Image, display

        print(f"plotted {{int(points)}} points")
        display(Image(data=base64.b64decode("{png}"), format="png"))
        display(HTML("<b class='made-bold'>bold words</b><script>window.__ran = 1</script>"))
        {{"answer": 42}}
        """,
    )
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# Results heading\n\nSome *emphasis*."))
    nbformat.write(nb, str(nb_path))
    step = NotebookStep(name="plot", notebook=nb_path.name, source_directory=str(lab.root))
    path = lab.root / "plot_report.pipeline.yaml"
    Pipeline(steps=[step], name="plot_report").save(path)

    editor = open_editor(page, lab, path.name, "plot")
    run_from_editor(page, editor)
    expect_status(step_node(editor, "plot"), "finished", lab)
    select_node(page, editor, "plot")
    by_testid(editor, "tab-run").click()
    details = by_testid(editor, "step-details")
    expect(details).to_be_visible()
    by_testid(details, "open-notebook").click()
    view = details.locator('[data-testid="notebook-view"]')
    expect(view, "the executed notebook is not rendered by JupyterLab").to_have_attribute(
        "data-rendered", "jupyterlab"
    )
    image = view.locator(".jp-RenderedImage img")
    expect(image, "the notebook's image output is not shown as an image").to_have_count(1)
    wait_for(
        lambda: image.evaluate("img => img.complete && img.naturalWidth") == 24,
        10,
        "the plot image to load (24 px wide)",
    )
    expect(view.locator(".jp-RenderedText", has_text="plotted 3 points")).to_have_count(1)
    expect(view.locator(".jp-RenderedText", has_text="'answer': 42")).to_have_count(1)
    expect(view.locator(".jp-RenderedMarkdown h1", has_text="Results heading")).to_have_count(1)
    expect(view.locator(".jp-RenderedMarkdown em", has_text="emphasis")).to_have_count(1)
    expect(view.locator(".jp-RenderedHTMLCommon b.made-bold")).to_have_text("bold words")
    # untrusted: the notebook's script did not run
    assert page.evaluate("() => window.__ran") is None
    view.scroll_into_view_if_needed()
    shot(page, "notebook-rendered")


# -- 4. an Elyra file runs from the editor --------------------------------------------------
def test_an_elyra_pipeline_runs_from_the_editor(lab: Lab, page: Any, shot: Any) -> None:
    folder = _copy_example(lab, ELYRA, "elyra_run")
    source = folder / "numbers.pipeline"
    before = source.read_bytes()
    editor = open_editor(page, lab, "elyra_run/numbers.pipeline", "produce")
    expect(by_testid(editor, "elyra-banner")).to_be_visible()
    run_from_editor(page, editor)
    run_id = shown_run_id(editor)
    expect(by_testid(editor, "status-line")).not_to_contain_text("first")
    for step in ("produce", "summarize"):
        expect_status(step_node(editor, step), "finished", lab)
    run = lab.wait_run(run_id)
    assert run["status"] == "Finished", run
    assert str(run.get("pipeline_file", "")).endswith("elyra_run/numbers.pipeline"), run
    assert source.read_bytes() == before, "running the Elyra file changed it"
    shot(page, "elyra-finished")

    # Edited here, it offers to run the file as saved or to save the edits as YAML.
    by_testid(editor, "tab-properties").click()
    # nothing selected: the pipeline's own properties
    page.locator(f"{EDITOR} .react-flow__pane").first.click(position={"x": 20, "y": 20})
    description = by_testid(editor, "properties").locator('[data-field="description"]')
    description.fill("edited in the editor")
    description.press("Tab")
    by_testid(editor, "tb-run").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog, "running an edited Elyra file asked nothing").to_contain_text("as saved")
    shot(page, "elyra-edited-dialog")
    dialog.locator("button", has_text="Save as numbers.pipeline.yaml").click()
    target = folder / "numbers.pipeline.yaml"
    wait_for(target.exists, 30, "numbers.pipeline.yaml to be written")
    assert Pipeline.load(target).description == "edited in the editor"
    assert source.read_bytes() == before
    assert [r["id"] for r in lab.runs(pipeline="elyra_run/numbers.pipeline")] == [run_id]


def test_an_edited_elyra_pipeline_runs_as_saved_when_asked(lab: Lab, page: Any, shot: Any) -> None:
    folder = _copy_example(lab, ELYRA, "elyra_as_saved")
    source = folder / "numbers.pipeline"
    before = source.read_bytes()
    editor = open_editor(page, lab, "elyra_as_saved/numbers.pipeline", "produce")
    by_testid(editor, "tab-properties").click()
    page.locator(f"{EDITOR} .react-flow__pane").first.click(position={"x": 20, "y": 20})
    description = by_testid(editor, "properties").locator('[data-field="description"]')
    description.fill("an edit not saved")
    description.press("Tab")
    by_testid(editor, "tb-run").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Run an edited Elyra pipeline")
    dialog.locator("button", has_text="Run as saved").click()
    expect(by_testid(page, "run-dialog"), "'Run as saved' opened no run dialog").to_be_visible()
    accept_dialog(page)
    run_id = shown_run_id(editor)
    run = lab.wait_run(run_id)
    assert run["status"] == "Finished", run
    assert str(run.get("pipeline_file", "")).endswith("elyra_as_saved/numbers.pipeline"), run
    shown = lab.api(f"runs/{run_id}")
    assert "an edit not saved" not in str(shown.get("document", {})), "the run took the edits"
    assert source.read_bytes() == before, "running the Elyra file changed it"
    assert not (folder / "numbers.pipeline.yaml").exists()
    shot(page, "elyra-run-as-saved")


# -- 5. a new pipeline, connected without the properties panel ------------------------------
def test_a_new_pipeline_connects_two_dropped_scripts_from_their_plus_ports(
    lab: Lab, page: Any, shot: Any
) -> None:
    folder = lab.root / "fresh"
    folder.mkdir(exist_ok=True)
    (folder / "load.py").write_text("print('load')\n")
    (folder / "clean.py").write_text("print('clean')\n")
    from tests.browser.support import open_lab

    open_lab(page, lab, "fresh")
    # the file browser is in fresh/ before File > New makes the pipeline there
    expect(dir_item(page, "load.py")).to_be_visible()
    new_pipeline_from_menu(page)
    editor = page.locator(EDITOR).first
    expect(editor).to_be_visible()
    hint = by_testid(editor, "no-steps-hint")
    expect(hint, "a new pipeline's issues list gives no hint").to_contain_text(
        "no steps yet: drag a notebook"
    )
    expect(editor).not_to_contain_text("request document")
    shot(page, "new-pipeline")
    # The server names a document by the file it is edited from, never 'request document'.
    answer = lab.api(
        "pipelines/format",
        {"document": {"version": 1, "steps": {}}, "source": "fresh/untitled.pipeline.yaml"},
    )
    messages = " ".join(i["message"] for i in answer["issues"])
    assert "fresh/untitled.pipeline.yaml" in messages and "request document" not in messages

    drop_file_on_canvas(page, "load.py", 0.2, 0.3)
    drop_file_on_canvas(page, "clean.py", 0.6, 0.55)
    expect(step_node(editor, "load")).to_be_visible()
    expect(step_node(editor, "clean")).to_be_visible()
    plus_out = step_node(editor, "load").locator('[data-testid="port-add-out"]')
    plus_in = step_node(editor, "clean").locator('[data-testid="port-add-in"]')
    expect(plus_out, "a dropped script has no '+ output' handle").to_be_visible()
    expect(step_node(editor, "load")).to_contain_text("+ output")
    shot(page, "two-scripts")
    drag(page, center(plus_out.bounding_box()), center(plus_in.bounding_box()))
    new_in = step_node(editor, "clean").locator('[data-testid="port-in"][data-port="load_out"]')
    expect(new_in, "connecting '+ output' to '+ input' made no input load_out").to_have_count(1)
    expect(
        step_node(editor, "load").locator('[data-testid="port-out"][data-port="load_out"]')
    ).to_have_count(1)
    _wait_routed(editor, edges=1)
    _routes_clear(editor, "the two connected scripts", edges=1)
    # A second one, from "+ output" onto the node itself: another output, another input.
    plus_out = step_node(editor, "load").locator('[data-testid="port-add-out"]')
    drag(page, center(plus_out.bounding_box()), center(step_node(editor, "clean").bounding_box()))
    expect(step_node(editor, "clean").locator('[data-testid="port-in"]')).to_have_count(2)
    shot(page, "connected")

    save_editor(page, editor)
    path = folder / "untitled.pipeline.yaml"
    doc = wait_for(
        lambda: (lambda d: d if "clean" in d.get("steps", {}) else None)(
            (yaml.safe_load(path.read_text()) if path.is_file() else None) or {}
        ),
        30,
        "the saved file to hold the steps",
    )
    assert doc["steps"]["clean"]["inputs"]["load_out"] == {"step": "load", "output": "load_out"}
    pipeline = Pipeline.load(path)
    clean = next(s for s in pipeline.steps if s.name == "clean")
    feeds = sorted((i.producer.name, i.bind_object.name) for i in clean.inputs)
    assert feeds == [("load", "load_out"), ("load", "load_out_2")], feeds


# -- 6. run_after edges that a data edge implies ---------------------------------------------
def test_a_run_after_implied_by_a_data_edge_is_not_drawn(lab: Lab, page: Any, shot: Any) -> None:
    _copy_example(lab, ELYRA, "elyra_edges")
    editor = open_editor(page, lab, "elyra_edges/numbers.pipeline", "produce")
    _wait_routed(editor, edges=1)
    expect(editor.locator(".react-flow__edge.jp-mod-data")).to_have_count(1)
    expect(
        editor.locator(".react-flow__edge.jp-mod-after"),
        "the Elyra example's run_after, which its data edge implies, is drawn",
    ).to_have_count(0)
    _routes_clear(editor, "the Elyra example", edges=1)
    shot(page, "elyra-one-edge")

    # A run_after no data edge implies is still drawn (dashed).
    data = OutputFileDatasetConfig(name="data")
    make = CommandStep(
        name="make", command="echo hi", source_directory=str(lab.root), outputs=[data]
    )
    use = CommandStep(
        name="use", command="echo use", source_directory=str(lab.root), inputs=[data.as_input()]
    )
    use.run_after(make)
    alone = CommandStep(name="alone", command="echo alone", source_directory=str(lab.root))
    alone.run_after(make)
    path = lab.root / "orderings.pipeline.yaml"
    Pipeline(steps=[make, use, alone], name="orderings").save(path)
    assert yaml.safe_load(path.read_text())["steps"]["use"]["run_after"] == ["make"]
    editor = open_editor(page, lab, path.name, "make")
    _wait_routed(editor, edges=2)
    expect(editor.locator(".react-flow__edge.jp-mod-data")).to_have_count(1)
    after = editor.locator(".react-flow__edge.jp-mod-after")
    expect(after).to_have_count(1)
    assert after.locator("path.react-flow__edge-path").get_attribute("data-target") == "alone"
    _routes_clear(editor, "the orderings pipeline", edges=2)
    shot(page, "orderings")
