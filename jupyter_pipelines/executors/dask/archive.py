"""Folders and files as content-addressed tar archives in an fsspec store.

What a step needs (its code, its inputs) and what it makes (its outputs) travel between
the driver and a Dask worker as tar archives. An archive's key is a hash of what it holds
(paths, kinds, executable bits and file contents, never times), so that the same folder
is stored once: a code snapshot that did not change, or an output that the next step
reads, is not uploaded again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

#: The name of the one top-level entry of every archive (the folder or file itself).
ROOT = "x"
_CHUNK = 1 << 20


def _hasher() -> Any:
    try:
        import blake3

        return blake3.blake3()
    except ImportError:  # a worker without blake3 still agrees on nothing but works
        return hashlib.sha256()


def _entries(path: str) -> Iterator[tuple[str, str]]:
    """(relative path, full path) of everything under ``path``, sorted, links followed
    (a link loop, or a folder reached twice, is walked once)."""
    seen: set[str] = set()
    for folder, dirs, names in os.walk(path, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        rel = os.path.relpath(folder, path)
        for name in sorted([*dirs, *names]):
            yield os.path.normpath(os.path.join(rel, name)), os.path.join(folder, name)


def tree_key(path: str) -> str:
    """The content hash of the file or folder ``path`` (links followed); '' when absent."""
    if not os.path.exists(path):
        return ""
    digest = _hasher()
    if os.path.isfile(path):
        _feed(digest, ".", path)
    else:
        digest.update(b"d\0.\0")
        for rel, full in _entries(path):
            if os.path.isdir(full):
                digest.update(f"d\0{rel}\0".encode())
            elif os.path.isfile(full):
                _feed(digest, rel, full)
    return str(digest.hexdigest())


def _feed(digest: Any, rel: str, full: str) -> None:
    executable = bool(os.stat(full).st_mode & stat.S_IXUSR)
    digest.update(f"f\0{rel}\0{int(executable)}\0{os.path.getsize(full)}\0".encode())
    with open(full, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)


def pack(path: str, archive: str, compress: bool = False) -> None:
    """Write ``path`` (a file or folder, links followed) to the tar file ``archive``, as
    one entry named ``ROOT``; gzip (fast level) when ``compress``."""
    mode = "w:gz" if compress else "w"
    extra: dict[str, Any] = {"compresslevel": 1} if compress else {}
    with tarfile.open(archive, mode, dereference=True, **extra) as tar:  # type: ignore[call-overload]
        tar.add(path, arcname=ROOT, recursive=False)
        if os.path.isdir(path):
            for rel, full in _entries(path):
                if os.path.isdir(full) or os.path.isfile(full):
                    tar.add(full, arcname=f"{ROOT}/{rel}", recursive=False)


def pack_folder(folder: str, archive: str, skip: list[str]) -> None:
    """Write ``folder`` less the absolute paths ``skip`` (and what is under them) to the
    gzip tar file ``archive``, as one entry named ``ROOT``. Links inside the folder are
    kept as links; links out of it are left out (their targets are not on the other side).
    """
    root = os.path.abspath(folder)

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        full = os.path.normpath(os.path.join(root, info.name[len(ROOT) :].lstrip("/")))
        if any(full == s or full.startswith(s + os.sep) for s in skip):
            return None
        if info.issym() or info.islnk():
            target = os.path.normpath(os.path.join(os.path.dirname(full), info.linkname))
            if not target.startswith(root + os.sep):
                return None
        return info

    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(root, arcname=ROOT, filter=keep)


def extract(archive: str, where: str) -> None:
    """Extract ``archive`` into the folder ``where`` (tarfile's ``data`` filter when this
    Python has it: no absolute paths, no links out of ``where``)."""
    with tarfile.open(archive, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(where, filter="data")
        else:  # Pythons before 3.11.4; our own archives only
            tar.extractall(where)


def unpack(archive: str, target: str) -> None:
    """Put what ``archive`` holds at ``target`` (a file or folder), replacing what is there
    in one rename: nobody sees a half-extracted ``target``."""
    parent = os.path.dirname(os.path.abspath(target)) or "."
    os.makedirs(parent, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=".jp-unpack-", dir=parent)
    try:
        extract(archive, scratch)
        replace(os.path.join(scratch, ROOT), target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def replace(source: str, target: str) -> None:
    """Move ``source`` to ``target``; an existing ``target`` (an empty output folder, a
    stale copy) is moved aside first and removed after."""
    aside = ""
    if os.path.lexists(target):
        aside = f"{target}.old-{uuid.uuid4().hex[:8]}"
        os.rename(target, aside)
    os.rename(source, target)
    if aside:
        if os.path.isdir(aside) and not os.path.islink(aside):
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.remove(aside)


def is_local(fs: Any) -> bool:
    """Whether ``fs`` is this machine's file system (renames are atomic there)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def put(fs: Any, local: str, remote: str) -> None:
    """Upload ``local`` to ``remote``, visible only once complete: a blob store commits a
    blob at the end; on a local file system the copy is renamed into place."""
    parent = remote.rsplit("/", 1)[0]
    if is_local(fs):
        fs.makedirs(parent, exist_ok=True)
        partial = f"{remote}.part-{uuid.uuid4().hex[:8]}"
        fs.put_file(local, partial)
        fs.mv(partial, remote)
    else:
        fs.put_file(local, remote)


def put_bytes(fs: Any, data: bytes, remote: str) -> None:
    """Write ``data`` to ``remote``, visible only once complete (see ``put``)."""
    with tempfile.NamedTemporaryFile(prefix="jp-put-", delete=False) as fh:
        fh.write(data)
    try:
        put(fs, fh.name, remote)
    finally:
        os.remove(fh.name)


def upload_tree(fs: Any, path: str, root: str, compress: bool = False) -> str:
    """Store ``path`` under ``{root}/objects/{key}.tar[.gz]`` unless it is there; its key
    ('' when ``path`` does not exist)."""
    key = tree_key(path)
    if not key:
        return ""
    remote = object_path(root, key, compress)
    if fs.exists(remote):
        return key
    with tempfile.TemporaryDirectory(prefix="jp-pack-") as tmp:
        archive = os.path.join(tmp, "a.tar")
        pack(path, archive, compress)
        put(fs, archive, remote)
    return key


def download_tree(fs: Any, root: str, key: str, target: str, compress: bool = False) -> None:
    """Put the archive ``key`` at ``target`` (see ``unpack``)."""
    parent = os.path.dirname(os.path.abspath(target))
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".jp-get-", dir=parent) as tmp:
        archive = os.path.join(tmp, "a.tar")
        fs.get_file(object_path(root, key, compress), archive)
        unpack(archive, target)


def object_path(root: str, key: str, compress: bool = False) -> str:
    """Where the archive with content hash ``key`` is kept in the store."""
    return f"{root}/objects/{key[:2]}/{key}.tar{'.gz' if compress else ''}"
