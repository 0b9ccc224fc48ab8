"""Browser-test fixtures: one real JupyterLab per session, Chromium, screenshots, console.

- ``lab`` (session): ``python -m jupyterlab`` on a temporary project holding
  ``make_data.ipynb``, ``train.ipynb`` and ``summarize.py`` (see ``support.write_material``),
  with ``JUPYTER_PIPELINES_LOCAL_SLOTS=2`` and private settings (no news toast), workspaces and
  runtime folders. Stopped (its process group) at the end; unfinished runs are canceled.
- ``browser`` (session): Debian's Chromium through Playwright, headless.
- ``page`` (per test): a fresh context (1400x900), its console and uncaught errors collected;
  the test fails at teardown when an uncaught error came from our extension's code. The
  console is saved next to the screenshots.
- ``shot(page, name)``: a full-page screenshot
  ``test-artifacts/browser/<test>-<n>-<name>.png``.

Everything is skipped, with the reason, when Chromium or the built labextension is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    REPO_ROOT,
    VIEWPORT,
    ConsoleLog,
    Lab,
    LabError,
    chromium,
    missing_requirements,
    start_lab,
    stop_runs,
    write_material,
)

ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    reason = missing_requirements()
    if reason:
        pytest.skip(f"browser tests need Chromium and the built labextension: {reason}")


@pytest.fixture(scope="module")
def lab(browser_requirements: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("browser")
    root = base / "project"
    write_material(root)
    try:
        server = start_lab(root, base / "lab-state", slots=2)
    except LabError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        try:
            stop_runs(root)
        finally:
            server.stop()
        (ARTIFACTS).mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "jupyterlab.log").write_text(server.log_tail(200_000))


@pytest.fixture(scope="module")
def browser(browser_requirements: None) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _test_slug(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser: Any, console: ConsoleLog, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, record_video_dir=None)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    console.attach(pg)
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        text = "\n".join([*console.messages, "", "== uncaught errors", *console.page_errors])
        (ARTIFACTS / f"{_test_slug(request)}-console.txt").write_text(text)
        context.close()
    ours = console.ours()
    if ours:
        pytest.fail(
            "uncaught errors from the jupyter-pipelines extension in the page:\n"
            + "\n---\n".join(ours)
        )


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, name)``: a full-page screenshot under test-artifacts/browser/."""
    slug = _test_slug(request)
    counter = [0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{slug}-*.png"):
        old.unlink()

    def take(pg: Any, name: str) -> Path:
        counter[0] += 1
        path = ARTIFACTS / f"{slug}-{counter[0]:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take
