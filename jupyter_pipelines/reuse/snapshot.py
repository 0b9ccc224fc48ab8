"""Snapshots: content-addressed copies of step source folders.

A snapshot is a manifest (relative path -> content hash, size, executable bit)
stored under ``snapshots/manifests/<id>.json``; file contents are stored once
under ``snapshots/objects/<hash[:2]>/<hash>``, however many snapshots hold them.
The folder is filtered by its ``.amlignore`` (else ``.gitignore``); some folders
are always left out, and so are the folders a caller names as not code (the engine names
the workspace's local datastore folders: data delivered there must not change the code).
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from blake3 import blake3

from ..errors import PipelinesError
from .hashing import canonical_json, hash_bytes, hash_file
from .statcache import StatCache, StatKey

log = logging.getLogger(__name__)

ALWAYS_IGNORED = frozenset(
    {".ipynb_checkpoints", "__pycache__", ".git", ".pipelines", ".jupyter_pipelines_offline"}
)
DEFAULT_MAX_FILES = int(os.environ.get("JUPYTER_PIPELINES_SNAPSHOT_MAX_FILES", "2000"))
DEFAULT_MAX_BYTES = int(os.environ.get("JUPYTER_PIPELINES_SNAPSHOT_MAX_MB", "300")) << 20


class SnapshotError(PipelinesError):
    """A source folder cannot be snapshotted, or a stored snapshot is damaged."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a snapshot."""

    path: str  # relative, with '/' separators
    hash: str
    size: int
    executable: bool


@dataclass
class Snapshot:
    """A filtered source folder, frozen: its id is the hash of its manifest."""

    id: str
    root: str
    files: dict[str, FileEntry] = field(default_factory=dict)
    #: Folders left out because the caller said they are not code: relative path (ending
    #: in '/') -> what they are. Not part of the manifest (nor of the id).
    left_out: dict[str, str] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        return {
            "version": 1,
            "files": {p: [e.hash, e.size, e.executable] for p, e in sorted(self.files.items())},
        }

    def code_hash(self, hash_paths: list[str] | None = None) -> str:
        """The hash of the code that reuse compares: all files, or only ``hash_paths``."""
        if not hash_paths:
            return self.id
        spec = pathspec.GitIgnoreSpec.from_lines([_as_pattern(p) for p in hash_paths])
        chosen = {p: e.hash for p, e in self.files.items() if spec.match_file(p)}
        patterns = sorted({_as_pattern(p) for p in hash_paths})
        return hash_bytes(canonical_json({"hash_paths": patterns, "files": chosen}))


def _as_pattern(path: str) -> str:
    """A hash_paths entry as an anchored pattern: a folder covers everything inside it."""
    text = path.strip().replace(os.sep, "/").removeprefix("./")
    return "/" + text.strip("/") if text not in ("", ".") else "/**"


def load_ignore(root: Path) -> pathspec.PathSpec[Any] | None:
    """The ``.amlignore`` rules of ``root``, else its ``.gitignore`` rules, else None."""
    for name in (".amlignore", ".gitignore"):
        path = root / name
        if path.is_file():
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                raise SnapshotError(f"cannot read {str(path)!r}: {exc}") from exc
            return pathspec.GitIgnoreSpec.from_lines(lines)
    return None


@dataclass
class _Scan:
    files: list[tuple[str, str, os.stat_result]] = field(default_factory=list)  # rel, abs, st
    total: int = 0
    #: Folders that are not code, by identity (st_dev, st_ino) -> what they are.
    excluded: dict[tuple[int, int], str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)


def scan(
    root: Path,
    max_files: int = DEFAULT_MAX_FILES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    exclude: Mapping[Path, str] | None = None,
) -> list[tuple[str, str, os.stat_result]]:
    """List the files of ``root`` that belong in its snapshot, enforcing the size limits.

    ``exclude``: folders that are not code (path -> what they are), left out wherever
    they appear inside ``root``; ``root`` itself is never left out."""
    return _scan(root, max_files, max_bytes, exclude).files


