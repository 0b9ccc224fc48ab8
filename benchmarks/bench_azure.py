"""Azure Blob datastores on Azurite (the storage emulator, started here on the loopback):
fingerprinting an unchanged container of 10,000 small blobs, and moving 1 GB in 1,000
files up and down, against a plain adlfs ``put``/``get`` baseline.

Figures (MB = 10^6 bytes):

- ``fingerprint_10k_s`` (target under 1 s): ``Dataset.File.from_files((ds, 'many/**'))
  .content_hash()`` on 10,000 blobs of 100 bytes, nothing changed (median of 3): one
  listing with metadata; ``fingerprint_blob_reads`` counts the blob reads the emulator
  logged meanwhile (0);
- ``upload_mb_s`` / ``download_mb_s``: ``ds.upload(dir, overwrite=True)`` and
  ``ds.download(dir, prefix=...)`` of 1,000 files of 1 MB (best of 2);
  ``staged_upload_mb_s``: ``ds.put_files_complete`` (how step outputs are delivered: blocks
  staged, then committed, nothing visible before the end);
- ``adlfs_put_mb_s`` / ``adlfs_get_mb_s``: the baseline, an ``AzureBlobFileSystem`` with
  its defaults, ``fs.put(dir, 'container/x/', recursive=True)`` and ``fs.get(...)`` (best
  of 2, interleaved with ours so that neither gets a warmer emulator);
- ``upload_vs_adlfs`` and ``download_vs_adlfs`` (targets at least 1.0): ours over theirs.

The emulator keeps its data on this disk, so the figures measure the emulator and the
client on this machine (2 cores shared by both), not a network. ``JP_BENCH_AZURE_FILES``
and ``JP_BENCH_AZURE_SMALL`` scale the data down for a quick look.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_dir, temp_workspace

FILES = int(os.environ.get("JP_BENCH_AZURE_FILES", "1000"))
FILE_SIZE = 1_000_000
SMALL = int(os.environ.get("JP_BENCH_AZURE_SMALL", "10000"))
REPEATS = 2

TARGETS = {
    "fingerprint_10k_s": ("<=", 1.0),
    "fingerprint_blob_reads": ("<=", 0),
    "upload_vs_adlfs": (">=", 1.0),
    "download_vs_adlfs": (">=", 1.0),
}


def main() -> dict[str, Any]:
    from tests.azure import emulator

    reason = emulator.unavailable_reason()
    if reason:
        raise RuntimeError(f"no Azurite: {reason}")
    az = emulator.start()
    try:
        with temp_workspace("jp-bench-azure-") as (ws, root):
            figures = fingerprint(ws, az, root)
            figures.update(transfers(ws, az, root))
    finally:
        az.stop()
    print_figures("Azure Blob datastores on Azurite", figures)
    return figures


def store(ws: Any, az: Any, name: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    from jupyter_pipelines import Datastore
    from tests.azure.emulator import ACCOUNT, KEY

    BlobServiceClient.from_connection_string(az.connection_string).create_container(name)
    return Datastore.register_azure_blob_container(
        ws, name, name, ACCOUNT, account_key=KEY, protocol="http", endpoint=az.endpoint
    )


def fingerprint(ws: Any, az: Any, root: Path) -> dict[str, Any]:
    from jupyter_pipelines import Dataset

    ds = store(ws, az, "small")
    src = root / "small"
    for i in range(SMALL):
        folder = src / f"d{i // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_bytes(f"{i:0100d}".encode())
    start = time.perf_counter()
    ds.upload(str(src), "many", overwrite=True)
    upload_s = time.perf_counter() - start
    dataset = Dataset.File.from_files((ds, "many/**"))
    dataset.content_hash()  # warms imports and the connection
    before = len(az.requests())
    times = []
    for _ in range(3):
        start = time.perf_counter()
        dataset.content_hash()
        times.append(time.perf_counter() - start)
    made = az.requests()[before:]
    reads = [r for r in made if r.startswith("GET") and "comp=" not in r]
    return {
        "small_blobs": SMALL,
        "small_upload_s": round(upload_s, 2),
        "fingerprint_10k_s": median(times),
        "fingerprint_requests": len(made) // 3,
        "fingerprint_blob_reads": len(reads),
    }


def transfers(ws: Any, az: Any, root: Path) -> dict[str, Any]:
    from adlfs import AzureBlobFileSystem

    ds = store(ws, az, "big")
    plain = AzureBlobFileSystem(connection_string=az.connection_string)
    with temp_dir("jp-bench-azure-data-") as data:
        src = data / "src"
        src.mkdir()
        for i in range(FILES):
            (src / f"part-{i:04d}.bin").write_bytes(os.urandom(FILE_SIZE))
        mb = FILES * FILE_SIZE / 1e6
        best: dict[str, float] = {}

        def record(name: str, seconds: float) -> None:
            best[name] = max(best.get(name, 0.0), mb / seconds)

        pairs = [(p, f"staged/{p.name}") for p in sorted(src.iterdir())]
        for round_ in range(REPEATS):
            one_round(ds, plain, src, data / f"out{round_}", pairs, record)
    figures: dict[str, Any] = {"files": FILES, "megabytes": mb}
    figures.update({k: round(v, 1) for k, v in best.items()})
    figures["upload_vs_adlfs"] = round(best["upload_mb_s"] / best["adlfs_put_mb_s"], 2)
    figures["download_vs_adlfs"] = round(best["download_mb_s"] / best["adlfs_get_mb_s"], 2)
    return figures


def one_round(ds: Any, plain: Any, src: Path, out: Path, pairs: Any, record: Any) -> None:
    """Each transfer once, the baseline first (interleaved with ours round by round)."""
    record("adlfs_put_mb_s", _timed(lambda: plain.put(str(src), "big/plain/", recursive=True)))
    record("upload_mb_s", _timed(lambda: ds.upload(str(src), "ours", overwrite=True)))
    record("staged_upload_mb_s", _timed(lambda: ds.put_files_complete(pairs)))
    target = str(out / "plain") + "/"
    record("adlfs_get_mb_s", _timed(lambda: plain.get("big/plain/", target, recursive=True)))
    record("download_mb_s", _timed(lambda: ds.download(out / "ours", "ours", overwrite=True)))
    assert len(list((out / "ours" / "ours").iterdir())) == FILES


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
