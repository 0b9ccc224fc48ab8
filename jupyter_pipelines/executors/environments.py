"""Python environments for steps: the interpreter an ``Environment`` asks for, built once.

``python_for`` answers with the workspace's own interpreter when the environment is
user-managed or installs nothing, and otherwise with a virtual environment in the user's
cache of environments (``env_cache``), built once per content key and shared by every
workspace: with conda (or mamba) when the environment has conda packages and conda is on PATH,
else with uv (``env_build``; hard links from uv's package cache), else with ``python -m venv``
and pip. ``azureml-*`` packages are never installed: jupyter_pipelines provides what steps
import from them, and is made importable in every built environment by a ``.pth`` file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import site
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EnvironmentBuildError
from ..model.conda_dependencies import package_name
from ..model.environment import Environment
from . import env_cache
from .env_build import (
    InstallFailed,
    build_with_pip,
    build_with_uv,
    compile_in_background,
    find_uv,
    retarget_scripts,
    uv_options,
    write_host_pth,
)
from .env_build import _run as run_command
from .env_cache import MARKER

log = logging.getLogger(__name__)

Log = Callable[[str], None]

#: Bumped when the layout of a built environment changes, so that old ones are rebuilt.
BUILD_FORMAT = 2
#: Packages that jupyter_pipelines itself stands in for, and conda's own tooling.
_PROVIDED = re.compile(r"^(azureml(-.*)?|jupyter-pipelines)$")
_CONDA_TOOLING = {"python", "pip"}
#: conda package names whose pip name differs.
CONDA_TO_PIP = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "pytables": "tables",
    "matplotlib-base": "matplotlib",
    "opencv": "opencv-python",
    "py-opencv": "opencv-python",
    "python-graphviz": "graphviz",
    "msgpack-python": "msgpack",
    "pyqt": "PyQt5",
    "tensorflow-base": "tensorflow",
    "lightgbm-cpu": "lightgbm",
}
#: conda packages with no PyPI equivalent: system libraries, compilers, CUDA and other
#: toolchains (PyPI wheels carry the libraries they need). Installed only by conda.
CONDA_ONLY = frozenset(
    {
        "cudatoolkit", "cudnn", "nccl", "cuda-nvcc", "cuda-toolkit", "cuda-runtime",
        "cuda-version", "pytorch-cuda", "cpuonly", "magma",
        "blas", "libblas", "libcblas", "liblapack", "openblas", "libopenblas", "mkl-include",
        "libgcc", "libgcc-ng", "libstdcxx-ng", "libgfortran-ng", "libgfortran5", "libgomp",
        "_libgcc_mutex", "_openmp_mutex", "llvm-openmp", "gcc", "gxx", "gfortran",
        "gcc_linux-64", "gxx_linux-64", "compilers", "make", "git", "openssl",
        "ca-certificates", "zlib", "xz", "bzip2", "libffi", "readline", "ncurses", "tk",
        "sqlite", "libzlib", "ld_impl_linux-64", "openmpi", "mpich", "hdf5", "libxml2",
        "r-base", "r-essentials", "nodejs", "graphviz", "ffmpeg", "libopencv",
    }
)  # fmt: skip


def is_conda_only(spec: str) -> bool:
    """Whether the conda package ``spec`` has no PyPI equivalent (R packages, system
    libraries, toolchains: ``CONDA_ONLY``)."""
    name = package_name(spec.split("::")[-1]).lower()
    return name in CONDA_ONLY or name.startswith(("r-", "libcu", "magma-"))


def _uv_executable() -> str | None:
    """The uv that builds environments (None: build with pip); tests replace it."""
    return find_uv()


@dataclass
class BuildPlan:
    """What building an environment installs, after leaving out what needs no install."""

    pip: list[str] = field(default_factory=list)
    pip_options: list[str] = field(default_factory=list)
    conda: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    python_version: str | None = None
    for_notebooks: bool = False
    left_out: list[str] = field(default_factory=list)

    @property
    def installs_nothing(self) -> bool:
        return not self.pip and not self.conda


def build_plan(environment: Environment, for_notebooks: bool = False) -> BuildPlan:
    """The packages ``environment`` needs installed (``azureml-*`` and tooling left out)."""
    deps = environment.python.conda_dependencies
    plan = BuildPlan(
        pip_options=deps.pip_options,
        channels=deps.conda_channels,
        python_version=deps.get_python_version(),
        for_notebooks=for_notebooks,
    )
    for spec in deps.pip_packages:
        (plan.left_out if _PROVIDED.match(package_name(spec)) else plan.pip).append(spec)
    for spec in deps.conda_packages:
        name = package_name(spec)
        if _PROVIDED.match(name):
            plan.left_out.append(spec)
        elif name not in _CONDA_TOOLING:
            plan.conda.append(spec)
    return plan


def python_for(
    environment: Environment | None,
    workspace_dir: str | os.PathLike[str] | None = None,
    log: Log | None = None,
    *,
    for_notebooks: bool = False,
) -> str:
    """The Python interpreter that runs a step in ``environment``.

    Environments are kept in the user's cache (``env_cache.cache_dir()``), shared by all
    workspaces; ``workspace_dir`` is accepted for callers that name theirs and does not change
    where. Build output goes to ``log`` line by line. Raises EnvironmentBuildError naming what
    could not be installed.
    """
    emit = log or _log_line
    if environment is None:
        return sys.executable
    if environment.python.user_managed_dependencies:
        return _user_interpreter(environment)
    plan = build_plan(environment, for_notebooks)
    if plan.left_out:
        emit(
            f"environment {environment.name!r}: not installing {', '.join(plan.left_out)} "
            "(jupyter_pipelines provides the azureml API)"
        )
    if plan.installs_nothing:
        return sys.executable
    builder = _choose_builder(environment, plan, emit)
    env_dir = env_cache.cache_dir() / build_key(plan, builder.name)
    python = str(env_dir / "bin" / "python")
    if env_cache.is_built(env_dir) and env_cache.mark_used(env_dir, environment.name, emit):
        return python
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with env_cache.locked(env_cache.lock_path(env_dir), environment.name, emit):
        if env_cache.is_built(env_dir):  # built by another process while we waited
            env_cache.touch(env_dir / env_cache.STAMP)
            return python
        env_cache.remove_unfinished(env_dir, emit)
        _build(environment, plan, builder, env_dir, emit)
    limit = env_cache.unused_limit()
    if limit is not None:
        env_cache.collect(limit, emit)
    return python


@dataclass
class Builder:
    """How an environment gets built: ``uv``, ``pip`` (in a venv) or ``conda``, with the
    executable (uv's or conda's) and the pip options in the builder's spelling."""

    name: str
    executable: str | None = None
    options: list[str] = field(default_factory=list)


