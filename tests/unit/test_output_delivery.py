"""An output's files put at its place on a local datastore: hard links of the run folder's
files (copies where the file system cannot link), complete or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_pipelines.engine import output_delivery
from jupyter_pipelines.engine.output_delivery import link_output


@pytest.fixture
def output(tmp_path: Path) -> Path:
    root = tmp_path / "runs" / "step" / "outputs" / "data"
    (root / "sub").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.csv").write_text("a\n")
    (root / "sub" / "b.txt").write_text("b")
    return root


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_a_folder_is_linked_file_by_file_with_its_folders(output: Path, tmp_path: Path) -> None:
    target = tmp_path / "store" / "azureml" / "run-1" / "data"
    assert link_output(output, target) == 2
    assert files(target) == ["a.csv", "sub/b.txt"] and (target / "empty").is_dir()
    assert os.path.samefile(target / "sub" / "b.txt", output / "sub" / "b.txt")
    assert not (target / "a.csv").is_symlink()  # a hard link: it outlives the run folder
    assert [p.name for p in target.parent.iterdir()] == ["data"]  # no partial left


def test_a_file_output_is_linked_as_that_file(tmp_path: Path) -> None:
    single = tmp_path / "model.pkl"
    single.write_bytes(b"model")
    target = tmp_path / "store" / "azureml" / "run-1" / "model"
    assert link_output(single, target) == 1
    assert target.is_file() and os.path.samefile(target, single)


def test_globs_choose_the_files(output: Path, tmp_path: Path) -> None:
    target = tmp_path / "store" / "out"
    assert link_output(output, target, ["*.csv"]) == 1
    assert files(target) == ["a.csv"]


def test_what_was_there_is_replaced(output: Path, tmp_path: Path) -> None:
    target = tmp_path / "store" / "out"
    (target / "old").mkdir(parents=True)
    (target / "old" / "stale.txt").write_text("stale")
    link_output(output, target)
    assert files(target) == ["a.csv", "sub/b.txt"]


def test_files_are_copied_where_they_cannot_be_linked(
    output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_link(*args: object, **kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(output_delivery.os, "link", cannot_link)
    target = tmp_path / "store" / "out"
    assert link_output(output, target) == 2
    assert (target / "sub" / "b.txt").read_text() == "b"
    assert not os.path.samefile(target / "a.csv", output / "a.csv")


def test_a_failure_leaves_nothing_half_made(
    output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output_delivery.os, "link", broken)
    monkeypatch.setattr(output_delivery.shutil, "copy2", broken)
    target = tmp_path / "store" / "out"
    with pytest.raises(PermissionError):
        link_output(output, target)
    assert list((tmp_path / "store").iterdir()) == []
