"""The workspace as v1 code sees it: config.json files, the three ids, defaults, constructors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import jupyter_pipelines as jp
from jupyter_pipelines import AmlCompute, Workspace
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.errors import ComputeTargetException, NotSupportedError, StoreError
from jupyter_pipelines.stores import workspace as stores_workspace
from jupyter_pipelines.stores.workspace_config import (
    DEFAULT_LOCATION,
    DEFAULT_RESOURCE_GROUP,
    DEFAULT_SUBSCRIPTION_ID,
    RECORD_FILE,
)

SUB = "11111111-2222-3333-4444-555555555555"
V1_CONFIG = {"subscription_id": SUB, "resource_group": "ml-rg", "workspace_name": "ml-ws"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, made the current folder, with no workspace variable."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    return root


def write_v1_config(folder: Path, document: dict[str, str] | None = None) -> Path:
    path = folder / ".azureml" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document or V1_CONFIG))
    return path


# -- from_config -------------------------------------------------------------------------
def test_without_a_config_the_workspace_has_the_local_defaults(project: Path) -> None:
    ws = Workspace.from_config()
    assert ws.dir == project / ".pipelines" and ws.dir.is_dir()
    assert (ws.name, ws.resource_group, ws.location) == ("project", "local", "local")
    assert ws.subscription_id == "00000000-0000-0000-0000-000000000000" == DEFAULT_SUBSCRIPTION_ID
    assert (DEFAULT_RESOURCE_GROUP, DEFAULT_LOCATION) == ("local", "local")
    assert ws.sku == "basic" and ws.tags == {}
    assert not (ws.dir / RECORD_FILE).exists()  # nothing named it: nothing recorded


def test_from_config_reads_the_nearest_v1_config_and_roots_the_workspace_there(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_v1_config(project)
    notebooks = project / "notebooks"
    notebooks.mkdir()
    monkeypatch.chdir(notebooks)

    ws = Workspace.from_config()
    print(ws.name, ws.resource_group, ws.location, ws.subscription_id)
    assert (ws.name, ws.resource_group, ws.subscription_id) == ("ml-ws", "ml-rg", SUB)
    assert ws.location == "local"
    assert ws.root == project and not (notebooks / ".pipelines").exists()
    # The ids are recorded: the workspace keeps them when the config file goes.
    (project / ".azureml" / "config.json").unlink()
    assert Workspace.at(project).name == "ml-ws"


def test_from_config_accepts_the_file_itself_in_aml_config_and_the_scope_form(
    project: Path,
) -> None:
    path = project / "aml_config" / "project.json"
    path.parent.mkdir()
    scope = (
        f"/subscriptions/{SUB}/resourceGroups/rg2"
        "/providers/Microsoft.MachineLearningServices/workspaces/ws2"
    )
    path.write_text(json.dumps({"Id": None, "Scope": scope}))
    ws = Workspace.from_config(str(path))
    assert (ws.name, ws.resource_group, ws.subscription_id) == ("ws2", "rg2", SUB)
    assert ws.root == project
    assert ws.get_details()["id"] == scope


def test_from_config_honours_a_custom_file_name_and_ignores_foreign_config_files(
    project: Path,
) -> None:
    (project / "config.json").write_text(json.dumps({"theme": "dark"}))  # another tool's
    (project / "dev.json").write_text(json.dumps({**V1_CONFIG, "workspace_name": "dev-ws"}))
    assert Workspace.from_config(project).name == "project"
    assert Workspace.from_config(project, _file_name="dev.json").name == "dev-ws"


def test_a_named_config_file_without_the_ids_is_refused(project: Path) -> None:
    bad = project / "config.json"
    bad.write_text(json.dumps({"subscription_id": SUB}))
    with pytest.raises(StoreError, match=r"lacks resource_group, workspace_name"):
        Workspace.from_config(str(bad))


def test_from_config_accepts_v1_arguments_and_the_environment_variable(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("JUPYTER_PIPELINES_WORKSPACE", str(elsewhere))
    ws = Workspace.from_config(auth=jp.InteractiveLoginAuthentication())
    assert ws.root == elsewhere
    assert Workspace.from_config(project).root == project  # a path wins over the variable


# -- write_config ------------------------------------------------------------------------
def test_write_config_writes_a_v1_config_that_from_config_reads_back(
    project: Path, tmp_path: Path
) -> None:
    ws = Workspace(SUB, "ml-rg", "ml-ws")
    ws.write_config()
    written = project / ".azureml" / "config.json"
    assert json.loads(written.read_text()) == V1_CONFIG
    again = Workspace.from_config(project / "deeper" / "folder")
    assert again == ws and again.name == "ml-ws"

    ws.write_config(path=tmp_path / "other", file_name="prod")
    other = tmp_path / "other" / ".azureml" / "prod.json"
    assert json.loads(other.read_text()) == V1_CONFIG
    assert Workspace.from_config(str(other)).root == tmp_path / "other"


# -- the v1 constructor and class methods -------------------------------------------------
def test_the_v1_constructor_opens_the_local_workspace_under_the_ids_given(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.at(project)
    sub = project / "src"
    sub.mkdir()
    monkeypatch.chdir(sub)
    ws = Workspace(SUB, "ml-rg", "ml-ws", auth=jp.ServicePrincipalAuthentication("t", "i", "p"))
    assert ws.root == project  # the nearest workspace, not a new one in src/
    assert (ws.subscription_id, ws.resource_group, ws.name) == (SUB, "ml-rg", "ml-ws")
    assert isinstance(ws, jp.Workspace)
    recorded = json.loads((project / ".pipelines" / RECORD_FILE).read_text())
    assert recorded["workspace_name"] == "ml-ws" and recorded["subscription_id"] == SUB
    assert Workspace.at(project).resource_group == "ml-rg"


def test_a_single_argument_is_a_project_folder_and_two_are_refused(project: Path) -> None:
    ws = Workspace(project / "a")
    assert ws.root == project / "a" and ws.name == "a"
    assert Workspace(str(project / "a" / ".pipelines")) == ws
    assert Workspace().root == project
    with pytest.raises(StoreError, match=r"needs workspace_name; .*Workspace\.at\(path\)"):
        Workspace(SUB, "ml-rg")


def test_get_names_the_local_workspace_and_keeps_the_ids_not_given(project: Path) -> None:
    write_v1_config(project)
    ws = Workspace.get("renamed", location="westeurope")
    assert (ws.name, ws.subscription_id, ws.resource_group) == ("renamed", SUB, "ml-rg")
    assert ws.location == "westeurope"
    assert type(ws) is jp.Workspace


def test_create_refuses_an_existing_workspace_unless_exist_ok(project: Path) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_NC6", max_nodes=2)
    ws = Workspace.create(
        "new-ws",
        subscription_id=SUB,
        resource_group="rg",
        location="eastus2",
        tags={"team": "ml"},
        friendly_name="New",
        storage_account="ignored",
        default_gpu_compute_target=config,
        show_output=False,
    )
    assert (ws.name, ws.location, ws.tags) == ("new-ws", "eastus2", {"team": "ml"})
    assert ws.get_details()["friendlyName"] == "New"
    assert ws.compute_targets["gpu-cluster"].gpus_per_node == 1
    assert ws.get_default_compute_target("GPU").name == "gpu-cluster"
    with pytest.raises(StoreError, match=r"already exists in .*exist_ok=True"):
        Workspace.create("new-ws", show_output=False)
    assert Workspace.create("new-ws", exist_ok=True, show_output=False) == ws


def test_list_gives_the_local_workspace_when_its_ids_match(project: Path) -> None:
    assert Workspace.list(SUB) == {}  # none yet, and list creates none
    assert not (project / ".pipelines").exists()
    ws = Workspace.at(project)
    assert Workspace.list(SUB) == {"project": [ws]}  # default ids match any
    Workspace(SUB, "ml-rg", "ml-ws")
    assert Workspace.list(SUB, resource_group="ml-rg") == {"ml-ws": [ws]}
    assert Workspace.list("another-subscription") == {}
    assert Workspace.list(SUB, resource_group="other-rg") == {}


def test_find_never_creates_a_workspace(project: Path) -> None:
    assert Workspace.find() is None
    write_v1_config(project)
    assert Workspace.find() is None  # the config names one; from_config would create it
    assert Workspace.from_config().name == "ml-ws"
    assert Workspace.find() == Workspace.at(project)


# -- members -----------------------------------------------------------------------------
def test_get_details_update_and_the_default_compute_target(project: Path) -> None:
    ws = Workspace.at(project)
    details = ws.get_details()
    assert details["name"] == "project" and details["location"] == "local"
    assert details["type"] == "Microsoft.MachineLearningServices/workspaces"
    assert details["workspaceFolder"] == str(ws.dir)
    assert details["workspaceid"] == Workspace.at(project).get_details()["workspaceid"]
    updated = ws.update(description="demo", tags={"a": "b"}, image_build_compute="ignored")
    assert updated["description"] == "demo" and Workspace.at(project).tags == {"a": "b"}
    assert ws.get_default_compute_target("cpu").name == "local"
    with pytest.raises(ComputeTargetException, match=r"'TPU' is not 'CPU' or 'GPU'"):
        ws.get_default_compute_target("TPU")
    assert ws.DEFAULT_CPU_CLUSTER_NAME == "cpu-cluster"
    assert ws.DEFAULT_GPU_CLUSTER_CONFIGURATION.vm_size == "STANDARD_NC6"
    assert ws.get_mlflow_tracking_uri() == (ws.dir / "mlruns").as_uri()


def test_a_damaged_record_is_ignored(project: Path) -> None:
    ws = Workspace.at(project)
    (ws.dir / RECORD_FILE).write_text("{not json")
    assert Workspace.at(project).name == "project"


def test_cloud_only_members_warn_once_and_return_what_v1_code_expects(project: Path) -> None:
    ws = Workspace.at(project)
    with pytest.warns(V1CompatibilityWarning, match=r"list_keys is ignored locally"):
        assert ws.list_keys() == {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", V1CompatibilityWarning)
        assert ws.models == {} and ws.private_endpoints == {} and ws.discovery_url is None
        assert ws.list_connections() == "[]"
    with pytest.raises(NotSupportedError, match=r"delete the workspace's '\.pipelines' folder"):
        ws.delete()
    assert ws.dir.is_dir()


def test_the_keyvault_keeps_secrets_in_environment_variables(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Workspace.at(project).get_default_keyvault()
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    assert vault.get_secret("db-password") == "s3cret"
    monkeypatch.delenv("JP_TEST_TOKEN", raising=False)
    vault.set_secret("JP_TEST_TOKEN", "abc")
    try:
        assert vault.get_secrets(["JP_TEST_TOKEN", "missing"]) == {
            "JP_TEST_TOKEN": "abc",
            "missing": None,
        }
        assert {"name": "JP_TEST_TOKEN"} in vault.list_secrets()
    finally:
        vault.delete_secret("JP_TEST_TOKEN")
    with pytest.raises(StoreError, match=r"set the environment variable JP_TEST_TOKEN"):
        vault.get_secret("JP_TEST_TOKEN")


def test_stores_code_rebuilds_workspaces_as_the_exported_class(project: Path) -> None:
    assert type(stores_workspace.open_workspace(project)) is jp.Workspace
    assert type(jp.Workspace.at(project)) is jp.Workspace
    assert issubclass(jp.Workspace, stores_workspace.Workspace)
