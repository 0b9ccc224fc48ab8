"""Code snapshots of a run (v1: take_snapshot, get_snapshot_id, restore_snapshot), over two
hooks: ``_snapshots_dir`` (the workspace's snapshot store) and ``_code_snapshot_id``.

The snapshots a run took are listed in ``snapshots.json`` in its folder; the content lives in
the workspace's content-addressed store (reuse/snapshot.py), which needs the package's
dependencies and is imported only when used. Standard library only otherwise.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .files import read_json, write_json_atomic

#: Where ``take_snapshot`` records the snapshots it took, in the run's folder.
SNAPSHOTS_FILE = "snapshots.json"


class RunSnapshots:
    """The v1 snapshot members of a run."""

    id: str
    _step_dir: str

    def _snapshots_dir(self) -> str:
        """The workspace's snapshot store."""
        raise RuntimeError(f"run {self.id} has no workspace to keep snapshots in")

    def _code_snapshot_id(self) -> str | None:
        """The snapshot of the code the run ran (None when none was taken)."""
        return None

    def _snapshot_store(self) -> Any:
        # Snapshots need the package's dependencies (blake3, pathspec); imported on use.
        module = importlib.import_module("jupyter_pipelines.reuse.snapshot")
        return module.SnapshotStore(self._snapshots_dir())

    def take_snapshot(self, file_or_folder_path: str | os.PathLike[str]) -> str:
        """Snapshot a file or folder into the workspace's snapshot store, as the run's latest
        snapshot; returns its id."""
        source = Path(file_or_folder_path)
        if not source.exists():
            raise FileNotFoundError(f"take_snapshot: {os.fspath(source)!r} does not exist")
        store = self._snapshot_store()
        if source.is_dir():
            snapshot_id = str(store.take(source).id)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copy2(source, Path(tmp) / source.name)
                snapshot_id = str(store.take(tmp).id)
        path = os.path.join(self._step_dir, SNAPSHOTS_FILE)
        taken = read_json(path, [])
        write_json_atomic(path, [*(taken if isinstance(taken, list) else []), snapshot_id])
        return snapshot_id

    def get_snapshot_id(self) -> str | None:
        """The run's latest snapshot: the last one taken, else that of the code it ran."""
        taken = read_json(os.path.join(self._step_dir, SNAPSHOTS_FILE), [])
        if isinstance(taken, list) and taken:
            return str(taken[-1])
        return self._code_snapshot_id()

    def restore_snapshot(self, snapshot_id: str | None = None, path: str | None = None) -> str:
        """Write a snapshot (default: the latest) as a ZIP file at ``path`` (a file or a
        folder; default ``./snapshot_<id>.zip``); returns the ZIP's path."""
        snapshot_id = snapshot_id or self.get_snapshot_id()
        if not snapshot_id:
            raise ValueError(f"run {self.id} has no snapshot; take one with take_snapshot()")
        target = Path(path or f"snapshot_{snapshot_id[:12]}.zip")
        if target.is_dir():
            target = target / f"snapshot_{snapshot_id[:12]}.zip"
        with tempfile.TemporaryDirectory() as tmp:
            self._snapshot_store().materialize(snapshot_id, Path(tmp) / "files")
            archive = shutil.make_archive(str(Path(tmp) / "snapshot"), "zip", Path(tmp) / "files")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(archive, target)
        return str(target)
