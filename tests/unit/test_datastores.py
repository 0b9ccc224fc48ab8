"""Datastores: the v1 facade, the registry in workspace.db, transfers and path confinement."""

from __future__ import annotations

import pickle
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fsspec.registry import known_implementations

from jupyter_pipelines import Datastore, DatastoreError, UnknownDatastoreError, Workspace
from jupyter_pipelines.model.data import DataReference
from jupyter_pipelines.stores import datastore_registry as registry
from jupyter_pipelines.stores import datastores
from jupyter_pipelines.stores.datastores import FsspecDatastore
from jupyter_pipelines.stores.runstore import SCHEMA_VERSION, RunStore


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A local folder to upload: two files at two depths."""
    root = tmp_path / "src"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.csv").write_text("x")
    (root / "top.txt").write_text("top")
    return root


@pytest.fixture
def mem(ws: Workspace) -> Datastore:
    """A memory:// datastore of its own (the memory file system is shared by the process)."""
    return Datastore.register(ws, "mem", f"memory://{uuid.uuid4().hex}/data")


# -- v1 code from the seed document ----------------------------------------------------
def test_v1_default_datastores(ws: Workspace) -> None:
    def_data_store = ws.get_default_datastore()
    def_blob_store = Datastore(ws, "workspaceblobstore")
    def_file_store = Datastore(ws, "workspacefilestore")
    assert def_data_store == def_blob_store
    assert def_blob_store.datastore_type == "AzureBlob"
    assert def_file_store.datastore_type == "AzureFile"
    assert def_blob_store.local_path() == ws.dir / "datastores" / "workspaceblobstore"
    assert def_file_store.local_path("x") == ws.dir / "datastores" / "workspacefilestore" / "x"
    assert Datastore(ws) == def_blob_store
    assert Datastore.get(ws, datastore_name="workspacefilestore") == def_file_store
    assert sorted(ws.datastores) == ["workspaceblobstore", "workspacefilestore"]
    assert isinstance(def_blob_store, Datastore) and def_blob_store.workspace == ws


def test_unknown_datastore_lists_known_names(ws: Workspace) -> None:
    with pytest.raises(UnknownDatastoreError, match=r'did you mean "workspaceblobstore"'):
        Datastore(ws, "workspaceblobstor")
    with pytest.raises(
        UnknownDatastoreError, match="known: workspaceblobstore, workspacefilestore"
    ):
        Datastore.get(ws, "nothing_like_it")


