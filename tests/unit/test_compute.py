"""Compute targets with the v1 names: the how-to snippet, the registry, GPUs and slots."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    AmlCompute,
    ComputeTarget,
    ComputeTargetException,
    LocalCompute,
    PythonScriptStep,
    Workspace,
)
from jupyter_pipelines.stores.compute import DEFAULT_SLOTS, target_executor_options
from jupyter_pipelines.stores.vm_sizes import gpus_for_vm_size


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


def v1_snippet(ws: Workspace) -> ComputeTarget:
    """The how-to's "Azure Machine Learning compute" code, with only its import changed."""
    from jupyter_pipelines import AmlCompute, ComputeTarget

    compute_name = "aml-compute"
    vm_size = "STANDARD_NC6"
    if compute_name in ws.compute_targets:
        compute_target = ws.compute_targets[compute_name]
        if compute_target and type(compute_target) is AmlCompute:
            print("Found compute target: " + compute_name)
    else:
        print("Creating a new compute target...")
        provisioning_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,  # STANDARD_NC6 is GPU-enabled
            min_nodes=0,
            max_nodes=4,
        )
        # create the compute target
        compute_target = ComputeTarget.create(ws, compute_name, provisioning_config)

        # Can poll for a minimum number of nodes and for a specific timeout.
        # If no min node count is provided it will use the scale settings for the cluster
        compute_target.wait_for_completion(
            show_output=True, min_node_count=None, timeout_in_minutes=20
        )

        # For a more detailed view of current cluster status, use the 'status' property
        print(compute_target.status.serialize())
    return compute_target


