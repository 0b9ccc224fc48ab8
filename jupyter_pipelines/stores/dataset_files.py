"""The files behind a dataset: the paths it was defined with, their v1 ``to_path`` layout,
their content hashes, and the read-only views (downloads, mounts) they are read through.

Patterns are kept relative to their datastore's root; a folder means every file under
it and ``**`` matches any number of folders (``Datastore.glob``).
"""

from __future__ import annotations

import glob as globlib
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blake3 import blake3

from ..errors import DatasetError
from ..reuse.hashing import hash_file
from ..reuse.statcache import StatCache, StatKey
from .datastores import Datastore

if TYPE_CHECKING:
    from .workspace import Workspace

_CHUNK = 1 << 20


# -- the paths a dataset is defined with -------------------------------------------------
def parse_paths(path: Any) -> tuple[Workspace | None, list[tuple[Datastore | str, str]]]:
    """The workspace and (datastore, pattern) pairs of a v1 ``path`` argument.

    ``path`` is ``(datastore, "glob")``, a DataPath, a DataReference (``datastore.path(...)``)
    or a list mixing them. A datastore given by name is resolved in the workspace of the
    others; the pattern is checked not to leave its datastore.
    """
    items = path if isinstance(path, list) or _is_pair_list(path) else [path]
    if not items:
        raise DatasetError("a dataset needs at least one path: [(datastore, 'folder/')]")
    pairs = [_pair(item) for item in items]
    workspaces = {store.workspace for store, _ in pairs if isinstance(store, Datastore)}
    if len(workspaces) > 1:
        raise DatasetError("the paths of one dataset must all be on datastores of one workspace")
    workspace = next(iter(workspaces), None)
    checked: list[tuple[Datastore | str, str]] = []
    for store, pattern in pairs:
        text = pattern.replace("\\", "/").lstrip("/")
        checked.append((store, store.relative(text) if isinstance(store, Datastore) else text))
    return workspace, checked


def _is_pair_list(path: Any) -> bool:
    return isinstance(path, tuple) and len(path) > 0 and all(isinstance(p, tuple) for p in path)


def _pair(item: Any) -> tuple[Datastore | str, str]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        store, pattern = item
    elif getattr(item, "is_datapath", False):
        store, pattern = item.datastore, item.path_on_datastore
    elif hasattr(item, "path_on_datastore") and hasattr(item, "datastore"):
        store, pattern = item.datastore, item.path_on_datastore
        if pattern is not None and not isinstance(pattern, str):
            raise DatasetError(f"{item!r}: a dataset path cannot come from a pipeline parameter")
    else:
        hint = " (upload local files first: datastore.upload(...))" if isinstance(item, str) else ""
        raise DatasetError(
            f"cannot make a dataset path of {item!r}: use (datastore, 'path/or/glob'), "
            f"a DataPath or datastore.path('...'){hint}"
        )
    if not isinstance(store, (Datastore, str)) or not store:
        raise DatasetError(f"{item!r}: the datastore must be a Datastore or its name")
    return store, str(pattern or "")


def pattern_base(datastore: Datastore, pattern: str) -> str:
    """The folder a pattern's files are laid out from: the part before any wildcard, the
    folder itself, or a file's folder."""
    parts = pattern.split("/") if pattern else []
    for i, part in enumerate(parts):
        if globlib.has_magic(part):
            return "/".join(parts[:i])
    return pattern if datastore.isdir(pattern) else posixpath.dirname(pattern)


def to_paths(bases: Iterable[str], keys: list[str]) -> list[str]:
    """v1 ``to_path``: each ``datastore/path`` key relative to the common root of the bases
    (``datastore/base`` strings), starting with '/'."""
    bases = [b.rstrip("/") for b in bases]
    root = posixpath.commonpath(bases) if bases else ""
    prefix = root + "/" if root else ""
    return ["/" + (k[len(prefix) :] if k.startswith(prefix) else k) for k in keys]


# -- content hashes -----------------------------------------------------------------------
@lru_cache(maxsize=16)
def _stat_cache(path: str) -> StatCache:
    return StatCache(path)


