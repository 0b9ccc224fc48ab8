"""The connection to the Docker engine, and the labels every step container carries."""

from __future__ import annotations

import os
import threading
from typing import Any

from ...errors import ExecutorError

#: Labels set on every step container, so that containers can be found (and removed) by run.
LABEL_RUN = "jupyter_pipelines.run"
LABEL_STEP = "jupyter_pipelines.step"
LABEL_STEP_RUN = "jupyter_pipelines.step_run"
LABEL_WORKSPACE = "jupyter_pipelines.workspace"

_lock = threading.Lock()
_client: Any = None


def client() -> Any:
    """A shared ``docker.DockerClient`` from the usual environment (``DOCKER_HOST``, ...).

    Raises ExecutorError saying how to get an engine when docker-py is missing or no
    engine answers.
    """
    global _client
    with _lock:
        if _client is not None:
            return _client
        try:
            import docker
        except ImportError as exc:
            raise ExecutorError(
                "the docker compute target needs docker-py: pip install 'docker>=7'"
            ) from exc
        try:
            made = docker.from_env(timeout=120)
            made.ping()
        except Exception as exc:
            where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
            raise ExecutorError(
                f"no Docker engine answers at {where}: {exc}; start one (dockerd, or a Podman "
                "socket with DOCKER_HOST=unix:///run/user/UID/podman/podman.sock)"
            ) from exc
        _client = made
        return _client


def engine_reachable() -> bool:
    """Whether an engine is configured at all (cheap: no connection for a missing socket)."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://") or not host:
        path = host[len("unix://") :] if host else "/var/run/docker.sock"
        return os.path.exists(path)
    return True


def is_not_found(exc: BaseException) -> bool:
    """Whether a docker-py error means "no such container/image"."""
    return type(exc).__name__ in ("NotFound", "ImageNotFound")
