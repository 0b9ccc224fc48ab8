"""DockerCompute targets and what the docker executor asks the engine for (no engine needed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from jupyter_pipelines import ComputeTarget, DockerCompute, Workspace
from jupyter_pipelines.errors import ComputeTargetException
from jupyter_pipelines.executors.base import StepSpec
from jupyter_pipelines.executors.docker.executor import DockerExecutor, labels
from jupyter_pipelines.executors.docker.mounts import (
    RUNTIME_ROOT,
    container_command,
    device_requests,
    link_targets,
    step_environment,
    step_volumes,
)
from jupyter_pipelines.executors.registry import executor_class
from jupyter_pipelines.stores.compute import target_executor_options


def test_a_docker_target_is_created_and_names_its_executor(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    config = DockerCompute.provisioning_configuration(
        image="py:1",
        gpus=["0", "1"],
        memory="4g",
        cpus=1.5,
        shm_size="1g",
        environment_variables={"A": "1"},
        max_concurrent_steps=2,
    )
    target = ComputeTarget.create(ws, "box", config)
    assert isinstance(ComputeTarget(ws, "box"), DockerCompute)
    assert target.type == "DockerCompute" and target.slots == 2
    kind, options = target_executor_options(ws, "box")
    assert kind == "docker"
    assert options == {
        "image": "py:1",
        "gpus": ["0", "1"],
        "memory": "4g",
        "cpus": 1.5,
        "shm_size": "1g",
        "environment_variables": {"A": "1"},
        "slots": 2,
    }
    assert executor_class(kind) is DockerExecutor
    assert ws.compute_targets["box"] == target


@pytest.mark.parametrize(
    ("field", "value"),
    [("gpus", -1), ("memory", "lots"), ("cpus", 0), ("max_concurrent_steps", 0), ("image", " ")],
)
def test_bad_settings_are_refused(tmp_path: Path, field: str, value: object) -> None:
    config = DockerCompute.provisioning_configuration(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ComputeTargetException, match=field):
        ComputeTarget.create(Workspace.at(tmp_path), "box", config)


def spec(tmp_path: Path, **fields: object) -> StepSpec:
    work = tmp_path / "work"
    step = tmp_path / "step"
    for folder in (work, step, step / "out", tmp_path / "in"):
        folder.mkdir(parents=True, exist_ok=True)
    base = {
        "run_id": "r1",
        "step_run_id": "sr1",
        "step_name": "s",
        "kind": "command",
        "working_dir": str(work),
        "step_dir": str(step),
        "stdout_path": str(step / "stdout.txt"),
        "stderr_path": str(step / "stderr.txt"),
        "argv": [sys.executable, "x.py"],
        "outputs": {"o": {"path": str(step / "out")}},
        "inputs": {"i": {"path": str(tmp_path / "in")}},
        "env": {"AML_PARAMETER_a": "1", "PYTHONPATH": "/extra"},
    }
    base.update(fields)
    return StepSpec(**base)  # type: ignore[arg-type]


def test_volumes_are_at_host_paths_inputs_read_only(tmp_path: Path) -> None:
    volumes = step_volumes(spec(tmp_path))
    real = os.path.realpath
    assert volumes[real(tmp_path / "work")] == {"bind": real(tmp_path / "work"), "mode": "rw"}
    assert volumes[real(tmp_path / "step")]["mode"] == "rw"
    assert real(tmp_path / "step" / "out") not in volumes  # inside the step folder already
    assert volumes[real(tmp_path / "in")]["mode"] == "ro"
    runtime = [v for v in volumes.values() if v["bind"] == f"{RUNTIME_ROOT}/jupyter_pipelines"]
    assert runtime == [{"bind": f"{RUNTIME_ROOT}/jupyter_pipelines", "mode": "ro"}]


def test_a_reused_input_link_is_mounted_at_its_target(tmp_path: Path) -> None:
    target = tmp_path / "earlier" / "out"
    target.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(target)
    volumes = step_volumes(spec(tmp_path, inputs={"i": {"path": str(link)}}))
    assert volumes[os.path.realpath(target)]["mode"] == "ro"


def test_shared_paths_are_mounted_at_their_paths_with_their_modes(tmp_path: Path) -> None:
    cache, models = tmp_path / "ws" / "cache", tmp_path / "ws" / "models"
    cache.mkdir(parents=True)
    models.mkdir()
    shared = {str(cache): "rw", str(models): "ro", str(tmp_path / "gone"): "rw"}
    volumes = step_volumes(spec(tmp_path, shared_paths=shared))
    assert volumes[os.path.realpath(cache)]["mode"] == "rw"
    assert volumes[os.path.realpath(models)]["mode"] == "ro"
    assert os.path.realpath(tmp_path / "gone") not in volumes  # not there: not mounted
    assert StepSpec.from_dict(spec(tmp_path, shared_paths=shared).to_dict()).shared_paths == shared


def test_the_folders_a_mounted_datasets_links_point_into_are_mounted(tmp_path: Path) -> None:
    """A dataset input staged as links to a datastore's files: the container must see them."""
    store = tmp_path / "datastore"
    (store / "images" / "a").mkdir(parents=True)
    (store / "labels").mkdir()
    staged = tmp_path / "in"
    for name in ("x.txt", "a/y.txt"):
        (store / "images" / name).write_text(name)
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).symlink_to(store / "images" / name)
    (staged / "labels").symlink_to(store / "labels")
    (staged / "loop").symlink_to(staged)  # a loop is walked once
    assert link_targets(str(staged)) == sorted(
        [os.path.realpath(store / "images"), os.path.realpath(store / "labels")]
    )
    volumes = step_volumes(spec(tmp_path))
    assert volumes[os.path.realpath(store / "images")]["mode"] == "ro"
    assert volumes[os.path.realpath(store / "labels")]["mode"] == "ro"
    assert os.path.realpath(store / "images" / "a") not in volumes  # inside images/


