"""What a step container sees: bind mounts at the host's own paths, and its environment.

Folders are mounted at the same paths as on the host, so the paths in a StepSpec (and in
the step's manifest) need no translation. The step's working directory, its step folder
and its outputs are writable; inputs are read-only. The ``jupyter_pipelines`` package is
mounted read-only under ``/opt/jupyter-pipelines`` and put on ``PYTHONPATH``, so that
``Run.get_context()`` (the stdlib-only step runtime) works in any image with a Python 3.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..base import StepSpec

#: Where the jupyter_pipelines package is mounted in step containers.
RUNTIME_ROOT = "/opt/jupyter-pipelines"
_PACKAGE_DIR = Path(__file__).resolve().parents[2]
_PYTHON = re.compile(r"python[0-9.]*")


def _covered(path: str, mounted: dict[str, dict[str, str]], mode: str) -> bool:
    """Whether ``path`` already lies in a folder mounted with ``mode`` (or rw)."""
    for source, bind in mounted.items():
        if (path == source or path.startswith(source.rstrip("/") + "/")) and (
            bind["mode"] == "rw" or bind["mode"] == mode
        ):
            return True
    return False


def step_volumes(spec: StepSpec) -> dict[str, dict[str, str]]:
    """docker-py ``volumes`` for ``spec``: host path -> {"bind": same path, "mode": rw|ro}."""
    volumes: dict[str, dict[str, str]] = {}

    def add(path: str | None, mode: str) -> None:
        if not path:
            return
        real = os.path.realpath(path)
        if not os.path.exists(real) or _covered(real, volumes, mode):
            return
        volumes[real] = {"bind": real, "mode": mode}

    for path in (spec.working_dir, spec.step_dir):
        add(path, "rw")
    for out in spec.outputs.values():
        add(out.get("path"), "rw")
    if spec.output_notebook:
        add(os.path.dirname(spec.output_notebook), "rw")
    for path, mode in sorted(spec.shared_paths.items()):
        add(path, "rw" if mode == "rw" else "ro")
    for entry in spec.inputs.values():
        # A reused input is a symlink to an earlier run's output: mounting its target at
        # the target's own path makes the link resolve inside the container too.
        add(entry.get("path"), "ro")
    for entry in spec.inputs.values():
        # A mounted dataset is a folder of links to the datastore's files (or to the
        # workspace's copies of a remote store's): their folders are mounted too.
        for folder in link_targets(entry.get("path")):
            add(folder, "ro")
    if spec.notebook:
        add(os.path.dirname(spec.notebook), "ro")
    volumes[str(_PACKAGE_DIR)] = {"bind": f"{RUNTIME_ROOT}/jupyter_pipelines", "mode": "ro"}
    return volumes


def link_targets(path: str | None) -> list[str]:
    """The folders that the links under ``path`` point into: a file link's folder, a folder
    link's own path, sorted, without those inside another one of them (a dataset's links
    usually share one folder). Links within ``path`` itself are left out."""
    if not path or not os.path.isdir(path):
        return []
    root = os.path.realpath(path)
    found: set[str] = set()
    seen: set[str] = set()
    for folder, dirs, names in os.walk(path, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link loop, or a folder reached twice
            dirs[:] = []
            continue
        seen.add(real)
        for name in dirs + names:
            full = os.path.join(folder, name)
            if not os.path.islink(full):
                continue
            target = os.path.realpath(full)
            if target != root and not target.startswith(root + os.sep):
                found.add(target if os.path.isdir(target) else os.path.dirname(target))
    return _outermost(found)


def _outermost(folders: set[str]) -> list[str]:
    """``folders`` without those inside another of them, sorted."""
    kept: list[str] = []
    for folder in sorted(folders):
        if not any(folder.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(folder)
    return kept


def step_environment(
    spec: StepSpec, target_variables: dict[str, str] | None = None
) -> dict[str, str]:
    """The container's environment variables: the target's, the Environment's, the step's,
    and what the runtime needs (``PYTHONPATH``, a writable ``HOME``)."""
    env: dict[str, str] = {"HOME": "/tmp", "PYTHONUNBUFFERED": "1"}
    env.update(target_variables or {})
    if spec.environment:
        env.update(
            {
                str(k): str(v)
                for k, v in (spec.environment.get("environment_variables") or {}).items()
            }
        )
    env.update(spec.env)
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = RUNTIME_ROOT + (os.pathsep + extra if extra else "")
    return env


def container_command(argv: list[str]) -> list[str]:
    """``argv`` for the container: a host interpreter path (the driver's Python, or a host
    virtual environment's) becomes the image's ``python3``."""
    if argv and os.path.isabs(argv[0]) and _PYTHON.fullmatch(os.path.basename(argv[0])):
        return ["python3", *argv[1:]]
    return list(argv)


def host_user() -> str:
    """``uid:gid`` of this process, so that files written to mounts belong to the host user."""
    return f"{os.getuid()}:{os.getgid()}"


def device_requests(resources: dict[str, Any]) -> list[Any]:
    """docker-py DeviceRequests for the step's GPUs: the assigned ``gpu_devices`` when the
    scheduler gave some, else ``count=gpu``; none when no GPU is asked for."""
    from docker.types import DeviceRequest

    devices = [str(d) for d in resources.get("gpu_devices") or []]
    if devices:
        return [DeviceRequest(device_ids=devices, capabilities=[["gpu"]])]
    count = int(resources.get("gpu") or 0)
    if count > 0:
        return [DeviceRequest(count=count, capabilities=[["gpu"]])]
    return []
