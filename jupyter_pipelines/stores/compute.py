"""Compute targets with the v1 names (``ComputeTarget``), registered per workspace.

Each kind is a subclass of ``ComputeTarget`` (compute_base.py): ``AmlCompute`` in
compute_aml.py, ``DaskCompute`` in compute_dask.py, ``DockerCompute`` in compute_docker.py,
each knowing its executor options. This module imports them all, so that every kind is
registered once it loads: import compute targets from here. The built-in ``local`` target
always exists and is not listed in ``Workspace.compute_targets``, as in v1.
"""

from __future__ import annotations

from typing import Any

from .compute_aml import AmlCompute, AmlComputeProvisioningConfiguration
from .compute_base import (
    DEFAULT_SLOTS,
    LOCAL_TARGET,
    ComputeTarget,
    ComputeTargetStatus,
    LocalCompute,
)
from .compute_dask import DaskCompute, DaskComputeProvisioningConfiguration
from .compute_docker import DockerCompute, DockerComputeProvisioningConfiguration


def compute_targets(workspace: Any) -> dict[str, ComputeTarget]:
    """Name -> registered target of ``workspace`` (``Workspace.compute_targets``)."""
    return {t.name: t for t in ComputeTarget.list(workspace)}


def target_executor_options(workspace: Any, name: str | None) -> tuple[str, dict[str, Any]]:
    """The executor kind and options that run steps of the target ``name``.

    ``local`` (or None) -> ``("local", {})``; an AmlCompute target ->
    ``("local", {"slots": max_nodes or 4, "gpus_per_node": n})``.
    """
    return ComputeTarget(workspace, name or LOCAL_TARGET).executor_options()


__all__ = [
    "DEFAULT_SLOTS",
    "LOCAL_TARGET",
    "AmlCompute",
    "AmlComputeProvisioningConfiguration",
    "ComputeTarget",
    "ComputeTargetStatus",
    "DaskCompute",
    "DaskComputeProvisioningConfiguration",
    "DockerCompute",
    "DockerComputeProvisioningConfiguration",
    "LocalCompute",
    "compute_targets",
    "target_executor_options",
]
