"""``RunConfiguration`` (the v1 name): where and with what environment a step runs."""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .conda_dependencies import CondaDependencies
from .environment import Environment

#: The name of the environment a new RunConfiguration starts with.
DEFAULT_ENVIRONMENT_NAME = "default-environment"
LOCAL_TARGET = "local"


class DockerConfiguration:
    """Whether a step runs in a container, and how (v1 ``DockerConfiguration``)."""

    def __init__(
        self,
        use_docker: bool = False,
        shm_size: str | None = None,
        shared_volumes: bool = True,
        arguments: list[str] | None = None,
    ) -> None:
        self.use_docker = use_docker
        self.shm_size = shm_size
        self.shared_volumes = shared_volumes
        self.arguments: list[str] = list(arguments or [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_docker": bool(self.use_docker),
            "shm_size": self.shm_size,
            "shared_volumes": bool(self.shared_volumes),
            "arguments": list(self.arguments),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DockerConfiguration:
        return cls(
            use_docker=bool(data.get("use_docker", False)),
            shm_size=data.get("shm_size"),
            shared_volumes=bool(data.get("shared_volumes", True)),
            arguments=list(data.get("arguments") or []),
        )


class RunConfiguration:
    """How a step runs: its compute target, environment and limits (v1 ``RunConfiguration``).

    A new configuration targets ``"local"`` and holds a fresh environment named
    ``"default-environment"`` with no packages, which is not user-managed (as in v1).
    An environment without packages runs with the workspace's own interpreter, so the
    default costs nothing; adding packages makes the step run in a built environment.
    """

    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str | None = None,
        communicator: str | None = None,
        conda_dependencies: CondaDependencies | None = None,
        command: list[str] | str | None = None,
    ) -> None:
        self.script = script
        self.arguments: list[Any] = list(arguments or [])
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.command = command
        self._target = LOCAL_TARGET
        self.environment = Environment(DEFAULT_ENVIRONMENT_NAME)
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        #: Set for the step's process, over the environment's own variables.
        self.environment_variables: dict[str, str] = {}
        self.max_run_duration_seconds: int | None = None
        self.node_count = 1
        self.docker: DockerConfiguration | None = None

    @property
    def target(self) -> str:
        """The compute target's name; a compute target object may be assigned."""
        return self._target

    @target.setter
    def target(self, value: Any) -> None:
        name = value if isinstance(value, str) else getattr(value, "name", None)
        if not isinstance(name, str) or not name:
            raise ModelError(f"target must be a compute target or its name, got {value!r}")
        self._target = name

    @property
    def environment(self) -> Environment:
        """The step's environment."""
        return self._environment

    @environment.setter
    def environment(self, value: Environment) -> None:
        if not isinstance(value, Environment):
            raise ModelError(f"environment must be an Environment, got {value!r}")
        self._environment = value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (arguments are kept only when they are plain values)."""
        return {
            "script": self.script,
            "arguments": [a for a in self.arguments if isinstance(a, str | int | float)],
            "framework": self.framework,
            "communicator": self.communicator,
            "command": self.command,
            "target": self.target,
            "environment": self.environment.to_dict(),
            "environment_variables": dict(self.environment_variables),
            "max_run_duration_seconds": self.max_run_duration_seconds,
            "node_count": self.node_count,
            "docker": self.docker.to_dict() if self.docker is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfiguration:
        """The configuration of a document written by ``to_dict``."""
        config = cls(
            script=data.get("script"),
            arguments=list(data.get("arguments") or []),
            framework=data.get("framework"),
            communicator=data.get("communicator"),
            command=data.get("command"),
        )
        config.target = data.get("target") or LOCAL_TARGET
        if data.get("environment"):
            config.environment = Environment.from_dict(data["environment"])
        config.environment_variables = {
            str(k): str(v) for k, v in (data.get("environment_variables") or {}).items()
        }
        config.max_run_duration_seconds = data.get("max_run_duration_seconds")
        config.node_count = int(data.get("node_count") or 1)
        docker = data.get("docker")
        config.docker = DockerConfiguration.from_dict(docker) if docker else None
        return config

    def __repr__(self) -> str:
        return f"RunConfiguration(target={self.target!r}, environment={self.environment!r})"
