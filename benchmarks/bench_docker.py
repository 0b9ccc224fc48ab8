"""Cost of running a step in a container, and of finding its image again.

- container overhead: a one-step pipeline of a no-op script on a DockerCompute target,
  minus the same on the local target (submit to ``wait_for_completion``), compared with
  the engine's own ``docker run --rm IMAGE true``. Target: at most docker run + 0.3 s;
- image cache hit: finding the image of an unchanged environment. Target: under 0.2 s.

Prints "skipped: REASON" when no Docker engine (or no test image) is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, print_figures, temp_workspace

IMAGE = os.environ.get("JP_DOCKER_PYTHON_IMAGE", "jupyter-pipelines-python:bookworm")
REPEATS = 5
TARGETS: dict[str, tuple[str, float]] = {
    "container_overhead_beyond_docker_run_s": ("<=", 0.3),
    "image_cache_hit_s": ("<=", 0.2),
}


def _unavailable() -> str | None:
    try:
        import docker

        client = docker.from_env(timeout=10)
        client.ping()
        client.images.get(IMAGE)
    except Exception as exc:
        return f"no Docker engine with image {IMAGE} ({type(exc).__name__}: {exc})"
    return None


def _one_step_seconds(target: str, root: Path) -> float:
    from jupyter_pipelines import Experiment, Pipeline, PythonScriptStep

    step = PythonScriptStep("noop.py", name="noop", compute_target=target, source_directory=".")
    pipeline = Pipeline(steps=[step])
    start = time.perf_counter()
    run = Experiment(_ws, "bench").submit(pipeline, regenerate_outputs=True)
    run.wait_for_completion(show_output=False)
    return time.perf_counter() - start


_ws: Any = None


def _docker_run_seconds() -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(["docker", "run", "--rm", IMAGE, "true"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return median(times)


def _cache_hit_seconds() -> float:
    from jupyter_pipelines import Environment
    from jupyter_pipelines.executors.docker.engine import client
    from jupyter_pipelines.executors.docker.images import ensure_image
    from jupyter_pipelines.executors.docker.recipe import choose_image

    env = Environment.from_dockerfile("bench", f"FROM {IMAGE}\nRUN echo bench > /bench\n")
    wanted = choose_image(env.to_dict(), None, "bench")
    ensure_image(client(), wanted, lambda line: None)  # built once (or already there)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        ensure_image(client(), choose_image(env.to_dict(), None, "bench"), lambda line: None)
        times.append(time.perf_counter() - start)
    return median(times)


def main() -> dict[str, Any]:
    global _ws
    reason = _unavailable()
    if reason:
        print(f"== docker\n  skipped: {reason}")
        TARGETS.clear()
        return {}
    from jupyter_pipelines import ComputeTarget, DockerCompute

    with temp_workspace() as (ws, root):
        _ws = ws
        (root / "noop.py").write_text("pass\n")
        ComputeTarget.create(ws, "box", DockerCompute.provisioning_configuration(image=IMAGE))
        local = median([_one_step_seconds("local", root) for _ in range(REPEATS)])
        container = median([_one_step_seconds("box", root) for _ in range(REPEATS)])
    docker_run = _docker_run_seconds()
    overhead = container - local
    figures = {
        "local_one_step_s": local,
        "docker_one_step_s": container,
        "container_overhead_s": overhead,
        "docker_run_rm_true_s": docker_run,
        "container_overhead_beyond_docker_run_s": overhead - docker_run,
        "image_cache_hit_s": _cache_hit_seconds(),
    }
    print_figures("docker (no-op script step in a container vs locally)", figures)
    return figures


if __name__ == "__main__":
    main()
