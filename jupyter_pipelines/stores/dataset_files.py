"""The files behind a dataset: the paths it was defined with, their v1 ``to_path`` layout,
their content hashes, and the read-only views (downloads, mounts) they are read through.

A path is (key, pattern): the key names a registered datastore, or one of the sources of
``dataset_sources.py`` (an http(s) server, the local file system). Patterns are kept
relative to their root; a folder means every file under it and ``**`` matches any number of
folders (``Datastore.glob``); a URL is always one file.
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
from typing import Any

from blake3 import blake3

from ..errors import DatasetError, DatastoreError
from ..log import get_logger
from ..reuse.hashing import hash_file
from ..reuse.statcache import StatCache, StatKey
from .dataset_sources import WebFiles, is_location, is_source_key, split_location
from .datastore_files import AbstractDatastoreFiles
from .datastores import Datastore
from .workspace_like import WorkspaceLike

log = get_logger(__name__)
_CHUNK = 1 << 20


# -- the paths a dataset is defined with -------------------------------------------------
def parse_paths(path: Any) -> tuple[WorkspaceLike | None, list[tuple[Datastore | str, str]]]:
    """The workspace (None when no datastore object is given) and (datastore or key,
    pattern) pairs of a v1 ``path`` argument.

    ``path`` is ``(datastore, "glob")``, a DataPath, a DataReference (``datastore.path(...)``),
    an http(s) URL, a local path, or a list mixing them. A datastore given by name is
    resolved in the workspace of the others; the pattern is checked not to leave it.
    """
    items = path if isinstance(path, list) or _is_pair_list(path) else [path]
    if not items:
        raise DatasetError("a dataset needs at least one path: [(datastore, 'folder/')]")
    pairs = [split_location(item) if is_location(item) else _pair(item) for item in items]
    workspaces = {store.workspace for store, _ in pairs if isinstance(store, Datastore)}
    if len(workspaces) > 1:
        raise DatasetError("the paths of one dataset must all be on datastores of one workspace")
    workspace = next(iter(workspaces), None)
    checked: list[tuple[Datastore | str, str]] = []
    for store, pattern in pairs:
        if isinstance(store, str) and is_source_key(store):
            checked.append((store, pattern))
            continue
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
        raise DatasetError(
            f"cannot make a dataset path of {item!r}: use (datastore, 'path/or/glob'), "
            "a DataPath, datastore.path('...'), an http(s) URL or a local path"
        )
    if not isinstance(store, (Datastore, str)) or not store:
        raise DatasetError(f"{item!r}: the datastore must be a Datastore or its name")
    return store, str(pattern or "")


def is_single_path(datastore: AbstractDatastoreFiles, pattern: str) -> bool:
    """Whether ``pattern`` names one file: no wildcard (URLs have none), not a folder."""
    if isinstance(datastore, WebFiles):
        return not datastore.isdir(pattern)
    return bool(pattern) and not globlib.has_magic(pattern) and not datastore.isdir(pattern)


def pattern_base(datastore: AbstractDatastoreFiles, pattern: str) -> str:
    """The folder a pattern's files are laid out from: the part before any wildcard, the
    folder itself, or a file's folder."""
    if isinstance(datastore, WebFiles):
        return pattern if datastore.isdir(pattern) else posixpath.dirname(pattern.split("?", 1)[0])
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


