"""Step images: used as named, or built once per recipe and found again by their tag.

``ensure_image`` answers at once when the image exists (a cache hit costs one
``images.get`` call); otherwise it builds with the classic builder, streaming the build
log line by line to ``log``. Builds of the same tag in one process wait for each other.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import EnvironmentBuildError, ExecutorError
from .cabundle import host_ca_bundle
from .engine import is_not_found
from .recipe import ImageRecipe

Log = Callable[[str], None]
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def write_context(recipe: ImageRecipe, folder: Path, ca_bundle: Path | None) -> Path:
    """Fill ``folder`` with the build context of ``recipe``: its Dockerfile and CA bundle."""
    folder.mkdir(parents=True, exist_ok=True)
    if ca_bundle is not None:
        shutil.copyfile(ca_bundle, folder / "host-ca.crt")
    (folder / "Dockerfile").write_text(recipe.dockerfile_text(ca_bundle is not None))
    return folder


def image_exists(client: Any, name: str) -> bool:
    """Whether the engine has image ``name`` (no pull is tried)."""
    try:
        client.images.get(name)
    except Exception as exc:
        if is_not_found(exc):
            return False
        raise ExecutorError(f"cannot inspect image {name!r}: {exc}") from exc
    return True


def ensure_image(client: Any, wanted: str | ImageRecipe, log: Log) -> str:
    """The name of an existing image for ``wanted``, building the recipe when needed."""
    if isinstance(wanted, str):
        if not image_exists(client, wanted):
            raise ExecutorError(
                f"image {wanted!r} is not on the Docker engine; build or load it first "
                "(this target never pulls from a registry)"
            )
        return wanted
    tag = wanted.tag
    if image_exists(client, tag):
        return tag
    with _locks_guard:
        lock = _locks.setdefault(tag, threading.Lock())
    with lock:
        if not image_exists(client, tag):
            build_image(client, wanted, log)
    return tag


def build_image(client: Any, recipe: ImageRecipe, log: Log) -> None:
    """Build ``recipe`` as ``recipe.tag``; raises EnvironmentBuildError with the log's end."""
    started = time.monotonic()
    if recipe.base_image and not image_exists(client, recipe.base_image):
        raise EnvironmentBuildError(
            f"cannot build the step image: its base image {recipe.base_image!r} is not on the "
            "Docker engine (this target never pulls from a registry)"
        )
    ca_bundle = host_ca_bundle()
    log(f"building image {recipe.tag} (from {recipe.base_image or 'a Dockerfile'})")
    if ca_bundle is not None:
        log(f"the build trusts the host's CA bundle {str(ca_bundle)!r}")
    last: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jp-docker-build-") as tmp:
        context = write_context(recipe, Path(tmp), ca_bundle)
        stream = client.api.build(
            path=str(context),
            tag=recipe.tag,
            rm=True,
            forcerm=True,
            decode=True,
            labels={"jupyter_pipelines.recipe": recipe.key()},
        )
        for chunk in stream:
            if "error" in chunk:
                detail = "\n".join(last[-15:])
                raise EnvironmentBuildError(
                    f"building image {recipe.tag} failed: {chunk['error'].strip()}\n{detail}"
                )
            text = chunk.get("stream") or chunk.get("status") or ""
            for line in text.splitlines():
                if line.strip():
                    last.append(line)
                    log(line)
    log(f"built image {recipe.tag} in {time.monotonic() - started:.1f} s")
