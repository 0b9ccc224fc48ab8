"""Building a step environment with pandas and scikit-learn: first build, the same
environment from a second workspace, and a changed environment, with the disk each uses.

The wheels are in the local package cache first (an untimed build in a throwaway cache of
environments fills uv's), as the target says. Each figure is one call of
``executors.environments.python_for`` in a fresh cache of environments
(``JUPYTER_PIPELINES_ENV_CACHE`` in a temporary folder, on the file system of uv's cache so
that hard links work, as they do for ``~/.cache``):

- ``first_build_s``: the first build (uv venv, uv pip install, the host ``.pth``, renamed
  into place);
- ``second_workspace_s``: the same environment asked for by another workspace;
- ``second_workspace_new_mb``: what that second use added to the disk (nothing: one copy);
- ``changed_build_s``: the environment plus one package (a new build), and
  ``unchanged_after_change_s``: the first one asked for again (no build);
- ``env_mb`` and ``env_own_mb``: an environment's size as ``du`` counts it alone, and the
  part that is not hard links into uv's cache (``env_own_mb``: what it really adds, mostly
  the bytecode compiled in the background after the build, which the figures wait for).

``python benchmarks/bench_envs.py --pip`` also times the pip fallback once (slow: 15 s or
more), for comparison.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_figures, temp_dir

PACKAGES = ["pandas", "scikit-learn"]
TARGETS = {
    "first_build_s": ("<=", 5.0),
    "second_workspace_s": ("<=", 0.5),
    "second_workspace_new_mb": ("<=", 0.0),
}


def _environment(packages: list[str]) -> Any:
    from jupyter_pipelines import CondaDependencies, Environment

    env = Environment("bench-pandas-sklearn")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=packages)
    return env


def _build(packages: list[str], workspace: Path, log: list[str]) -> tuple[float, str]:
    from jupyter_pipelines.executors.environments import python_for

    start = time.perf_counter()
    python = python_for(_environment(packages), workspace, log.append)
    return time.perf_counter() - start, python


def _own_bytes(folder: Path) -> int:
    """Bytes of the files in ``folder`` that are not hard links to files elsewhere."""
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            info = os.lstat(os.path.join(parent, name))
            if info.st_nlink == 1:
                total += info.st_blocks * 512
    return total


def _settle(folder: Path, quiet_s: float = 2.0, limit_s: float = 120.0) -> None:
    """Wait until ``folder`` stops growing (its bytecode is compiled after the build)."""
    deadline = time.monotonic() + limit_s
    size, since = _own_bytes(folder), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.5)
        now = _own_bytes(folder)
        if now != size:
            size, since = now, time.monotonic()


def _cache_root() -> Path:
    """A temporary parent on the file system of uv's cache (hard links need one)."""
    uv_cache = Path(os.environ.get("UV_CACHE_DIR") or Path.home() / ".cache" / "uv")
    return uv_cache.parent if uv_cache.parent.is_dir() else Path.home()


def main(with_pip: bool = False) -> dict[str, Any]:
    from jupyter_pipelines.executors import env_cache
    from jupyter_pipelines.executors import environments as envs

    if envs._uv_executable() is None:
        raise RuntimeError("uv is not installed: pip install uv (jupyter_pipelines depends on it)")
    old = os.environ.get(env_cache.CACHE_ENV_VAR)
    figures: dict[str, Any] = {"packages": " ".join(PACKAGES)}
    try:
        with temp_dir("jp-bench-envs-") as root, temp_dir_in(_cache_root()) as caches:
            log: list[str] = []
            os.environ[env_cache.CACHE_ENV_VAR] = str(caches / "warm-up")
            _build(PACKAGES, root / "ws0", log)  # fills uv's cache with the wheels
            os.environ[env_cache.CACHE_ENV_VAR] = str(caches / "envs")
            first, python = _build(PACKAGES, root / "ws1", log)
            env_dir = Path(python).parent.parent
            _settle(env_dir)  # the background bytecode compile of the first build
            before = env_cache.disk_usage(caches / "envs")
            second, again = _build(PACKAGES, root / "ws2", log)
            assert again == python
            added = env_cache.disk_usage(caches / "envs") - before
            changed, other = _build([*PACKAGES, "six"], root / "ws1", log)
            assert other != python
            unchanged, same = _build(PACKAGES, root / "ws3", log)
            assert same == python
            builds = sum(line.startswith("building environment") for line in log)
            figures.update(
                {
                    "first_build_s": first,
                    "second_workspace_s": second,
                    "second_workspace_new_mb": added / 1e6,
                    "changed_build_s": changed,
                    "unchanged_after_change_s": unchanged,
                    "builds": builds,  # warm-up, first, changed
                    "env_mb": env_cache.disk_usage(env_dir) / 1e6,
                    "env_own_mb": _own_bytes(env_dir) / 1e6,
                }
            )
            if with_pip:
                figures["pip_first_build_s"] = _pip_build(caches, root)
    finally:
        if old is None:
            os.environ.pop(env_cache.CACHE_ENV_VAR, None)
        else:
            os.environ[env_cache.CACHE_ENV_VAR] = old
    print_figures("environments: pandas + scikit-learn, uv's cache warm", figures)
    return figures


def _pip_build(caches: Path, root: Path) -> float:
    from jupyter_pipelines.executors import env_cache
    from jupyter_pipelines.executors import environments as envs

    saved = envs._uv_executable
    envs._uv_executable = lambda: None  # type: ignore[assignment]
    try:
        os.environ[env_cache.CACHE_ENV_VAR] = str(caches / "pip")
        return _build(PACKAGES, root / "pip", [])[0]
    finally:
        envs._uv_executable = saved  # type: ignore[assignment]


@contextlib.contextmanager
def temp_dir_in(parent: Path) -> Iterator[Path]:
    """A temporary folder under ``parent``, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=".jp-bench-envs-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main(with_pip="--pip" in sys.argv[1:])
