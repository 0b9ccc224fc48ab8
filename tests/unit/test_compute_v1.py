"""v1's signatures and members of ComputeTarget and AmlCompute: defaults, attach,
deserialize, nodes and runs, cloud-only members."""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import pytest

from jupyter_pipelines import (
    AmlCompute,
    ComputeTarget,
    ComputeTargetException,
    DockerCompute,
    LocalCompute,
    Workspace,
)
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.stores.compute_registry import ComputeRegistry


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


def test_provisioning_configuration_has_v1s_defaults_and_order() -> None:
    config = AmlCompute.provisioning_configuration()
    assert (config.vm_priority, config.min_nodes, config.max_nodes) == ("dedicated", 0, None)
    assert config.idle_seconds_before_scaledown == 1800
    positional = AmlCompute.provisioning_configuration(
        "STANDARD_NC12", "lowpriority", 1, 3, 600, "admin", "password", "ssh-rsa AAA", "rg", "vnet"
    )
    assert positional.to_dict() == {
        "vm_size": "STANDARD_NC12",
        "vm_priority": "lowpriority",
        "min_nodes": 1,
        "max_nodes": 3,
        "idle_seconds_before_scaledown": 600,
        "tags": {},
        "description": None,
    }  # the admin and network settings are not kept
    with_tags = AmlCompute.provisioning_configuration(
        tags={"a": "b"}, description="d", location="x"
    )
    assert (with_tags.tags, with_tags.description) == ({"a": "b"}, "d")


def test_a_target_recorded_before_the_1800_s_default_is_found_again(ws: Workspace) -> None:
    old = {
        "vm_size": "STANDARD_DS3_V2",
        "vm_priority": "dedicated",
        "min_nodes": 0,
        "max_nodes": 4,
        "idle_seconds_before_scaledown": None,
        "tags": {},
        "description": None,
    }
    ComputeRegistry(ws).create("old-cluster", "AmlCompute", old)
    again = ComputeTarget.create(
        ws, "old-cluster", AmlCompute.provisioning_configuration("STANDARD_DS3_V2", max_nodes=4)
    )
    assert again.slots == 4
    with pytest.raises(ComputeTargetException, match=r"already exists as a AmlCompute"):
        ComputeTarget.create(ws, "old-cluster", AmlCompute.provisioning_configuration(max_nodes=8))


def test_wait_for_completion_takes_v1s_parameters(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list(inspect.signature(ComputeTarget.wait_for_completion).parameters) == [
        "self",
        "show_output",
        "is_delete_operation",
    ]
    assert (
        inspect.signature(AmlCompute.wait_for_completion).parameters["timeout_in_minutes"].default
        == 25
    )
    local = ComputeTarget(ws, "local")
    assert isinstance(local, LocalCompute)
    local.wait_for_completion(True, False)
    assert "Succeeded" in capsys.readouterr().out


def test_attach_registers_local_kinds_and_refuses_remote_ones(ws: Workspace) -> None:
    attached = ComputeTarget.attach(
        ws, "box", DockerCompute.provisioning_configuration(image="python:3.11-slim")
    )
    assert isinstance(attached, DockerCompute) and "box" in ws.compute_targets

    class RemoteAttachConfiguration:  # like v1's RemoteCompute.attach_configuration(...)
        address = "10.0.0.4"

    with pytest.raises(ComputeTargetException, match=r"remote compute is not available locally"):
        ComputeTarget.attach(ws, "vm", RemoteAttachConfiguration())


def test_deserialize_reads_what_serialize_wrote(ws: Workspace) -> None:
    cluster = ComputeTarget.create(
        ws, "cluster", AmlCompute.provisioning_configuration("STANDARD_NC6", max_nodes=2)
    )
    document = cluster.serialize()
    copy = ComputeTarget.deserialize(ws, document)
    assert isinstance(copy, AmlCompute) and copy == cluster
    assert copy.created_on == cluster.created_on and copy.gpus_per_node == 1
    assert AmlCompute.deserialize(ws, document) == cluster
    assert cluster.get() == document
    with pytest.raises(ComputeTargetException, match=r"not a serialized compute target"):
        ComputeTarget.deserialize(ws, {"name": "x", "properties": {"computeType": "Databricks"}})


def test_an_idle_cluster_has_no_nodes_or_active_runs(ws: Workspace) -> None:
    cluster = ComputeTarget.create(
        ws, "cluster", AmlCompute.provisioning_configuration(min_nodes=1, max_nodes=2)
    )
    assert cluster.list_nodes() == []
    assert cluster.get_active_runs() == []
    counts = cluster.get_status().serialize()["nodeStateCounts"]
    assert (counts["idleNodeCount"], counts["runningNodeCount"]) == (1, 0)


def test_cloud_only_cluster_members_warn_and_return_empty(ws: Workspace) -> None:
    cluster = ComputeTarget.create(ws, "cluster", AmlCompute.provisioning_configuration())
    with pytest.warns(V1CompatibilityWarning, match=r"list_usages is ignored locally: quotas"):
        assert AmlCompute.list_usages(ws) == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", V1CompatibilityWarning)
        assert AmlCompute.list_quotas(ws, location="westeurope") == []
        assert AmlCompute.update_quotas(ws, "standardNCFamily", 24) is None
        assert cluster.add_identity("SystemAssigned") is None
        assert cluster.remove_identity() is None
