"""``Environment`` (the v1 name): what a step needs around its code, as plain data.

An environment has a Python section (packages, or "use this interpreter as it is"), a Docker
section (the image a container target would use) and environment variables. Registered
environments live in the workspace; this module reaches them only through the workspace's
``environments_registry`` attribute, so that the model does no I/O but files.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..errors import ModelError, UnknownEnvironmentError, did_you_mean
from .conda_dependencies import CondaDependencies
from .environment_v1 import EnvironmentV1Members

#: The v1 default images (the image names, without a date tag).
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
#: Names with this prefix are reserved for curated environments, as in v1.
CURATED_PREFIX = "AzureML-"


class EnvironmentRegistryLike(Protocol):
    """What ``Environment.get/register/list`` need from ``workspace.environments_registry``."""

    def get(self, name: str, version: str | None = None) -> Environment | None: ...

    def register(self, environment: Environment) -> Environment: ...

    def versions(self, name: str) -> list[str]: ...

    def list(self) -> dict[str, Environment]: ...

    def label(self, name: str, version: str, labels: Sequence[str]) -> None: ...

    def labels(self, name: str) -> dict[str, str]: ...


class PythonSection:
    """The Python part of an environment (v1 ``PythonSection``).

    ``user_managed_dependencies=True`` means "run with ``interpreter_path`` as it is";
    otherwise the packages of ``conda_dependencies`` are installed for the step.
    """

    def __init__(
        self,
        user_managed_dependencies: bool = False,
        interpreter_path: str = "python",
        conda_dependencies: CondaDependencies | None = None,
        base_conda_environment: str | None = None,
    ) -> None:
        self.user_managed_dependencies = user_managed_dependencies
        self.interpreter_path = interpreter_path
        self.conda_dependencies = conda_dependencies or CondaDependencies()
        self.base_conda_environment = base_conda_environment

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_managed_dependencies": bool(self.user_managed_dependencies),
            "interpreter_path": self.interpreter_path,
            "conda_dependencies": self.conda_dependencies.to_dict(),
            "base_conda_environment": self.base_conda_environment,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PythonSection:
        deps = data.get("conda_dependencies")
        return cls(
            user_managed_dependencies=bool(data.get("user_managed_dependencies", False)),
            interpreter_path=str(data.get("interpreter_path") or "python"),
            conda_dependencies=CondaDependencies.from_dict(deps) if deps else None,
            base_conda_environment=data.get("base_conda_environment"),
        )


class DockerSection:
    """The Docker part of an environment (v1 ``DockerSection``): used by container targets."""

    def __init__(
        self,
        enabled: bool = False,
        base_image: str | None = DEFAULT_CPU_IMAGE,
        base_dockerfile: str | None = None,
        gpu_support: bool = False,
        shm_size: str | None = "2g",
        arguments: list[str] | None = None,
        base_image_registry: str | None = None,
        apt_packages: list[str] | None = None,
    ) -> None:
        self.enabled = enabled
        self.base_image = base_image
        self.base_dockerfile = base_dockerfile
        self.gpu_support = gpu_support
        self.shm_size = shm_size
        self.arguments: list[str] = list(arguments or [])
        self.base_image_registry = base_image_registry
        #: Debian/Ubuntu packages installed in the image (a jupyter_pipelines addition: in v1
        #: they are written in a ``base_dockerfile``).
        self.apt_packages: list[str] = list(apt_packages or [])

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "enabled": bool(self.enabled),
            "base_image": self.base_image,
            "base_dockerfile": self.base_dockerfile,
            "gpu_support": bool(self.gpu_support),
            "shm_size": self.shm_size,
            "arguments": list(self.arguments),
            "base_image_registry": self.base_image_registry,
        }
        if self.apt_packages:  # only when used: older fingerprints stay valid
            doc["apt_packages"] = list(self.apt_packages)
        return doc

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DockerSection:
        return cls(
            enabled=bool(data.get("enabled", False)),
            base_image=data.get("base_image", DEFAULT_CPU_IMAGE),
            base_dockerfile=data.get("base_dockerfile"),
            gpu_support=bool(data.get("gpu_support", False)),
            shm_size=data.get("shm_size", "2g"),
            arguments=list(data.get("arguments") or []),
            base_image_registry=data.get("base_image_registry"),
            apt_packages=list(data.get("apt_packages") or []),
        )


class Environment(EnvironmentV1Members):
    """A named, versioned environment for steps (v1 ``Environment``).

    ``version`` is None until the environment is registered; ``register`` numbers versions
    ``"1"``, ``"2"``, ... and gives a new one only when the definition changed. v1's
    constructor options (``_skip_defaults``) are accepted; unlike v1, a new environment has
    no example environment variable.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError(f"an environment needs a non-empty 'name', got {name!r}")
        self.name = name
        self.version: str | None = None
        self.python = PythonSection()
        self.docker = DockerSection()
        self._environment_variables: dict[str, str] = {}

    @property
    def environment_variables(self) -> dict[str, str]:
        """Variables set for every step that uses this environment (v1 deprecates them in
        favour of ``RunConfiguration.environment_variables``; both work here)."""
        return self._environment_variables

    @environment_variables.setter
    def environment_variables(self, value: dict[str, str]) -> None:
        self._environment_variables = dict(value or {})

    # -- constructors --------------------------------------------------------------------
    @staticmethod
    def from_pip_requirements(
        name: str, file_path: str | os.PathLike[str], pip_version: str | None = None
    ) -> Environment:
        """An environment installing the requirements of a ``requirements.txt`` file.

        ``-r other.txt`` includes are followed; other lines starting with ``-`` are kept
        as pip options.
        """
        env = Environment(name)
        deps = CondaDependencies()
        if pip_version:
            deps.add_conda_package(f"pip={pip_version}")
        for line in _requirement_lines(Path(file_path), set()):
            if line.startswith("-"):
                deps.set_pip_option(line)
            else:
                deps.add_pip_package(line)
        env.python.conda_dependencies = deps
        return env

    @staticmethod
    def from_conda_specification(name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment made from a conda ``environment.yml`` file."""
        env = Environment(name)
        env.python.conda_dependencies = CondaDependencies(file_path)
        return env

    @staticmethod
    def from_docker_image(
        name: str,
        image: str,
        container_registry: Any = None,
        conda_specification: str | os.PathLike[str] | None = None,
        pip_requirements: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """An environment running in ``image``; user-managed unless packages are given.

        ``container_registry`` (v1's ``ContainerRegistry``, or its address) is kept as the
        image's registry; its credentials are not stored.
        """
        env = Environment._with_packages(name, conda_specification, pip_requirements)
        env.docker.base_image = image
        registry = getattr(container_registry, "address", container_registry)
        env.docker.base_image_registry = str(registry) if registry else None
        return env

    @staticmethod
    def from_dockerfile(
        name: str,
        dockerfile: str | os.PathLike[str],
        conda_specification: str | os.PathLike[str] | None = None,
        pip_requirements: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """An environment built from a Dockerfile (its path, or its text)."""
        env = Environment._with_packages(name, conda_specification, pip_requirements)
        text = str(dockerfile)
        if "\n" not in text and Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8")
        env.docker.base_image = None
        env.docker.base_dockerfile = text
        return env

    @staticmethod
    def _with_packages(
        name: str,
        conda_specification: str | os.PathLike[str] | None,
        pip_requirements: str | os.PathLike[str] | None,
    ) -> Environment:
        if conda_specification is not None and pip_requirements is not None:
            raise ModelError("give 'conda_specification' or 'pip_requirements', not both")
        if conda_specification is not None:
            return Environment.from_conda_specification(name, conda_specification)
        if pip_requirements is not None:
            return Environment.from_pip_requirements(name, pip_requirements)
        env = Environment(name)
        env.python.user_managed_dependencies = True
        return env

    def clone(self, new_name: str) -> Environment:
        """A copy of this environment under a new name, not registered."""
        env = Environment.from_dict({**self.to_dict(), "name": new_name, "version": None})
        return env

    # -- documents -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The environment as a JSON-ready document."""
        return {
            "name": self.name,
            "version": self.version,
            "python": self.python.to_dict(),
            "docker": self.docker.to_dict(),
            "environment_variables": dict(self.environment_variables),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Environment:
        """The environment of a document written by ``to_dict``."""
        if not isinstance(data, dict):
            raise ModelError(f"an environment document must be a mapping, got {data!r}")
        env = cls(data.get("name", ""))
        version = data.get("version")
        env.version = str(version) if version is not None else None
        env.python = PythonSection.from_dict(data.get("python") or {})
        env.docker = DockerSection.from_dict(data.get("docker") or {})
        variables = data.get("environment_variables") or {}
        env.environment_variables = {str(k): str(v) for k, v in variables.items()}
        return env

    def definition(self) -> dict[str, Any]:
        """The document without ``name`` and ``version``: what the environment *is*."""
        doc = self.to_dict()
        del doc["name"], doc["version"]
        return doc

    def spec_hash(self) -> str:
        """SHA-256 of the canonical JSON of ``definition()``: equal content, equal hash."""
        canonical = json.dumps(
            self.definition(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- the workspace's registry --------------------------------------------------------
    def register(self, workspace: Any) -> Environment:
        """Register this definition in ``workspace``; returns the registered environment.

        Registering an unchanged definition again keeps its version.
        """
        if self.name.startswith(CURATED_PREFIX):
            raise ModelError(
                f"environment name {self.name!r} starts with {CURATED_PREFIX!r}, which is "
                "reserved for curated environments; clone it under another name"
            )
        return _registry(workspace).register(self)

    @staticmethod
    def get(
        workspace: Any, name: str, version: str | None = None, label: str | None = None
    ) -> Environment:
        """The registered environment ``name`` (its latest version by default, or the one
        ``label`` was given to with ``Environment.label``), else the curated one of that
        name: a v1 ``AzureML-*`` name, or any well-formed name of a curated framework
        family (see ``model/curated_environments.py``). Nothing is downloaded or built."""
        from .curated_environments import curated_environment, curated_names

        registry = _registry(workspace)
        if label is not None:
            if version is not None:
                raise ModelError("give Environment.get a version or a label, not both")
            labels = registry.labels(name)
            if label not in labels:
                named = ", ".join(sorted(labels)) or "(none)"
                raise UnknownEnvironmentError(
                    f"environment {name!r} has no label {label!r}"
                    f"{did_you_mean(label, labels)}; labels: {named}"
                )
            version = labels[label]
        version = str(version) if version is not None else None
        found = registry.get(name, version)
        if found is not None:
            return found
        curated = curated_environment(name)
        if curated is not None and version in (None, curated.version):
            return curated
        versions = registry.versions(name)
        if versions:
            raise UnknownEnvironmentError(
                f"environment {name!r} has no version {version!r}; "
                f"registered versions: {', '.join(versions)}"
            )
        registered = sorted(registry.list())
        hint = did_you_mean(name, [*registered, *curated_names()])
        raise UnknownEnvironmentError(
            f"no environment {name!r} is registered or curated{hint}; registered: "
            f"{', '.join(registered) or '(none)'}; curated: the {CURATED_PREFIX}* names of "
            "Environment.list(ws), and framework names such as "
            "'AzureML-TensorFlow-2.3-GPU' or 'AzureML-sklearn-0.24-ubuntu18.04-py37-cpu'"
        )

    @staticmethod
    def list(workspace: Any) -> dict[str, Environment]:
        """Name -> environment: the curated ones v1 documents and the latest version of each
        registered one."""
        from .curated_environments import curated_environment, curated_names

        found: dict[str, Environment] = {}
        for name in curated_names():
            curated = curated_environment(name)
            assert curated is not None
            found[name] = curated
        found.update(_registry(workspace).list())
        return found

    # -- Python protocol -----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Environment) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.spec_hash()))

    def __repr__(self) -> str:
        return f"Environment(name={self.name!r}, version={self.version!r})"

    def __deepcopy__(self, memo: dict[int, Any]) -> Environment:
        return Environment.from_dict(copy.deepcopy(self.to_dict(), memo))


def _registry(workspace: Any) -> EnvironmentRegistryLike:
    registry = getattr(workspace, "environments_registry", None)
    if registry is None:
        raise ModelError(
            f"{workspace!r} is not a workspace with environments; "
            "pass a jupyter_pipelines.Workspace"
        )
    result: EnvironmentRegistryLike = registry
    return result


def _requirement_lines(path: Path, seen: set[Path]) -> list[str]:
    """The requirement and option lines of a requirements file, following ``-r`` includes."""
    resolved = path.resolve()
    if resolved in seen:
        return []
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"cannot read pip requirements {str(path)!r}: {exc}") from exc
    lines: list[str] = []
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for flag in ("-r ", "--requirement ", "--requirement="):
            if line.startswith(flag):
                include = line[len(flag) :].strip()
                lines += _requirement_lines(path.parent / include, seen)
                break
        else:
            lines.append(line)
    return lines
