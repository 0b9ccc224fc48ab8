"""The Dask compute target's configuration, its executor options, and the Dask resources a
step asks for (no cluster: tests/integration/test_dask_*.py run real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    AmlCompute,
    ComputeTarget,
    ComputeTargetException,
    DaskCompute,
    Workspace,
)
from jupyter_pipelines.executors.dask.executor import dask_resources, memory_bytes
from jupyter_pipelines.executors.registry import executor_class
from jupyter_pipelines.stores.compute import target_executor_options
from jupyter_pipelines.stores.compute_dask import DEFAULT_CONCURRENT_STEPS


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"address": "localhost:8786"}, "must be a Dask scheduler address"),
        (
            {"address": "tcp://h:8786", "cluster_class": "dask_jobqueue.SLURMCluster"},
            "not both",
        ),
        ({"cluster_class": "SLURMCluster"}, "dotted path"),
        ({"min_nodes": 3, "max_nodes": 2}, r"max_nodes must be an int >= 1 and >= min_nodes \(3\)"),
        ({"min_nodes": -1}, "min_nodes must be an int >= 0"),
        ({"max_retries": 11}, "max_retries must be an int from 0 to 10"),
        ({"max_concurrent_steps": 0}, "max_concurrent_steps must be an int >= 1"),
        ({"connect_timeout": 0}, "connect_timeout must be a number of seconds > 0"),
        ({"worker_resources": {"GPU": "one"}}, "worker_resources must map resource names"),
        ({"artifact_store": " "}, "artifact_store must be an fsspec URL"),
        ({"shared_disk": "yes"}, "shared_disk must be True, False or None"),
    ],
)
def test_wrong_fields_are_refused_naming_them(
    ws: Workspace, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ComputeTargetException, match=message):
        ComputeTarget.create(ws, "dask", DaskCompute.provisioning_configuration(**config))
    assert "dask" not in ws.compute_targets


def test_a_target_runs_on_the_dask_executor_with_its_options(ws: Workspace) -> None:
    config = DaskCompute.provisioning_configuration(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": 2},
        min_nodes=1,
        max_nodes=3,
        artifact_store="memory://artifacts",
        worker_resources={"GPU": 1},
        max_retries=2,
    )
    target = ComputeTarget.create(ws, "dask", config)
    assert isinstance(target, DaskCompute) and target.type == "DaskCompute"
    kind, options = target_executor_options(ws, "dask")
    assert kind == "dask" and executor_class(kind).name == "dask"
    assert options["slots"] == DEFAULT_CONCURRENT_STEPS
    assert options["cluster_kwargs"] == {"n_workers": 2}
    assert (options["min_nodes"], options["max_nodes"], options["max_retries"]) == (1, 3, 2)
    assert options["artifact_store"] == "memory://artifacts"
    assert options["worker_resources"] == {"GPU": 1}
    # GPUs are placed by Dask, never handed out from this machine's inventory.
    assert options["gpus"] == "none" and options["places_gpus"] is True
    assert options["workspace_dir"] == str(ws.dir)


def test_an_aml_compute_definition_moves_to_dask_by_its_class_name(ws: Workspace) -> None:
    config = DaskCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2",
        min_nodes=1,
        max_nodes=4,
        admin_username="ignored",  # AmlCompute's other fields are accepted
        vnet_name="ignored",
    )
    ComputeTarget.create(ws, "cpu-cluster", config)
    found = AmlCompute(ws, "cpu-cluster")  # v1 code looking it up as an AmlCompute
    assert isinstance(found, DaskCompute)
    assert found.vm_size == "STANDARD_D2_V2"
    settings = found.scale_settings
    assert (settings.minimum_node_count, settings.maximum_node_count) == (1, 4)
    found.wait_for_completion(show_output=False, min_node_count=None, timeout_in_minutes=20)
    found.update(max_nodes=8)
    assert ComputeTarget(ws, "cpu-cluster").scale_settings.maximum_node_count == 8
    status = found.get_status().serialize()
    assert status["clusterClass"] == "distributed.LocalCluster" and status["address"] is None


def test_a_scheduler_address_is_kept(ws: Workspace) -> None:
    config = DaskCompute.provisioning_configuration(address="tcp://10.0.0.5:8786")
    target = ComputeTarget.create(ws, "remote", config)
    assert target.address == "tcp://10.0.0.5:8786"
    assert ComputeTarget(ws, "remote").serialize()["properties"]["properties"]["address"] == (
        "tcp://10.0.0.5:8786"
    )


def test_step_requests_become_dask_resources() -> None:
    assert dask_resources({"gpu": 2, "cpu": 1.5, "memory": "4g"}) == {
        "GPU": 2.0,
        "CPU": 1.5,
        "MEMORY": 4e9,
    }
    assert dask_resources({"gpu": 0, "gpu_devices": ["0"]}) == {}
    assert dask_resources({"memory": 2}) == {"MEMORY": 2e9}  # a number is GB


@pytest.mark.parametrize(
    ("value", "expected"),
    [("512m", 512e6), ("1.5G", 1.5e9), ("2gb", 2e9), (0, None), ("lots", None), (True, None)],
)
def test_memory_sizes(value: object, expected: float | None) -> None:
    assert memory_bytes(value) == expected