def hash_files(
    workspace: WorkspaceLike | None, files: list[tuple[AbstractDatastoreFiles, str]]
) -> dict[str, str]:
    """A hash of each file by ``key/path``: local files by content, through the workspace's
    stat cache when there is a workspace (unchanged files are not read again); web files by
    what their server says identifies them (ETag, Last-Modified), else by content; files
    of a store with ``fingerprints`` (Azure blobs: ETag, size, MD5 from one listing) by
    those, no file read; other files by streaming them."""
    by_store: dict[str, tuple[AbstractDatastoreFiles, list[str]]] = {}
    for store, rel in files:
        by_store.setdefault(store.name, (store, []))[1].append(rel)
    hashes: dict[str, str] = {}
    for name, (store, rels) in by_store.items():
        if store.local_path("") is not None:
            local = {rel: str(store.local_path(rel)) for rel in rels}
            digests = _hash_local(workspace, name, local)
            hashes.update({f"{name}/{rel}": digests[rel] for rel in rels})
            continue
        # what the store says identifies each file (a blob's ETag...), read from one listing
        known = store.fingerprints(rels) if hasattr(store, "fingerprints") else {}
        for rel in rels:
            seen = store.fingerprint(rel) if isinstance(store, WebFiles) else known.get(rel)
            hashes[f"{name}/{rel}"] = seen or _hash_stream(store, rel)
    return hashes


def _hash_local(
    workspace: WorkspaceLike | None, name: str, paths: dict[str, str]
) -> dict[str, str]:
    """BLAKE3 of local files by their key, through the stat cache when there is one."""
    cache = _stat_cache(str(workspace.snapshots_dir / "statcache.db")) if workspace else None
    folders = [os.path.dirname(path) for path in paths.values()]
    known = cache.load_prefix(os.path.commonpath(folders)) if cache and folders else {}
    digests, fresh = {}, []
    for rel, path in paths.items():
        try:
            key = StatKey.of(os.stat(path))
        except OSError as exc:
            raise DatasetError(f"cannot read {name}/{rel}: {exc}") from exc
        hit = known.get(path)
        if hit is not None and hit[0] == key:
            digests[rel] = hit[1]
        else:
            digests[rel] = hash_file(path)
            fresh.append((path, key, digests[rel]))
    if cache is not None:
        cache.store(fresh)
    return digests


def _hash_stream(store: AbstractDatastoreFiles, rel: str) -> str:
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
    files: list[tuple[AbstractDatastoreFiles, str, Path]],
    link: bool = False,
    overwrite: bool = False,
    ignore_not_found: bool = False,
) -> list[str]:
    """Make each (datastore, path) file present at its local destination: a symlink to a
    local file when ``link``, else a copy. Nothing is written when a destination exists and
    ``overwrite`` is False. A file gone since it was listed is an error, or is skipped with
    a warning when ``ignore_not_found``."""
    if not overwrite:
        taken = [str(dest) for _, _, dest in files if dest.exists() or dest.is_symlink()]
        if taken:
            raise DatasetError(
                f"{len(taken)} file(s) already exist, first {taken[0]!r}; "
                "pass overwrite=True to replace them"
            )
    placed = []
    for store, rel, dest in files:
        try:
            _place_one(store, rel, dest, link)
        except (DatastoreError, FileNotFoundError) as exc:
            if not ignore_not_found:
                raise DatasetError(f"cannot get {store.name}/{rel}: {exc}") from exc
            log.warning("skipping %s/%s, which was not found: %s", store.name, rel, exc)
            continue
        placed.append(str(dest))
    return placed


def _place_one(store: AbstractDatastoreFiles, rel: str, dest: Path, link: bool) -> None:
    source = store.local_path(rel) if link else None
    if link and source is None and hasattr(store, "cached_file"):
        # a mount of a remote store: a link into the workspace's copy, kept by fsspec's
        # filecache (a blob is fetched once per version, not once per run)
        source = store.cached_file(rel, _mount_cache(store))
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    if source is not None:
        if not source.exists():
            raise FileNotFoundError(str(source))
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.symlink(source, dest)
        except OSError:  # no symlinks here (Windows without the privilege)
            shutil.copy2(source, dest)
        return
    if not store.exists(rel):
        raise FileNotFoundError(f"{store.name}/{rel}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    store._get_files([(rel, dest)], overwrite=True, progress=False)


def _mount_cache(store: Any) -> Path:
    """Where mounted files of remote ``store`` are cached: in its workspace, else a temp
    folder of this user."""
    workspace = getattr(store, "workspace", None)
    base = Path(workspace.dir) / "cache" if workspace is not None else Path(tempfile.gettempdir())
    return base / "datastores" / store.name


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
