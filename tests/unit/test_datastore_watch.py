"""What a datastore-triggered schedule sees: the files directly in its folder, identified by
content, unchanged ones never read again (local files through the stat cache, remote ones by
size and time or ETag)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import Datastore, Workspace
from jupyter_pipelines.reuse import statcache
from jupyter_pipelines.stores import datastore_watch as watch


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path)


@pytest.fixture
def cache(tmp_path: Path) -> str:
    return str(tmp_path / "statcache.db")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_folder_look_lists_its_own_files_only(ws: Workspace, cache: str) -> None:
    store = ws.get_default_datastore()
    folder = store.local_path("incoming")
    assert folder is not None
    assert watch.look(store, "incoming", None, cache) == {}  # not there yet
    write(folder, "a.csv", "1")
    write(folder, "sub/b.csv", "2")  # v1: sub-folders are not watched
    write(folder, ".hidden", "3")
    seen = watch.look(store, "incoming", None, cache)
    assert list(seen) == ["incoming/a.csv"]
    assert seen["incoming/a.csv"]["id"].startswith("blake3:")
    assert list(watch.look(store, "incoming/a.csv", None, cache)) == ["incoming/a.csv"]
    root = store.local_path("")
    assert root is not None
    write(root, "top.txt", "x")
    assert "top.txt" in watch.look(store, None, None, cache)


def test_changed_is_added_or_different_content(ws: Workspace, cache: str) -> None:
    store = ws.get_default_datastore()
    folder = store.local_path("in")
    assert folder is not None
    a = write(folder, "a.csv", "one")
    write(folder, "b.csv", "two")
    before = watch.look(store, "in", None, cache)
    a.write_text("one")  # rewritten, same content
    os.utime(a, (1, 1))
    (folder / "b.csv").unlink()  # removed: not a change that fires
    write(folder, "c.csv", "three")
    assert watch.changed(before, watch.look(store, "in", None, cache)) == ["in/c.csv"]
    a.write_text("ONE")
    assert watch.changed(before, watch.look(store, "in", None, cache)) == ["in/a.csv", "in/c.csv"]


def test_unchanged_local_files_are_not_read_again(
    ws: Workspace, cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statcache, "RACY_SECONDS", 0.0)  # the files are "old" at once
    store = ws.get_default_datastore()
    folder = store.local_path("in")
    assert folder is not None
    write(folder, "a.csv", "1")
    write(folder, "b.csv", "2")
    hashed: list[str] = []
    real = watch.hash_file

    def counting(path: Any) -> str:
        hashed.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(watch, "hash_file", counting)
    first = watch.look(store, "in", None, cache)
    assert sorted(hashed) == ["a.csv", "b.csv"]
    hashed.clear()
    assert watch.look(store, "in", first, cache) == first
    assert hashed == []  # nothing read
    write(folder, "b.csv", "22")
    watch.look(store, "in", first, cache)
    assert hashed == ["b.csv"]


def test_remote_files_are_read_only_when_their_size_or_time_changed(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Datastore.register(ws, "mem", f"memory://{uuid.uuid4().hex}/data")
    with store.open("in/a.csv", "wb") as handle:
        handle.write(b"1")
    with store.open("in/sub/b.csv", "wb") as handle:
        handle.write(b"2")
    first = watch.look(store, "in")
    assert list(first) == ["in/a.csv"]
    opened: list[str] = []
    real_open = store.open

    def counting(relative: Any, mode: str = "rb", **kwargs: Any) -> Any:
        opened.append(str(relative))
        return real_open(relative, mode, **kwargs)

    monkeypatch.setattr(store, "open", counting)
    assert watch.look(store, "in", first) == first
    assert opened == []
    store.fs.pipe(store.full_path("in/a.csv"), b"changed")
    second = watch.look(store, "in", first)
    assert opened == ["in/a.csv"]
    assert watch.changed(first, second) == ["in/a.csv"]
