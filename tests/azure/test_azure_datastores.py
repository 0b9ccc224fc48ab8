"""Azure Blob and Data Lake Gen2 datastores against a real Azurite: registration with an
account key, a SAS token and a connection string; upload, download, datasets, mounts; the
errors of a wrong key, a missing container and an unreachable account; secrets kept apart."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jupyter_pipelines import AzureBlobDatastore, Dataset, Datastore, Workspace
from jupyter_pipelines.errors import DatastoreError
from tests.azure.conftest import new_container
from tests.azure.emulator import ACCOUNT, KEY, Azurite

pytestmark = pytest.mark.azure


def register_key(ws: Workspace, az: Azurite, container: str, name: str = "blob") -> Datastore:
    return Datastore.register_azure_blob_container(
        ws, name, container, ACCOUNT, account_key=KEY, protocol="http", endpoint=az.endpoint
    )


def sas_for(container: str, **permissions: bool) -> str:
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    wanted = permissions or dict(read=True, list=True, write=True, add=True, create=True)
    return generate_container_sas(
        ACCOUNT, container, account_key=KEY, permission=ContainerSasPermissions(**wanted),
        expiry=datetime.now(timezone.utc) + timedelta(hours=1),
    )  # fmt: skip


def tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


# -- registration ---------------------------------------------------------------------------
def test_register_with_account_key_sas_and_connection_string(
    ws: Workspace, azurite: Azurite, container: str
) -> None:
    by_key = register_key(ws, azurite, container, "by_key")
    by_sas = Datastore.register_azure_blob_container(
        ws, "by_sas", container, ACCOUNT, sas_token=sas_for(container), protocol="http",
        endpoint=azurite.endpoint,
    )  # fmt: skip
    by_cs = Datastore.register_azure_blob_container(
        ws, "by_cs", container, ACCOUNT, connection_string=azurite.connection_string
    )
    assert [d.credential_type for d in (by_key, by_sas, by_cs)] == [
        "AccountKey",
        "Sas",
        "AccountKey",
    ]
    assert by_key.account_url == f"http://{azurite.endpoint}/{ACCOUNT}"  # path-style
    by_key.upload_files([str(tree(ws.root, {"one.txt": "1"}) / "one.txt")], target_path="x")
    fresh = Workspace.at(ws.root)
    for name in ("by_key", "by_sas", "by_cs"):
        store = Datastore.get(fresh, name)
        assert isinstance(store, AzureBlobDatastore) and store.container_name == container
        assert store.glob("**") == ["x/one.txt"], name
    assert set(fresh.datastores) >= {"by_key", "by_sas", "by_cs"}
    assert isinstance(fresh.datastores["by_sas"], AzureBlobDatastore)
    Datastore.get(fresh, "by_sas").unregister()
    assert "by_sas" not in Workspace.at(ws.root).datastores


def test_v1_address_rule() -> None:
    from jupyter_pipelines.stores.azure_blob import account_url

    assert account_url("acct") == "https://acct.blob.core.windows.net"
    assert (
        account_url("acct", "http", "core.chinacloudapi.cn")
        == "http://acct.blob.core.chinacloudapi.cn"
    )
    assert account_url("acct", "http", "127.0.0.1:10000") == "http://127.0.0.1:10000/acct"
    assert account_url("acct", None, "storage.local:8443") == "https://storage.local:8443/acct"
    with pytest.raises(DatastoreError, match="protocol 'ftp'"):
        account_url("acct", "ftp")


def test_gen2_through_the_blob_api(ws: Workspace, azurite: Azurite, container: str) -> None:
    # Azurite has no Data Lake (dfs) endpoint: a Gen2 datastore talks the blob API, as
    # adlfs does for Gen2 accounts, and is tested here on a plain container.
    lake = Datastore.register_azure_data_lake_gen2(
        ws, "lake", container, ACCOUNT, protocol="http", endpoint=azurite.endpoint, account_key=KEY
    )
    lake.upload(tree(ws.root / "up", {"a/b.csv": "x\n1\n"}), "in")
    again = Datastore.get(Workspace.at(ws.root), "lake")
    assert type(again).__name__ == "AzureDataLakeGen2Datastore"
    assert (again.datastore_type, again.filesystem) == ("AzureDataLakeGen2", container)
    assert again.glob("in/**/*.csv") == ["in/a/b.csv"]


def test_secrets_never_shown(
    ws: Workspace, azurite: Azurite, container: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = sas_for(container)
    store = Datastore.register_azure_blob_container(
        ws, "s", container, ACCOUNT, sas_token=token, protocol="http", endpoint=azurite.endpoint
    )
    store.upload(tree(ws.root / "u", {"f.txt": "x"}), "u")
    signature = token.split("sig=")[1].split("&")[0]
    shown = [repr(store), str(store), json.dumps(store.public_settings()), caplog.text]
    assert all(signature not in text and KEY not in text for text in shown)
    db = (ws.dir / "workspace.db").read_bytes()
    assert signature.encode() not in db
    secrets = ws.dir / "secrets" / "datastores.json"
    assert signature in secrets.read_text() and secrets.stat().st_mode & 0o777 == 0o600
    assert store.sas_token == token  # the SDK caller may read it, as in v1
    from jupyter_pipelines.server.service import _datastore

    served = json.dumps(_datastore(Datastore.get(ws, "s")))
    assert signature not in served and container in served and ACCOUNT in served


# -- transfers ----------------------------------------------------------------------------------
def test_upload_and_download(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    store = register_key(ws, azurite, container)
    src = tree(tmp_path / "src", {"a.txt": "A", "sub/b.txt": "B", "sub/deep/c.bin": "C" * 5000})
    ref = store.upload(str(src), target_path="/data", overwrite=False)
    assert ref.path_on_datastore == "data"
    assert store.glob("data/**") == ["data/a.txt", "data/sub/b.txt", "data/sub/deep/c.bin"]
    (src / "a.txt").write_text("changed")
    store.upload(str(src), target_path="data")  # existing blobs are skipped without overwrite
    assert store.download(tmp_path / "d1", prefix="data/sub") == 2
    assert (tmp_path / "d1/data/sub/deep/c.bin").read_text() == "C" * 5000
    assert store.download(tmp_path / "d2") == 3
    assert (tmp_path / "d2/data/a.txt").read_text() == "A"
    store.upload_files([src / "a.txt"], target_path="data", overwrite=True)
    assert store.download(tmp_path / "d2", prefix="data/a", overwrite=True) == 1
    assert (tmp_path / "d2/data/a.txt").read_text() == "changed"
    assert not list((tmp_path / "d2").rglob("*.partial"))


def test_datasets_and_mounts_on_blob(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    store = register_key(ws, azurite, container)
    files = {"2024/jan/a.csv": "n,v\n1,2\n", "2024/feb/b.csv": "n,v\n3,4\n", "2024/notes.txt": "x"}
    store.upload(tree(tmp_path / "s", files), "folder")
    files = Dataset.File.from_files((store, "folder/**/*.csv"))
    assert files.to_path() == ["/2024/feb/b.csv", "/2024/jan/a.csv"]
    table = Dataset.Tabular.from_delimited_files((store, "folder/**/*.csv"))
    assert sorted(r["n"] for r in table.to_records()) == [1, 3]
    got = files.download(str(tmp_path / "dl"))
    assert sorted(Path(p).read_text() for p in got) == ["n,v\n1,2\n", "n,v\n3,4\n"]
    with files.mount(str(tmp_path / "m")) as mount:
        linked = Path(mount.mount_point) / "2024/jan/a.csv"
        assert linked.is_symlink() and linked.read_text() == "n,v\n1,2\n"
        cached = linked.resolve()
        assert ws.dir / "cache" in cached.parents  # fsspec's filecache in the workspace


def test_fingerprints_come_from_the_listing(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    store = register_key(ws, azurite, container)
    store.upload(tree(tmp_path / "s", {f"f{i}.csv": f"n\n{i}\n" for i in range(30)}), "many")
    dataset = Dataset.File.from_files((store, "many/*.csv"))
    before = len(azurite.requests())
    first = dataset.content_hash()
    made = azurite.requests()[before:]
    reads = [r for r in made if r.startswith("GET") and "comp=list" not in r]
    listings = [r for r in made if "comp=list" in r and "include=metadata" in r]
    assert reads == [] and len(listings) == 1 and len(made) == 1, made  # one listing, no read
    assert dataset.content_hash() == first
    (tmp_path / "s/f7.csv").write_text("n\n7\n")  # same size and content, a new upload
    store.upload_files([tmp_path / "s/f7.csv"], target_path="many", overwrite=True)
    assert dataset.content_hash() != first  # a new ETag: the write is noticed


# -- errors ------------------------------------------------------------------------------------
def test_wrong_key_missing_container_unreachable_account(
    ws: Workspace, azurite: Azurite, container: str
) -> None:
    wrong = "QUJD" + KEY[4:]
    with pytest.raises(
        DatastoreError, match=r"datastore 'bad'.*refused the account key.*check the account key"
    ):
        Datastore.register_azure_blob_container(
            ws,
            "bad",
            container,
            ACCOUNT,
            account_key=wrong,
            protocol="http",
            endpoint=azurite.endpoint,
        )
    with pytest.raises(
        DatastoreError,
        match=r"'missing'.*does not exist: check container_name.*create_if_not_exists",
    ):
        register_key(ws, azurite, "missing", "bad")
    with pytest.raises(
        DatastoreError,
        match=r"datastore 'bad'.*cannot be reached: check account_name, endpoint and protocol",
    ):
        Datastore.register_azure_blob_container(
            ws, "bad", container, ACCOUNT, account_key=KEY, protocol="http", endpoint="127.0.0.1:9"
        )
    readonly = sas_for(container, read=True)
    with pytest.raises(DatastoreError, match=r"refused the SAS token.*its permissions"):
        Datastore.register_azure_blob_container(
            ws,
            "bad",
            container,
            ACCOUNT,
            sas_token=readonly,
            protocol="http",
            endpoint=azurite.endpoint,
        )
    assert "bad" not in ws.datastores  # nothing recorded
    skipped = Datastore.register_azure_blob_container(
        ws, "later", "made-later", ACCOUNT, account_key=KEY, protocol="http",
        endpoint=azurite.endpoint, skip_validation=True,
    )  # fmt: skip
    assert "later" in ws.datastores
    with pytest.raises(DatastoreError, match="container 'made-later' does not exist"):
        skipped.check_access()
    made = Datastore.register_azure_blob_container(
        ws, "made", new_container(azurite, "x") + "-new", ACCOUNT, account_key=KEY,
        protocol="http", endpoint=azurite.endpoint, create_if_not_exists=True,
    )  # fmt: skip
    made.check_access()


def test_direct_object_and_pickling(ws: Workspace, azurite: Azurite, container: str) -> None:
    import pickle

    store = AzureBlobDatastore(
        ws,
        "direct",
        container,
        ACCOUNT,
        account_key=KEY,
        protocol="http",
        endpoint=azurite.endpoint,
    )
    store.check_access()
    assert "direct" not in ws.datastores  # v1's constructor registers nothing
    again = pickle.loads(pickle.dumps(store))
    assert again.account_key == KEY and again.glob("**") == []
    registered = register_key(ws, azurite, container)
    assert AzureBlobDatastore(ws, "blob") == registered
    assert os.environ.get("AZURE_STORAGE_ACCOUNT_KEY") is None
