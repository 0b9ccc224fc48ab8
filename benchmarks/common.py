"""Helpers shared by the benchmarks: timing, statistics, temporary workspaces, reporting."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as ``python benchmarks/x.py`` from anywhere
    sys.path.insert(0, str(ROOT))


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of ``values``, linearly interpolated."""
    data = sorted(values)
    if not data:
        raise ValueError("percentile of no values")
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once; return (seconds, result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat(fn: Callable[[], Any], times: int) -> list[float]:
    """Seconds taken by each of ``times`` calls of ``fn``."""
    return [timed(fn)[0] for _ in range(times)]


def time_command(argv: Sequence[str], times: int, **kwargs: Any) -> list[float]:
    """Wall-clock seconds of each of ``times`` runs of a command (output discarded)."""
    out = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run(
            list(argv),
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **kwargs,
        )
        out.append(time.perf_counter() - start)
    return out


_BARE_PYTHON = """
import statistics, subprocess, sys, time
runs = int(sys.argv[1])
argv = [sys.executable, "-c", "pass"]
times = []
for _ in range(runs + 2):  # the first two warm the file cache
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    times.append(time.perf_counter() - start)
print(repr(times[2:]))
"""


def bare_python_runs(times: int = 20) -> list[float]:
    """Wall-clock seconds of ``times`` runs of ``python -c pass`` with this interpreter.

    Timed from a small helper process, not from the benchmark process: starting a child
    from a process that has imported much (as the benchmark has) costs more, and the run
    driver that starts steps is a small process too.
    """
    out = subprocess.run(
        [sys.executable, "-c", _BARE_PYTHON, str(times)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [float(x) for x in out.strip().strip("[]").split(",")]


def bare_python_seconds(times: int = 20) -> float:
    """Median wall-clock seconds of ``python -c pass`` (see ``bare_python_runs``)."""
    return median(bare_python_runs(times))


@contextlib.contextmanager
def temp_dir(prefix: str = "jp-bench-") -> Iterator[Path]:
    """A temporary folder, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix)).resolve()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def temp_workspace(prefix: str = "jp-bench-") -> Iterator[tuple[Any, Path]]:
    """A fresh workspace in a temporary project folder; yields (workspace, project folder).

    The current directory is the project folder meanwhile, and
    ``JUPYTER_PIPELINES_WORKSPACE`` is unset, so nothing leaks into the user's workspace.
    """
    from jupyter_pipelines import Workspace

    old_cwd = os.getcwd()
    old_env = os.environ.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    with temp_dir(prefix) as root:
        os.chdir(root)
        try:
            yield Workspace.at(root), root
        finally:
            os.chdir(old_cwd)
            if old_env is not None:
                os.environ["JUPYTER_PIPELINES_WORKSPACE"] = old_env


def ms(seconds: float) -> str:
    """Seconds as milliseconds text."""
    return f"{seconds * 1000:.1f} ms"


def print_figures(title: str, figures: dict[str, Any]) -> None:
    """Print a benchmark's figures, one per line."""
    print(f"== {title}")
    width = max(len(k) for k in figures) if figures else 0
    for key, value in figures.items():
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {text}")