def test_environment_puts_the_runtime_on_pythonpath(tmp_path: Path) -> None:
    env = step_environment(spec(tmp_path), {"T": "target"})
    assert env["PYTHONPATH"] == f"{RUNTIME_ROOT}{os.pathsep}/extra"
    assert env["AML_PARAMETER_a"] == "1" and env["T"] == "target" and env["HOME"] == "/tmp"
    assert "PATH" not in env  # the image's PATH, not the host's


def test_host_interpreters_become_the_images_python() -> None:
    assert container_command([sys.executable, "a.py"]) == ["python3", "a.py"]
    assert container_command(["/ws/envs/k/bin/python3.11", "a.py"]) == ["python3", "a.py"]
    assert container_command(["bash", "-c", "echo"]) == ["bash", "-c", "echo"]


def test_gpu_requests_use_assigned_devices_or_a_count() -> None:
    (by_id,) = device_requests({"gpu": 2, "gpu_devices": ["1", "3"]})
    assert by_id["DeviceIDs"] == ["1", "3"] and by_id["Capabilities"] == [["gpu"]]
    (by_count,) = device_requests({"gpu": 2})
    assert by_count["Count"] == 2 and not by_count.get("DeviceIDs")
    assert device_requests({}) == [] and device_requests({"gpu": 0}) == []


def test_container_options_carry_labels_user_and_limits(tmp_path: Path) -> None:
    executor = DockerExecutor(image="py:1", memory="2g", cpus=1, shm_size="1g")
    executor._engine_cpus = lambda: 2.0  # type: ignore[method-assign]
    the_spec = spec(tmp_path, resources={"memory": 3})
    (tmp_path / "step" / "manifest.json").write_text('{"workspace_dir": "/ws/.pipelines"}')
    command, options = executor.container_options(the_spec, "py:1")
    assert command == ["python3", "x.py"]
    assert options["user"] == f"{os.getuid()}:{os.getgid()}"
    assert (
        options["labels"]
        == labels(the_spec)
        == {
            "jupyter_pipelines.run": "r1",
            "jupyter_pipelines.step": "s",
            "jupyter_pipelines.step_run": "sr1",
            "jupyter_pipelines.workspace": "/ws/.pipelines",
        }
    )
    assert options["mem_limit"] == "3g" and options["nano_cpus"] == 1_000_000_000
    assert options["shm_size"] == "1g" and options["working_dir"] == the_spec.working_dir
    assert options["device_requests"] is None