def _scan(
    root: Path,
    max_files: int,
    max_bytes: int,
    exclude: Mapping[Path, str] | None,
) -> _Scan:
    if not root.is_dir():
        raise SnapshotError(f"source directory {str(root)!r} does not exist")
    ignore = load_ignore(root)
    result = _Scan(excluded=_identities(exclude or {}))
    _walk(root, "", ignore, result)
    if len(result.files) > max_files or result.total > max_bytes:
        biggest = heapq.nlargest(5, result.files, key=lambda f: f[2].st_size)
        names = ", ".join(f"{rel} ({st.st_size / 1e6:.1f} MB)" for rel, _, st in biggest)
        raise SnapshotError(
            f"source directory {str(root)!r} is too big to snapshot: {len(result.files)} files, "
            f"{result.total / 1e6:.1f} MB (limits: {max_files} files, {max_bytes / 1e6:.0f} MB). "
            f"Biggest: {names}. List data folders in an .amlignore file there, or raise "
            "JUPYTER_PIPELINES_SNAPSHOT_MAX_FILES / JUPYTER_PIPELINES_SNAPSHOT_MAX_MB"
        )
    return result


def _identities(folders: Mapping[Path, str]) -> dict[tuple[int, int], str]:
    """The existing folders among ``folders``, by identity: found however they are reached
    (a symlink, another spelling of the path)."""
    found = {}
    for folder, what in folders.items():
        try:
            st = os.stat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            found[(st.st_dev, st.st_ino)] = what
    return found


def _walk(
    folder: Path,
    rel: str,
    ignore: pathspec.PathSpec[Any] | None,
    out: _Scan,
    ancestors: frozenset[tuple[int, int]] = frozenset(),
) -> None:
    try:
        here = os.stat(folder)
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise SnapshotError(
            f"cannot list {str(folder)!r}: {exc}; fix its permissions or list it in .amlignore"
        ) from exc
    # Folders being walked, by identity: a symlink back to one of them is a cycle.
    ancestors = ancestors | {(here.st_dev, here.st_ino)}
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name in ALWAYS_IGNORED:
            continue
        relpath = f"{rel}{entry.name}"
        try:
            looks_like_dir = entry.is_dir()  # follows symlinks
        except OSError:
            looks_like_dir = False
        if ignore is not None and ignore.match_file(relpath + ("/" if looks_like_dir else "")):
            continue
        try:
            st = os.stat(entry.path)  # follows symlinks
        except FileNotFoundError:
            kind = "dangling symlink" if entry.is_symlink() else "file that vanished"
            log.warning("snapshot of %s: skipping %s %r", folder, kind, relpath)
            continue
        except OSError as exc:
            if entry.is_symlink():  # a symlink loop (ELOOP) or one that cannot be followed
                log.warning("snapshot of %s: skipping symlink %r: %s", folder, relpath, exc)
                continue
            raise SnapshotError(
                f"cannot read {entry.path!r} for the snapshot: {exc}; fix its "
                "permissions or list it in .amlignore"
            ) from exc
        if stat.S_ISDIR(st.st_mode):
            if (st.st_dev, st.st_ino) in out.excluded:
                out.left_out[relpath + "/"] = out.excluded[(st.st_dev, st.st_ino)]
                continue
            if (st.st_dev, st.st_ino) in ancestors:
                log.warning(
                    "snapshot of %s: skipping %r, a symlink to a folder that contains it",
                    folder,
                    relpath,
                )
                continue
            _walk(Path(entry.path), relpath + "/", ignore, out, ancestors)
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        out.files.append((relpath, entry.path, st))
        out.total += st.st_size