# -- registering -----------------------------------------------------------------------
def test_register_local_folder_persists(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = Datastore.register(ws, "raw", "raw_data")
    assert store.url == str(tmp_path / "raw_data")
    assert store.datastore_type == "LocalFolder"
    again = Workspace.at(ws.root).datastores["raw"]
    assert (again.url, again.datastore_type) == (store.url, "LocalFolder")
    by_uri = Datastore.register(ws, "by_uri", (tmp_path / "other").as_uri())
    assert by_uri.local_path() == tmp_path / "other"


def test_register_twice_needs_overwrite(ws: Workspace, tmp_path: Path) -> None:
    Datastore.register(ws, "raw", tmp_path / "one")
    with pytest.raises(DatastoreError, match=r"'raw' is already registered.*overwrite=True"):
        Datastore.register(ws, "raw", tmp_path / "two")
    assert Datastore(ws, "raw").url == str(tmp_path / "one")
    Datastore.register(ws, "raw", tmp_path / "two", overwrite=True)
    assert Workspace.at(ws.root).datastores["raw"].url == str(tmp_path / "two")


@pytest.mark.parametrize("name", ["", "has space", "../up", "-dash-first", 3])
def test_register_refuses_bad_names(ws: Workspace, tmp_path: Path, name: object) -> None:
    with pytest.raises(DatastoreError, match="invalid datastore name"):
        Datastore.register(ws, name, tmp_path)  # type: ignore[arg-type]


def test_built_in_datastores_are_fixed(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(DatastoreError, match="'workspaceblobstore' is a built-in datastore"):
        Datastore.register(ws, "workspaceblobstore", tmp_path, overwrite=True)
    with pytest.raises(DatastoreError, match="cannot be unregistered"):
        Datastore(ws, "workspacefilestore").unregister()


def test_storage_options_are_stored_as_given(ws: Workspace) -> None:
    Datastore.register(ws, "opts", "memory://opts", skip_instance_cache=True)
    assert Workspace.at(ws.root).datastores["opts"].storage_options == {"skip_instance_cache": True}


def test_unknown_scheme_is_refused(ws: Workspace) -> None:
    with pytest.raises(DatastoreError, match="unknown datastore URL scheme 'nosuchscheme'"):
        Datastore.register(ws, "odd", "nosuchscheme://bucket/x")
    assert "odd" not in ws.datastores


def test_missing_fsspec_package_is_named(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        known_implementations,
        "jpfake",
        {"class": "jp_fake_fs_pkg.FakeFileSystem", "err": "Install jp_fake_fs_pkg"},
    )
    with pytest.raises(DatastoreError, match="pip install jp_fake_fs_pkg"):
        Datastore.register(ws, "fake", "jpfake://bucket")
    assert "fake" not in ws.datastores


def test_s3_without_s3fs_names_the_package(ws: Workspace) -> None:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed, so s3:// does not fail here")
    with pytest.raises(DatastoreError, match="pip install s3fs"):
        Datastore.register(ws, "bucket", "s3://some-bucket/prefix")


def test_azure_blob_container_needs_adlfs(ws: Workspace) -> None:
    try:
        import adlfs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("adlfs is installed")
    with pytest.raises(DatastoreError, match="pip install adlfs"):
        Datastore.register_azure_blob_container(
            ws, "blob_data", container_name="data", account_name="acct", account_key="k"
        )
    assert "blob_data" not in ws.datastores


def test_azure_blob_container_keeps_its_secret_apart(ws: Workspace) -> None:
    pytest.importorskip("adlfs")
    store = Datastore.register_azure_blob_container(
        ws, "blob_data", container_name="data", account_name="acct", sas_token="sv=1&sig=tok",
        skip_validation=True,
    )  # fmt: skip
    again = Workspace.at(ws.root).datastores["blob_data"]
    assert (again.url, again.datastore_type) == ("az://data", "AzureBlob")
    assert type(again).__name__ == "AzureBlobDatastore"
    assert again.storage_options == {"account_name": "acct"}  # what workspace.db holds
    assert again.sas_token == "sv=1&sig=tok" and again.credential_type == "Sas"
    assert again.account_url == "https://acct.blob.core.windows.net"
    assert "tok" not in repr(again) and "tok" not in str(again.public_settings())
    row = ws.run_store._query("SELECT options_json FROM datastores WHERE name = 'blob_data'")
    assert "tok" not in row[0]["options_json"]
    secrets = ws.dir / "secrets" / "datastores.json"
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert (ws.dir / "secrets").stat().st_mode & 0o777 == 0o700
    assert store.name == "blob_data"
    store.unregister()
    assert "tok" not in secrets.read_text()


def test_generic_registration_keeps_credentials_apart(ws: Workspace) -> None:
    store = Datastore.register(
        ws, "m", "memory://creds", password="hunter22", skip_instance_cache=True
    )
    row = ws.run_store._query("SELECT options_json FROM datastores WHERE name = 'm'")
    assert (
        "hunter22" not in row[0]["options_json"] and "skip_instance_cache" in row[0]["options_json"]
    )
    assert Datastore.get(ws, "m")._load_secrets() == {"password": "hunter22"}
    assert "hunter22" not in repr(store)


def test_azure_file_share_needs_account_key(ws: Workspace) -> None:
    with pytest.raises(DatastoreError, match="needs 'account_key'"):
        Datastore.register_azure_file_share(ws, "share", "myshare", "acct", sas_token="tok")


def test_registry_maps_schemes_to_classes() -> None:
    assert {"file", "memory", "fsspec"} <= set(datastores.datastore_backends())
    assert datastores.datastore_class("memory://x") is FsspecDatastore
    assert datastores.datastore_class("s3://bucket") is FsspecDatastore
    assert registry.scheme_of("C:/data") == "file"
    assert registry.scheme_of("S3://b") == "s3"


# -- the default datastore -------------------------------------------------------------
def test_set_as_default_and_unregister(ws: Workspace, mem: Datastore) -> None:
    mem.set_as_default()
    assert Workspace.at(ws.root).get_default_datastore() == mem
    assert Datastore(ws) == mem
    mem.unregister()
    assert ws.get_default_datastore().name == "workspaceblobstore"
    with pytest.raises(UnknownDatastoreError, match="no datastore 'mem' is registered"):
        mem.unregister()


def test_set_default_datastore_to_a_built_in(ws: Workspace, mem: Datastore) -> None:
    mem.set_as_default()
    ws.set_default_datastore("workspacefilestore")
    assert Workspace.at(ws.root).get_default_datastore().name == "workspacefilestore"
    assert [n for n, d in ws.datastores.items() if d == ws.get_default_datastore()] == [
        "workspacefilestore"
    ]
    ws.set_default_datastore("workspaceblobstore")
    assert ws.get_default_datastore().name == "workspaceblobstore"
    with pytest.raises(UnknownDatastoreError, match='did you mean "mem"'):
        ws.set_default_datastore("men")


# -- transfers -------------------------------------------------------------------------
def test_upload_download_round_trip_local(ws: Workspace, src: Path, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    ref = store.upload(src, target_path="/data", show_progress=False)  # v1 writes '/data'
    assert isinstance(ref, DataReference) and ref.path_on_datastore == "data"
    assert ref.datastore is store
    assert store.glob("data") == ["data/a/b/x.csv", "data/top.txt"]
    assert (store.local_path("data/top.txt")).read_text() == "top"

    (src / "top.txt").write_text("changed")
    store.upload(src, target_path="data", show_progress=False)
    assert store.local_path("data/top.txt").read_text() == "top"  # skipped: no overwrite
    store.upload(src, target_path="data", overwrite=True, show_progress=False)
    assert store.local_path("data/top.txt").read_text() == "changed"
    assert not list(store.local_path().rglob("*.partial"))

    out = tmp_path / "out"
    assert store.download(out, prefix="data", show_progress=False) == 2
    assert (out / "data" / "a" / "b" / "x.csv").read_text() == "x"
    (out / "data" / "top.txt").write_text("local edit")
    assert store.download(out, prefix="data", show_progress=False) == 0
    assert (out / "data" / "top.txt").read_text() == "local edit"
    assert store.download(out, prefix="data/t", overwrite=True, show_progress=False) == 1
    assert (out / "data" / "top.txt").read_text() == "changed"
    assert store.download(tmp_path / "none", prefix="missing/", show_progress=False) == 0


def test_upload_refuses_a_file_as_folder(ws: Workspace, src: Path) -> None:
    with pytest.raises(DatastoreError, match="is not a folder"):
        ws.get_default_datastore().upload(src / "top.txt")


def test_round_trip_memory(mem: Datastore, src: Path, tmp_path: Path) -> None:
    assert mem.local_path() is None
    ref = mem.upload_files(
        [src / "top.txt", src / "a" / "b" / "x.csv"], relative_root=src, target_path="in"
    )
    assert ref.path_on_datastore == "in"
    assert mem.glob("") == ["in/a/b/x.csv", "in/top.txt"]
    assert mem.get_dir("in", tmp_path / "got") == 2
    assert (tmp_path / "got" / "a" / "b" / "x.csv").read_text() == "x"
    assert mem.get_dir("in/top.txt", tmp_path / "one") == 1
    assert (tmp_path / "one" / "top.txt").read_text() == "top"
    with pytest.raises(DatastoreError, match="no file or folder 'nope' on datastore 'mem'"):
        mem.get_dir("nope", tmp_path / "x")


def test_upload_files_defaults_to_their_common_folder(mem: Datastore, src: Path) -> None:
    mem.upload_files([src / "a" / "b" / "x.csv"], show_progress=False)
    assert mem.glob("**") == ["x.csv"]
    with pytest.raises(DatastoreError, match="does not contain"):
        mem.upload_files([src / "top.txt"], relative_root=src / "a")
    with pytest.raises(DatastoreError, match="is not a file"):
        mem.upload_files([src / "a"])


def test_put_dir_overwrite(mem: Datastore, src: Path) -> None:
    assert mem.put_dir(src, "p") == 2
    (src / "top.txt").write_text("new")
    assert mem.put_dir(src, "p") == 0
    assert mem.put_dir(src, "p", overwrite=True) == 2
    with mem.open("p/top.txt", "rb") as f:
        assert f.read() == b"new"


def test_open_info_exists_makedirs(mem: Datastore) -> None:
    with mem.open("deep/er/file.bin", "wb") as f:
        f.write(b"12345")
    info = mem.info("deep/er/file.bin")
    assert (info["path"], info["size"], info["type"]) == ("deep/er/file.bin", 5, "file")
    assert isinstance(info["mtime"], float)
    assert mem.exists("deep/er") and mem.isdir("deep/er") and mem.isdir("")
    assert not mem.isdir("deep/er/file.bin") and not mem.exists("deep/nothing")
    mem.makedirs("made")
    with pytest.raises(DatastoreError, match="no file 'missing' on datastore 'mem'"):
        mem.info("missing")
    with pytest.raises(DatastoreError, match="no file 'missing' on datastore 'mem'"):
        mem.open("missing")


def test_info_of_a_local_file(ws: Workspace) -> None:
    store = ws.get_default_datastore()
    with store.open("f.txt", "w") as f:
        f.write("abc")
    info = store.info("f.txt")
    assert info["size"] == 3
    assert info["mtime"] == pytest.approx(store.local_path("f.txt").stat().st_mtime)


def test_glob(mem: Datastore) -> None:
    for rel in ("t/a.csv", "t/b.txt", "t/sub/c.csv", "t/sub/deeper/d.csv", "u/e.csv"):
        with mem.open(rel, "wb") as f:
            f.write(b"x")
    assert mem.glob("t/**/*.csv") == ["t/a.csv", "t/sub/c.csv", "t/sub/deeper/d.csv"]
    assert mem.glob("t/*.csv") == ["t/a.csv"]
    assert mem.glob("t/sub") == ["t/sub/c.csv", "t/sub/deeper/d.csv"]
    assert mem.glob("t/s*") == ["t/sub/c.csv", "t/sub/deeper/d.csv"]
    assert mem.glob("u/e.csv") == ["u/e.csv"]
    assert mem.glob("missing") == [] and mem.glob("missing/*.csv") == []
    assert len(mem.glob("**")) == 5


# -- path confinement ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../x", "path '../x' escapes datastore 'workspaceblobstore'"),
        ("a/../../x", "path 'a/../../x' escapes datastore"),
        ("..", "escapes datastore"),
        ("/etc/passwd", "path '/etc/passwd' is absolute; paths on datastore 'workspaceblobstore'"),
        ("C:/Windows", "is absolute"),
        ("s3://other/bucket", "is absolute"),
        ("a\\..\\..\\x", "escapes datastore"),
    ],
)
def test_paths_escaping_the_datastore_are_refused(ws: Workspace, path: str, message: str) -> None:
    store = ws.get_default_datastore()
    with pytest.raises(DatastoreError, match=message.replace("(", r"\(")):
        store.full_path(path)


def test_every_entry_point_refuses_escapes(ws: Workspace, src: Path, tmp_path: Path) -> None:
    store = ws.get_default_datastore()
    assert store.full_path("a/../b") == f"{store.root}/b"
    assert store.full_path("") == store.root
    for call in (
        lambda: store.glob("../*"),
        lambda: store.exists("../project"),
        lambda: store.open("../../x", "w"),
        lambda: store.put_dir(src, "../out"),
        lambda: store.upload(src, target_path="../out"),
        lambda: store.download(tmp_path / "d", prefix="../"),
        lambda: store.get_dir("..", tmp_path / "d"),
        lambda: store.local_path(".."),
        lambda: store.info("../x"),
    ):
        with pytest.raises(DatastoreError, match="escapes datastore 'workspaceblobstore'"):
            call()
    assert not (ws.dir / "datastores" / "out").exists()


# -- references, pickling, import cost -------------------------------------------------
def test_path_and_data_reference_modes(mem: Datastore) -> None:
    ref = mem.path("data/train", data_reference_name="train")
    assert (ref.name, ref.path_on_datastore, ref.datastore, ref.mode) == (
        "train",
        "data/train",
        mem,
        "mount",
    )
    assert mem.as_mount().mode == "mount"
    download = mem.as_download(path_on_compute="training_data")
    assert (download.mode, download.path_on_compute) == ("download", "training_data")
    assert download.datastore_name == "mem"


def test_datastores_pickle(ws: Workspace, mem: Datastore) -> None:
    copy = pickle.loads(pickle.dumps(mem))
    assert copy == mem and copy.storage_options == mem.storage_options


def test_import_does_not_load_fsspec() -> None:
    code = (
        "import sys, jupyter_pipelines; jupyter_pipelines.Datastore; jupyter_pipelines.Workspace; "
        "print('fsspec' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- migration -------------------------------------------------------------------------
def _age_store(db: Path, version: str) -> None:
    """Turn a current store into one written by schema ``version`` (1, 2 or 3)."""
    conn = sqlite3.connect(db)
    for table in ("datasets", "environments", "compute_targets"):
        conn.execute(f"DROP TABLE {table}")
    if version in ("1", "2"):
        conn.execute("DROP TABLE datastores")
    if version == "1":
        for column in ("snapshot_id", "fingerprint_json", "reuse_json", "git_json", "pid"):
            conn.execute(f"ALTER TABLE step_runs DROP COLUMN {column}")
        conn.execute("ALTER TABLE step_runs DROP COLUMN pid_started")
        conn.execute("DROP INDEX step_runs_by_name")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    conn.commit()
    conn.close()


@pytest.mark.parametrize("version", ["1", "2", "3"])
def test_older_stores_are_migrated(tmp_path: Path, version: str) -> None:
    db = tmp_path / "workspace.db"
    RunStore(db).close()
    _age_store(db, version)
    RunStore(db).close()
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(step_runs)")}
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    (stored,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    conn.close()
    assert {"datastores", "datasets", "environments", "compute_targets"} <= tables
    assert {"pid_started", "reuse_json", "worker", "dashboard_link"} <= columns
    assert "step_runs_by_name" in indexes
    assert stored == SCHEMA_VERSION == "6"


def test_datastores_work_in_a_migrated_workspace(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    ws.run_store.close()
    _age_store(ws.dir / "workspace.db", "2")
    again = Workspace.at(tmp_path)
    store = Datastore.register(again, "raw", tmp_path / "raw")
    assert Workspace.at(tmp_path).datastores["raw"] == store
