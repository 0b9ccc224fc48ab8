"""Which files of a step run the REST file routes serve: what the step run left in its own
folder (logs, the executed notebook, uploads, what its code wrote to ``outputs/`` and
``logs/``), never a file reached through a link out of that folder, and never its code
folder's copy of the source directory (which may hold files from outside the server's
root: a source folder the SDK or CLI took from anywhere, or a link the snapshot followed).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..reuse.hashing import hash_file
from ..reuse.snapshot import FileEntry, SnapshotError, SnapshotStore
from ..runtime.run_files import WORKING_FOLDER_FILES, run_file_index
from ..stores.runstore import StepRecord
from .errors import ForbiddenPathError

#: Snapshot manifests kept in memory (the files of recently served steps' code folders).
_KEPT_MANIFESTS = 32


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class ServedFiles:
    """The rule above, for the step runs of one workspace's snapshot store."""

    def __init__(self, snapshots: SnapshotStore) -> None:
        self.snapshots = snapshots
        self._manifests: dict[str, dict[str, FileEntry]] = {}

    def check(self, records: list[StepRecord], name: str, path: str | os.PathLike[str]) -> Path:
        """``path`` (the file named ``name``) resolved, when one of ``records`` (the step run
        and the run it reused) may serve it; ForbiddenPathError otherwise."""
        real = os.path.realpath(path)
        for record in records:
            folder = os.path.realpath(record.step_dir)
            if not _inside(real, folder):
                continue
            working = record.spec.get("working_dir")
            code = os.path.realpath(working) if working else ""
            if not code or not _inside(real, code) or self._written_by_step(record, code, real):
                return Path(real)
            raise ForbiddenPathError(
                f"file {name!r} is part of step {record.name!r}'s copy of its source "
                "directory, which the server does not serve; open the file in the source "
                "directory instead"
            )
        raise ForbiddenPathError(f"file {name!r} lies outside the step run's folder")

    def names(self, records: list[StepRecord]) -> list[str]:
        """The names of the files ``check`` serves, as ``get_file_names`` lists them (the
        reused run's first; the step run's own win)."""
        index: dict[str, str] = {}
        for record in records:
            working = record.spec.get("working_dir")
            index.update(run_file_index(record.step_dir, working_dir=working or None))
        return sorted(name for name, path in index.items() if self._allowed(records, name, path))

    def _allowed(self, records: list[StepRecord], name: str, path: str) -> bool:
        try:
            self.check(records, name, path)
        except ForbiddenPathError:
            return False
        return True

    def _written_by_step(self, record: StepRecord, code: str, real: str) -> bool:
        """Whether a file of the code folder is one the step's code wrote to ``outputs/`` or
        ``logs/`` there (run files), rather than a copy the snapshot put there."""
        relative = Path(os.path.relpath(real, code)).as_posix()
        if relative.split("/", 1)[0] not in WORKING_FOLDER_FILES:
            return False
        files = self._snapshot_files(record)
        if files is None:
            return False  # what the folder was made from is unknown: nothing is told apart
        entry = files.get(relative)
        if entry is None:
            return True
        try:  # the step may have rewritten a file its source folder also held
            return os.path.getsize(real) != entry.size or hash_file(real) != entry.hash
        except OSError:
            return False

    def _snapshot_files(self, record: StepRecord) -> dict[str, FileEntry] | None:
        """The files of the step run's code snapshot (None when it cannot be read)."""
        if not record.snapshot_id:
            return {}
        if record.snapshot_id not in self._manifests:
            try:
                files = self.snapshots.load(record.snapshot_id).files
            except SnapshotError:
                return None
            if len(self._manifests) >= _KEPT_MANIFESTS:
                self._manifests.pop(next(iter(self._manifests)))
            self._manifests[record.snapshot_id] = files  # ids are content hashes: never stale
        return self._manifests[record.snapshot_id]


__all__ = ["ServedFiles"]
