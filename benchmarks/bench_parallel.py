"""ParallelRunStep's mini-batch runner against a plain ``multiprocessing.Pool``.

10,000 small files through a no-op ``run()`` (it returns its mini-batch, one row per file),
``mini_batch_size=100`` (100 mini-batches) on 2 worker processes:

- the runner as a step runs it (``python -m jupyter_pipelines.runtime.parallel``, a fresh
  process: listing, keys, workers with ``init()``, the rows file in input order, logs and
  progress), with the mini-batch cache empty (every mini-batch runs, and is stored) and
  full (a rerun: none runs), and without the cache;
- a plain ``multiprocessing.Pool(2)`` in a fresh process doing the same work: list the
  files, map the no-op over the 100 chunks, write the rows in order;
- the whole step through the engine (submit until the run's end is recorded).

The per-mini-batch overhead, held to the target, is (runner - Pool) / 100 with the cache
empty: what the runner adds to each mini-batch, its process and worker start included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_dir, temp_workspace

FILES = 10_000
BATCH = 100
WORKERS = 2
REPEATS = 3

TARGETS = {"per_mini_batch_overhead_ms": ("<=", 20.0)}

ENTRY = "def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n"

POOL = """\
import multiprocessing, os, sys

def noop(batch):
    return batch

if __name__ == "__main__":
    root, out = sys.argv[1], sys.argv[2]
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
    chunks = [files[i : i + {batch}] for i in range(0, len(files), {batch})]
    with multiprocessing.Pool({workers}) as pool:
        results = pool.map(noop, chunks, chunksize=1)
    with open(out, "w") as fh:
        for rows in results:
            fh.write("\\n".join(rows) + "\\n")
"""


def _make_files(root: Path) -> Path:
    data = root / "data"
    for i in range(FILES):
        folder = data / f"d{i // 1000:02d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:05d}.txt").write_text(f"{i}\n")
    return data


def _runner(root: Path, data: Path, cache: Path | None) -> float:
    """Seconds of one run of the runner in a fresh process."""
    config = {
        "step_name": "bench",
        "entry_script": "noop.py",
        "inputs": [{"name": "files", "path": str(data)}],
        "output_dir": str(root / "out"),
        "mini_batch_size": BATCH,
        "workers": WORKERS,
        "logs_dir": str(root / "logs"),
        "cache_dir": str(cache) if cache else None,
        "stat_cache": str(root / "statcache.db"),
    }
    argv = [sys.executable, "-m", "jupyter_pipelines.runtime.parallel"]
    argv += ["--config", json.dumps(config)]
    start = time.perf_counter()
    subprocess.run(argv, cwd=root / "code", check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    rows = (root / "out" / "parallel_run_step.txt").read_text().count("\n")
    assert rows == FILES, f"{rows} rows, expected {FILES}"
    return elapsed


def _pool(root: Path, data: Path) -> float:
    script = root / "pool.py"
    script.write_text(POOL.replace("{batch}", str(BATCH)).replace("{workers}", str(WORKERS)))
    start = time.perf_counter()
    subprocess.run([sys.executable, str(script), str(data), str(root / "pool.txt")], check=True)
    elapsed = time.perf_counter() - start
    assert (root / "pool.txt").read_text().count("\n") == FILES
    return elapsed


def _engine(data: Path) -> float:
    """Seconds from submit to the recorded end of a one-step pipeline over the files."""
    from jupyter_pipelines import (
        Dataset,
        Experiment,
        ParallelRunConfig,
        ParallelRunStep,
        Pipeline,
        PipelineData,
    )

    with temp_workspace() as (ws, root):
        (root / "code").mkdir()
        (root / "code" / "noop.py").write_text(ENTRY)
        files = Dataset.File.from_files(str(data))
        config = ParallelRunConfig(
            environment=None, entry_script="noop.py", source_directory="code",
            error_threshold=0, output_action="append_row", compute_target=None, node_count=1,
            process_count_per_node=WORKERS, mini_batch_size=str(BATCH),
        )  # fmt: skip
        step = ParallelRunStep(
            "bench", config, [files.as_named_input("files")], output=PipelineData("rows")
        )
        start = time.time()
        run = Experiment(ws, "bench-parallel").submit(Pipeline(steps=[step]), show_output=False)
        run.wait_for_completion(show_output=False)
        record = ws.run_store.get_run(run.id)
        return float(record.ended - start)


def main() -> dict[str, Any]:
    cold, warm, uncached, pool = [], [], [], []
    with temp_dir() as root:
        data = _make_files(root)
        (root / "code").mkdir()
        (root / "code" / "noop.py").write_text(ENTRY)
        for i in range(REPEATS):
            cache = root / f"cache{i}"
            cache.mkdir()
            pool.append(_pool(root, data))
            cold.append(_runner(root, data, cache))
            warm.append(_runner(root, data, cache))
            uncached.append(_runner(root, data, None))
        engine = _engine(data)
    batches = FILES // BATCH
    figures = {
        "files": FILES,
        "mini_batches": batches,
        "workers": WORKERS,
        "pool_total_s": median(pool),
        "runner_total_s": median(cold),
        "runner_no_cache_total_s": median(uncached),
        "runner_all_cached_total_s": median(warm),
        "per_mini_batch_overhead_ms": (median(cold) - median(pool)) / batches * 1000,
        "per_mini_batch_overhead_no_cache_ms": (median(uncached) - median(pool)) / batches * 1000,
        "runner_over_pool_ratio": median(cold) / median(pool),
        "engine_submit_to_end_s": engine,
    }
    print_figures(
        f"ParallelRunStep runner vs multiprocessing.Pool ({FILES} files, mini_batch_size="
        f"{BATCH}, {WORKERS} processes, no-op run())",
        figures,
    )
    return figures


if __name__ == "__main__":
    main()
