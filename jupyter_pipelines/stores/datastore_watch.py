"""What a datastore-triggered schedule watches: the files directly in one folder of a
datastore (v1: files in its sub-folders are not watched), each identified by its content.

A look at the folder lists it once and identifies each file without reading unchanged
data: a local file by its BLAKE3 hash through the workspace's stat cache (a file whose
size, times and inode did not change is not read again); a remote file by the ETag its
store gives, else by its hash, computed again only when its size or modification time
changed. ``changed`` compares two looks: the files added, or whose content changed.
"""

from __future__ import annotations

import os
import posixpath
from functools import lru_cache
from pathlib import Path
from typing import Any

from blake3 import blake3

from ..reuse.hashing import hash_file
from ..reuse.statcache import StatCache, StatKey
from .datastore_files import AbstractDatastoreFiles
from .datastore_files import _mtime as entry_mtime

#: A look: relative path on the datastore -> {"id": what identifies its content, ...}.
Look = dict[str, dict[str, Any]]


def look(
    store: AbstractDatastoreFiles,
    path: str | None,
    previous: Look | None = None,
    stat_cache: str | os.PathLike[str] | None = None,
) -> Look:
    """The files directly in the folder ``path`` of ``store`` (or the file ``path``; nothing
    when it does not exist yet), each with what identifies its content. ``previous`` (the
    last look) spares re-reading remote files; ``stat_cache`` (the workspace's
    ``snapshots/statcache.db``) local ones."""
    relative = store.relative(path)
    local = store.local_path(relative)
    if local is not None:
        return _look_local(local, relative, stat_cache)
    return _look_remote(store, relative, previous or {})


def changed(previous: Look, current: Look) -> list[str]:
    """The paths of ``current`` that are new or whose content differs, sorted."""
    return sorted(p for p, entry in current.items() if previous.get(p, {}).get("id") != entry["id"])


def _look_local(folder: Path, relative: str, stat_cache: Any) -> Look:
    if folder.is_file():
        entries = [(relative, folder)]
    elif folder.is_dir():
        entries = [
            (posixpath.join(relative, e.name) if relative else e.name, Path(e.path))
            for e in os.scandir(folder)
            if e.is_file() and not e.name.startswith(".")
        ]
    else:
        return {}
    cache = _cache(str(stat_cache)) if stat_cache else None
    known = cache.load_prefix(str(folder.parent if folder.is_file() else folder)) if cache else {}
    found: Look = {}
    fresh = []
    for rel, full in sorted(entries):
        try:
            key = StatKey.of(full.stat())
        except FileNotFoundError:
            continue  # removed while looking
        hit = known.get(str(full))
        if hit is not None and hit[0] == key:
            digest = hit[1]
        else:
            digest = hash_file(full)
            fresh.append((str(full), key, digest))
        found[rel] = {"id": f"blake3:{digest}", "size": key.size}
    if cache is not None and fresh:
        cache.store(fresh)
    return found


def _look_remote(store: AbstractDatastoreFiles, relative: str, previous: Look) -> Look:
    full = store.full_path(relative)
    if not store.fs.exists(full):
        return {}
    if not relative or store.fs.isdir(full):
        items = [
            (posixpath.join(relative, posixpath.basename(str(e["name"]).rstrip("/"))), e)
            for e in store.fs.ls(full, detail=True)
            if e.get("type") == "file"
        ]
    else:
        items = [(relative, store.fs.info(full))]
    return {
        rel: _identify(store, rel, entry, previous.get(rel))
        for rel, entry in sorted(items, key=lambda item: item[0])
        if not posixpath.basename(rel).startswith(".")
    }


def _identify(
    store: AbstractDatastoreFiles, rel: str, entry: dict[str, Any], before: dict[str, Any] | None
) -> dict[str, Any]:
    """A remote file's identity: its ETag, else its hash (kept while size and time stay)."""
    etag = entry.get("ETag") or entry.get("etag") or entry.get("md5")
    size = int(entry.get("size") or 0)
    if etag is not None:
        return {"id": f"etag:{str(etag).strip(chr(34))}", "size": size}
    mtime = entry_mtime(entry)
    if before is not None and before.get("size") == size and before.get("mtime") == mtime:
        return before
    hasher = blake3()
    with store.open(rel, "rb") as handle:
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
    return {"id": f"blake3:{hasher.hexdigest()}", "size": size, "mtime": mtime}


@lru_cache(maxsize=16)
def _cache(path: str) -> StatCache:
    return StatCache(path)


__all__ = ["Look", "changed", "look"]