class SnapshotStore:
    """The workspace's content-addressed store of source snapshots."""

    def __init__(self, directory: str | os.PathLike[str], stat_cache: StatCache | None = None):
        self.dir = Path(directory)
        self.objects = self.dir / "objects"
        self.manifests = self.dir / "manifests"
        self.stat_cache = stat_cache or StatCache(self.dir / "statcache.db")

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest

    def take(
        self,
        root: str | os.PathLike[str],
        max_files: int = DEFAULT_MAX_FILES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        exclude: Mapping[Path, str] | None = None,
    ) -> Snapshot:
        """Snapshot the folder ``root``; unchanged files are neither read nor copied.

        ``exclude``: folders that are not code (path -> what they are): left out wherever
        they lie inside ``root``, and listed in the snapshot's ``left_out``."""
        base = Path(root).resolve()
        scanned = _scan(base, max_files, max_bytes, exclude)
        listed = scanned.files
        cached = self.stat_cache.load_prefix(str(base))
        files: dict[str, FileEntry] = {}
        fresh: list[tuple[str, StatKey, str]] = []
        # String paths: a Path per file costs more than the stat behind exists().
        objects = f"{os.fspath(self.objects)}{os.sep}"
        for rel, path, st in listed:
            key = StatKey.of(st)
            hit = cached.get(path)
            digest: str | None
            if (
                hit is not None
                and hit[0] == key
                and os.path.exists(f"{objects}{hit[1][:2]}{os.sep}{hit[1]}")
            ):
                digest = hit[1]
            else:
                digest = self._store_object(path, rel)
                if digest is None:
                    continue
                fresh.append((path, key, digest))
            files[rel] = FileEntry(rel, digest, st.st_size, bool(st.st_mode & stat.S_IXUSR))
        self.stat_cache.store(fresh)
        snapshot = Snapshot(id="", root=str(base), files=files, left_out=scanned.left_out)
        snapshot.id = hash_bytes(canonical_json(snapshot.manifest()))
        self._write_manifest(snapshot)
        return snapshot

    def _store_object(self, path: str, rel: str) -> str | None:
        """Copy a file into the object store, hashing exactly the bytes copied."""
        self.objects.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.objects, prefix=".incoming-")
        hasher = blake3()
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(1 << 20):
                    hasher.update(chunk)
                    out.write(chunk)
            digest = hasher.hexdigest()
            target = self.object_path(digest)
            # Replace even an existing object: the bytes are at hand, and a damaged copy
            # left in the store is healed rather than handed to the next step.
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            return digest
        except FileNotFoundError:
            os.unlink(tmp)
            log.warning("snapshot: %r vanished while it was copied; left out", rel)
            return None
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SnapshotError(
                f"cannot read {path!r} for the snapshot: {exc}; fix its "
                "permissions or list it in .amlignore"
            ) from exc

    def _write_manifest(self, snapshot: Snapshot) -> None:
        path = self.manifests / f"{snapshot.id}.json"
        data = canonical_json(snapshot.manifest())
        try:
            if path.read_bytes() == data:
                return
        except OSError:
            pass
        # Missing, or damaged since it was written: (re)write it.
        self.manifests.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.manifests, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def load(self, snapshot_id: str) -> Snapshot:
        """A stored snapshot; a missing or corrupt manifest is a SnapshotError."""
        path = self.manifests / f"{snapshot_id}.json"
        try:
            data = json.loads(path.read_bytes())
            files = {p: FileEntry(p, h, s, x) for p, (h, s, x) in data["files"].items()}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SnapshotError(
                f"snapshot {snapshot_id[:12]} is missing or corrupt: {exc}"
            ) from exc
        snapshot = Snapshot(snapshot_id, "", files)
        if hash_bytes(canonical_json(snapshot.manifest())) != snapshot_id:
            raise SnapshotError(
                f"snapshot {snapshot_id[:12]} is corrupt (its content does not match its id)"
            )
        return snapshot

    def materialize(self, snapshot_id: str, dest: str | os.PathLike[str]) -> Path:
        """Write the files of a snapshot into the new folder ``dest`` (copies, not links).

        Each file's content is checked against its hash while it is copied: a damaged
        store is a SnapshotError, never a step running other code than was snapshotted.
        """
        snapshot = self.load(snapshot_id)
        target = Path(dest)
        target.mkdir(parents=True, exist_ok=True)
        for rel, entry in snapshot.files.items():
            src = self.object_path(entry.hash)
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            hasher = blake3()
            try:
                with open(src, "rb") as fin, open(out, "wb") as fout:
                    while chunk := fin.read(1 << 20):
                        hasher.update(chunk)
                        fout.write(chunk)
            except FileNotFoundError:
                raise SnapshotError(
                    f"snapshot {snapshot_id[:12]} is damaged: the content of "
                    f"{rel!r} is missing from the object store"
                ) from None
            if hasher.hexdigest() != entry.hash:
                out.unlink(missing_ok=True)
                raise SnapshotError(
                    f"snapshot {snapshot_id[:12]} is damaged: the stored content of {rel!r} "
                    "does not match its hash"
                )
            if entry.executable:
                os.chmod(out, 0o755)
        return target


def hash_tree(root: str | os.PathLike[str]) -> str:
    """The content hash of a folder (an output): relative paths and file hashes, no ignores."""
    base = Path(root)
    files: dict[str, str] = {}
    if base.is_dir():
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if os.path.isfile(full):
                    files[os.path.relpath(full, base).replace(os.sep, "/")] = hash_file(full)
    return hash_bytes(canonical_json({"files": files}))
