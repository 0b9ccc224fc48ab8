"""The mini-batch cache: what ``run()`` returned for a mini-batch, by the mini-batch's key.

A key is the hash of the step's part (code, environment, arguments as written, side
inputs' contents, output action) and the mini-batch's content (its files' relative paths
and content hashes, or its rows). Entries live in the workspace, ``cache/parallel_run/``,
as ``<key[:2]>/<key>.json``, each written to a temporary name and renamed, so that a
reader sees a whole entry or none; an unreadable entry is a miss, never an error. Any
step of any run of the workspace can use any entry: the key holds all that decides it.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

log = logging.getLogger(__name__)
#: Version of the entries' layout (part of every key).
CACHE_VERSION = 1


class BatchCache:
    """Entries under ``root``; a cache without a root (or an unwritable one) is always empty."""

    def __init__(self, root: str | None) -> None:
        self.root = root if root and _usable(root) else None
        self.hits = 0
        self.writes = 0

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def _path(self, key: str) -> str:
        assert self.root is not None
        digest = key.split(":")[-1]
        return os.path.join(self.root, digest[:2], f"{digest}.json")

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry of ``key``, or None (not there, or unreadable)."""
        if self.root is None:
            return None
        try:
            with open(self._path(key), encoding="utf-8") as fh:
                entry = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("mini-batch cache entry %s is unreadable (%s): a miss", key, exc)
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store ``entry`` under ``key`` (atomically); failures are logged, not raised."""
        if self.root is None:
            return
        path = self._path(key)
        folder = os.path.dirname(path)
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            os.makedirs(folder, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({**entry, "key": key}, fh, separators=(",", ":"))
            os.replace(tmp, path)
            self.writes += 1
        except OSError as exc:
            log.warning("mini-batch cache entry %s not written: %s", key, exc)
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _usable(root: str) -> bool:
    """Whether the cache folder is here and writable. The engine makes it when it plans the
    step; a step that runs where the workspace is not (a container) finds none and runs
    every mini-batch."""
    return os.path.isdir(root) and os.access(root, os.W_OK)
