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
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..compat import cloud_only
from ..errors import ModelError, UnknownEnvironmentError, did_you_mean
from .conda_dependencies import CondaDependencies
from .curated_definitions import CuratedDefinition, curated_definition, curated_names
from .environment_sections import CURATED_PREFIX as CURATED_PREFIX
from .environment_sections import DEFAULT_CPU_IMAGE as DEFAULT_CPU_IMAGE
from .environment_sections import DEFAULT_GPU_IMAGE as DEFAULT_GPU_IMAGE
from .environment_sections import DockerSection as DockerSection
from .environment_sections import PythonSection as PythonSection
from .environment_v1 import EnvironmentV1Members, environments_registry


class EnvironmentRegistryLike(Protocol):
    """What ``Environment.get/register/list`` need from ``workspace.environments_registry``."""

    def get(self, name: str, version: str | None = None) -> Environment | None: ...

    def register(self, environment: Environment) -> Environment: ...

    def versions(self, name: str) -> list[str]: ...

    def list(self) -> dict[str, Environment]: ...

    def label(self, name: str, version: str, labels: Sequence[str]) -> None: ...

    def labels(self, name: str) -> dict[str, str]: ...


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

    @staticmethod
    def from_existing_conda_environment(
        name: str, conda_environment_name: str
    ) -> Environment | None:
        """An environment with the packages of a local conda environment (``conda env
        export``); None when conda is missing or the export fails, as in v1."""
        conda = shutil.which("conda") or shutil.which("mamba")
        if conda is None:
            print("conda is not installed here; no environment was made")
            return None
        command = [conda, "env", "export", "--no-builds", "--name", conda_environment_name]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"Exporting conda specifications failed with exit code: {proc.returncode}")
            return None
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder) / "environment.yml"
            spec.write_text(proc.stdout, encoding="utf-8")
            return Environment.from_conda_specification(name, spec)

    @staticmethod
    @cloud_only(
        "a Docker build context is uploaded to Azure storage or read from git; here the "
        "Dockerfile of a local folder is used, as from_dockerfile does (its other files are "
        "not sent to the build)"
    )
    def from_docker_build_context(name: str, docker_build_context: Any) -> Environment:
        location = getattr(docker_build_context, "location", docker_build_context)
        dockerfile = getattr(docker_build_context, "dockerfile_path", None) or "Dockerfile"
        folder = Path(str(location))
        if not folder.is_dir():
            raise ModelError(
                f"Docker build context {str(location)!r} is not a local folder; use "
                "Environment.from_dockerfile(name, path_to_dockerfile)"
            )
        return Environment.from_dockerfile(name, folder / dockerfile)

    @staticmethod
    def load_from_directory(path: str | os.PathLike[str]) -> Environment:
        """The environment ``save_to_directory`` (or v1) wrote in the directory ``path``."""
        from .runconfig_files import load_environment

        return Environment.from_dict(load_environment(path))

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


def curated_environment(name: str) -> Environment | None:
    """A fresh copy of the curated environment ``name`` (version ``"1"``), or None."""
    definition = curated_definition(name)
    return from_curated_definition(name, definition) if definition is not None else None


def from_curated_definition(name: str, definition: CuratedDefinition) -> Environment:
    """The curated environment ``name`` made from its definition: user-managed (its image
    holds the packages), version ``"1"``."""
    env = Environment(name)
    env.version = "1"
    env.python.user_managed_dependencies = True
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=list(definition.packages), python_version=definition.python
    )
    env.docker.base_image = definition.image
    env.docker.gpu_support = definition.gpu
    return env


def _registry(workspace: Any) -> EnvironmentRegistryLike:
    result: EnvironmentRegistryLike = environments_registry(workspace)
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
