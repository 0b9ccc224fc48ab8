"""Integration fixtures: a project folder with its own workspace.

Every test gets ``project``: ``tmp_path/project`` made the current directory, holding a
workspace (``Workspace.at(root)``). Runs started in a test are stopped at its end (their
drivers and step processes killed) so that a failing test leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_pipelines import Workspace
from tests.integration.support import Project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A fresh project folder with its own workspace, made the current directory."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    monkeypatch.delenv("JUPYTER_PIPELINES_LOCAL_SLOTS", raising=False)
    proj = Project(root=root, ws=Workspace.at(root))
    yield proj
    proj.stop_everything()
