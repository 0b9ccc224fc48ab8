"""The file operations of a datastore: paths confined to its root, listing, hashing inputs
and copies, all through one fsspec file system.

``AbstractDatastoreFiles`` is the base of every datastore; a backend provides
``_open_filesystem``. Paths are relative to the datastore's root and any path that would
leave it is refused with ``DatastoreError``.
"""

from __future__ import annotations

import glob as globlib
import os
import posixpath
import re
import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import DatastoreError
from ..log import get_logger, progress_bars_wanted

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

log = get_logger(__name__)
_DRIVE = re.compile(r"^[A-Za-z]:")
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created", "time")


class AbstractDatastoreFiles:
    """Files of a datastore named ``name``, under ``root`` in the file system ``fs``.

    The engine and datasets use these methods; ``Datastore`` builds the v1 API on them.
    """

    name: str
    _fs: AbstractFileSystem | None = None
    _root: str = ""

    # -- lower level: paths --------------------------------------------------------------
    @property
    def fs(self) -> AbstractFileSystem:
        """The fsspec file system, opened on first use."""
        if self._fs is None:
            self._fs, self._root = self._open_filesystem()
        return self._fs

    @property
    def root(self) -> str:
        """The datastore's root as a path inside ``fs`` (no protocol)."""
        self.fs  # noqa: B018
        return self._root

    def _open_filesystem(self) -> tuple[AbstractFileSystem, str]:
        """The file system and the root path inside it; what a backend provides."""
        raise NotImplementedError

    def relative(self, path: str | os.PathLike[str] | None) -> str:
        """``path`` normalized ('' for the root), or DatastoreError when it would leave the
        datastore: absolute paths, URLs and any ``..`` left after normalization."""
        text = os.fspath(path or "").replace("\\", "/")
        if text.startswith("/") or "://" in text or _DRIVE.match(text):
            raise DatastoreError(
                f"path {text!r} is absolute; paths on datastore {self.name!r} are relative "
                "to its root"
            )
        norm = posixpath.normpath(text) if text else "."
        if norm == ".." or norm.startswith("../"):
            raise DatastoreError(f"path {text!r} escapes datastore {self.name!r}")
        return "" if norm == "." else norm

    def full_path(self, relative: str | os.PathLike[str] | None = "") -> str:
        """The path inside ``fs`` of ``relative`` (see ``relative`` for what is refused)."""
        rel = self.relative(relative)
        if not rel or not self.root:  # a file system rooted at the datastore (dir://)
            return rel or self.root
        return f"{self.root.rstrip('/')}/{rel}"

    def _relative_of(self, full: str) -> str:
        base = self.root.rstrip("/") + "/"
        return full[len(base) :] if full.startswith(base) else full.lstrip("/")

    def local_path(self, relative: str | os.PathLike[str] | None = "") -> Path | None:
        """The real local path of ``relative`` for a local-folder datastore, else None."""
        from fsspec.implementations.local import LocalFileSystem

        if not isinstance(self.fs, LocalFileSystem):
            return None
        return Path(self.full_path(relative))

    # -- lower level: queries ------------------------------------------------------------
    def exists(self, relative: str | os.PathLike[str] | None) -> bool:
        """Whether a file or folder exists at ``relative``."""
        return bool(self.fs.exists(self.full_path(relative)))

    def isdir(self, relative: str | os.PathLike[str] | None) -> bool:
        """Whether ``relative`` is a folder (the root always is)."""
        return bool(self.fs.isdir(self.full_path(relative))) or not self.relative(relative)

    def glob(self, pattern: str = "**") -> list[str]:
        """Sorted relative paths of the FILES matching ``pattern``: a folder means every
        file under it, and ``**`` matches any number of folders."""
        rel = self.relative(pattern)
        if not globlib.has_magic(rel):
            if self.isdir(rel):
                return self._files_under(rel)
            return [rel] if self.exists(rel) else []
        found: set[str] = set()
        for full, entry in self.fs.glob(self.full_path(rel), detail=True).items():
            if entry.get("type") == "directory":
                found.update(self._files_under(self._relative_of(full)))
            else:
                found.add(self._relative_of(full))
        return sorted(found)

    def _files_under(self, relative: str) -> list[str]:
        if not self.exists(relative):
            return []
        return sorted(self._relative_of(f) for f in self.fs.find(self.full_path(relative)))

    def info(self, relative: str | os.PathLike[str]) -> dict[str, Any]:
        """``path``, ``type``, ``size``, ``mtime`` (seconds, or None) and ``etag`` (or None)
        of ``relative``: what content hashing needs to tell a changed file from the same."""
        try:
            raw = self.fs.info(self.full_path(relative))
        except FileNotFoundError as exc:
            raise DatastoreError(f"no file {relative!r} on datastore {self.name!r}") from exc
        etag = raw.get("ETag") or raw.get("etag") or raw.get("md5")
        return {
            "path": self.relative(relative),
            "type": raw.get("type", "file"),
            "size": int(raw.get("size") or 0),
            "mtime": _mtime(raw),
            "etag": str(etag).strip('"') if etag else None,
        }

    # -- lower level: reading and writing ------------------------------------------------
    def open(self, relative: str | os.PathLike[str], mode: str = "rb", **kwargs: Any) -> IO[Any]:
        """Open the file ``relative``; writing creates its folders."""
        full = self.full_path(relative)
        if any(c in mode for c in "wax"):
            self.fs.makedirs(posixpath.dirname(full), exist_ok=True)
        try:
            return self.fs.open(full, mode, **kwargs)  # type: ignore[no-any-return]
        except FileNotFoundError as exc:
            raise DatastoreError(f"no file {relative!r} on datastore {self.name!r}") from exc

    def makedirs(self, relative: str | os.PathLike[str] | None) -> None:
        """Create the folder ``relative`` and its parents (a no-op on object stores)."""
        self.fs.makedirs(self.full_path(relative), exist_ok=True)

    def put_dir(
        self,
        local_dir: str | os.PathLike[str],
        relative: str | None = "",
        overwrite: bool = False,
        show_progress: bool = False,
    ) -> int:
        """Copy the files under ``local_dir`` to the folder ``relative``; existing files are
        skipped unless ``overwrite``. Returns the number of files copied."""
        src = Path(local_dir)
        target = self.relative(relative)
        pairs = [
            (p, posixpath.join(target, p.relative_to(src).as_posix()))
            for p in sorted(src.rglob("*"))
            if p.is_file()
        ]
        return self._put_files(pairs, overwrite, show_progress)

    def get_dir(
        self,
        relative: str | None,
        local_dir: str | os.PathLike[str],
        overwrite: bool = True,
        show_progress: bool = False,
    ) -> int:
        """Copy the files under the folder ``relative`` into ``local_dir`` (a single file
        lands as ``local_dir/<its name>``). Returns the number of files copied."""
        rel = self.relative(relative)
        if not self.isdir(rel):
            if not self.exists(rel):
                raise DatastoreError(f"no file or folder {rel!r} on datastore {self.name!r}")
            pairs = [(rel, Path(local_dir) / posixpath.basename(rel))]
        else:
            cut = len(rel) + 1 if rel else 0
            pairs = [(f, Path(local_dir) / f[cut:]) for f in self._files_under(rel)]
        return self._get_files(pairs, overwrite, show_progress)

    def _put_files(self, pairs: list[tuple[Path, str]], overwrite: bool, progress: bool) -> int:
        local = self.local_path()
        count = 0
        made: set[str] = set()
        for src, rel in _progress(pairs, progress, f"Uploading to {self.name}"):
            full = self.full_path(rel)
            if not overwrite and self.fs.exists(full):
                log.info("target already exists on %s, skipping upload of %s", self.name, rel)
                continue
            if local is not None:
                _copy_atomically(src, Path(full))
            else:
                parent = posixpath.dirname(full)
                if parent and parent not in made:  # sftp, smb, dir:// need it; once each
                    self.fs.makedirs(parent, exist_ok=True)
                    made.add(parent)
                self.fs.put_file(str(src), full)
            count += 1
        return count

    def put_files_complete(self, pairs: list[tuple[Path, str]]) -> int:
        """Copy (local file, relative path) pairs, replacing what is there, so that readers
        see all of them or none (what step outputs need). Here each file appears complete
        (local folders: written under a temporary name and renamed); a backend that can do
        better for a set of files (Azure: blocks staged, then committed) overrides it."""
        return self._put_files(pairs, True, False)

    def _get_files(self, pairs: list[tuple[str, Path]], overwrite: bool, progress: bool) -> int:
        count = 0
        for rel, dest in _progress(pairs, progress, f"Downloading from {self.name}"):
            if not overwrite and dest.exists():
                log.info("%s already exists, skipping download of %s", dest, rel)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
            try:
                self.fs.get_file(self.full_path(rel), str(partial))
                os.replace(partial, dest)
            finally:
                partial.unlink(missing_ok=True)
            count += 1
        return count


def _mtime(info: dict[str, Any]) -> float | None:
    for key in _MTIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _copy_atomically(src: Path, dest: Path) -> None:
    """Copy so that ``dest`` appears complete or not at all."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        shutil.copy2(src, partial)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


def _progress(items: list[Any], show: bool, desc: str) -> Iterable[Any]:
    from tqdm.auto import tqdm

    # show_progress asks for a bar; it is drawn only where someone watches (not in step logs).
    shown = show and bool(items) and progress_bars_wanted()
    bar: Iterable[Any] = tqdm(items, desc=desc, unit="file", disable=not shown)
    return bar
