"""The v1 ``Environment`` members around building, labelling and files (mixed into
``Environment``): builds go through the workspace (``jupyter_pipelines.Workspace``), which
knows how the local and Docker targets build environments."""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..compat import cloud_only
from ..errors import ModelError

#: Where ``add_private_pip_wheel`` keeps wheels, under the workspace's ``.pipelines`` folder.
WHEELS_DIR = "private_wheels"


class ImageBuildDetails:
    """The result of ``Environment.build`` (v1 ``ImageBuildDetails``): finished at once."""

    def __init__(self, status: str, built: str, log_lines: list[str]) -> None:
        self.status = status
        self.built = built  # the interpreter path or image name
        self.log_url: str | None = None
        self._log = log_lines

    def get_log(self) -> str:
        """The build's output."""
        return "\n".join(self._log)

    def wait_for_completion(self, show_output: bool = True) -> ImageBuildDetails:
        """The build has ended; with ``show_output`` its log and status are printed."""
        if show_output:
            if self._log:
                print(self.get_log())
            print(f"Image Build Status: {self.status}")
        return self

    def __repr__(self) -> str:
        return f"ImageBuildDetails(status={self.status!r}, built={self.built!r})"


def environments_registry(workspace: Any) -> Any:
    """The registered environments of ``workspace`` (its ``environments_registry``)."""
    registry = getattr(workspace, "environments_registry", None)
    if registry is None:
        raise ModelError(
            f"{workspace!r} is not a workspace with environments; "
            "pass a jupyter_pipelines.Workspace"
        )
    return registry


def _builder(workspace: Any) -> Callable[..., str]:
    build = getattr(workspace, "_build_environment", None)
    if build is None:
        raise ModelError(
            f"{workspace!r} cannot build environments; pass a jupyter_pipelines.Workspace"
        )
    result: Callable[..., str] = build
    return result


class EnvironmentV1Members:
    """Building, labels, private wheels and directories of v1's ``Environment``."""

    @staticmethod
    def label(workspace: Any, name: str, version: str, labels: list[str]) -> None:
        """Give the registered version ``version`` of ``name`` each of ``labels`` (a label
        names one version; giving it again moves it); ``Environment.get(label=...)`` reads."""
        environments_registry(workspace).label(name, str(version), list(labels))

    def build(
        self: Any, workspace: Any, image_build_compute: str | None = None
    ) -> ImageBuildDetails:
        """Register this environment and build it as the local target runs it (a virtual
        environment with its packages); ``image_build_compute`` is ignored."""
        registered = self.register(workspace)
        lines: list[str] = []
        built = _builder(workspace)(registered, False, lines.append)
        return ImageBuildDetails("Succeeded", built, lines)

    def build_local(self: Any, workspace: Any, platform: str | None = None, **kwargs: Any) -> None:
        """Build this environment on this machine, printing the build's output: a virtual
        environment, or with ``useDocker=True`` (default: ``docker.enabled``) a Docker image
        on the local engine. ``platform`` and ``pushImageToWorkspaceAcr`` are ignored."""
        use_docker = bool(kwargs.get("useDocker", self.docker.enabled))
        built = _builder(workspace)(self, use_docker, print)
        print(f"environment {self.name!r} is ready: {built}")

    @cloud_only("image details describe the image Azure ML built in the workspace's registry")
    def get_image_details(self: Any, workspace: Any) -> dict[str, Any]:
        return {
            "dockerImage": {
                "name": self.docker.base_image,
                "registry": {"address": self.docker.base_image_registry},
            },
            "imageExistsInRegistry": False,
            "pythonEnvironment": {
                "interpreterPath": self.python.interpreter_path,
                "condaEnvironmentPath": None,
            },
            "ingredients": {"dockerfile": self.docker.base_dockerfile},
        }

    @staticmethod
    def add_private_pip_wheel(
        workspace: Any, file_path: str | os.PathLike[str], exist_ok: bool = False
    ) -> str:
        """Copy a wheel into the workspace (``.pipelines/private_wheels/``) and return its
        path, to give to ``CondaDependencies.add_pip_package``."""
        source = Path(file_path)
        if not source.is_file():
            raise ModelError(f"no wheel file at {str(source)!r}")
        target = Path(workspace.dir) / WHEELS_DIR / source.name
        if target.exists():
            if not exist_ok and not filecmp.cmp(source, target, shallow=False):
                raise ModelError(
                    f"a different wheel {source.name!r} is already in the workspace; pass "
                    "exist_ok=True to keep using it, or rename the new one"
                )
            return str(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        return str(target)

    def save_to_directory(self: Any, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write this environment as v1 does: ``azureml_environment.json``,
        ``conda_dependencies.yml`` and ``BaseDockerfile`` in the directory ``path``."""
        from .runconfig_files import save_environment

        save_environment(self.to_dict(), self.python.conda_dependencies, path, overwrite)
