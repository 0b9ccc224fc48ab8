"""The per-user cache of step environments, for real: built with uv (pip as the fallback) from
the machine's package index, shared by workspaces, built once under concurrency, rebuilt only
when changed, collected when unused.

Small pure-Python wheels (``six``, ``iniconfig``, ``wheel`` for a console script) keep builds
near a second each; each test has a cache of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_pipelines import CondaDependencies, Environment
from jupyter_pipelines.cli.main import main as cli
from jupyter_pipelines.executors import env_cache
from jupyter_pipelines.executors import environments as envs
from jupyter_pipelines.executors.environments import python_for

pytestmark = pytest.mark.integration


def environment(name: str, pip: list[str], conda: list[str] | None = None) -> Environment:
    env = Environment(name)
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=pip, conda_packages=conda)
    return env


def builds(lines: list[str]) -> int:
    return sum(line.startswith("building environment") for line in lines)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "env-cache"
    monkeypatch.setenv(env_cache.CACHE_ENV_VAR, str(folder))
    monkeypatch.setattr(envs, "_conda_executable", lambda: None)
    return folder


@pytest.fixture(scope="module")
def uv_available() -> None:
    if envs._uv_executable() is None:
        pytest.skip("uv is not installed (pip install uv)")


def test_two_workspaces_share_one_environment_built_once(
    tmp_path: Path, cache: Path, uv_available: None
) -> None:
    env = environment("shared", ["six", "wheel"])
    first: list[str] = []
    python = python_for(env, tmp_path / "ws1" / ".pipelines", first.append)
    assert builds(first) == 1 and any("with uv" in line for line in first), first
    env_dir = Path(python).parent.parent
    assert env_dir.parent == cache
    assert not list(cache.glob(".building-*"))  # built aside, renamed into place
    marker = json.loads((env_dir / env_cache.MARKER).read_text())
    assert marker["builder"] == "uv"

    stamp = env_dir / env_cache.STAMP
    os.utime(stamp, (1, 1))
    second: list[str] = []
    started = time.monotonic()
    again = python_for(environment("shared", ["six", "wheel"]), tmp_path / "ws2", second.append)
    assert time.monotonic() - started < 0.5
    assert again == python and builds(second) == 0, second
    assert stamp.stat().st_mtime > time.time() - 60  # the use was stamped
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [env_dir.name]  # one copy

    # the relocated venv works: its interpreter, the host's package, a console script
    quiet = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # only the build compiles
    probe = subprocess.run(
        [python, "-c", "import six, jupyter_pipelines; print(six.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        env=quiet,
    )
    assert probe.returncode == 0 and probe.stdout.startswith(str(env_dir)), probe.stderr
    script = subprocess.run(
        [str(env_dir / "bin" / "wheel"), "version"], capture_output=True, text=True, check=False
    )
    assert script.returncode == 0, script.stderr
    # uv writes no bytecode: a background compile after publishing does
    assert any("bytecode in the background" in line for line in first)
    pyc = Path(probe.stdout.strip()).parent / "__pycache__"
    deadline = time.monotonic() + 60
    while not list(pyc.glob("six.*.pyc")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(pyc.glob("six.*.pyc")), f"no bytecode in {pyc}"


def test_concurrent_builders_in_separate_processes_build_once(
    tmp_path: Path, cache: Path, uv_available: None
) -> None:
    code = (
        "import sys\n"
        "from jupyter_pipelines import CondaDependencies, Environment\n"
        "from jupyter_pipelines.executors.environments import python_for\n"
        "env = Environment('together')\n"
        "env.python.conda_dependencies = CondaDependencies.create(pip_packages=['iniconfig'])\n"
        "lines = []\n"
        "print(python_for(env, sys.argv[1], lines.append))\n"
        "print(sum(l.startswith('building environment') for l in lines))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / f"ws{i}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), results
    pythons = {out.splitlines()[0] for out, _ in results}
    counts = sorted(int(out.splitlines()[1]) for out, _ in results)
    assert len(pythons) == 1 and counts == [0, 0, 1], results


def test_a_changed_environment_builds_anew_and_the_old_one_stays(
    tmp_path: Path, cache: Path, uv_available: None
) -> None:
    log: list[str] = []
    old = python_for(environment("e", ["six"]), tmp_path, log.append)
    new = python_for(environment("e", ["six", "iniconfig"]), tmp_path, log.append)
    same = python_for(environment("e", ["six", "iniconfig"]), tmp_path, log.append)
    assert old != new == same
    assert builds(log) == 2
    assert all(Path(p).is_file() for p in (old, new))
    # the name of an environment is not part of its content
    assert python_for(environment("other-name", ["six"]), tmp_path, log.append) == old
    assert builds(log) == 2


def test_collection_removes_the_unused_and_keeps_the_used(
    tmp_path: Path, cache: Path, uv_available: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log: list[str] = []
    unused = Path(python_for(environment("old", ["six"]), tmp_path, log.append)).parent.parent
    used = Path(python_for(environment("new", ["iniconfig"]), tmp_path, log.append)).parent.parent
    month_ago = time.time() - 31 * 86400
    os.utime(unused / env_cache.STAMP, (month_ago, month_ago))

    assert cli(["envs", "gc", "--older-than", "30d", "--dry-run"]) == 0
    assert f"would remove {unused}" in capsys.readouterr().out
    assert unused.is_dir()
    assert cli(["envs", "gc", "--older-than", "30d"]) == 0
    out = capsys.readouterr().out
    assert f"removed {unused}" in out and "1 kept" in out
    assert not unused.exists() and used.is_dir()
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no trash left

    # a use stamps it again: an environment in use is never old; builds collect by themselves
    os.utime(used / env_cache.STAMP, (month_ago, month_ago))
    python_for(environment("new", ["iniconfig"]), tmp_path, log.append)
    assert env_cache.collect(30 * 86400, log.append) == []
    os.utime(used / env_cache.STAMP, (month_ago, month_ago))
    python_for(environment("third", ["six"]), tmp_path, log.append)  # a build
    assert not used.exists()
    assert any(line.startswith(f"removed environment {used.name}") for line in log), log


def test_pip_builds_when_uv_is_missing(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(envs, "_uv_executable", lambda: None)
    log: list[str] = []
    python = python_for(environment("by-pip", ["six"], ["cudatoolkit=11.8"]), tmp_path, log.append)
    text = "\n".join(log)
    assert "uv is not installed" in text and "with pip" in text
    assert "'cudatoolkit=11.8' have no PyPI equivalent" in text
    env_dir = Path(python).parent.parent
    assert json.loads((env_dir / env_cache.MARKER).read_text())["builder"] == "pip"
    # built aside and renamed: pip's scripts were pointed at the final folder
    pip = subprocess.run(
        [str(env_dir / "bin" / "pip"), "--version"], capture_output=True, text=True, check=False
    )
    assert pip.returncode == 0 and str(env_dir) in pip.stdout, pip.stderr
    assert subprocess.run([python, "-c", "import six"], check=False).returncode == 0
