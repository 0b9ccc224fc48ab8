"""Container test fixtures: a live Docker engine with the test images, or a loud skip.

``make test`` starts an engine and builds the images (scripts/docker-engine.sh,
scripts/docker-base-image.sh); when it could not, the reason it wrote is the skip reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import ComputeTarget, DockerCompute, Workspace
from tests.integration.support import Project

PYTHON_IMAGE = os.environ.get("JP_DOCKER_PYTHON_IMAGE", "jupyter-pipelines-python:bookworm")
STATE_DIR = Path(os.environ.get("JP_DOCKER_STATE") or "/tmp/jupyter-pipelines-docker")
TARGET = "box"


def _unavailable() -> str | None:
    """Why the container tests cannot run here, or None when they can."""
    reason_file = STATE_DIR / "unavailable"
    if reason_file.exists():
        return reason_file.read_text().strip()
    try:
        import docker
    except ImportError:
        return "docker-py is not installed (pip install 'docker>=7')"
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        return f"no Docker engine answers ({exc}); run 'make docker' as root to start one"
    try:
        client.images.get(PYTHON_IMAGE)
    except Exception:
        return f"image {PYTHON_IMAGE} is missing; build it with scripts/docker-base-image.sh"
    finally:
        client.close()
    return None


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """A docker-py client of the live engine; skips (loudly, with the reason) without one."""
    reason = _unavailable()
    if reason:
        print(f"\n*** container tests SKIPPED: {reason} ***")
        pytest.skip(f"no Docker engine for the container tests: {reason}")
    import docker

    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Any) -> Iterator[Project]:
    """A project folder with a workspace holding a DockerCompute target named ``box``."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    proj = Project(root=root, ws=Workspace.at(root))
    ComputeTarget.create(
        proj.ws, TARGET, DockerCompute.provisioning_configuration(image=PYTHON_IMAGE)
    )
    yield proj
    proj.stop_everything()


def containers_of(engine: Any, run_id: str) -> list[dict[str, Any]]:
    """Containers (any state) labelled with ``run_id``, as the engine lists them."""
    found: list[dict[str, Any]] = engine.api.containers(
        all=True, filters={"label": f"jupyter_pipelines.run={run_id}"}
    )
    return found
