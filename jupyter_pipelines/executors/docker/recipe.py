"""What image a step runs in: an image used as it is, or a recipe to build one.

A step's ``Environment`` overrides the target's default image: its ``docker.base_image``
(unless it is one of v1's default images, which only say "a default image"), or its
``docker.base_dockerfile``, with its apt packages (``docker.apt_packages``) and pip packages
(and conda packages, installed with pip) added on top. Built images are tagged
``jupyter-pipelines-env:<hash>``, the hash being that of the recipe, so an unchanged
environment never builds twice.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import asdict, dataclass, field
from typing import Any

from ...errors import ExecutorError
from ...model.environment import DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE, Environment
from ..environments import build_plan, conda_to_pip, is_conda_only
from .cabundle import IMAGE_PATH

#: Repository of built images.
IMAGE_REPOSITORY = "jupyter-pipelines-env"
#: Bumped when the generated Dockerfile changes, so that old images are rebuilt.
RECIPE_FORMAT = 1
_V1_DEFAULTS = (DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE)


@dataclass
class ImageRecipe:
    """How to build a step image: a base (an image name or a Dockerfile) plus apt and pip
    packages."""

    base_image: str | None = None
    dockerfile: str | None = None
    apt: list[str] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)
    pip_options: list[str] = field(default_factory=list)

    def key(self) -> str:
        """The recipe's content hash (hex)."""
        doc = {"format": RECIPE_FORMAT, **asdict(self)}
        if not self.apt:
            del doc["apt"]  # recipes without apt packages keep their earlier keys
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def tag(self) -> str:
        """The image name a build of this recipe gets."""
        return f"{IMAGE_REPOSITORY}:{self.key()[:20]}"

    def dockerfile_text(self, with_ca_bundle: bool) -> str:
        """The Dockerfile that builds the image (the CA bundle file is ``host-ca.crt``)."""
        if self.dockerfile:
            lines = [self.dockerfile.rstrip("\n"), "USER root"]
        else:
            lines = [f"FROM {self.base_image}", "USER root"]
        if with_ca_bundle:
            lines += [
                f"COPY host-ca.crt {IMAGE_PATH}",
                # Build-time only: ARGs are environment variables of RUN, not of the image.
                f"ARG PIP_CERT={IMAGE_PATH}",
                f"ARG REQUESTS_CA_BUNDLE={IMAGE_PATH}",
                f"ARG SSL_CERT_FILE={IMAGE_PATH}",
                "RUN if [ -d /etc/apt/apt.conf.d ]; then echo "
                f"'Acquire::https::CAInfo \"{IMAGE_PATH}\";' > /etc/apt/apt.conf.d/99host-ca; fi",
            ]
        if self.apt:
            packages = " ".join(shlex.quote(a) for a in self.apt)
            lines.append(
                "RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
                f"--no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*"
            )
        if self.pip:
            args = " ".join(shlex.quote(a) for a in [*self.pip_options, *self.pip])
            lines.append(
                "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
                f"--disable-pip-version-check {args}"
            )
        return "\n".join(lines) + "\n"


def choose_image(
    environment: dict[str, Any] | None, default_image: str | None, step: str
) -> str | ImageRecipe:
    """The image name to run ``step`` in, or the recipe of the image to build first."""
    env = Environment.from_dict(environment) if environment else None
    base = default_image
    recipe = ImageRecipe()
    if env is not None:
        named = env.docker.base_image
        if named and not is_v1_default(named):
            base = named
        recipe.dockerfile = env.docker.base_dockerfile or None
        recipe.apt = list(env.docker.apt_packages)
        if not env.python.user_managed_dependencies:
            plan = build_plan(env)
            # conda-only packages (system libraries, toolchains) come with the wheels or the image
            conda = [conda_to_pip(c) for c in plan.conda if not is_conda_only(c)]
            recipe.pip = [*plan.pip, *conda]
            recipe.pip_options = list(plan.pip_options)
    if recipe.dockerfile is None and base is None:
        raise ExecutorError(
            f"step {step!r} has no image: give the target one with "
            "DockerCompute.provisioning_configuration(image=...), or give the step an "
            "Environment with docker.base_image"
        )
    if recipe.dockerfile is None and not recipe.pip and not recipe.apt:
        assert base is not None
        return base
    recipe.base_image = None if recipe.dockerfile else base
    return recipe


def is_v1_default(image: str) -> bool:
    """Whether ``image`` is one of v1's default images (any tag), which cannot be pulled here."""
    bare = image.split("@")[0]
    if ":" in bare.rsplit("/", 1)[-1]:
        bare = bare.rsplit(":", 1)[0]
    return bare in _V1_DEFAULTS
