"""The Python and Docker sections of an ``Environment`` (v1 ``PythonSection``,
``DockerSection``), and v1's default images, as plain data."""

from __future__ import annotations

from typing import Any

from .conda_dependencies import CondaDependencies

#: The v1 default images (the image names, without a date tag).
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"
#: Names with this prefix are reserved for curated environments, as in v1.
CURATED_PREFIX = "AzureML-"


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
