"""The installers behind step environments: uv (preferred), pip in a venv, or conda.

Each builder fills a folder given to it and raises EnvironmentBuildError naming what could
not be installed. uv and pip builds happen in a temporary folder that the caller renames into
place; conda builds happen in place (a conda prefix cannot move).
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import EnvironmentBuildError
from ..model.conda_dependencies import package_name

Log = Callable[[str], None]

#: At most this many extra dry runs look for further missing packages after a failure.
MAX_MISSING_PROBES = 5
PTH_NAME = "zz-jupyter-pipelines-host.pth"
_MISSING = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the "
    r"requirement)\s+(\S+)"
    r"|Because (\S+) was not found in the package registry"
    r"|Because there is no version of (\S+?)(?:\s+and\b|\s*$)",
    re.MULTILINE,
)
#: pip options that uv understands, with the spelling it takes (None: the same).
_UV_OPTIONS: dict[str, str | None] = {
    "--index-url": None,
    "-i": "--index-url",
    "--extra-index-url": None,
    "--find-links": None,
    "-f": "--find-links",
    "--no-index": None,
    "--pre": "--prerelease=allow",
    "--trusted-host": "--allow-insecure-host",
    "--constraint": "--constraints",
    "-c": "--constraints",
    "--no-binary": None,
    "--only-binary": None,
}
_TAKES_VALUE = {
    "--index-url",
    "-i",
    "--extra-index-url",
    "--find-links",
    "-f",
    "--trusted-host",
    "--constraint",
    "-c",
    "--no-binary",
    "--only-binary",
}
#: pip configuration keys that change what is installed, as uv options.
_PIP_CONFIG_KEYS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraints",
    "trusted-host": "--allow-insecure-host",
}


class InstallFailed(EnvironmentBuildError):
    """An installer failed: ``missing`` names the requirements it could not find (maybe
    none, when it failed for another reason: then ``lines`` ends with why)."""

    def __init__(self, missing: list[str], code: int, lines: list[str]) -> None:
        super().__init__(f"install failed with exit code {code}")
        self.missing, self.code, self.lines = missing, code, lines


def find_uv() -> str | None:
    """The uv executable: the one the ``uv`` wheel installs (a dependency), else on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("uv")


def uv_options(pip_options: Iterable[str]) -> list[str] | None:
    """``pip_options`` (lines such as ``--index-url URL``) as uv arguments; None when one of
    them has no uv spelling (the environment is then built with pip)."""
    words = [word for option in pip_options for word in shlex.split(option)]
    out: list[str] = []
    i = 0
    while i < len(words):
        word, value = words[i], None
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
        if word not in _UV_OPTIONS:
            return None
        spelled = _UV_OPTIONS[word] or word
        out.append(spelled)
        if word in _TAKES_VALUE:
            if value is None:
                i += 1
                if i >= len(words):
                    return None
                value = words[i]
            out.append(value)
        i += 1
    return out


def pip_config_options() -> list[str]:
    """The user's pip settings that choose packages (index, links, constraints), as uv
    arguments: uv reads no pip configuration, and must install what pip would."""
    settings = _pip_config_files_settings()
    for key in _PIP_CONFIG_KEYS:
        env_value = os.environ.get("PIP_" + key.upper().replace("-", "_"))
        if env_value:
            settings[key] = env_value
    out: list[str] = []
    for key, option in _PIP_CONFIG_KEYS.items():
        for value in (settings.get(key) or "").split():
            out += [option, value]
    if "--extra-index-url" in out or "--find-links" in out:
        out += ["--index-strategy", "unsafe-best-match"]  # pip's rule: the best of all
    return out


def _pip_config_files_settings() -> dict[str, str]:
    if os.environ.get("PIP_CONFIG_FILE") == os.devnull:
        return {}
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    files = [os.path.join(d, "pip", "pip.conf") for d in reversed(xdg_dirs) if d]
    files += ["/etc/pip.conf", os.path.expanduser("~/.pip/pip.conf")]
    files += [os.path.join(config_home, "pip", "pip.conf"), os.path.join(sys.prefix, "pip.conf")]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(os.environ["PIP_CONFIG_FILE"])
    settings: dict[str, str] = {}
    for path in files:
        parser = configparser.RawConfigParser()
        with contextlib.suppress(OSError, configparser.Error):
            parser.read(path)
        for section in ("global", "install"):
            if parser.has_section(section):
                settings.update(dict(parser.items(section)))
    return settings


