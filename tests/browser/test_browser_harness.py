"""The harness itself: JupyterLab starts, loads our labextension, and the project is there."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Lab, open_lab

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_jupyterlab_loads_the_extension_and_shows_the_project(
    lab: Lab, page: Any, shot: Any
) -> None:
    loaded: list[str] = []
    page.on(
        "response",
        lambda r: loaded.append(r.url) if "/lab/extensions/jupyter-pipelines/" in r.url else None,
    )
    open_lab(page, lab)
    listing = page.locator(".jp-DirListing-content")
    for name in ("make_data.ipynb", "train.ipynb", "summarize.py"):
        listing.locator(f'.jp-DirListing-item[title*="{name}"]').first.wait_for()
    shot(page, "lab-loaded")
    assert any("remoteEntry" in url for url in loaded), (
        f"JupyterLab never loaded the jupyter-pipelines labextension; it fetched {loaded}"
    )
    # The server extension answers through the same server.
    assert lab.api("runs?limit=1")["total"] == 0 or lab.api("runs?limit=1")["runs"] is not None
