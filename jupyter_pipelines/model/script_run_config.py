"""``ScriptRunConfig`` and the distributed-job configurations (the v1 names), as step input.

v1 code builds a ``ScriptRunConfig`` (a folder, a script or command, an environment and
a compute target) and hands it to ``CommandStep(runconfig=...)``, which takes its folder,
command and run configuration. Distributed configurations (``MpiConfiguration``,
``PyTorchConfiguration``) are kept on the run configuration; a local step runs once, on
one machine, so asking for several nodes warns that the rest is ignored.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from ..compat import warn_cloud_only
from ..errors import ModelError
from .runconfig import DockerConfiguration, RunConfiguration

_ONE_MACHINE = "a local step runs as one process group on this machine, not across nodes"


class MpiConfiguration:
    """A distributed MPI job: processes per node and nodes (v1 ``MpiConfiguration``)."""

    def __init__(self, process_count_per_node: int = 1, node_count: int = 1) -> None:
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count


class PyTorchConfiguration:
    """A distributed PyTorch job: backend, processes and nodes (v1 ``PyTorchConfiguration``)."""

    def __init__(
        self,
        communication_backend: str = "Nccl",
        process_count: int | None = None,
        node_count: int = 1,
    ) -> None:
        if str(communication_backend).lower() not in ("nccl", "gloo"):
            raise ModelError(
                f"{communication_backend!r} is not a supported backend; "
                "communication_backend must be 'Nccl' or 'Gloo'"
            )
        self.communication_backend = str(communication_backend).lower()
        self.process_count = process_count
        self.node_count = node_count


class ScriptRunConfig:
    """A script or command with its folder, environment and compute target (v1 name).

    With ``run_config``, its script, arguments and command fill in those not given here,
    and ``compute_target``, ``environment``, ``distributed_job_config``,
    ``max_run_duration_seconds`` and ``docker_runtime_config`` are ignored, as in v1.
    ``resume_from`` (a DataPath of checkpoints) is passed as ``--resume-from DATAPATH``.
    """

    #: v1's longest run (30 days).
    MAX_DURATION_SECONDS_DEFAULT: ClassVar[int] = 2592000

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        script: str | None = None,
        arguments: list[Any] | None = None,
        run_config: RunConfiguration | None = None,
        _telemetry_values: Any = None,
        compute_target: Any = None,
        environment: Any = None,
        distributed_job_config: Any = None,
        resume_from: Any = None,
        max_run_duration_seconds: int = MAX_DURATION_SECONDS_DEFAULT,
        command: list[Any] | str | None = None,
        docker_runtime_config: DockerConfiguration | None = None,
    ) -> None:
        self.source_directory = source_directory
        self.script = script
        self.arguments = list(arguments) if arguments is not None else None
        self.command = command
        if run_config is not None:
            self.script = self.script or run_config.script
            self.arguments = self.arguments or (list(run_config.arguments) or None)
            self.command = self.command or run_config.command
            self.run_config = run_config
        else:
            self.run_config = _run_config(
                compute_target,
                environment,
                distributed_job_config,
                max_run_duration_seconds,
                docker_runtime_config,
            )
        if resume_from is not None:
            self.arguments = [*(self.arguments or []), "--resume-from", resume_from]


def command_from_runconfig(
    command: Any, runconfig: Any, source_directory: Any
) -> tuple[Any, Any, Any]:
    """A CommandStep's (command, runconfig, source_directory), filled in from its runconfig.

    As in v1: a ScriptRunConfig gives its folder, its command and its run configuration
    (which becomes the step's); a RunConfiguration gives its command.
    """
    if runconfig is None:
        return command, runconfig, source_directory
    if isinstance(runconfig, ScriptRunConfig):
        if source_directory is None:
            source_directory = runconfig.source_directory
        command = command or runconfig.command
        runconfig = runconfig.run_config
    return command or getattr(runconfig, "command", None), runconfig, source_directory


def _run_config(
    compute_target: Any,
    environment: Any,
    distributed: Any,
    max_seconds: int,
    docker: DockerConfiguration | None,
) -> RunConfiguration:
    """A new RunConfiguration from ScriptRunConfig's own arguments, as v1 makes it."""
    config = RunConfiguration()
    config.target = compute_target or "local"
    if environment is not None:
        config.environment = environment
    config.max_run_duration_seconds = max_seconds
    if distributed is not None:
        if not isinstance(distributed, MpiConfiguration | PyTorchConfiguration):
            raise ModelError(
                "distributed_job_config must be an MpiConfiguration or a PyTorchConfiguration, "
                f"got {distributed!r}"
            )
        if distributed.node_count > 1:
            warn_cloud_only(f"{type(distributed).__name__}(node_count > 1)", _ONE_MACHINE)
        config.node_count = distributed.node_count
        if isinstance(distributed, MpiConfiguration):
            config.framework, config.communicator, key = "Python", "IntelMpi", "mpi"
        else:
            config.framework, config.communicator = "PyTorch", distributed.communication_backend
            key = "pytorch"
        setattr(config, key, distributed)  # v1's RunConfiguration.mpi or .pytorch
    if docker is not None:
        config.docker = docker
    return config