def test_the_v1_snippet_creates_then_finds_the_target(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    created = v1_snippet(ws)
    out = capsys.readouterr().out
    assert "Creating a new compute target..." in out
    assert "Succeeded" in out
    assert "'provisioningState': 'Succeeded'" in out
    assert "'maxNodeCount': 4" in out and "'vmSize': 'STANDARD_NC6'" in out
    assert type(created) is AmlCompute
    assert (created.name, created.type, created.provisioning_state) == (
        "aml-compute",
        "AmlCompute",
        "Succeeded",
    )
    found = v1_snippet(Workspace.at(ws.root))  # a later session, a new Workspace object
    assert capsys.readouterr().out == "Found compute target: aml-compute\n"
    assert found == created
    assert (found.slots, found.gpus_per_node) == (4, 1)


def test_a_target_is_used_by_steps_through_its_name(ws: Workspace) -> None:
    target = v1_snippet(ws)
    step = PythonScriptStep(script_name="train.py", compute_target=target)
    assert step.compute_target == "aml-compute"


def test_unknown_target_names_the_known_ones(ws: Workspace) -> None:
    v1_snippet(ws)
    with pytest.raises(ComputeTargetException, match='did you mean "aml-compute"') as info:
        ComputeTarget(ws, "aml-compte")
    assert "known: local, aml-compute" in str(info.value)
    with pytest.raises(ComputeTargetException, match="no compute target 'gpu'"):
        target_executor_options(ws, "gpu")


def test_constructor_returns_the_registered_subclass(ws: Workspace) -> None:
    v1_snippet(ws)
    assert type(ComputeTarget(ws, "aml-compute")) is AmlCompute
    assert type(AmlCompute(ws, "aml-compute")) is AmlCompute
    local = ComputeTarget(ws, "local")
    assert type(local) is LocalCompute and local.type == "local"
    with pytest.raises(ComputeTargetException, match="'local' is a local, not a AmlCompute"):
        AmlCompute(ws, "local")


def test_local_is_built_in_but_not_listed(ws: Workspace) -> None:
    assert ws.compute_targets == {}
    assert "local" not in ComputeTarget.list(ws)
    assert target_executor_options(ws, "local") == ("local", {})
    assert target_executor_options(ws, None) == ("local", {})
    with pytest.raises(ComputeTargetException, match="cannot be deleted"):
        ComputeTarget(ws, "local").delete()


@pytest.mark.parametrize(
    ("vm_size", "gpus"),
    [
        ("STANDARD_NC6", 1),
        ("STANDARD_NC12", 2),
        ("STANDARD_NC24", 4),
        ("Standard_NC6s_v3", 1),
        ("standard_nd40rs_v2", 8),
        ("NV12", 2),
        ("STANDARD_NC999_FUTURE", 1),
        ("STANDARD_D2_V2", 0),
        ("STANDARD_DS3_V2", 0),
        ("STANDARD_SOMETHING", 0),
    ],
)
def test_gpus_per_node_come_from_the_vm_size(vm_size: str, gpus: int) -> None:
    assert gpus_for_vm_size(vm_size) == gpus


def test_slots_and_gpus_reach_the_executor_options(ws: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC24", max_nodes=3)
    ComputeTarget.create(ws, "gpu-cluster", config)
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2")
    cpu = ComputeTarget.create(ws, "cpu-cluster", config)
    assert cpu.slots == DEFAULT_SLOTS
    assert target_executor_options(ws, "gpu-cluster") == ("local", {"slots": 3, "gpus_per_node": 4})
    assert target_executor_options(ws, "cpu-cluster") == ("local", {"slots": 4, "gpus_per_node": 0})
    assert sorted(ws.compute_targets) == ["cpu-cluster", "gpu-cluster"]


def test_creating_again_is_idempotent_but_a_different_config_is_refused(ws: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6", max_nodes=2)
    first = ComputeTarget.create(ws, "c1", config)
    assert ComputeTarget.create(ws, "c1", config) == first
    other = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC12", max_nodes=2)
    with pytest.raises(ComputeTargetException, match="'c1' already exists"):
        ComputeTarget.create(ws, "c1", other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vm_priority": "lowpriorty"}, 'did you mean "lowpriority"'),
        ({"min_nodes": -1}, "min_nodes must be an int >= 0"),
        ({"min_nodes": 3, "max_nodes": 2}, r"max_nodes must be an int >= 1 and >= min_nodes \(3\)"),
        ({"vm_size": "STANDARD NC6"}, "is not a VM size name"),
    ],
)
def test_bad_provisioning_configurations_are_refused(
    ws: Workspace, kwargs: dict[str, object], message: str
) -> None:
    config = AmlCompute.provisioning_configuration(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ComputeTargetException, match=message):
        ComputeTarget.create(ws, "c1", config)
    assert ws.compute_targets == {}


def test_bad_names_and_configurations_are_refused(ws: Workspace) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6")
    for name in ("local", "1abc", "a", "has space"):
        with pytest.raises(ComputeTargetException, match=r"name .* is invalid"):
            ComputeTarget.create(ws, name, config)
    with pytest.raises(ComputeTargetException, match="is not a provisioning configuration"):
        ComputeTarget.create(ws, "c1", {"vm_size": "STANDARD_NC6"})


def test_update_and_delete(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    target = v1_snippet(ws)
    assert isinstance(target, AmlCompute)
    target.update(max_nodes=8)
    assert AmlCompute(ws, "aml-compute").slots == 8
    target.delete()
    target.wait_for_completion(show_output=True, is_delete_operation=True)
    assert "Deleting\nSucceeded" in capsys.readouterr().out
    assert "aml-compute" not in Workspace.at(ws.root).compute_targets
    with pytest.raises(ComputeTargetException, match="no compute target 'aml-compute'"):
        ComputeTarget(ws, "aml-compute")


def test_supported_vmsizes_and_serialize(ws: Workspace) -> None:
    sizes = {s["name"]: s for s in AmlCompute.supported_vmsizes(ws)}
    assert sizes["Standard_NC6"]["gpus"] == 1
    assert sizes["Standard_DS3_V2"]["gpus"] == 0
    target = v1_snippet(ws)
    doc = target.serialize()
    assert doc["properties"]["computeType"] == "AmlCompute"
    assert doc["properties"]["properties"]["max_nodes"] == 4
