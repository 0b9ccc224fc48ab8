"""Content hashing for snapshots and fingerprints: BLAKE3 over bytes, files and canonical JSON.

BLAKE3 is cryptographic (no crafted collision can force a wrong reuse) and fast on
every CPU with SIMD: about 3.8 GB/s on one core of the CI machine, against about
0.5 GB/s for SHA-256 without SHA extensions and 0.8 GB/s for BLAKE2b.
"""

from __future__ import annotations

import json
import os
from typing import Any

from blake3 import blake3

#: Files above this size are hashed through a memory map (fewer copies).
_MMAP_THRESHOLD = 1 << 20
_CHUNK = 1 << 20


def hash_bytes(data: bytes) -> str:
    """Hex BLAKE3 digest of ``data``."""
    return blake3(data).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    """Hex BLAKE3 digest of a file's content."""
    hasher = blake3()
    size = os.path.getsize(path)
    if size >= _MMAP_THRESHOLD and hasattr(hasher, "update_mmap"):
        hasher.update_mmap(path)
        return hasher.hexdigest()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def canonical_json(doc: Any) -> bytes:
    """The canonical JSON bytes of ``doc``: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def hash_document(doc: Any) -> str:
    """Hex BLAKE3 digest of the canonical JSON of ``doc``."""
    return hash_bytes(canonical_json(doc))
