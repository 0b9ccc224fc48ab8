"""An output's place before its step starts (by mode) and its content hash after it ended
(a folder's files, or the one file a step wrote at the output's path)."""

from __future__ import annotations

from pathlib import Path

from jupyter_pipelines.engine.reuse import output_hash
from jupyter_pipelines.engine.step_setup import prepare_output


def test_a_mount_output_is_an_empty_folder_before_the_step(tmp_path: Path) -> None:
    out = tmp_path / "step" / "outputs" / "data"
    prepare_output({"path": str(out), "mode": "mount"})
    assert out.is_dir() and not any(out.iterdir())
    prepare_output({"path": str(tmp_path / "legacy"), "final": "x"})  # no mode: mount
    assert (tmp_path / "legacy").is_dir()


def test_an_upload_output_is_a_path_whose_parent_exists(tmp_path: Path) -> None:
    out = tmp_path / "step" / "outputs" / "data"
    prepare_output({"path": str(out), "mode": "upload"})
    assert out.parent.is_dir() and not out.exists()
    out.write_text("a file at the output's path")  # what v1's how-to step1.py does


def test_an_output_file_hashes_by_its_content_and_differs_from_a_folder_holding_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "a").write_text("Step 1's output")
    (tmp_path / "b").write_text("Step 1's output")
    (tmp_path / "c").write_text("other")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a").write_text("Step 1's output")
    assert output_hash(str(tmp_path / "a")) == output_hash(str(tmp_path / "b"))
    assert output_hash(str(tmp_path / "a")) != output_hash(str(tmp_path / "c"))
    assert output_hash(str(tmp_path / "a")) != output_hash(str(folder))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert output_hash(str(empty)) not in {output_hash(str(tmp_path / p)) for p in "abc"}
