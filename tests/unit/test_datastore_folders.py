"""A datastore on a file system with real folders that is not a local folder (fsspec's
``dir://``, as sftp or smb are): uploads make the folders they need, and paths on a file
system rooted at the datastore stay relative."""

from __future__ import annotations

from pathlib import Path

from jupyter_pipelines import Datastore, Workspace


def test_a_dir_datastore_uploads_into_new_folders_and_reads_them(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "project")
    store = Datastore.register(
        ws, "remote", "dir://", path=str(tmp_path / "remote"), target_protocol="file"
    )
    assert store.local_path("") is None and store.root == ""
    assert store.full_path("a/b.txt") == "a/b.txt" and store.full_path("") == ""
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    (src / "top.txt").write_text("top")
    (src / "deep" / "er" / "x.csv").write_text("x")
    assert store.upload(str(src), target_path="up/load", show_progress=False) is not None
    assert (tmp_path / "remote" / "up" / "load" / "deep" / "er" / "x.csv").read_text() == "x"
    assert store.glob("up/**") == ["up/load/deep/er/x.csv", "up/load/top.txt"]
    assert store.download(str(tmp_path / "down"), prefix="up/load/deep") == 1
    assert (tmp_path / "down" / "up" / "load" / "deep" / "er" / "x.csv").read_text() == "x"
