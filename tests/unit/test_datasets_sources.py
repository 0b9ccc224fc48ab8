"""Datasets made from local paths (and the definitions of URL ones): no workspace until they
are registered or submitted, their definitions, pickles, ids, and single-file detection.
URL datasets against a real HTTP server are in tests/integration/test_data_sources.py."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from jupyter_pipelines import Dataset, FileDataset, TabularDataset
from jupyter_pipelines.errors import DatasetError
from jupyter_pipelines.stores.dataset_sources import LOCAL, split_location
from jupyter_pipelines.stores.datasets import AbstractDataset, resolve_dataset
from jupyter_pipelines.stores.workspace import Workspace


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local folder of data (and the current folder, for relative paths)."""
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "a.csv").write_text("x,y\n1,a\n")
    (root / "sub" / "b.csv").write_text("x,y\n2,b\n")
    monkeypatch.chdir(tmp_path)
    return root


def test_locations_split_into_source_keys() -> None:
    assert split_location("https://example.org:8443/d/iris.csv?raw=1") == (
        "https://example.org:8443",
        "d/iris.csv?raw=1",
    )
    assert split_location("/srv/data/x.csv") == (LOCAL, "srv/data/x.csv")
    with pytest.raises(DatasetError, match="names no file"):
        split_location("https://example.org/")
    with pytest.raises(DatasetError, match=r"register a datastore for gs:// URLs"):
        split_location("gs://bucket/x.csv")


def test_local_paths_need_no_workspace(folder: Path, tmp_path: Path) -> None:
    files = Dataset.File.from_files("data")  # relative to the current folder
    assert files.workspace is None
    assert files.to_path() == ["/a.csv", "/sub/b.csv"]
    assert files.to_definition()["paths"] == [{"local": str(folder)}]
    table = Dataset.Tabular.from_delimited_files([str(folder / "a.csv"), "data/sub/*.csv"])
    assert table.to_records() == [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}]
    got = files.download(str(tmp_path / "copy"))
    assert sorted(Path(p).read_text() for p in got) == ["x,y\n1,a\n", "x,y\n2,b\n"]
    with files.mount() as mounted:  # links to the files themselves
        assert (Path(mounted.mount_point) / "sub" / "b.csv").is_symlink()
    assert len(files.file_hashes()) == 2  # hashed without a stat cache


def test_unbound_datasets_pickle_and_round_trip(folder: Path) -> None:
    table = Dataset.Tabular.from_delimited_files(str(folder / "a.csv")).take(1)
    again = pickle.loads(pickle.dumps(table))
    assert isinstance(again, TabularDataset) and again.workspace is None
    assert again.to_records() == [{"x": 1, "y": "a"}]
    copy = AbstractDataset.from_definition(None, table.to_definition())
    assert copy == table and copy.id == table.id


def test_binding_registering_and_get_by_id(folder: Path, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "project")
    files = Dataset.File.from_files(str(folder / "sub"))
    assert resolve_dataset(ws, files) is files and files.workspace == ws  # bound on use
    other = Workspace(tmp_path / "other")
    assert files.bind(other).workspace == other and files.workspace == ws  # a copy
    registered = files.register(other, "local_files")
    assert registered.to_path() == ["/b.csv"] and registered.workspace == other
    assert Dataset.get_by_id(other, registered.id) == registered
    unregistered_id = Dataset.File.from_files(str(folder / "a.csv")).bind(ws).record_id()
    found = Dataset.get_by_id(ws, unregistered_id)
    assert isinstance(found, FileDataset) and found.to_path() == ["/a.csv"]


def test_named_datastores_need_a_workspace(folder: Path, tmp_path: Path) -> None:
    definition = {"kind": "file", "paths": [{"datastore": "workspaceblobstore", "path": "x"}]}
    orphan = AbstractDataset.from_definition(None, definition)
    with pytest.raises(DatasetError, match="belongs to no workspace"):
        orphan.to_path()
    with pytest.raises(DatasetError, match="Datastore object"):
        Dataset.File.from_files([("workspaceblobstore", "x"), str(folder)])


def test_single_file_detection(folder: Path, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "project")
    store = ws.get_default_datastore()
    store.upload(str(folder), "up", show_progress=False)
    assert Dataset.File.from_files((store, "up/a.csv")).single_file() == "/a.csv"
    assert Dataset.File.from_files(str(folder / "a.csv")).single_file() == "/a.csv"
    for many in ((store, "up"), (store, "up/*.csv"), [(store, "up/a.csv"), (store, "up/sub")]):
        assert Dataset.File.from_files(many).single_file() is None
    assert Dataset.File.from_files((store, "up/*.csv")).to_path() == ["/a.csv"]  # a glob...
    assert Dataset.File.from_files((store, "up/a.csv")).skip(1).single_file() is None
