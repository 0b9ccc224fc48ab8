"""Progress bars are drawn only where someone watches them: never into files or step logs."""

from __future__ import annotations

import io
import os
import pty
from pathlib import Path

import pytest

from jupyter_pipelines import Workspace
from jupyter_pipelines.log import STEP_MANIFEST_ENV, progress_bars_wanted


class OutStream(io.StringIO):
    """Stands for a notebook kernel's output stream (what ipykernel puts in sys.stderr)."""


OutStream.__module__ = "ipykernel.iostream"


@pytest.fixture(autouse=True)
def outside_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STEP_MANIFEST_ENV, raising=False)


def test_files_and_pipes_get_no_bar(tmp_path: Path) -> None:
    assert not progress_bars_wanted(io.StringIO())
    with open(tmp_path / "log.txt", "w") as fh:
        assert not progress_bars_wanted(fh)
    assert not progress_bars_wanted(fh)  # closed
    assert not progress_bars_wanted(object())


def test_terminals_and_notebooks_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            assert progress_bars_wanted(terminal)
            monkeypatch.setenv(STEP_MANIFEST_ENV, "/somewhere/manifest.json")
            assert not progress_bars_wanted(terminal)  # inside a step: its output is a log
    finally:
        os.close(leader)
        os.close(follower)
    monkeypatch.delenv(STEP_MANIFEST_ENV)
    assert progress_bars_wanted(OutStream())


def test_an_upload_asked_to_show_progress_writes_no_bar_into_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for i in range(3):
        (source / f"f{i}.txt").write_text(str(i))
    store = Workspace.at(tmp_path / "project").get_default_datastore()
    store.upload(str(source), "up", show_progress=True)
    captured = capsys.readouterr()
    assert "%|" not in captured.err and "file/s" not in captured.err
    assert (Path(store.local_path()) / "up" / "f2.txt").read_text() == "2"
