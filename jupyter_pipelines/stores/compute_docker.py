"""``DockerCompute``: a compute target whose steps run in containers of a Docker engine.

Created like the other targets::

    ComputeTarget.create(ws, "gpu-box", DockerCompute.provisioning_configuration(
        image="my-image:latest", gpus=2, memory="16g", cpus=4, shm_size="2g"))

The engine is the one the Docker environment names (``DOCKER_HOST``, so a Podman socket
works too). A step's ``Environment`` overrides the default ``image``; see docs/docker.md.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ComputeTargetException
from .compute_base import ComputeTarget

_MEMORY = re.compile(r"[0-9]+(\.[0-9]+)?[bkmgBKMG]?")


class DockerComputeProvisioningConfiguration:
    """How to create a ``DockerCompute`` target: default image, GPUs and limits."""

    _compute_type = "DockerCompute"

    def __init__(
        self,
        image: str | None = None,
        gpus: int | list[str] | None = None,
        memory: str | None = None,
        cpus: float | None = None,
        shm_size: str | None = None,
        environment_variables: dict[str, str] | None = None,
        max_concurrent_steps: int | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        self.image = image
        self.gpus = list(gpus) if isinstance(gpus, list | tuple) else gpus
        self.memory = memory
        self.cpus = cpus
        self.shm_size = shm_size
        self.environment_variables = dict(environment_variables or {})
        self.max_concurrent_steps = max_concurrent_steps
        self.tags = dict(tags or {})
        self.description = description

    def validate_configuration(self) -> None:
        """Raise ComputeTargetException naming the first wrong field."""
        if self.image is not None and (not isinstance(self.image, str) or not self.image.strip()):
            raise ComputeTargetException(f"image must be an image name, got {self.image!r}")
        gpus = self.gpus
        if gpus is not None and not (
            (isinstance(gpus, int) and not isinstance(gpus, bool) and gpus >= 0)
            or (isinstance(gpus, list) and all(isinstance(g, str | int) for g in gpus))
        ):
            raise ComputeTargetException(
                f"gpus must be a count >= 0 or a list of device ids, got {gpus!r}"
            )
        for name in ("memory", "shm_size"):
            value = getattr(self, name)
            if value is not None and not _MEMORY.fullmatch(str(value)):
                raise ComputeTargetException(
                    f"{name} must be a size such as '512m' or '4g', got {value!r}"
                )
        if self.cpus is not None and (
            not isinstance(self.cpus, int | float) or isinstance(self.cpus, bool) or self.cpus <= 0
        ):
            raise ComputeTargetException(f"cpus must be a number > 0, got {self.cpus!r}")
        slots = self.max_concurrent_steps
        if slots is not None and (not isinstance(slots, int) or slots < 1):
            raise ComputeTargetException(f"max_concurrent_steps must be an int >= 1, got {slots!r}")
        if not all(isinstance(k, str) for k in self.environment_variables):
            raise ComputeTargetException("environment_variables must map names to values")

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "gpus": [str(g) for g in self.gpus] if isinstance(self.gpus, list) else self.gpus,
            "memory": self.memory,
            "cpus": self.cpus,
            "shm_size": self.shm_size,
            "environment_variables": {k: str(v) for k, v in self.environment_variables.items()},
            "max_concurrent_steps": self.max_concurrent_steps,
            "tags": dict(self.tags),
            "description": self.description,
        }

    def __repr__(self) -> str:
        return f"DockerComputeProvisioningConfiguration({self.to_dict()!r})"


class DockerCompute(ComputeTarget):
    """Steps in containers of a Docker (or Podman) engine, with GPUs and limits."""

    _compute_type = "DockerCompute"

    @staticmethod
    def provisioning_configuration(
        image: str | None = None,
        gpus: int | list[str] | None = None,
        memory: str | None = None,
        cpus: float | None = None,
        shm_size: str | None = None,
        environment_variables: dict[str, str] | None = None,
        max_concurrent_steps: int | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> DockerComputeProvisioningConfiguration:
        """A configuration for ``ComputeTarget.create``.

        ``gpus``: a count or a list of device ids (None: those detected on the host);
        ``memory``/``shm_size``: sizes like ``"4g"``; ``cpus``: a CPU share like ``1.5``;
        ``max_concurrent_steps``: steps at once (None: the number of CPUs).
        """
        return DockerComputeProvisioningConfiguration(
            image=image,
            gpus=gpus,
            memory=memory,
            cpus=cpus,
            shm_size=shm_size,
            environment_variables=environment_variables,
            max_concurrent_steps=max_concurrent_steps,
            tags=tags,
            description=description,
        )

    @property
    def image(self) -> str | None:
        return self._config.get("image")

    @property
    def gpus(self) -> int | list[str] | None:
        """The configured GPUs (a count or device ids), or None: detected on the host."""
        gpus: int | list[str] | None = self._config.get("gpus")
        return gpus

    @property
    def slots(self) -> int | None:
        value = self._config.get("max_concurrent_steps")
        return int(value) if value else None

    def executor_options(self) -> tuple[str, dict[str, Any]]:
        config = self._config
        options: dict[str, Any] = {
            "image": config.get("image"),
            "gpus": config.get("gpus"),
            "memory": config.get("memory"),
            "cpus": config.get("cpus"),
            "shm_size": config.get("shm_size"),
            "environment_variables": dict(config.get("environment_variables") or {}),
        }
        if self.slots:
            options["slots"] = self.slots
        return "docker", options
