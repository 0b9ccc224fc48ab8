"""UI actions shared by the browser scenarios, written against docs/frontend.md's selectors.

Each helper says, in its failure message, which agreed selector or UI behaviour was missing,
so that a failing test points at the UI to fix rather than at the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import SIDEBAR_TAB, Lab, center, drag

# Without Playwright the browser test modules are skipped (with the reason), not broken.
expect = pytest.importorskip(
    "playwright.sync_api", reason="the playwright Python package is not installed"
).expect

EDITOR = ".jp-PipelineEditor"
LONG = 150_000  # ms: a real run of notebook steps (kernels start) on a 2-core machine


def step_node(scope: Any, name: str) -> Any:
    return scope.locator(f'[data-testid="step-node"][data-step="{name}"]')


def by_testid(scope: Any, name: str) -> Any:
    return scope.locator(f'[data-testid="{name}"]')


def dir_item(page: Any, name: str) -> Any:
    """The file browser's row of ``name`` (JupyterLab's own classes)."""
    return (
        page.locator("#filebrowser .jp-DirListing-item")
        .filter(
            has=page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$"))
        )
        .first
    )


def new_pipeline_from_menu(page: Any) -> None:
    """File > New > Pipeline (JupyterLab's main menu)."""
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^File$")).click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(r"^New\b")).first.hover()
    item = page.locator(".lm-Menu:visible .lm-Menu-item").filter(has_text=re.compile("Pipeline"))
    expect(item.first, "File > New has no 'Pipeline' item").to_be_visible(timeout=10_000)
    item.first.click()


def canvas(page: Any) -> Any:
    """The editor's canvas: React Flow's pane inside the editor root."""
    flow = page.locator(f"{EDITOR} .react-flow").first
    expect(flow, "the pipeline editor shows no canvas (.react-flow)").to_be_visible()
    return flow


def drop_file_on_canvas(page: Any, name: str, fx: float, fy: float) -> None:
    """Drag ``name`` from the file browser to a point of the canvas (fractions of its box)."""
    item = dir_item(page, name)
    expect(item).to_be_visible()
    box = canvas(page).bounding_box()
    target = (box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    drag(page, center(item.bounding_box()), target, steps=25)


def click_empty_canvas(page: Any) -> None:
    """Click the canvas where the scenarios put no node (clears the selection)."""
    box = canvas(page).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.8)


def select_node(page: Any, scope: Any, name: str) -> None:
    node = step_node(scope, name)
    box = node.bounding_box()
    # Near the top-left corner, away from the ports on the node's sides.
    page.mouse.click(box["x"] + min(30, box["width"] / 3), box["y"] + box["height"] / 2)


def accept_dialog(page: Any) -> None:
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()


def run_from_editor(page: Any, editor: Any) -> None:
    """tb-run, then accept the run dialog with its defaults."""
    by_testid(editor, "tb-run").click()
    expect(by_testid(page, "run-dialog"), "tb-run opened no run-dialog").to_be_visible()
    accept_dialog(page)
    expect(by_testid(page, "run-dialog")).to_have_count(0)


def expect_status(node: Any, status: str, lab: Lab, timeout: float = LONG) -> None:
    """Wait for a node's data-status; on time-out, say what the server knows of the runs."""
    try:
        expect(node).to_have_attribute("data-status", status, timeout=timeout)
    except AssertionError as exc:
        runs = lab.runs()[:3]
        detail = [
            {k: r.get(k) for k in ("id", "status", "steps", "error", "pipeline_file")} for r in runs
        ]
        raise AssertionError(f"{exc}\nlatest runs on the server: {detail}") from None


def open_sidebar(page: Any) -> Any:
    """Activate the Pipelines sidebar through its tab in the left bar."""
    tab = page.locator(SIDEBAR_TAB)
    expect(tab, "no tab of #jp-pipelines-sidebar in the left side bar").to_be_visible()
    sidebar = page.locator("#jp-pipelines-sidebar")
    if not sidebar.is_visible():
        tab.click()
    expect(sidebar).to_be_visible()
    return sidebar


#: The route that formats and validates the editor's document.
FORMAT_ROUTE = "/jupyter-pipelines/api/pipelines/format"


def open_editor(page: Any, lab: Lab, path: str, first_step: str) -> Any:
    """Open ``path`` in a fresh JupyterLab and wait for its editor, node ``first_step`` and
    the validation the editor makes once the canvas is drawn (its answer, arriving after an
    edit's, would replace the edit's issues: see test_a_stale_validation_...)."""
    from tests.browser.support import open_lab

    with page.expect_response(
        lambda r: FORMAT_ROUTE in r.url and r.request.method == "POST", timeout=60_000
    ):
        open_lab(page, lab, path)
    editor = page.locator(EDITOR).first
    expect(editor, f"{path} did not open in the pipeline editor").to_be_visible()
    expect(step_node(editor, first_step), f"{path} shows no node {first_step}").to_be_visible()
    return editor


def node_menu(page: Any, scope: Any, name: str) -> Any:
    """Right-click node ``name``: its context menu (``node-menu``)."""
    node = step_node(scope, name)
    box = node.bounding_box()
    page.mouse.click(
        box["x"] + min(30, box["width"] / 3), box["y"] + box["height"] / 2, button="right"
    )
    menu = by_testid(page, "node-menu")
    expect(menu, f"right-clicking node {name} opened no node-menu").to_be_visible()
    return menu


def node_menu_item(page: Any, scope: Any, name: str, label: str) -> None:
    """Choose ``label`` (e.g. "Run this step") in node ``name``'s context menu."""
    menu = node_menu(page, scope, name)
    item = menu.locator("li", has_text=re.compile(f"^{re.escape(label)}$"))
    expect(item, f"the node-menu of {name} has no item {label!r}").to_have_count(1)
    item.click()


def accept_run_dialog(page: Any) -> None:
    """Accept the run dialog that a Run action opened, with its defaults."""
    expect(by_testid(page, "run-dialog"), "the run action opened no run-dialog").to_be_visible()
    accept_dialog(page)
    expect(by_testid(page, "run-dialog")).to_have_count(0)


def shown_run_id(editor: Any, other_than: str | None = None, timeout: float = 30_000) -> str:
    """The id of the run the editor's status line shows (a new one, when ``other_than``)."""
    status = by_testid(editor, "run-status")
    expect(status, "the editor's status line shows no run-status after a run").to_be_visible(
        timeout=timeout
    )
    if other_than:
        expect(status, "the status line still shows the previous run").not_to_have_attribute(
            "data-run-id", other_than, timeout=timeout
        )
    return str(status.get_attribute("data-run-id"))


def save_editor(page: Any, editor: Any) -> None:
    """tb-save, then wait until the tab is no longer dirty."""
    by_testid(editor, "tb-save").click()
    expect(
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty"),
        "after tb-save the editor's tab is still dirty",
    ).to_have_count(0)
