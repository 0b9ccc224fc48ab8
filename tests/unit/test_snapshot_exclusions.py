"""Folders that are not code (local datastore folders, the workspace folder) are left out of
snapshots, and the engine knows which they are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_pipelines import Datastore, Workspace
from jupyter_pipelines.engine.reuse import CodeSnapshots, code_notes
from jupyter_pipelines.reuse.snapshot import SnapshotStore, scan
from jupyter_pipelines.stores.datastore_registry import local_folders


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return write(
        tmp_path / "src",
        {"main.py": "print(1)\n", "data/store/out.csv": "a\n", "data/keep.txt": "k\n"},
    )


def test_an_excluded_folder_is_left_out_and_named(tmp_path: Path, src: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    plain = store.take(src)
    assert "data/store/out.csv" in plain.files and plain.left_out == {}

    snap = store.take(src, exclude={src / "data" / "store": "the folder of datastore 'x'"})
    assert sorted(snap.files) == ["data/keep.txt", "main.py"]
    assert snap.left_out == {"data/store/": "the folder of datastore 'x'"}
    # New files in the excluded folder change nothing.
    (src / "data" / "store" / "more.csv").write_text("b\n")
    assert store.take(src, exclude={src / "data" / "store": "x"}).id == snap.id
    assert store.take(src).id != plain.id


def test_an_excluded_folder_is_found_by_identity_not_spelling(tmp_path: Path, src: Path) -> None:
    elsewhere = write(tmp_path / "real", {"big.bin": "0" * 10})
    os.symlink(elsewhere, src / "linked")
    spelled = tmp_path / "src" / ".." / "real"  # another path to the same folder
    assert [r for r, _, _ in scan(src) if r.startswith("linked/")] == ["linked/big.bin"]
    listed = scan(src, exclude={spelled: "data"})
    assert [r for r, _, _ in listed if r.startswith("linked/")] == []


def test_the_source_folder_itself_and_missing_folders_are_never_excluded(
    tmp_path: Path, src: Path
) -> None:
    exclude = {src: "a datastore registered at the source folder", tmp_path / "gone": "gone"}
    snap = SnapshotStore(tmp_path / "snapshots").take(src, exclude=exclude)
    assert "main.py" in snap.files and snap.left_out == {}


def test_local_folders_are_the_local_datastores_only(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "project")
    Datastore.register(ws, "here", str(tmp_path / "project" / "data"))
    Datastore.register(ws, "mem", "memory://somewhere/data")
    folders = local_folders(ws)
    assert folders["here"] == tmp_path / "project" / "data"
    assert folders["workspaceblobstore"] == ws.datastores_dir / "workspaceblobstore"
    assert "mem" not in folders


def test_code_snapshots_leave_out_datastore_folders_and_say_so(tmp_path: Path) -> None:
    from jupyter_pipelines import PythonScriptStep

    root = write(tmp_path / "project", {"train.py": "print(1)\n", "lake/x/part.csv": "1\n"})
    ws = Workspace.at(root)
    Datastore.register(ws, "lake", str(root / "lake"))
    step = PythonScriptStep("train.py", name="train", source_directory=str(root))
    snapshot = CodeSnapshots(ws).of(step)
    assert sorted(snapshot.files) == ["train.py"]  # .pipelines and lake/ left out
    (note,) = code_notes(snapshot)
    assert note.startswith("folder 'lake/' of the source directory is the folder of datastore")
    assert "'lake'" in note and "left out of the code snapshot and fingerprint" in note
