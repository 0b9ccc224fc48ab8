"""The ``docker`` executor: runs each step in a container of a Docker (or Podman) engine."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..base import AbstractExecutor, StepHandle, StepSpec
from . import engine
from .cleanup import remove_containers, remove_containers_of_runs
from .handle import ContainerHandle
from .images import ensure_image
from .mounts import (
    container_command,
    device_requests,
    host_user,
    step_environment,
    step_volumes,
)
from .recipe import choose_image

log = logging.getLogger(__name__)

NBRUNNER = "jupyter_pipelines.executors.docker.nbrunner"
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_.-]")


class DockerExecutor(AbstractExecutor):
    """Runs steps in containers, up to ``slots`` at once.

    Options (from ``DockerCompute.executor_options()``): ``image`` (the default image),
    ``gpus`` (the target's GPU inventory, read by the GPU scheduler), ``memory``,
    ``cpus``, ``shm_size`` and ``environment_variables`` (defaults for every step).
    """

    name = "docker"
    builds_environments = True  # an Environment becomes an image, never a host venv

    def __init__(
        self,
        slots: int | None = None,
        image: str | None = None,
        gpus: int | list[str] | None = None,
        memory: str | int | float | None = None,
        cpus: float | None = None,
        shm_size: str | None = None,
        environment_variables: dict[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(slots, **options)
        self.image = image
        self.gpus = gpus
        self.memory = memory
        self.cpus = cpus
        self.shm_size = shm_size
        self.environment_variables = dict(environment_variables or {})
        self._client: Any = None
        self._stream_client: Any = None
        self._runs: set[str] = set()

    @property
    def client(self) -> Any:
        """The docker-py client for API calls."""
        if self._client is None:
            self._client = engine.client()
        return self._client

    @property
    def stream_client(self) -> Any:
        """A client without a read timeout, for following logs of quiet steps."""
        if self._stream_client is None:
            import docker

            self._stream_client = docker.from_env(timeout=None)
        return self._stream_client

    def launch(self, spec: StepSpec) -> StepHandle:
        self._runs.add(spec.run_id)
        return ContainerHandle(self, spec)

    def sweep(self, workspace_dir: str, is_over: Callable[[str], bool]) -> int:
        """Remove the containers of this workspace's runs that are over (a driver killed
        before it could clean up). Never raises: no engine means nothing to sweep."""
        try:
            removed = remove_containers_of_runs(self.client, workspace_dir, is_over)
        except Exception as exc:
            log.debug("no sweep of leftover containers: %s", exc)
            return 0
        if removed:
            log.info("removed %d container(s) left by runs that are over", removed)
        return removed

    def close(self) -> None:
        """Remove any container of this executor's runs that is still there."""
        if self._client is not None:
            for run_id in self._runs:
                remove_containers(self._client, run_id=run_id)
            self._client = None
        if self._stream_client is not None:
            self._stream_client.close()
            self._stream_client = None

    # -- what the handle asks for --------------------------------------------------------
    def image_for(self, spec: StepSpec, log: Callable[[str], None]) -> str:
        """The image the step runs in, built (once per environment) when needed."""
        wanted = choose_image(spec.environment, spec.image or self.image, spec.step_name)
        return ensure_image(self.client, wanted, log)

    def notebook_config_path(self, spec: StepSpec) -> str:
        """Where the notebook runner's configuration is written (in the step folder)."""
        return os.path.join(spec.step_dir, "docker-notebook.json")

    def container_options(self, spec: StepSpec, image: str) -> tuple[list[str], dict[str, Any]]:
        """The command and ``containers.create`` keyword arguments for ``spec``."""
        if spec.kind == "notebook":
            command = ["python3", "-m", NBRUNNER, self._write_notebook_config(spec)]
        else:
            command = container_command(spec.argv)
        options: dict[str, Any] = {
            "name": _NAME_CHARS.sub("-", f"jp-{spec.step_run_id}"),
            "working_dir": spec.working_dir,
            "user": host_user(),
            "environment": step_environment(spec, self.environment_variables),
            "volumes": step_volumes(spec),
            "labels": labels(spec),
            "detach": True,
            "stdin_open": False,
            "device_requests": device_requests(spec.resources) or None,
        }
        options.update(self._limits(spec))
        return command, options

    def _limits(self, spec: StepSpec) -> dict[str, Any]:
        resources = spec.resources
        limits: dict[str, Any] = {}
        memory = resources.get("memory") or self.memory
        if memory:
            limits["mem_limit"] = f"{memory}g" if isinstance(memory, int | float) else str(memory)
        cpus = resources.get("cpu") or self.cpus
        if cpus:
            limits["nano_cpus"] = int(min(float(cpus), self._engine_cpus()) * 1e9)
        shm = self.shm_size
        if spec.environment and (spec.environment.get("docker") or {}).get("shm_size"):
            shm = spec.environment["docker"]["shm_size"]
        if shm:
            limits["shm_size"] = shm
        return limits

    def _engine_cpus(self) -> float:
        try:
            return float(self.client.info().get("NCPU") or os.cpu_count() or 1)
        except Exception:
            return float(os.cpu_count() or 1)

    def _write_notebook_config(self, spec: StepSpec) -> str:
        path = self.notebook_config_path(spec)
        config = {
            "notebook": spec.notebook,
            "output_notebook": spec.output_notebook,
            "parameters": spec.notebook_parameters,
            "kernel_name": spec.kernel_name,
            "cell_timeout": spec.cell_timeout,
            "log_output": spec.log_output,
        }
        Path(path).write_text(json.dumps(config))
        for stale in (path + ".error",):
            if os.path.exists(stale):
                os.remove(stale)
        return path


def labels(spec: StepSpec) -> dict[str, str]:
    """The labels of the step's container: its run, step, step run and workspace."""
    found = {
        engine.LABEL_RUN: spec.run_id,
        engine.LABEL_STEP: spec.step_name,
        engine.LABEL_STEP_RUN: spec.step_run_id,
    }
    try:
        with open(os.path.join(spec.step_dir, "manifest.json")) as fh:
            found[engine.LABEL_WORKSPACE] = str(json.load(fh).get("workspace_dir") or "")
    except (OSError, ValueError):
        pass
    return found