def hash_files(workspace: Workspace, files: list[tuple[Datastore, str]]) -> dict[str, str]:
    """BLAKE3 of each file by ``datastore/path``: local files through the workspace's stat
    cache (unchanged files are not read again), other files by streaming them."""
    by_store: dict[str, tuple[Datastore, list[str]]] = {}
    for store, rel in files:
        by_store.setdefault(store.name, (store, []))[1].append(rel)
    hashes: dict[str, str] = {}
    for name, (store, rels) in by_store.items():
        root = store.local_path("")
        if root is None:
            hashes.update({f"{name}/{rel}": _hash_stream(store, rel) for rel in rels})
            continue
        cache = _stat_cache(str(workspace.snapshots_dir / "statcache.db"))
        known = cache.load_prefix(str(root))
        fresh = []
        for rel in rels:
            path = str(store.local_path(rel))
            try:
                key = StatKey.of(os.stat(path))
            except OSError as exc:
                raise DatasetError(f"cannot read {name}/{rel}: {exc}") from exc
            hit = known.get(path)
            if hit is not None and hit[0] == key:
                digest = hit[1]
            else:
                digest = hash_file(path)
                fresh.append((path, key, digest))
            hashes[f"{name}/{rel}"] = digest
        cache.store(fresh)
    return hashes


def _hash_stream(store: Datastore, rel: str) -> str:
    hasher = blake3()
    with store.open(rel, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def compare(pinned: dict[str, str], current: dict[str, str]) -> list[str]:
    """Human-readable differences between pinned and current file hashes, by path."""
    changes = []
    for key in sorted(set(pinned) | set(current)):
        if key not in current:
            changes.append(f"removed: {key}")
        elif key not in pinned:
            changes.append(f"added: {key}")
        elif pinned[key] != current[key]:
            changes.append(f"changed: {key}")
    return changes


# -- downloads and mounts ---------------------------------------------------------------------
def place(
    files: list[tuple[Datastore, str, Path]], link: bool = False, overwrite: bool = False
) -> list[str]:
    """Make each (datastore, path) file present at its local destination: a symlink to a
    local-folder datastore's file when ``link``, else a copy. Nothing is written when a
    destination exists and ``overwrite`` is False."""
    if not overwrite:
        taken = [str(dest) for _, _, dest in files if dest.exists() or dest.is_symlink()]
        if taken:
            raise DatasetError(
                f"{len(taken)} file(s) already exist, first {taken[0]!r}; "
                "pass overwrite=True to replace them"
            )
    placed = []
    for store, rel, dest in files:
        source = store.local_path(rel) if link else None
        if dest.is_symlink() or dest.is_file():
            dest.unlink()
        if source is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(source, dest)
            except OSError:  # no symlinks here (Windows without the privilege)
                shutil.copy2(source, dest)
        else:
            store.get_dir(rel, dest.parent, overwrite=True)
        placed.append(str(dest))
    return placed


class DatasetMount:
    """A read-only view of a file dataset at ``mount_point`` (v1 ``MountContext``).

    Local-folder datastores are shown through symlinks to their files, others through a
    temporary download. Use it as a context manager, or call ``start()`` and ``stop()``;
    ``stop()`` removes everything the mount created. Do not write through the links: they
    lead to the datastore's own files.
    """

    def __init__(self, dataset: Any, mount_point: str | os.PathLike[str] | None = None) -> None:
        self._dataset = dataset
        self._requested = Path(mount_point) if mount_point is not None else None
        self.mount_point = str(self._requested) if self._requested is not None else ""
        self._created_dir = False
        self._entries: list[Path] = []

    def start(self) -> DatasetMount:
        if self._entries or self._created_dir:
            return self
        if self._requested is None:
            self.mount_point = tempfile.mkdtemp(prefix="dataset-mount-")
            self._created_dir = True
        else:
            point = self._requested
            if point.exists() and (not point.is_dir() or any(point.iterdir())):
                raise DatasetError(f"mount point {str(point)!r} must be an empty folder")
            self._created_dir = not point.exists()
            point.mkdir(parents=True, exist_ok=True)
        root = Path(self.mount_point)
        files = self._dataset._placement(root)
        self._entries = sorted({root / dest.relative_to(root).parts[0] for _, _, dest in files})
        try:
            place(files, link=True)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        root = Path(self.mount_point)
        if self._created_dir:
            shutil.rmtree(root, ignore_errors=True)
        else:
            for entry in self._entries:
                if entry.is_symlink() or entry.is_file():
                    entry.unlink(missing_ok=True)
                else:
                    shutil.rmtree(entry, ignore_errors=True)
        self._entries, self._created_dir = [], False

    def __enter__(self) -> DatasetMount:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"DatasetMount({self.mount_point!r})"
