"""The 10-notebook fan-out run by Elyra, Ploomber, sequential papermill and us, side by side.

``make bench-peers`` (not part of ``make test`` or ``make bench``): installs Elyra and
Ploomber into virtual environments of their own under a temporary folder (with uv, from the
package index as pip would use it), writes the fan-out of ``fanout.py``, then runs it,
interleaved over ``--rounds`` rounds (3), each tool in a fresh copy of the files:

- ``elyra``: ``elyra-pipeline run fanout.pipeline`` (Elyra's local runtime: papermill, one
  node after another, in place);
- ``ploomber``: ``ploomber build --force`` of ``pipeline.yaml`` with ``executor: parallel``
  (papermill in a process pool);
- ``papermill``: one fresh Python process that imports papermill and runs the ten notebooks
  one after another (this checkout's interpreter);
- ``ours``: ``jupyter-pipelines run fanout.pipeline`` (the same Elyra file) in a fresh
  workspace, so nothing is reused.

Each figure is the wall-clock time of the whole command, from outside (interpreter start and
imports included). Prints each tool's best and median, and ours over each (best over best),
with the issue's targets: at most 0.2 x Elyra and 0.35 x sequential papermill.

Usage: ``python benchmarks/peers/bench_peers.py [--rounds N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import fanout  # noqa: E402

PEERS = {
    "elyra": ["elyra>=4"],
    "ploomber": ["ploomber", "papermill", "ipykernel"],
}
TARGETS = {"ours_over_elyra": 0.2, "ours_over_papermill": 0.35}
SEQUENTIAL = """
import json, sys
import papermill as pm
for src, dst in json.loads(sys.argv[1]):
    pm.execute_notebook(src, dst, cwd=sys.argv[2], progress_bar=False, kernel_name="python3")
"""


def install(name: str, requirements: list[str], where: Path) -> Path:
    """A venv in ``where/name`` with ``requirements``; returns its bin folder."""
    from jupyter_pipelines.executors.env_build import find_uv, pip_config_options

    uv = find_uv()
    if uv is None:
        raise SystemExit("uv is needed to install the peers: pip install uv")
    venv = where / name
    started = time.perf_counter()
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # bytecode as pip would write it: without it (PYTHONDONTWRITEBYTECODE) every kernel start
    # compiles IPython again, which would make the peers look slower than they are
    command = [uv, "pip", "install", "-q", "--compile-bytecode", "--python", python]
    done = subprocess.run(
        [*command, *pip_config_options(), *requirements], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"cannot install {name} ({' '.join(requirements)}):\n{done.stderr}")
    print(f"installed {name} {_version(venv, name)} in {time.perf_counter() - started:.1f} s")
    return venv / "bin"


def _version(venv: Path, name: str) -> str:
    probe = f"import importlib.metadata as m; print(m.version({name!r}))"
    python = str(venv / "bin" / "python")
    return subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.strip()


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    env["PLOOMBER_STATS_ENABLED"] = "false"  # no telemetry calls
    return env


def _timed(name: str, argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise SystemExit(f"{name} failed ({done.returncode}) in {cwd}:\n{tail}")
    return took


def run_elyra(bin_dir: Path, folder: Path) -> float:
    fanout.write_elyra(folder)
    return _timed("elyra", [str(bin_dir / "elyra-pipeline"), "run", "fanout.pipeline"], folder)


def run_ploomber(bin_dir: Path, folder: Path) -> float:
    fanout.write_ploomber(folder)
    argv = [str(bin_dir / "ploomber"), "build", "--entry-point", "pipeline.yaml", "--force"]
    took = _timed("ploomber", argv, folder)
    missing = [n for n in range(fanout.CHILDREN) if not (folder / f"out/child_{n}.ipynb").is_file()]
    if missing:
        raise SystemExit(f"ploomber did not run child notebooks {missing} in {folder}")
    return took


def run_papermill(folder: Path) -> float:
    fanout.write_elyra(folder)
    out = folder / "out"
    out.mkdir()
    jobs = json.dumps(fanout.sequential_jobs(folder, out))
    return _timed("papermill", [sys.executable, "-c", SEQUENTIAL, jobs, str(folder)], folder)


def run_ours(folder: Path) -> float:
    fanout.write_elyra(folder)
    cli = str(Path(sys.executable).parent / "jupyter-pipelines")
    took = _timed("ours", [cli, "-w", str(folder), "run", "fanout.pipeline"], folder)
    if (folder / "value.txt").exists():
        raise SystemExit("jupyter-pipelines wrote next to the sources")  # ours runs aside
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (venvs, runs)")
    args = parser.parse_args(argv)
    work = Path(args.keep or tempfile.mkdtemp(prefix="jp-bench-peers-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(work, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _bench(work: Path, rounds: int) -> int:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"peers: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load}, in {work}")
    bins = {name: install(name, reqs, work / "venvs") for name, reqs in PEERS.items()}
    runners = {
        "elyra": lambda f: run_elyra(bins["elyra"], f),
        "ploomber": lambda f: run_ploomber(bins["ploomber"], f),
        "papermill": run_papermill,
        "ours": run_ours,
    }
    for name, runner in runners.items():  # untimed: warms the file cache, checks each runs
        runner(work / "warm-up" / name)
    times: dict[str, list[float]] = {name: [] for name in runners}
    order = list(runners)
    for i in range(rounds):
        for name in order[i % len(order) :] + order[: i % len(order)]:  # rotate who goes first
            took = runners[name](work / f"round{i}" / name)
            times[name].append(took)
            print(f"  round {i + 1}: {name:<9} {took:6.2f} s", flush=True)
    return _report(times)


def _report(times: dict[str, list[float]]) -> int:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n== 10-notebook fan-out (seconds, wall clock of the whole command; load {load})")
    for name, values in times.items():
        runs = " ".join(f"{v:.2f}" for v in values)
        middle = statistics.median(values)
        print(f"  {name:<9} best {min(values):6.2f}  median {middle:6.2f}  ({runs})")
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    print("\n== ours over each (best / best; median / median)")
    for peer in ("elyra", "ploomber", "papermill"):
        ratio = best["ours"] / best[peer]
        key = f"ours_over_{peer}"
        target = TARGETS.get(key)
        verdict = ""
        if target is not None:
            verdict = f"  target <= {target}: {'PASS' if ratio <= target else 'MISS'}"
        ratio_median = median["ours"] / median[peer]
        print(f"  {key:<20} {ratio:.3f}  (median {ratio_median:.3f}){verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
