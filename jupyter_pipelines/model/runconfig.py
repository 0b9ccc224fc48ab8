"""``RunConfiguration`` (the v1 name): where and with what environment a step runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .conda_dependencies import CondaDependencies
from .environment import Environment

#: The name of the environment a new RunConfiguration starts with.
DEFAULT_ENVIRONMENT_NAME = "default-environment"
LOCAL_TARGET = "local"
#: v1's default shared memory of a container.
DEFAULT_SHM_SIZE = "2g"


class DockerConfiguration:
    """Whether a step runs in a container, and how (v1 ``DockerConfiguration``).

    ``use_docker`` is honoured by container targets (``DockerCompute``); a target that runs
    steps as local processes warns that it runs the step without a container.
    """

    def __init__(
        self,
        use_docker: bool = False,
        shared_volumes: bool = True,
        arguments: list[str] = [],  # noqa: B006 - v1's default; copied, never changed
        shm_size: str | None = DEFAULT_SHM_SIZE,
    ) -> None:
        self.use_docker = use_docker
        self.shared_volumes = shared_volumes
        self.arguments: list[str] = list(arguments or [])
        self.shm_size = shm_size

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
            shared_volumes=bool(data.get("shared_volumes", True)),
            arguments=list(data.get("arguments") or []),
            shm_size=data.get("shm_size", DEFAULT_SHM_SIZE),
        )

    def __repr__(self) -> str:
        return f"DockerConfiguration({self.to_dict()!r})"


class RunConfiguration:
    """How a step runs: its compute target, environment and limits (v1 ``RunConfiguration``).

    A new configuration targets ``"local"`` and holds a fresh environment named
    ``"default-environment"`` with no packages, which is not user-managed (as in v1).
    An environment without packages runs with the workspace's own interpreter, so the
    default costs nothing; adding packages makes the step run in a built environment.
    ``save``/``load`` read and write v1's ``.runconfig`` files (YAML, camelCase keys).
    """

    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str | None = None,
        communicator: str | None = None,
        conda_dependencies: CondaDependencies | None = None,
        _history_enabled: bool | None = None,
        _path: str | os.PathLike[str] | None = None,
        _name: str | None = None,
        command: list[str] | str | None = None,
    ) -> None:
        self.script = script
        self.arguments: list[Any] = list(arguments or [])
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.command = command
        self._target = LOCAL_TARGET
        self._path = _path
        self._name = _name
        self.environment = Environment(DEFAULT_ENVIRONMENT_NAME)
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies
        self._environment_variables: dict[str, str] = {}
        self.max_run_duration_seconds: int | None = None
        self.node_count = 1
        self.docker = DockerConfiguration()

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

    @property
    def environment_variables(self) -> dict[str, str]:
        """Variables set for the step's process, over the environment's own."""
        return self._environment_variables

    @environment_variables.setter
    def environment_variables(self, value: dict[str, str]) -> None:
        self._environment_variables = dict(value or {})

    @property
    def auto_prepare_environment(self) -> bool:
        """Always True (deprecated and unused in v1 too); setting it has no effect."""
        return True

    @auto_prepare_environment.setter
    def auto_prepare_environment(self, _: Any) -> None:
        pass

    # -- files (v1 .runconfig) -----------------------------------------------------------
    def save(
        self,
        path: str | os.PathLike[str] | None = None,
        name: str | None = None,
        separate_environment_yaml: bool = False,
    ) -> None:
        """Write this configuration as a v1 ``.runconfig`` file: ``<path>/.azureml/<name>``
        when ``path`` is a project folder (the current one by default), else the file
        ``path``; its conda dependencies go to ``conda_dependencies.yml`` beside it, and with
        ``separate_environment_yaml`` its environment to ``environment.yml``."""
        from .runconfig_files import save_runconfig

        where = path or self._path or os.getcwd()
        conda = self.environment.python.conda_dependencies
        save_runconfig(self.to_dict(), conda, where, name or self._name, separate_environment_yaml)

    @staticmethod
    def load(path: str | os.PathLike[str], name: str | None = None) -> RunConfiguration:
        """A configuration saved by ``save`` (or by v1): the file ``path``, or ``name`` in the
        project folder ``path`` (its ``.azureml/`` or ``aml_config/``, with or without
        ``.runconfig``)."""
        from .runconfig_files import load_runconfig

        where = Path(path or os.getcwd())
        doc, found = load_runconfig(where, name)
        config = RunConfiguration.from_dict(doc)
        config._path = str(where if where.is_dir() else found.parent)
        config._name = found.name
        return config

    @staticmethod
    def delete(path: str | os.PathLike[str], name: str) -> None:
        """Delete the configuration file ``name`` of the project folder ``path``."""
        from .runconfig_files import delete_runconfig

        delete_runconfig(path, name)

    # -- documents -----------------------------------------------------------------------
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
            command=data.get("command") or None,
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
        config.docker = DockerConfiguration.from_dict(docker) if docker else DockerConfiguration()
        return config

    def __repr__(self) -> str:
        return f"RunConfiguration(target={self.target!r}, environment={self.environment!r})"
