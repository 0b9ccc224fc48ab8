"""Run every benchmark and print its figures, then each target with PASS or MISS.

Usage: ``python benchmarks/run_all.py [NAME ...] [--strict]``, where NAME selects benchmarks
by a part of their module name (``overhead``, ``submit``, ``fanout``, ``plan``, ``reuse``,
``fingerprint``, ``parallel``, ``server``, ``azure``, ``envs``, ``dask``). The exit status is
1 when a benchmark fails to run, and with ``--strict`` also when a target is missed.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODULES = [
    "bench_cli_help",
    "bench_step_overhead",
    "bench_submit",
    "bench_notebook_fanout",
    "bench_plan_1000",
    "bench_reuse_100",
    "bench_fingerprint_tree",
    "bench_parallel",
    "bench_server",
    "bench_frontend",
    "bench_docker",
    "bench_azure",
    "bench_envs",
    "bench_dask",
    "bench_transport",
]


def check(value: Any, op: str, limit: float) -> bool:
    return value <= limit if op == "<=" else value >= limit


def fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    names = [a for a in argv if not a.startswith("--")]
    selected = [m for m in MODULES if not names or any(n in m for n in names)]
    print(
        f"jupyter_pipelines benchmarks: {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}"
    )
    rows: list[tuple[str, str, str, str]] = []
    failed = missed = False
    for name in selected:
        module = importlib.import_module(name)
        start = time.perf_counter()
        try:
            figures = module.main()
        except Exception:
            traceback.print_exc()
            print(f"!! {name} failed")
            rows.append((name, "-", "-", "ERROR"))
            failed = True
            continue
        print(f"   ({name} took {time.perf_counter() - start:.1f} s)")
        for key, (op, limit) in module.TARGETS.items():
            value = figures[key]
            ok = check(value, op, limit)
            missed |= not ok
            rows.append((f"{name}.{key}", fmt(value), f"{op} {limit:g}", "PASS" if ok else "MISS"))
    print("\n== targets")
    widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else [0, 0, 0]
    for row in rows:
        print(f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    if failed or (strict and missed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
