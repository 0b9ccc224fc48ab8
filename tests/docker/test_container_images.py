"""Step images on a real engine: built once per environment, rebuilt when it changes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import Environment
from jupyter_pipelines.executors.base import StepSpec
from jupyter_pipelines.executors.docker.executor import DockerExecutor
from jupyter_pipelines.executors.docker.images import ensure_image
from jupyter_pipelines.executors.docker.recipe import choose_image
from jupyter_pipelines.stores import status as st
from tests.docker.conftest import PYTHON_IMAGE

pytestmark = pytest.mark.docker


def dockerfile_env(marker: str, extra: str = "") -> dict[str, Any]:
    env = Environment.from_dockerfile(
        "e", f"FROM {PYTHON_IMAGE}\nRUN echo {marker} > /marker\n{extra}"
    )
    return env.to_dict()


def build(environment: dict[str, Any]) -> tuple[str, list[str], float]:
    lines: list[str] = []
    from jupyter_pipelines.executors.docker.engine import client

    started = time.perf_counter()
    tag = ensure_image(client(), choose_image(environment, None, "s"), lines.append)
    return tag, lines, time.perf_counter() - started


def test_an_image_is_built_once_and_again_when_its_environment_changes(engine: Any) -> None:
    marker = f"v{time.time_ns()}"
    tag, lines, _ = build(dockerfile_env(marker))
    try:
        assert any("Successfully built" in line for line in lines)
        again, lines_again, seconds = build(dockerfile_env(marker))
        assert again == tag and lines_again == []
        assert seconds < 1.0
        changed, changed_lines, _ = build(dockerfile_env(marker + "-changed"))
        assert changed != tag and any("Successfully built" in line for line in changed_lines)
        engine.images.remove(changed, force=True)
    finally:
        engine.images.remove(tag, force=True)


def test_pip_packages_install_through_the_hosts_ca_bundle(engine: Any) -> None:
    env = Environment("pip-env")
    env.python.conda_dependencies.add_pip_package("tomli-w")
    env.docker.base_image = PYTHON_IMAGE
    tag, lines, _ = build(env.to_dict())
    try:
        output = engine.containers.run(
            tag, ["python3", "-c", "import tomli_w; print('ok')"], remove=True
        )
        assert output.strip() == b"ok", lines
    finally:
        engine.images.remove(tag, force=True)


def test_a_notebook_step_in_an_image_without_papermill_fails_clearly(
    engine: Any, tmp_path: Path
) -> None:
    from tests.integration.support import write_notebook

    # The system Python of the test image, without the venv that holds papermill.
    env = dockerfile_env("nopapermill", "ENV PATH=/usr/local/bin:/usr/bin:/bin\n")
    nb = write_notebook(tmp_path / "nb.ipynb")
    spec = StepSpec(
        run_id="r-nopapermill",
        step_run_id="sr-nopapermill",
        step_name="nb",
        kind="notebook",
        working_dir=str(tmp_path),
        step_dir=str(tmp_path),
        stdout_path=str(tmp_path / "stdout.txt"),
        stderr_path=str(tmp_path / "stderr.txt"),
        notebook=str(nb),
        output_notebook=str(tmp_path / "out.ipynb"),
        environment=env,
    )
    executor = DockerExecutor(image=PYTHON_IMAGE)
    result = executor.launch(spec).wait()
    executor.close()
    image = choose_image(env, None, "nb")
    engine.images.remove(getattr(image, "tag", image), force=True)
    assert result.status == st.FAILED
    assert "cannot run notebooks" in (result.error or "")
    assert "pip install papermill ipykernel" in (result.error or "")
