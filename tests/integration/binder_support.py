"""What Binder (repo2docker) does with this repository, replayed on this machine.

Used by ``tests/integration/test_binder_replay.py``. Binder clones the repository, installs
``binder/requirements.txt`` with pip into its Python environment, runs ``binder/postBuild``
in the clone, and starts the notebook server through ``binder/start`` in the clone (its
root folder), opening the launch link's ``urlpath``. Here: a fresh clone of the last commit
(with ``binder/`` and ``examples/demos/`` as they are in the working tree, committed or not)
in a temporary folder, a fresh venv (pip's cache reused), the same commands, and JupyterLab
on the loopback with a token and private Jupyter folders so that nothing of this machine's
own Jupyter set-up leaks in. The package is the last commit's: Binder builds a commit, and
uncommitted work of others in the tree may be half done.

Nothing here depends on pytest: problems are raised as ``BinderError`` (a failure) or
``Offline`` (PyPI cannot be reached: a reason to skip).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
BINDER = REPO_ROOT / "binder"
DEMOS = REPO_ROOT / "examples" / "demos"
#: Taken from the working tree, not from the last commit: Binder's own files and the demos,
#: so that they can be tried before they are committed.
WORKING_TREE = ("binder", "examples/demos")
#: The launch link of the README's "Try it on Binder": ``urlpath`` is the page it opens.
LAUNCH_LINK = re.compile(r"https://mybinder\.org/v2/gh/[^)\s\"'`]+\?urlpath=([^)\s\"'&`]+)")
PYPI = "https://pypi.org/simple/pip/"


class BinderError(Exception):
    """A step of the replay failed (the message holds its output)."""


class Offline(Exception):
    """PyPI cannot be reached from here, so nothing can be installed as Binder does."""


def pypi_reachable(timeout: float = 10) -> bool:
    try:
        with urllib.request.urlopen(PYPI, timeout=timeout) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _git(*args: str) -> list[str]:
    out = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
    return [p for p in out.split("\0") if p]


def working_files() -> list[str]:
    """The files under ``WORKING_TREE`` as they are in the working tree: tracked and
    untracked (not ignored) ones."""
    tracked = _git("ls-files", "-z", "--", *WORKING_TREE)
    untracked = _git("ls-files", "-z", "--others", "--exclude-standard", "--", *WORKING_TREE)
    return sorted(p for p in {*tracked, *untracked} if (REPO_ROOT / p).is_file())


def copy_clone(target: Path) -> Path:
    """A fresh clone of the last commit in ``target`` (``git archive HEAD``), with the files
    under ``WORKING_TREE`` as they are in the working tree (the working tree is only read)."""
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for rel in working_files():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, dest)
    return target


def _run(argv: list[str], cwd: Path, env: dict[str, str], what: str, timeout: float) -> str:
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise BinderError(f"{what} did not end in {timeout:g} s:\n{exc.output or ''}") from exc
    if done.returncode != 0:
        raise BinderError(f"{what} exited with {done.returncode}:\n{done.stdout[-6000:]}")
    return f"{what}: {time.monotonic() - started:.0f} s"


@dataclass
class BinderImage:
    """The replayed image: the clone's copy and the Python environment made for it."""

    root: Path
    venv: Path
    home: Path
    timings: list[str]

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        """The environment Binder's processes see: the venv first on PATH, and Jupyter's
        folders private to this replay (config, data, runtime, settings, workspaces)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "PYTHON", "VIRTUAL_ENV", "CONDA"))
        }
        jupyter = self.home / "jupyter"
        env.update(
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            VIRTUAL_ENV=str(self.venv),
            JUPYTER_CONFIG_DIR=str(jupyter / "config"),
            JUPYTER_DATA_DIR=str(jupyter / "data"),
            JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(jupyter / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "lab-workspaces"),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        return env

    def run(self, argv: list[str], what: str, cwd: Path | None = None, timeout: float = 300) -> str:
        """Run ``argv`` through ``binder/start`` (as Binder runs the server) in ``cwd``."""
        start = [str(self.root / "binder" / "start"), *argv]
        return _run(start, cwd or self.root, self.env(), what, timeout)


def build_image(base: Path) -> BinderImage:
    """Copy the clone, make the venv, ``pip install -r binder/requirements.txt`` in the
    clone (as repo2docker does; pip's cache is used) and run ``binder/postBuild``."""
    root = copy_clone(base / "repo")
    image = BinderImage(root=root, venv=base / "venv", home=base / "home", timings=[])
    env = image.env()
    image.timings.append(
        _run([sys.executable, "-m", "venv", str(image.venv)], base, env, "python -m venv", 120)
    )
    pip = [str(image.bin / "python"), "-m", "pip", "install", "-r", "binder/requirements.txt"]
    try:
        image.timings.append(_run(pip, root, env, "pip install -r binder/requirements.txt", 900))
    except BinderError:
        if not pypi_reachable():
            raise Offline(f"PyPI ({PYPI}) cannot be reached from this machine") from None
        raise
    post = ["bash", str(root / "binder" / "postBuild")]
    image.timings.append(_run(post, root, env, "binder/postBuild", 600))
    return image


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BinderLab:
    """JupyterLab started as Binder starts it: ``binder/start jupyter lab`` in the clone."""

    image: BinderImage
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server's whole process group (kernels, terminals)."""
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(wait)
                return


def start_lab(
    image: BinderImage, prefix: list[str] | None = None, timeout: float = 120
) -> BinderLab:
    """``binder/start jupyter lab`` in the clone's root (Binder's root folder), on the
    loopback with a token, its command preceded by ``prefix`` (``taskset -c 0``, say);
    returns once the server and our REST API answer."""
    port, token = free_port(), secrets.token_hex(16)
    log = image.home / "jupyterlab.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        *(prefix or []),
        str(image.root / "binder" / "start"),
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        "--allow-root",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=image.root,
            env=image.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    lab = BinderLab(image=image, port=port, token=token, proc=proc, log=log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise BinderError(f"JupyterLab exited with {proc.returncode}:\n{lab.log_tail()}")
        try:
            lab.get("/api/status")
            lab.get("/jupyter-pipelines/api/runs?limit=1")
            return lab
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            lab.stop()
            raise BinderError(f"JupyterLab did not answer in {timeout:g} s:\n{lab.log_tail()}")
        time.sleep(0.3)


def stop_processes_of(venv: Path) -> list[int]:
    """Kill the processes still running the venv's Python (a warm driver server, say, that
    would otherwise wait ten idle minutes); returns their ids."""
    import psutil

    prefix = str(venv.resolve())
    victims = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if cmdline and cmdline[0].startswith(prefix) and proc.pid != os.getpid():
            victims.append(proc)
    for proc in victims:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(victims, timeout=5)
    return [p.pid for p in victims]


def notebook_problems(path: Path) -> list[str]:
    """The errors an executed notebook shows: error outputs, and streams saying that a shell
    command was not found or that Python raised (a ``!`` line does not stop the notebook)."""
    import nbformat

    problems = []
    nb = nbformat.read(str(path), as_version=4)
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            if "command not found" in text or "Traceback (most recent call last)" in text:
                problems.append(f"cell {index} printed:\n{text[-2000:]}")
    return problems
