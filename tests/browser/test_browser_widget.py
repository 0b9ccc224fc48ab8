"""The run widget in a real JupyterLab: a notebook submits a two-step pipeline and displays
the run; the widget (not the static HTML) shows both steps turning Finished live, fed by the
server's event stream (the kernel finds the JupyterLab that serves its workspace)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.scenarios import expect
from tests.browser.support import Lab, open_lab, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

NOTEBOOK = "widget_demo.ipynb"
#: The widget's DAG: ipywidgets renders the HTML widget's value inside ``.widget-html``, so
#: this selects the live widget, never the static ``text/html`` fallback of the display.
WIDGET_STEP = ".jp-OutputArea .widget-html g.jp-run-step"


def widget_step(page: Any, name: str) -> Any:
    return page.locator(f'{WIDGET_STEP}[data-step="{name}"]')


def write_demo(lab: Lab) -> None:
    """Cells: submit first -> second (each echoes, sleeps 2 s), show the run, wait for it."""
    write_notebook(
        lab.root / NOTEBOOK,
        "",
        f"""
        from jupyter_pipelines import CommandStep, Experiment, Pipeline, RunDetails, Workspace

        first = CommandStep("echo one; sleep 2", name="first", allow_reuse=False)
        second = CommandStep("echo two; sleep 2", name="second", allow_reuse=False)
        second.run_after(first)
        pipeline = Pipeline(steps=[first, second], name="widget-demo")
        run = Experiment(Workspace.at({str(lab.root)!r}), "browser-widget").submit(
            pipeline, show_output=False
        )
        """,
        "view = RunDetails(run).show()",
        """
        run.wait_for_completion(show_output=False)
        view.wait(30)
        print("widget followed:", view.source.kind, view.snapshot.status)
        """,
    )


def run_all_cells(page: Any, attempts: int = 3) -> None:
    """Run > Run All Cells (JupyterLab's main menu), once a cell shows it is queued or ran.

    The menu acts on the current notebook: a cell is clicked first so that the notebook is
    current, and the menu is used again when no cell started within 20 s.
    """
    started = page.locator(
        ".jp-NotebookPanel .jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")
    )
    for attempt in range(attempts):
        page.locator(".jp-NotebookPanel .jp-Cell .jp-InputPrompt").nth(1).click()
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        item = page.locator(".lm-Menu:visible .lm-Menu-item").filter(
            has_text=re.compile(r"^Run All Cells")
        )
        expect(item.first, "the Run menu has no 'Run All Cells' item").to_be_visible(timeout=10_000)
        item.first.click()
        try:
            expect(started.first).to_be_visible(timeout=20_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise AssertionError("Run > Run All Cells started no cell") from None


def test_the_run_widget_shows_a_run_live_in_jupyterlab(lab: Lab, page: Any, shot: Any) -> None:
    try:
        check_widget(lab, page, shot)
    except BaseException:
        shot(page, "failure")
        raise


def check_widget(lab: Lab, page: Any, shot: Any) -> None:
    write_demo(lab)
    open_lab(page, lab, NOTEBOOK)
    notebook = page.locator(".jp-NotebookPanel").first
    expect(notebook, f"JupyterLab did not open {NOTEBOOK}").to_be_visible(timeout=60_000)
    expect(
        page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']"),
        "the notebook's kernel did not become idle",
    ).to_have_count(1, timeout=90_000)
    shot(page, "opened")
    run_all_cells(page)

    # The widget appears and shows a step running before the run ends (live, not replayed).
    expect(widget_step(page, "first"), "no run widget DAG under the cell").to_have_count(
        1, timeout=90_000
    )
    expect(widget_step(page, "second")).to_have_count(1)
    expect(
        page.locator(f'{WIDGET_STEP}[data-status="Running"]'),
        "the widget never showed a Running step",
    ).to_have_count(1, timeout=60_000)
    shot(page, "running")
    for name in ("first", "second"):
        expect(widget_step(page, name), f"{name} never turned Finished").to_have_attribute(
            "data-status", "Finished", timeout=90_000
        )
    header = page.locator(".jp-OutputArea .widget-html .jp-run-header")
    expect(header).to_have_class(re.compile(r"\bjp-run-finished\b"))
    rows = page.locator('.jp-OutputArea .widget-html tr.jp-run-row[data-step="second"]')
    expect(rows).to_have_class(re.compile(r"\bjp-run-finished\b"))
    # The kernel found the JupyterLab serving its workspace and followed its event stream.
    expect(page.locator(".jp-OutputArea-output", has_text="widget followed:")).to_contain_text(
        "widget followed: events Finished", timeout=60_000
    )
    path = shot(page, "finished")
    assert path.exists()
