"""Where a dataset's files may live besides registered datastores: http(s) URLs (files, or
folders a server lists) and local paths, each read through an unregistered, read-only
datastore-like object.

A dataset names its files by (key, path) pairs. For a registered datastore the key is its
name; for these sources it is a pseudo-name holding ``://``, which no datastore name can
(``https://host:port`` for a web server, ``file://`` for the local file system), so that a
file's ``f"{key}/{path}"`` is its URL. They need no workspace: a dataset made of them is
bound to one only when it is registered or submitted.

Web files are fingerprinted by their ``ETag`` or ``Last-Modified`` header (with their size)
when the server sends one, else by their content (``fingerprint``); local files by content,
through the workspace's stat cache when there is a workspace.
"""

from __future__ import annotations

import os
import posixpath
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import DatasetError, DatastoreError
from ..reuse.hashing import hash_document
from .datastore_files import AbstractDatastoreFiles

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

#: The key of the local file system.
LOCAL = "file://"
WEB_SCHEMES = ("http", "https")


def is_source_key(key: str) -> bool:
    """Whether ``key`` names one of these sources rather than a registered datastore."""
    return "://" in key


def is_web_key(key: str) -> bool:
    return key.split("://", 1)[0] in WEB_SCHEMES


def is_location(value: object) -> bool:
    """Whether ``value`` is a URL or local path that a dataset factory accepts as a path."""
    return isinstance(value, (str, os.PathLike))


def split_location(value: str | os.PathLike[str]) -> tuple[str, str]:
    """The (key, path) of an http(s) URL or a local path (relative to the current folder).

    Other URL schemes are refused: they need a datastore, which knows their credentials.
    """
    text = os.fspath(value)
    scheme, sep, _ = text.partition("://")
    if sep and len(scheme) > 1:
        if scheme.lower() not in WEB_SCHEMES:
            raise DatasetError(
                f"cannot read {text!r} directly: only http(s) URLs and local paths can be "
                f"dataset paths; register a datastore for {scheme}:// URLs "
                f"(Datastore.register(ws, 'name', '{scheme}://...')) and use (datastore, 'path')"
            )
        parts = urlsplit(text)
        if not parts.netloc:
            raise DatasetError(f"URL {text!r} has no host")
        path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
        if not parts.path.strip("/"):
            raise DatasetError(f"URL {text!r} names no file")
        return f"{parts.scheme.lower()}://{parts.netloc}", path
    absolute = Path(text).expanduser()
    absolute = absolute if absolute.is_absolute() else Path.cwd() / absolute
    return LOCAL, posixpath.normpath(absolute.as_posix()).lstrip("/")


def location_of(key: str, path: str) -> str:
    """The URL (or absolute local path) of ``path`` in source ``key``: the inverse of
    ``split_location``."""
    return "/" + path if key == LOCAL else f"{key}/{path}"


@cache
def source_files(key: str) -> AbstractDatastoreFiles:
    """The read-only files of source ``key`` (one object per key and process)."""
    if key == LOCAL:
        return LocalFiles()
    if is_web_key(key):
        return WebFiles(key)
    raise DatasetError(f"unknown dataset source {key!r}")


class LocalFiles(AbstractDatastoreFiles):
    """The local file system, rooted at '/': paths are absolute paths without the '/'."""

    name = LOCAL

    def _open_filesystem(self) -> tuple[AbstractFileSystem, str]:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(), "/"


