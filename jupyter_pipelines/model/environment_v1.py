"""The v1 ``Environment`` members around building, labelling and files (mixed into
``Environment``): builds go through the workspace (``jupyter_pipelines.Workspace``), which
knows how the local and Docker targets build environments."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..compat import cloud_only
from ..errors import ModelError

if TYPE_CHECKING:
    from .environment import Environment

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
        from .environment import _registry

        _registry(workspace).label(name, str(version), list(labels))

    def build(
        self: Any, workspace: Any, image_build_compute: str | None = None
    ) -> ImageBuildDetails:
        """Register this environment and build it as the local target runs it (a virtual
        environment with its packages); ``image_build_compute`` is ignored."""
        registered: Environment = self.register(workspace)
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

    @staticmethod
    def from_existing_conda_environment(
        name: str, conda_environment_name: str
    ) -> Environment | None:
        """An environment with the packages of a local conda environment (``conda env
        export``); None when conda is missing or the export fails, as in v1."""
        from .environment import Environment

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
        from .environment import Environment

        location = getattr(docker_build_context, "location", docker_build_context)
        dockerfile = getattr(docker_build_context, "dockerfile_path", None) or "Dockerfile"
        folder = Path(str(location))
        if not folder.is_dir():
            raise ModelError(
                f"Docker build context {str(location)!r} is not a local folder; use "
                "Environment.from_dockerfile(name, path_to_dockerfile)"
            )
        return Environment.from_dockerfile(name, folder / dockerfile)

    def save_to_directory(self: Any, path: str | os.PathLike[str], overwrite: bool = False) -> None:
        """Write this environment as v1 does: ``azureml_environment.json``,
        ``conda_dependencies.yml`` and ``BaseDockerfile`` in the directory ``path``."""
        from .runconfig_files import save_environment

        save_environment(self, path, overwrite)

    @staticmethod
    def load_from_directory(path: str | os.PathLike[str]) -> Environment:
        """The environment ``save_to_directory`` (or v1) wrote in the directory ``path``."""
        from .runconfig_files import load_environment

        return load_environment(path)
