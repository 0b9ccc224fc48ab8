"""Building step environments for real: uv (or venv + pip) from the machine's package index.

The packages (``six``, ``packaging``) are small pure-Python wheels of the local index; each
build takes a second or a few, so the tests share what they can. Each test has a cache of
environments of its own (``JUPYTER_PIPELINES_ENV_CACHE``); test_env_cache.py covers the cache.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from jupyter_pipelines import CondaDependencies, Environment
from jupyter_pipelines.errors import EnvironmentBuildError
from jupyter_pipelines.executors import environments as envs
from jupyter_pipelines.executors.environments import MARKER, python_for

pytestmark = pytest.mark.integration


def environment(name: str, pip: list[str], conda: list[str] | None = None) -> Environment:
    env = Environment(name)
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=pip, conda_packages=conda)
    return env


def run_python(python: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def pip_available(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip when the package index cannot give ``six`` (an offline machine without wheels)."""
    folder = str(tmp_path_factory.mktemp("wheels"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", folder, "six"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"pip cannot download 'six' here: {result.stderr.strip()[-300:]}")


@pytest.fixture(autouse=True)
def env_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of built environments for this test alone."""
    folder = tmp_path / "env-cache"
    monkeypatch.setenv("JUPYTER_PIPELINES_ENV_CACHE", str(folder))
    return folder


@pytest.fixture
def no_conda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envs, "_conda_executable", lambda: None)


def test_concurrent_calls_build_once_and_later_calls_reuse(
    tmp_path: Path, env_cache_dir: Path, pip_available: None, no_conda: None
) -> None:
    env = environment("six-env", ["six", "azureml-sdk", "azureml-dataprep[fuse,pandas]"])
    logs: list[list[str]] = [[], []]
    found: list[str] = []

    def build(log: list[str]) -> None:
        found.append(python_for(env, tmp_path, log.append))

    threads = [threading.Thread(target=build, args=(log,)) for log in logs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(found) == 2 and found[0] == found[1]
    text = "\n".join(logs[0] + logs[1])
    assert text.count("building environment 'six-env'") == 1, text
    python = Path(found[0])
    assert python.is_file() and python.parent.parent.parent == env_cache_dir
    assert "not installing azureml-sdk, azureml-dataprep[fuse,pandas]" in text

    probe = run_python(
        str(python),
        "import six, sys, importlib.util as u; from jupyter_pipelines import Run; "
        "print(six.__file__); print(u.find_spec('azureml'))",
    )
    assert probe.returncode == 0, probe.stderr
    six_path, azureml = probe.stdout.splitlines()
    assert six_path.startswith(str(python.parent.parent))  # installed in the venv itself
    assert azureml == "None"

    marker = python.parent.parent / MARKER
    built = marker.stat().st_mtime_ns
    again: list[str] = []
    started = time.monotonic()
    assert python_for(env, tmp_path, again.append) == str(python)
    assert time.monotonic() - started < 1.0
    assert not any("building" in line for line in again)
    assert marker.stat().st_mtime_ns == built


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_packages_that_cannot_be_installed_are_named(
    tmp_path: Path,
    env_cache_dir: Path,
    pip_available: None,
    no_conda: None,
    installer: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if installer == "pip":
        monkeypatch.setattr(envs, "_uv_executable", lambda: None)
    env = environment("broken", ["six", "jp-no-such-pip-package"], ["jp-no-such-conda-package"])
    log: list[str] = []
    with pytest.raises(EnvironmentBuildError) as info:
        python_for(env, tmp_path, log.append)
    message = str(info.value)
    assert "environment 'broken' could not be built" in message
    assert f"{installer} could not install 'jp-no-such-pip-package'" in message
    assert "conda package(s) 'jp-no-such-conda-package' could not be installed from PyPI" in message
    assert "conda is not available" in message
    assert "'six'" not in message
    left = [p.name for p in env_cache_dir.iterdir() if not p.name.endswith(".lock")]
    assert left == []  # the half-built environment is gone


def test_conda_packages_without_conda_are_installed_with_pip(
    tmp_path: Path, pip_available: None, no_conda: None
) -> None:
    env = environment("conda-env", ["six"], ["packaging"])
    log: list[str] = []
    python = python_for(env, tmp_path, log.append)
    warnings = [line for line in log if line.startswith("WARNING:")]
    assert any("conda is not available" in w and "'packaging'" in w for w in warnings), log
    probe = run_python(python, "import packaging, six; print(packaging.__file__)")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.startswith(str(Path(python).parent.parent))


def test_conda_packages_go_to_conda_when_it_is_on_path(
    tmp_path: Path, pip_available: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in ``mamba`` records its arguments and makes a venv at ``--prefix``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "mamba-calls.txt"
    mamba = bin_dir / "mamba"
    mamba.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import subprocess, sys
            args = sys.argv[1:]
            open({str(calls)!r}, "a").write(" ".join(args) + "\\n")
            prefix = args[args.index("--prefix") + 1]
            subprocess.run([{sys.executable!r}, "-m", "venv", prefix], check=True)
            """
        )
    )
    mamba.chmod(mamba.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env = environment("mamba-env", ["six"], ["numpy=1.26"])
    env.python.conda_dependencies.add_channel("conda-forge")
    log: list[str] = []
    python = python_for(env, tmp_path, log.append)
    call = calls.read_text()
    assert call.startswith("create --yes --prefix ")
    assert "-c conda-forge" in call and "numpy=1.26" in call
    assert "python={}.{}".format(*sys.version_info[:2]) in call
    assert not any("conda is not available" in line for line in log)
    assert run_python(python, "import six").returncode == 0
