"""ScriptRunConfig and the distributed-job configurations, as v1 code gives them to CommandStep."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from jupyter_pipelines import compat
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.errors import ModelError
from jupyter_pipelines.model.environment import Environment
from jupyter_pipelines.model.runconfig import DockerConfiguration, RunConfiguration
from jupyter_pipelines.model.script_run_config import (
    MpiConfiguration,
    PyTorchConfiguration,
    ScriptRunConfig,
)
from jupyter_pipelines.model.steps import CommandStep

if TYPE_CHECKING:
    from conftest import Project


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat, "_warned", set())


def test_the_commandstep_sample_builds_its_step(project: Project) -> None:
    """aml-pipelines-with-commandstep.ipynb: a ScriptRunConfig with a command, to CommandStep."""
    env = Environment("tf")
    with pytest.warns(V1CompatibilityWarning, match=r"MpiConfiguration\(node_count > 1\)"):
        src = ScriptRunConfig(
            source_directory="src",
            command=["python train.py --epochs 30"],
            compute_target="gpu-cluster",
            environment=env,
            distributed_job_config=MpiConfiguration(node_count=2),
        )
    config = src.run_config
    assert (config.target, config.environment, config.node_count) == ("gpu-cluster", env, 2)
    assert (config.framework, config.communicator) == ("Python", "IntelMpi")
    assert config.max_run_duration_seconds == ScriptRunConfig.MAX_DURATION_SECONDS_DEFAULT
    step = CommandStep(name="train-mnist", runconfig=src)
    assert step.arguments == ["python", "train.py", "--epochs", "30"]
    assert step.source_path == project.src
    assert (step.runconfig, step.compute_target) == (config, "gpu-cluster")


def test_a_given_run_config_fills_in_and_wins(project: Project) -> None:
    given = RunConfiguration(script="train.py", arguments=["--lr", 1], command="python x.py")
    given.target = "cpu"
    src = ScriptRunConfig("src", run_config=given, compute_target="ignored")
    assert src.run_config is given
    assert (src.script, src.arguments, src.command) == ("train.py", ["--lr", 1], "python x.py")
    mine = ScriptRunConfig("src", script="mine.py", arguments=["-v"], run_config=given)
    assert (mine.script, mine.arguments) == ("mine.py", ["-v"])
    assert CommandStep(runconfig=src).command == "python x.py"


def test_defaults_docker_and_resume_from() -> None:
    docker = DockerConfiguration(use_docker=True)
    src = ScriptRunConfig("src", "train.py", docker_runtime_config=docker, resume_from="ckpt")
    assert src.run_config.target == "local" and src.run_config.docker is docker
    assert src.arguments == ["--resume-from", "ckpt"]
    torch = ScriptRunConfig("src", "t.py", distributed_job_config=PyTorchConfiguration("Gloo"))
    assert (torch.run_config.framework, torch.run_config.communicator) == ("PyTorch", "gloo")
    with pytest.raises(ModelError, match="'Mpi' is not a supported backend"):
        PyTorchConfiguration("Mpi")
    with pytest.raises(ModelError, match="must be an MpiConfiguration or a PyTorchConfiguration"):
        ScriptRunConfig("src", "t.py", distributed_job_config={"nodes": 2})


def test_a_script_run_config_without_a_command_is_not_a_command_step(project: Project) -> None:
    with pytest.raises(ModelError, match=r"needs a 'command' \(or a runconfig"):
        CommandStep(runconfig=ScriptRunConfig("src", script="train.py"))