def build_with_uv(
    uv: str, folder: Path, requirements: list[str], options: list[str], emit: Log
) -> None:
    """A relocatable venv in ``folder`` with ``requirements`` installed by uv (hard links
    from uv's cache). Raises InstallFailed."""
    _run([uv, "venv", "--quiet", "--relocatable", "--python", sys.executable, str(folder)], emit)
    if not requirements:
        return
    python = str(folder / "bin" / "python")
    command = [uv, "pip", "install", "--python", python, *pip_config_options(), *options]
    _install([*command, *requirements], requirements, emit)


def build_with_pip(
    python: str | None,
    folder: Path,
    requirements: list[str],
    options: list[str],
    emit: Log,
) -> None:
    """A venv in ``folder`` (unless ``python`` names one already made there, e.g. by conda)
    with ``requirements`` installed by its pip. Raises InstallFailed."""
    if python is None:
        _run([sys.executable, "-m", "venv", str(folder)], emit)
        python = str(folder / "bin" / "python")
    if not requirements:
        return
    command = [python, "-m", "pip", "install", "--no-input", *options]
    _install([*command, *requirements], requirements, emit)


def compile_in_background(python: str, emit: Log) -> None:
    """Compile the environment's modules to bytecode in a detached, low-priority process.

    uv installs no ``.pyc`` files (pip does), and where ``PYTHONDONTWRITEBYTECODE`` is set no
    step would ever write them: every step would compile pandas again (seconds). Compiling
    after the environment is published keeps its build fast; a step starting meanwhile
    compiles what it imports itself, as it would have anyway.
    """
    site_dirs = _site_dirs_of(python)
    nice = ["nice", "-n", "10"] if shutil.which("nice") else []
    command = [*nice, python, "-m", "compileall", "-q", "-j", "0", *site_dirs]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        emit(f"cannot compile the environment's modules to bytecode: {exc}")
        return
    emit("compiling the environment's modules to bytecode in the background")


def retarget_scripts(folder: Path, final: Path) -> None:
    """Point the scripts pip wrote in ``folder/bin`` (shebangs, activate) at ``final``, the
    path the folder is about to be renamed to."""
    old, new = str(folder).encode(), str(final).encode()
    for script in (folder / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if old in data:
            script.write_bytes(data.replace(old, new))


def _install(command: list[str], requirements: list[str], emit: Log) -> None:
    """Run an install ``command`` (ending with ``requirements``); raise InstallFailed."""
    code, lines = _run(command, emit, check=False)
    if code != 0:
        probe = [*command[: len(command) - len(requirements)], "--dry-run"]
        missing = _missing_requirements(probe, requirements, lines, emit)
        raise InstallFailed(missing, code, lines)


def _missing_requirements(
    probe_command: list[str], requirements: list[str], lines: list[str], emit: Log
) -> list[str]:
    """Every requirement the installer cannot find, not only the first one it stopped at.

    pip and uv stop at the first missing requirement; dry runs without the ones found so far
    find the others (a few at most, so a few quick runs).
    """
    missing = _found_missing(lines)
    for _ in range(MAX_MISSING_PROBES):
        if not missing:
            break
        names = {package_name(m) for m in missing}
        rest = [r for r in requirements if package_name(r) not in names]
        if not rest:
            break
        code, output = _run([*probe_command, *rest], emit, check=False)
        found = [m for m in _found_missing(output) if m not in missing]
        if code == 0 or not found:
            break
        missing += found
    return missing


def _found_missing(lines: list[str]) -> list[str]:
    text = "\n".join(lines)
    names = [next(g for g in groups if g) for groups in _MISSING.findall(text)]
    return list(dict.fromkeys(n.rstrip(",.") for n in names))


def write_host_pth(env_dir: Path, python: str, host_paths: list[str], emit: Log) -> None:
    """Make jupyter_pipelines (and, for the same Python version, the host's packages)
    importable in the environment, after its own packages so that those win.

    Written after the installer ran, so that it did not see the host's packages as installed.
    """
    lines = [host_paths[0]]
    probe = [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
    version = subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()
    if version == "{}.{}".format(*sys.version_info[:2]):
        for site_dir in host_paths[1:]:
            lines.append(f"import site; site.addsitedir({site_dir!r})")
    else:
        emit(
            f"WARNING: the environment's Python {version or '(unknown)'} differs from the "
            "workspace's; only jupyter_pipelines' standard-library runtime (Run.get_context) "
            "is available in it"
        )
    for site_dir in _site_dirs_of(python):
        (Path(site_dir) / PTH_NAME).write_text("\n".join(lines) + "\n")


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


def _run(command: list[str], emit: Log, check: bool = True) -> tuple[int, list[str]]:
    """Run ``command``, sending each output line to ``emit``; keep the last lines."""
    emit("$ " + shlex.join(command))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PIP_NO_INPUT"] = "1"
    env.pop("VIRTUAL_ENV", None)  # uv would take it over --python
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
