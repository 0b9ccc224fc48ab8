"""Python environments for steps: the interpreter an ``Environment`` asks for, built once.

``python_for`` answers with the workspace's own interpreter when the environment is
user-managed or installs nothing, and otherwise with a virtual environment under
``<workspace>/envs/<key>/``, built once per content key: with conda (or mamba) when the
environment has conda packages and conda is on PATH, else with ``python -m venv`` and pip.
``azureml-*`` packages are never installed: jupyter_pipelines provides what steps import
from them, and is made importable in every built environment by a ``.pth`` file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import EnvironmentBuildError
from ..model.conda_dependencies import package_name
from ..model.environment import Environment

log = logging.getLogger(__name__)

Log = Callable[[str], None]

#: Bumped when the layout of a built environment changes, so that old ones are rebuilt.
BUILD_FORMAT = 1
MARKER = ".jupyter_pipelines-env.json"
#: At most this many extra pip dry runs look for further missing packages after a failure.
MAX_MISSING_PROBES = 5
PTH_NAME = "zz-jupyter-pipelines-host.pth"
#: Packages that jupyter_pipelines itself stands in for, and conda's own tooling.
_PROVIDED = re.compile(r"^(azureml(-.*)?|jupyter-pipelines)$")
_CONDA_TOOLING = {"python", "pip"}
#: conda package names whose pip name differs.
CONDA_TO_PIP = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "py-xgboost": "xgboost",
    "pytables": "tables",
    "matplotlib-base": "matplotlib",
    "opencv": "opencv-python",
}
_PIP_MISSING = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the "
    r"requirement)\s+(\S+)"
)


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
    workspace_dir: str | os.PathLike[str],
    log: Log | None = None,
    *,
    for_notebooks: bool = False,
) -> str:
    """The Python interpreter that runs a step in ``environment``.

    ``workspace_dir`` is the workspace's ``.pipelines`` folder; build output goes to ``log``
    line by line. Raises EnvironmentBuildError naming what could not be installed.
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
    conda = _conda_executable() if plan.conda else None
    key = build_key(plan, conda is not None)
    env_dir = Path(workspace_dir) / "envs" / key
    python = env_dir / "bin" / "python"
    if (env_dir / MARKER).is_file():
        return str(python)
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(env_dir.with_name(key + ".lock"), environment.name, emit):
        if (env_dir / MARKER).is_file():  # built by another process while we waited
            return str(python)
        if env_dir.exists():
            emit(f"removing the unfinished build in {str(env_dir)!r}")
            shutil.rmtree(env_dir)
        try:
            _build(environment, plan, env_dir, conda, emit)
        except BaseException:
            shutil.rmtree(env_dir, ignore_errors=True)
            raise
    return str(python)


def build_key(plan: BuildPlan, with_conda: bool) -> str:
    """The folder name of a built environment: a hash of what it installs and of the host.

    The host interpreter is part of it because the environment reaches the host's
    site-packages; environment variables and Docker settings are not, as they need no build.
    """
    document = {
        "format": BUILD_FORMAT,
        "plan": {**asdict(plan), "left_out": None},
        "builder": "conda" if with_conda else "venv",
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
    environment: Environment, plan: BuildPlan, env_dir: Path, conda: str | None, emit: Log
) -> None:
    started = time.monotonic()
    emit(f"building environment {environment.name!r} in {str(env_dir)!r}")
    pip = list(plan.pip)
    fallback: dict[str, str] = {}  # pip requirement -> the conda spec it stands for
    if conda is not None:
        python_version = plan.python_version or "{}.{}".format(*sys.version_info[:2])
        channels = [arg for ch in plan.channels for arg in ("-c", ch)]
        command = [conda, "create", "--yes", "--prefix", str(env_dir)]
        _run([*command, *channels, f"python={python_version}", "pip", *plan.conda], emit)
    else:
        _warn_without_conda(environment, plan, emit)
        fallback = {conda_to_pip(spec): spec for spec in plan.conda}
        _run([sys.executable, "-m", "venv", str(env_dir)], emit)
    python = str(env_dir / "bin" / "python")
    requirements = pip + list(fallback) + (["ipykernel"] if plan.for_notebooks else [])
    if requirements:
        options = [arg for option in plan.pip_options for arg in shlex.split(option)]
        command = [python, "-m", "pip", "install", "--no-input", *options, *requirements]
        code, lines = _run(command, emit, check=False)
        if code != 0:
            missing = _missing_requirements(command, lines, emit)
            raise _pip_failure(environment, missing, lines, code, fallback)
    _write_host_pth(env_dir, python, emit)
    marker = {"environment": environment.name, "plan": asdict(plan), "built": time.time()}
    tmp = env_dir / (MARKER + ".tmp")
    tmp.write_text(json.dumps(marker, indent=2))
    os.replace(tmp, env_dir / MARKER)
    emit(f"environment {environment.name!r} built in {time.monotonic() - started:.1f} s")


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


