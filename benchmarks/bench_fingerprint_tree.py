"""Snapshotting and fingerprinting a 10,000-file, 1 GB source tree, cold and warm.

The tree: 10,000 files of random bytes (50-150 KB, about 1 GB in all) in 10 x 10 nested
folders, written into the temporary workspace's project folder (the same filesystem as the
workspace and its snapshot store) and removed afterwards. The caches are not dropped (that
cannot be done reliably here): the data was just written, so it is read from the page cache,
and the figures are CPU throughput, not disk throughput.

The stat cache does not remember files changed within the last 2 s (git's racily-clean
rule, on both mtime and ctime). ``os.utime`` can move mtimes back but not ctimes, so the
benchmark waits until 2.5 s have passed since the last file was written before it starts.

Figures (MB = 10^6 bytes; everything runs on one core):

- ``cold_fingerprint_mb_s`` (the target, at least 400 MB/s per core): listing the tree
  (``snapshot.scan``, with its ignore rules and limits) plus ``hash_file`` of every file:
  the work a cold content fingerprint needs, best of ``COLD_REPEATS``;
- ``hash_file_mb_s``: ``hash_file`` over the same files alone (pure BLAKE3 plus file I/O);
- ``cold_take_mb_s``: ``SnapshotStore(new empty store).take(tree)`` with the limits raised.
  A cold take also copies every file into the content-addressed object store (hashing the
  bytes it copies) and fills the stat cache, so it writes another 1 GB;
- ``warm_take_s`` (the target, under 0.3 s): ``take`` again with nothing changed: the stat
  cache answers every file, nothing is read or copied (median of ``WARM_REPEATS``, after an
  ``os.sync()`` so that the writeback of the cold takes does not slow it).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

FILES = 10_000
FANOUT = 10  # FANOUT x FANOUT folders of FILES / FANOUT**2 files each
MIN_SIZE, MAX_SIZE = 50_000, 150_000
SEED = 20261124
COLD_REPEATS = 3
WARM_REPEATS = 5
MAX_FILES = 100_000
MAX_BYTES = 4 << 30

TARGETS = {
    "cold_fingerprint_mb_s": (">=", 400.0),
    "warm_take_s": ("<=", 0.3),
}


def write_tree(root: Path) -> int:
    """Write the tree; return its size in bytes."""
    rng = random.Random(SEED)
    per_folder = FILES // (FANOUT * FANOUT)
    total = 0
    for a in range(FANOUT):
        for b in range(FANOUT):
            folder = root / f"pkg_{a:02d}" / f"mod_{b:02d}"
            folder.mkdir(parents=True)
            for c in range(per_folder):
                data = rng.randbytes(rng.randint(MIN_SIZE, MAX_SIZE))
                (folder / f"part_{c:03d}.bin").write_bytes(data)
                total += len(data)
    return total


def wait_past_racy_window(seconds: float = 2.5) -> None:
    """Sleep until ``seconds`` have passed since the tree was last written."""
    time.sleep(seconds)


def main() -> dict[str, Any]:
    from jupyter_pipelines.reuse.hashing import hash_file
    from jupyter_pipelines.reuse.snapshot import SnapshotStore, scan

    cold_fp, hashing, cold_take, warm = [], [], [], []
    with temp_workspace() as (ws, root):
        tree = root / "tree"
        start = time.perf_counter()
        total = write_tree(tree)
        generate_s = time.perf_counter() - start
        wait_past_racy_window()
        mb = total / 1e6

        for _ in range(COLD_REPEATS):
            start = time.perf_counter()
            listed = scan(tree, MAX_FILES, MAX_BYTES)
            for _rel, path, _st in listed:
                hash_file(path)
            cold_fp.append(time.perf_counter() - start)
            assert len(listed) == FILES

            start = time.perf_counter()
            for _rel, path, _st in listed:
                hash_file(path)
            hashing.append(time.perf_counter() - start)

        store_dir = ws.snapshots_dir
        for i in range(COLD_REPEATS):
            shutil.rmtree(store_dir, ignore_errors=True)
            start = time.perf_counter()
            snap = SnapshotStore(store_dir).take(tree, max_files=MAX_FILES, max_bytes=MAX_BYTES)
            cold_take.append(time.perf_counter() - start)
            assert len(snap.files) == FILES
            if i == 0:
                cold_id = snap.id

        # Let the writeback of the cold takes' 3 GB finish: it would slow the warm stats.
        if hasattr(os, "sync"):
            os.sync()
        for _ in range(WARM_REPEATS):
            store = SnapshotStore(store_dir)  # a new store object: nothing cached in memory
            start = time.perf_counter()
            snap = store.take(tree, max_files=MAX_FILES, max_bytes=MAX_BYTES)
            warm.append(time.perf_counter() - start)
            if snap.id != cold_id:
                raise RuntimeError("the warm snapshot differs from the cold one")
        store_bytes = sum(
            os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(store_dir) for f in fs
        )

    figures = {
        "files": FILES,
        "tree_mb": mb,
        "generate_s": generate_s,
        "page_cache": "warm (data just written; caches not dropped)",
        "racy_window": "waited 2.5 s after writing (utime cannot move ctime back)",
        "cold_fingerprint_s": min(cold_fp),
        "cold_fingerprint_mb_s": mb / min(cold_fp),
        "hash_file_mb_s": mb / min(hashing),
        "cold_take_s": min(cold_take),
        "cold_take_mb_s": mb / min(cold_take),
        "store_mb_after_take": store_bytes / 1e6,
        "warm_take_s": median(warm),
        "warm_take_max_s": max(warm),
    }
    print_figures("10,000-file, 1 GB source tree: cold and warm snapshot/fingerprint", figures)
    return figures


def profile(what: str = "warm") -> None:
    """Print a cProfile of one warm (or cold) take of the tree."""
    import cProfile
    import pstats

    from jupyter_pipelines.reuse.snapshot import SnapshotStore

    with temp_workspace() as (ws, root):
        tree = root / "tree"
        write_tree(tree)
        wait_past_racy_window()
        store = SnapshotStore(ws.snapshots_dir)
        prof = cProfile.Profile()
        if what == "cold":
            prof.enable()
        store.take(tree, max_files=MAX_FILES, max_bytes=MAX_BYTES)
        if what != "cold":
            prof.enable()
            SnapshotStore(ws.snapshots_dir).take(tree, max_files=MAX_FILES, max_bytes=MAX_BYTES)
        prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile(sys.argv[2] if len(sys.argv) > 2 else "warm")
    else:
        main()