class WebFiles(AbstractDatastoreFiles):
    """Files of one web server (``https://host:port``), read with fsspec's HTTP file system.

    A URL is a file, or a folder when the server answers it with an index page (HTML that
    links to what is inside, as ``python -m http.server`` and many file servers do): the
    folder's files are those its index pages link to, below it. URLs are never globs (a '?'
    starts the query string).
    """

    def __init__(self, key: str) -> None:
        self.name = key
        self._folders: dict[str, bool] = {}

    def _open_filesystem(self) -> tuple[AbstractFileSystem, str]:
        try:
            import aiohttp  # noqa: F401  (fsspec's HTTP file system needs it)
            from fsspec.implementations.http import HTTPFileSystem
        except ImportError as exc:
            raise DatasetError(
                f"reading {self.name} needs fsspec's HTTP support: pip install 'fsspec[http]' "
                f"({exc})"
            ) from exc
        return HTTPFileSystem(), self.name

    def full_path(self, relative: str | os.PathLike[str] | None = "") -> str:
        return f"{self.name}/{self.relative(relative)}"

    def isdir(self, relative: str | os.PathLike[str] | None) -> bool:
        rel = self.relative(relative)
        if rel not in self._folders:  # asked once per process: a URL stays a file or folder
            self._folders[rel] = self._listing(rel) is not None
        return self._folders[rel]

    def exists(self, relative: str | os.PathLike[str] | None) -> bool:
        try:
            self._head(os.fspath(relative or ""))
        except DatastoreError:
            return False
        return True

    def glob(self, pattern: str = "**") -> list[str]:
        rel = self.relative(pattern)
        if self.isdir(rel):
            return self._files_under(rel)
        return [rel] if self.exists(rel) else []

    def _files_under(self, relative: str) -> list[str]:
        found: set[str] = set()
        for entry in self._listing(relative) or []:
            child = self._relative_of(str(entry["name"]).rstrip("/"))
            if entry.get("type") == "directory":
                found.update(self._files_under(child))
            else:
                found.add(child)
        return sorted(found)

    def _listing(self, relative: str) -> list[dict[str, Any]] | None:
        """The entries an index page at ``relative`` links to below it; None for a file."""
        try:
            if self._head(relative).get("mimetype") != "text/html":
                return None
            folder = self.full_path(relative).rstrip("/") + "/"
            entries = self.fs.ls(folder, detail=True)
        except (DatastoreError, OSError, ValueError):
            return None
        inside = [e for e in entries if str(e["name"]).startswith(folder)]
        return [e for e in inside if str(e["name"]).rstrip("/") != folder.rstrip("/")] or None

    def _head(self, relative: str) -> dict[str, Any]:
        """What the server says of ``relative`` (a HEAD request, redirects followed)."""
        url = self.full_path(relative)
        try:
            return dict(self.fs.info(url))
        except FileNotFoundError as exc:
            raise DatastoreError(f"no file at {url!r} (the server answered 404)") from exc
        except Exception as exc:  # aiohttp and fsspec raise many kinds for one failure
            raise DatastoreError(f"cannot read {url!r}: {type(exc).__name__}: {exc}") from exc

    def info(self, relative: str | os.PathLike[str]) -> dict[str, Any]:
        raw = self._head(os.fspath(relative))
        return {
            "path": self.relative(relative),
            "type": "file",
            "size": int(raw.get("size") or 0),
            "mtime": _http_time(raw.get("Last-Modified")),
            "etag": str(raw["ETag"]).strip('"') if raw.get("ETag") else None,
            "last_modified": raw.get("Last-Modified"),
        }

    def open(self, relative: str | os.PathLike[str], mode: str = "rb", **kwargs: Any) -> IO[Any]:
        if mode != "rb":
            raise DatastoreError(f"{self.name} is read-only: cannot open with mode {mode!r}")
        try:  # a stream: one GET, so servers without range requests work too
            return self.fs.open(self.full_path(relative), "rb", block_size=0)  # type: ignore[no-any-return]
        except FileNotFoundError as exc:
            raise DatastoreError(f"no file at {self.full_path(relative)!r}") from exc

    def fingerprint(self, relative: str) -> str | None:
        """A hash of what the server says identifies this version of the file (its ETag or
        Last-Modified, with its size), or None when it says nothing: then hash the content."""
        info = self.info(relative)
        if not info["etag"] and not info["last_modified"]:
            return None
        keys = ("etag", "last_modified", "size")
        return "web:" + hash_document({k: info[k] for k in keys})


def _http_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