def _warn_without_conda(environment: Environment, plan: BuildPlan, emit: Log) -> None:
    host = "{}.{}".format(*sys.version_info[:2])
    wanted = plan.python_version
    if wanted and not (wanted == host or wanted.startswith(host + ".")):
        _warn(
            emit,
            f"environment {environment.name!r} asks for Python {wanted}, but conda is not "
            f"available to install it; using this interpreter's Python {host}",
        )
    if plan.conda:
        _warn(
            emit,
            f"conda is not available (neither conda nor mamba is on PATH): installing conda "
            f"package(s) {', '.join(repr(c) for c in plan.conda)} with pip instead",
        )


def _missing_requirements(command: list[str], lines: list[str], emit: Log) -> list[str]:
    """Every requirement pip cannot find, not only the first one it stopped at.

    pip stops at the first missing requirement; dry runs without the ones found so far
    find the others (a few at most, so a few quick runs).
    """
    missing = list(dict.fromkeys(_PIP_MISSING.findall("\n".join(lines))))
    install_at = command.index("install") + 1
    for _ in range(MAX_MISSING_PROBES):
        if not missing:
            break
        names = {package_name(m) for m in missing}
        rest = [arg for arg in command[install_at:] if package_name(arg) not in names]
        if not [arg for arg in rest if not arg.startswith("-")]:
            break
        probe = [*command[:install_at], "--dry-run", *rest]
        code, output = _run(probe, emit, check=False)
        found = [m for m in _PIP_MISSING.findall("\n".join(output)) if m not in missing]
        if code == 0 or not found:
            break
        missing += list(dict.fromkeys(found))
    return missing


def _pip_failure(
    environment: Environment,
    missing: list[str],
    lines: list[str],
    code: int,
    fallback: dict[str, str],
) -> EnvironmentBuildError:
    by_name = {package_name(req): conda for req, conda in fallback.items()}
    from_conda = [by_name[package_name(m)] for m in missing if package_name(m) in by_name]
    from_pip = [m for m in missing if package_name(m) not in by_name]
    parts = []
    if from_pip:
        parts.append(f"pip could not install {', '.join(repr(p) for p in from_pip)}")
    if from_conda:
        parts.append(
            f"conda package(s) {', '.join(repr(c) for c in from_conda)} could not be installed "
            "with pip, and conda is not available (install conda or mamba, or give the pip "
            "name of the package)"
        )
    if not parts:
        tail = "\n".join(lines[-15:])
        parts.append(f"pip install failed with exit code {code}:\n{tail}")
    return EnvironmentBuildError(
        f"environment {environment.name!r} could not be built: {'; '.join(parts)}"
    )


def _write_host_pth(env_dir: Path, python: str, emit: Log) -> None:
    """Make jupyter_pipelines (and, for the same Python version, the host's packages)
    importable in the environment, after its own packages so that those win.

    Written after pip ran, so that pip did not see the host's packages as installed.
    """
    lines = [str(_package_parent())]
    probe = [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    version = subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()
    if version == "{}.{}".format(*sys.version_info[:2]):
        for site_dir in _host_site_dirs():
            lines.append(f"import site; site.addsitedir({site_dir!r})")
    else:
        _warn(
            emit,
            f"the environment's Python {version or '(unknown)'} differs from the workspace's; "
            "only jupyter_pipelines' standard-library runtime (Run.get_context) is available "
            "in it",
        )
    for site_dir in _site_dirs_of(python):
        (Path(site_dir) / PTH_NAME).write_text("\n".join(lines) + "\n")


def _host_site_dirs() -> list[str]:
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def _site_dirs_of(python: str) -> list[str]:
    probe = [python, "-c", "import site, json; print(json.dumps(site.getsitepackages()))"]
    result = subprocess.run(probe, capture_output=True, text=True, check=False)
    try:
        dirs = [d for d in json.loads(result.stdout) if os.path.isdir(d)]
    except ValueError:
        dirs = []
    if not dirs:
        raise EnvironmentBuildError(f"cannot find the site-packages of {python!r}")
    return dirs[:1]


def _package_parent() -> Path:
    """The folder holding the ``jupyter_pipelines`` package."""
    return Path(__file__).resolve().parent.parent.parent


def _run(command: list[str], emit: Log, check: bool = True) -> tuple[int, list[str]]:
    """Run ``command``, sending each output line to ``emit``; keep the last lines."""
    emit("$ " + shlex.join(command))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INPUT"] = "1"
    lines: deque[str] = deque(maxlen=400)
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot run {command[0]!r}: {exc}") from exc
    assert process.stdout is not None
    for line in process.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        emit(line)
    code = process.wait()
    if check and code != 0:
        tail = "\n".join(list(lines)[-15:])
        raise EnvironmentBuildError(f"{shlex.join(command[:3])} ... failed ({code}):\n{tail}")
    return code, list(lines)


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


@contextlib.contextmanager
def _locked(path: Path, name: str, emit: Log) -> Iterator[None]:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            emit(f"waiting while another process builds environment {name!r}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _warn(emit: Log, message: str) -> None:
    log.warning(message)
    emit("WARNING: " + message)


def _log_line(line: str) -> None:
    log.info(line)
