"""The v1 datastore surface beyond registration by URL: data references and paths
(DataReference, DataPath, DataPathComputeBinding), and the cloud-only datastore kinds,
refused with the local alternative."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import (
    DataPath,
    DataPathComputeBinding,
    DataReference,
    Datastore,
    PipelineParameter,
    Workspace,
)
from jupyter_pipelines.errors import DatastoreError, ModelError, NotSupportedError
from jupyter_pipelines.model.data import DataReferenceConfiguration


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "project")


def test_data_reference_path_modes_and_config(ws: Workspace) -> None:
    store = ws.get_default_datastore()
    root = store.path("raw")
    sub = root.path("2024/jan", data_reference_name="jan")
    assert (sub.path_on_datastore, sub.data_reference_name) == ("raw/2024/jan", "jan")
    assert root.path("/") is root and root.path(".", "named").name == "named"
    copied = root.as_download("here", overwrite=True)
    assert (copied.mode, copied.path_on_compute, copied.overwrite) == ("download", "here", True)
    assert root.mode == "mount"  # v1 returns a new reference
    assert copied.as_mount().mode == "mount" and copied.mode == "download"
    assert copied.to_config() == DataReferenceConfiguration(
        "workspaceblobstore", "download", "raw", "here", True
    )
    with pytest.raises(NotSupportedError, match="OutputFileDatasetConfig"):
        root.as_upload()
    assert store.as_download("all").mode == "download"


def test_data_path_and_compute_binding(ws: Workspace) -> None:
    store = ws.get_default_datastore()
    path = DataPath(store, "raw/x", name="x")
    binding = DataPathComputeBinding("download", "in", True)
    ref = DataReference.create("r", path, binding)
    assert (ref.name, ref.path_on_datastore, ref.mode, ref.path_on_compute) == (
        "r",
        "raw/x",
        "download",
        "in",
    )
    assert binding.create_data_reference("r2", path).name == "r2"
    assert DataPath.create_from_data_reference(ref) == path
    back = DataPathComputeBinding.create_from_data_reference(ref)
    assert (back.mode, back.path_on_compute, back.overwrite) == ("download", "in", True)
    with pytest.raises(ModelError, match="needs a datapath"):
        DataReference.create("r")
    from_param = DataReference(None, "p", PipelineParameter("p", path))
    with pytest.raises(ModelError, match="pipeline parameter"):
        DataPath.create_from_data_reference(from_param)


@pytest.mark.parametrize(
    ("method", "args", "hint"),
    [
        ("register_azure_data_lake", ("adl", "store"), "Datastore.register"),
        ("register_azure_sql_database", ("sql", "srv", "db"), "from_delimited_files"),
        ("register_azure_postgre_sql", ("pg", "srv", "db", "u", "p"), "register_pandas_dataframe"),
        ("register_azure_my_sql", ("my", "srv", "db", "u", "p"), "Datastore.register"),
        ("register_dbfs", ("dbfs",), "PythonScriptStep"),
        ("register_hdfs", ("h", "https", "nn", "cert", "R", "kdc", "me"), "hdfs://"),
    ],
)
def test_cloud_only_datastore_kinds_are_refused(
    ws: Workspace, method: str, args: tuple[str, ...], hint: str
) -> None:
    with pytest.raises(NotSupportedError, match=hint):
        getattr(Datastore, method)(ws, *args)
    assert method not in [d for d in ws.datastores]


def test_file_share_accepts_skip_validation(ws: Workspace) -> None:
    with pytest.raises(DatastoreError, match="needs 'account_key'"):
        Datastore.register_azure_file_share(
            ws, "share", "myshare", "acct", "sas", None, None, None, False, False, True
        )