def _choose_builder(environment: Environment, plan: BuildPlan, emit: Log) -> Builder:
    pip_options = [arg for option in plan.pip_options for arg in shlex.split(option)]
    conda = _conda_executable() if plan.conda else None
    if conda is not None:
        return Builder("conda", conda, pip_options)
    uv = _uv_executable()
    if uv is None:
        emit(
            "uv is not installed (pip install uv, or reinstall jupyter_pipelines): building "
            f"environment {environment.name!r} with python -m venv and pip, which is slower"
        )
        return Builder("pip", None, pip_options)
    options = uv_options(plan.pip_options)
    if options is None:
        emit(
            f"environment {environment.name!r}: pip options {plan.pip_options} have no uv "
            "equivalent: building with pip"
        )
        return Builder("pip", None, pip_options)
    return Builder("uv", uv, options)


def build_key(plan: BuildPlan, builder: str) -> str:
    """The folder name of a built environment: a hash of what it installs and of the host.

    The host interpreter is part of it because the environment reaches the host's
    site-packages; environment variables and Docker settings are not, as they need no build.
    """
    document = {
        "format": BUILD_FORMAT,
        "plan": {**asdict(plan), "left_out": None},
        "builder": builder,
        "host": [sys.version, sys.prefix, str(_package_parent())],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


def docker_warning(
    environment: Environment, target: str | None = None, docker: object | None = None
) -> str | None:
    """The warning to give when ``environment`` (or a runconfig's ``docker``) asks for a
    container on a target that runs steps as local processes; None when it does not."""
    wants = environment.docker.enabled or bool(getattr(docker, "use_docker", False))
    if not wants:
        return None
    where = f"compute target {target!r}" if target else "this compute target"
    image = environment.docker.base_image or "(built from its Dockerfile)"
    return (
        f"environment {environment.name!r} asks for Docker (image {image}), but {where} "
        "runs steps as processes on this machine; the step runs in a local Python "
        "environment instead"
    )


# -- building ------------------------------------------------------------------------------
def _build(
    environment: Environment, plan: BuildPlan, builder: Builder, env_dir: Path, emit: Log
) -> None:
    """Build into a fresh folder beside ``env_dir`` and rename it into place (uv, pip); a
    conda prefix cannot move, so conda builds in place and the marker, written last, says
    when it is complete."""
    started = time.monotonic()
    emit(f"building environment {environment.name!r} in {str(env_dir)!r} with {builder.name}")
    folder = env_dir if builder.name == "conda" else env_cache.building_dir(env_dir)
    fallback: dict[str, str] = {}  # pip requirement -> the conda spec it stands for
    if builder.name != "conda":
        fallback = {conda_to_pip(spec): spec for spec in _pip_installable(environment, plan, emit)}
    requirements = list(plan.pip) + list(fallback) + (["ipykernel"] if plan.for_notebooks else [])
    try:
        _install(plan, builder, folder, requirements, emit)
        python = str(folder / "bin" / "python")
        write_host_pth(folder, python, [str(_package_parent()), *_host_site_dirs()], emit)
        if builder.name == "pip":
            retarget_scripts(folder, env_dir)
        seconds = time.monotonic() - started
        marker = {
            "environment": environment.name,
            "plan": asdict(plan),
            "builder": builder.name,
            "built": time.time(),
            "seconds": round(seconds, 3),
        }
        tmp = folder / (MARKER + ".tmp")
        tmp.write_text(json.dumps(marker, indent=2))
        os.replace(tmp, folder / MARKER)
        if folder != env_dir:
            env_cache.publish(folder, env_dir)
    except InstallFailed as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _install_failure(environment, builder.name, exc, fallback) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    emit(f"environment {environment.name!r} built in {seconds:.1f} s")
    if builder.name == "uv":
        compile_in_background(str(env_dir / "bin" / "python"), emit)


def _install(
    plan: BuildPlan, builder: Builder, folder: Path, requirements: list[str], emit: Log
) -> None:
    if builder.name == "uv":
        assert builder.executable is not None
        build_with_uv(builder.executable, folder, requirements, builder.options, emit)
        return
    python = None
    if builder.name == "conda":
        assert builder.executable is not None
        python_version = plan.python_version or "{}.{}".format(*sys.version_info[:2])
        channels = [arg for ch in plan.channels for arg in ("-c", ch)]
        command = [builder.executable, "create", "--yes", "--prefix", str(folder)]
        run_command([*command, *channels, f"python={python_version}", "pip", *plan.conda], emit)
        python = str(folder / "bin" / "python")
    build_with_pip(python, folder, requirements, builder.options, emit)


def _pip_installable(environment: Environment, plan: BuildPlan, emit: Log) -> list[str]:
    """The conda specs to install from PyPI when conda is not available, after warning about
    a Python version that differs and leaving out (by name) the conda-only packages."""
    host = "{}.{}".format(*sys.version_info[:2])
    wanted = plan.python_version
    if wanted and not (wanted == host or wanted.startswith(host + ".")):
        _warn(
            emit,
            f"environment {environment.name!r} asks for Python {wanted}, but conda is not "
            f"available to install it; using this interpreter's Python {host}",
        )
    conda_only = [spec for spec in plan.conda if is_conda_only(spec)]
    if conda_only:
        _warn(
            emit,
            f"environment {environment.name!r}: conda package(s) "
            f"{', '.join(repr(c) for c in conda_only)} have no PyPI equivalent and are not "
            "installed (conda is not available; wheels bring their own libraries, e.g. torch "
            "its CUDA runtime). Install conda or mamba to get them",
        )
    rest = [spec for spec in plan.conda if spec not in conda_only]
    if rest:
        _warn(
            emit,
            f"conda is not available (neither conda nor mamba is on PATH): installing conda "
            f"package(s) {', '.join(repr(c) for c in rest)} from PyPI instead",
        )
    return rest


def conda_to_pip(spec: str) -> str:
    """The pip requirement for a conda package spec: ``numpy=1.21`` -> ``numpy==1.21.*``."""
    text = spec.split("::")[-1].strip()
    match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", text)
    if match is None:
        return text
    name, rest = match.group(1), match.group(2).strip()
    name = CONDA_TO_PIP.get(name.lower(), name)
    if not rest:
        return name
    if rest[0] in "<>!~" or rest.startswith("=="):
        return name + rest.split()[0]
    version = rest[1:].split("=")[0] if rest.startswith("=") else rest.split()[0]
    version = version.rstrip("*").rstrip(".")
    return f"{name}=={version}.*" if version else name


def _install_failure(
    environment: Environment, tool: str, failure: InstallFailed, fallback: dict[str, str]
) -> EnvironmentBuildError:
    """The error naming every requirement ``tool`` could not install, and which of them were
    conda packages tried on PyPI."""
    tool = "pip" if tool == "conda" else tool  # conda's part failed earlier, by itself
    by_name = {package_name(req): conda for req, conda in fallback.items()}
    missing = failure.missing
    from_conda = [by_name[package_name(m)] for m in missing if package_name(m) in by_name]
    from_pip = [m for m in missing if package_name(m) not in by_name]
    parts = []
    if from_pip:
        parts.append(f"{tool} could not install {', '.join(repr(p) for p in from_pip)}")
    if from_conda:
        parts.append(
            f"conda package(s) {', '.join(repr(c) for c in from_conda)} could not be installed "
            "from PyPI, and conda is not available (install conda or mamba, or give the pip "
            "name of the package)"
        )
    if not parts:
        tail = "\n".join(failure.lines[-15:])
        parts.append(f"{tool} install failed with exit code {failure.code}:\n{tail}")
    return EnvironmentBuildError(
        f"environment {environment.name!r} could not be built: {'; '.join(parts)}"
    )


def _host_site_dirs() -> list[str]:
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def _package_parent() -> Path:
    """The folder holding the ``jupyter_pipelines`` package."""
    return Path(__file__).resolve().parent.parent.parent


def _user_interpreter(environment: Environment) -> str:
    path = environment.python.interpreter_path or "python"
    if path == "python":
        return sys.executable
    found = shutil.which(path)
    if found is None:
        raise EnvironmentBuildError(
            f"environment {environment.name!r}: interpreter_path {path!r} does not exist "
            "or is not executable"
        )
    return found


def _conda_executable() -> str | None:
    for name in ("mamba", "micromamba", "conda"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _warn(emit: Log, message: str) -> None:
    log.warning(message)
    emit("WARNING: " + message)


def _log_line(line: str) -> None:
    log.info(line)
