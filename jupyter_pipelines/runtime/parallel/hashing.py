"""Content hashes for the mini-batch cache: the project's BLAKE3 hashing and stat cache when
the package's dependencies are there (reuse/hashing.py, reuse/statcache.py), else BLAKE2b
from the standard library (in a bare image). The algorithm is part of every key, so the two
never mix.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


def canonical_json(doc: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (as reuse/hashing.py writes it)."""
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _blake2b_file(path: str) -> str:
    hasher = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _blake2b_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


class ContentHasher:
    """Hashes files (through the stat cache where their paths are stable) and documents."""

    def __init__(self, stat_cache: str | None = None, volatile_root: str | None = None) -> None:
        self.hash_file: Callable[[str], str]
        self.hash_bytes: Callable[[bytes], str]
        try:
            hashing = importlib.import_module("jupyter_pipelines.reuse.hashing")
            self.algorithm = "blake3"
            self.hash_file, self.hash_bytes = hashing.hash_file, hashing.hash_bytes
        except ImportError:
            self.algorithm = "blake2b"
            self.hash_file, self.hash_bytes = _blake2b_file, _blake2b_bytes
        self._volatile = os.path.realpath(volatile_root) + os.sep if volatile_root else None
        self._cache: Any = None
        # A stat cache whose folder is not here (the step runs in a container that does
        # not mount it) is not used: making it there could fail, and would be lost.
        if stat_cache and self.algorithm == "blake3" and os.path.isdir(os.path.dirname(stat_cache)):
            try:
                module = importlib.import_module("jupyter_pipelines.reuse.statcache")
                self._cache = module.StatCache(stat_cache)
                self._key = module.StatKey.of
            except ImportError:
                self._cache = None

    def document(self, doc: Any) -> str:
        """The hash of a JSON document, tagged with the algorithm."""
        return f"{self.algorithm}:{self.hash_bytes(canonical_json(doc))}"

    def files(self, paths: Iterable[str]) -> dict[str, str]:
        """Path -> content hash. Links are followed; files under the volatile root (this
        and other runs' folders) are read, others looked up in the stat cache first."""
        real = {path: os.path.realpath(path) for path in paths}
        stable = [r for r in real.values() if not self._is_volatile(r)]
        known = self._known(stable)
        digests: dict[str, str] = {}
        fresh = []
        for path, target in real.items():
            stat = os.stat(target)
            key = self._key(stat) if self._cache is not None else None
            hit = known.get(target)
            if hit is not None and hit[0] == key:
                digests[path] = hit[1]
                continue
            digests[path] = self.hash_file(target)
            if key is not None and not self._is_volatile(target):
                fresh.append((target, key, digests[path]))
        if fresh:
            try:
                self._cache.store(fresh)
            except OSError as exc:  # a cache is a courtesy: never fail the step for it
                log.warning("stat cache not written: %s", exc)
        return digests

    def tree(self, root: str, skip: Iterable[str] = ()) -> str:
        """The hash of a file or folder: relative paths and content hashes."""
        if os.path.isfile(root):
            return self.document({"file": self.files([root])[root]})
        left_out = set(skip)
        found = []
        for folder, dirs, names in os.walk(root, followlinks=True):
            dirs[:] = sorted(d for d in dirs if d not in left_out and d != "__pycache__")
            found += [os.path.join(folder, n) for n in names if not n.endswith(".pyc")]
        digests = self.files(found)
        rel = {os.path.relpath(p, root).replace(os.sep, "/"): h for p, h in digests.items()}
        return self.document({"files": rel})

    def _is_volatile(self, path: str) -> bool:
        return self._volatile is not None and path.startswith(self._volatile)

    def _known(self, paths: list[str]) -> dict[str, Any]:
        if self._cache is None or not paths:
            return {}
        try:
            root = os.path.commonpath([os.path.dirname(p) for p in paths])
            return dict(self._cache.load_prefix(root))
        except (ValueError, OSError) as exc:
            log.warning("stat cache not used: %s", exc)
            return {}
