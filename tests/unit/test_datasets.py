"""Datasets on real local workspaces and datastores: files, tables, versions, pinned content."""

from __future__ import annotations

import logging
import os
import pickle
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest

import jupyter_pipelines as jp
from jupyter_pipelines.errors import DatasetError, DatastoreError, StoreError, UnknownDatasetError
from jupyter_pipelines.model.data import DataPath, DatasetConsumptionConfig, DatasetRef
from jupyter_pipelines.reuse.hashing import hash_bytes
from jupyter_pipelines.stores.datasets import (
    AbstractDataset,
    Dataset,
    DataType,
    FileDataset,
    TabularDataset,
    load_input_dataset,
    register_from_files,
    resolve_dataset,
)
from jupyter_pipelines.stores.datastores import Datastore
from jupyter_pipelines.stores.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


@pytest.fixture
def store(ws: Workspace) -> Datastore:
    return ws.get_default_datastore()


def put(store: Datastore, rel: str, data: str | bytes) -> Path:
    path = store.local_path(rel)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def images(store: Datastore) -> Datastore:
    put(store, "train-images/a.png", b"image a")
    put(store, "train-images/b.png", b"image b")
    put(store, "train-images/sub/c.png", b"image c")
    put(store, "train-images/notes.txt", "not an image")
    return store


# -- FileDataset --------------------------------------------------------------------------
def test_seed_snippet_file_dataset(images: Datastore) -> None:
    def_blob_store = images
    my_dataset = Dataset.File.from_files([(def_blob_store, "train-images/")])
    assert isinstance(my_dataset, FileDataset) and my_dataset.kind == "file"
    assert my_dataset.name is None and my_dataset.version is None
    assert my_dataset.to_path() == ["/a.png", "/b.png", "/notes.txt", "/sub/c.png"]
    ds_input = my_dataset.as_named_input("input1").as_download()
    assert isinstance(ds_input, DatasetConsumptionConfig)
    assert (ds_input.name, ds_input.mode, ds_input.dataset) == ("input1", "download", my_dataset)


def test_as_mount_and_as_download_name_the_input(images: Datastore) -> None:
    dataset = Dataset.File.from_files((images, "train-images"))
    mount = dataset.as_mount("/data")
    assert (mount.name, mount.mode, mount.path_on_compute) == ("dataset", "mount", "/data")
    registered = dataset.register(images.workspace, "images")
    assert registered.as_download().name == "images"
    assert registered.as_named_input("x").mode == "direct"


def test_globs_and_path_forms(images: Datastore) -> None:
    pngs = Dataset.File.from_files((images, "train-images/*.png"))
    assert pngs.to_path() == ["/a.png", "/b.png"]
    deep = Dataset.File.from_files([(images, "train-images/**/*.png")])
    assert deep.file_paths() == [
        "workspaceblobstore/train-images/a.png",
        "workspaceblobstore/train-images/b.png",
        "workspaceblobstore/train-images/sub/c.png",
    ]
    mixed = Dataset.File.from_files(
        [DataPath(images, "train-images/sub"), images.path("train-images/a.png")]
    )
    assert mixed.to_path() == ["/a.png", "/sub/c.png"]
    single = Dataset.File.from_files((images, "/train-images/b.png"))  # v1 leading '/'
    assert single.to_path() == ["/b.png"]


def test_validate_names_the_path_that_matches_nothing(images: Datastore) -> None:
    with pytest.raises(DatasetError, match=r"'train-images/\*\.jpg'.*workspaceblobstore.*no file"):
        Dataset.File.from_files([(images, "train-images/*.png"), (images, "train-images/*.jpg")])
    lazy = Dataset.File.from_files((images, "later/"), validate=False)
    assert lazy.to_path() == []


def test_bad_paths_are_refused(images: Datastore) -> None:
    with pytest.raises(DatastoreError, match="escapes"):
        Dataset.File.from_files((images, "../outside"))
    # a plain string is a local path (or an http(s) URL): this one does not exist here
    with pytest.raises(DatasetError, match=r"local path '.*/train-images' matches no file"):
        Dataset.File.from_files("train-images/")
    with pytest.raises(DatasetError, match=r"register a datastore for s3:// URLs"):
        Dataset.File.from_files("s3://bucket/train-images/")
    with pytest.raises(DatasetError, match="Datastore object"):
        Dataset.File.from_files(DataPath("workspaceblobstore", "train-images"))


def test_download_lays_files_out_and_refuses_to_overwrite(images: Datastore, tmp_path: Path):
    dataset = Dataset.File.from_files((images, "train-images/**/*.png"))
    target = tmp_path / "dl"
    paths = dataset.download(str(target))
    assert paths == [str(target / "a.png"), str(target / "b.png"), str(target / "sub/c.png")]
    assert (target / "sub/c.png").read_bytes() == b"image c"
    assert not (target / "a.png").is_symlink()
    with pytest.raises(DatasetError, match=r"already exist.*overwrite=True"):
        dataset.download(str(target))
    put(images, "train-images/a.png", b"new a")
    dataset.download(str(target), overwrite=True)
    assert (target / "a.png").read_bytes() == b"new a"
    assert Path(dataset.download()[0]).read_bytes() == b"new a"  # a temporary folder


def test_mount_is_a_folder_of_links_removed_on_stop(images: Datastore, tmp_path: Path) -> None:
    dataset = Dataset.File.from_files((images, "train-images/"))
    with dataset.mount() as context:
        point = Path(context.mount_point)
        assert (point / "sub/c.png").read_bytes() == b"image c"
        assert (point / "a.png").is_symlink()
    assert not point.exists()
    empty = tmp_path / "mnt"
    empty.mkdir()
    context = dataset.mount(str(empty))
    context.start()
    assert sorted(os.listdir(empty)) == ["a.png", "b.png", "notes.txt", "sub"]
    context.stop()
    assert empty.is_dir() and not os.listdir(empty)
    (empty / "x").write_text("busy")
    with pytest.raises(DatasetError, match="empty folder"):
        dataset.mount(str(empty)).start()


def test_take_and_skip_files(images: Datastore) -> None:
    dataset = Dataset.File.from_files((images, "train-images/"))
    assert dataset.take(2).to_path() == ["/a.png", "/b.png"]
    assert dataset.skip(1).take(2).to_path() == ["/b.png", "/notes.txt"]
    assert dataset.skip(10).to_path() == []
    with pytest.raises(DatasetError, match="non-negative"):
        dataset.take(-1)


def test_non_local_datastore_hashes_streams_and_mounts_by_download(ws: Workspace) -> None:
    mem = Datastore.register(ws, "mem", f"memory://ds-{uuid.uuid4().hex}")
    with mem.open("data/x.bin", "wb") as fh:
        fh.write(b"remote bytes")
    dataset = Dataset.File.from_files((mem, "data"))
    assert dataset.file_hashes() == {"mem/data/x.bin": hash_bytes(b"remote bytes")}
    with dataset.mount() as context:
        copy = Path(context.mount_point) / "x.bin"
        assert copy.read_bytes() == b"remote bytes" and not copy.is_symlink()


# -- definitions ---------------------------------------------------------------------------
def test_definition_round_trip_and_pickle(images: Datastore) -> None:
    dataset = Dataset.File.from_files((images, "train-images/*.png")).take(1)
    definition = dataset.to_definition()
    assert definition == {
        "kind": "file",
        "paths": [{"datastore": "workspaceblobstore", "path": "train-images/*.png"}],
        "transformations": [{"op": "take", "count": 1}],
    }
    again = AbstractDataset.from_definition(images.workspace, definition)
    assert again == dataset and again.to_path() == ["/a.png"]
    assert pickle.loads(pickle.dumps(dataset)).to_path() == ["/a.png"]
    with pytest.raises(DatasetError, match="'kind'"):
        AbstractDataset.from_definition(images.workspace, {"kind": "image", "paths": []})


# -- registry --------------------------------------------------------------------------------
def test_register_versions_and_get_by_name(images: Datastore) -> None:
    ws = images.workspace
    pngs = Dataset.File.from_files((images, "train-images/*.png"))
    v1 = pngs.register(ws, "images", description="training images", tags={"kind": "png"})
    assert (v1.name, v1.version, v1.description, v1.tags) == (
        "images",
        1,
        "training images",
        {"kind": "png"},
    )
    assert pngs.register(ws, "images").version == 1  # same definition: the existing version
    everything = Dataset.File.from_files((images, "train-images/"))
    with pytest.raises(DatasetError, match=r"already registered \(version 1\).*create_new_version"):
        everything.register(ws, "images")
    v2 = everything.register(ws, "images", create_new_version=True)
    assert v2.version == 2
    assert Dataset.get_by_name(ws, "images").version == 2
    assert Dataset.get_by_name(ws, "images", version="latest").version == 2
    old = Dataset.get_by_name(ws, "images", 1)
    assert old.to_path() == ["/a.png", "/b.png"] and old.description == "training images"
    assert Dataset.get_by_name(ws, "images", "2").version == 2
    assert set(Dataset.get_all(ws)) == {"images"} and ws.datasets["images"].version == 2
    assert v1.id != v2.id
    with pytest.raises(DatasetError, match="invalid dataset name"):
        pngs.register(ws, "bad:name")


def test_create_new_version_of_the_same_definition(images: Datastore) -> None:
    ws = images.workspace
    dataset = Dataset.File.from_files((images, "train-images/"))
    assert dataset.register(ws, "imgs").version == 1
    assert dataset.register(ws, "imgs", create_new_version=True).version == 1  # nothing changed
    put(images, "train-images/d.png", b"image d")
    assert dataset.register(ws, "imgs", create_new_version=True).version == 2


def test_registered_content_is_pinned_and_verified(
    images: Datastore, caplog: pytest.LogCaptureFixture
) -> None:
    ws = images.workspace
    registered = Dataset.File.from_files((images, "train-images/")).register(ws, "imgs")
    pinned = registered.pinned_content_hash
    assert pinned == registered.content_hash()
    assert registered.verify() == []
    assert registered.pinned_file_hashes["workspaceblobstore/train-images/a.png"] == hash_bytes(
        b"image a"
    )
    put(images, "train-images/a.png", b"changed a")
    put(images, "train-images/new.png", b"new")
    (images.local_path("train-images/b.png") or Path()).unlink()
    assert registered.verify() == [
        "changed: workspaceblobstore/train-images/a.png",
        "removed: workspaceblobstore/train-images/b.png",
        "added: workspaceblobstore/train-images/new.png",
    ]
    assert registered.content_hash() != pinned and registered.pinned_content_hash == pinned
    with caplog.at_level(logging.WARNING, logger="jupyter_pipelines"):
        again = Dataset.get_by_name(ws, "imgs", 1)
    assert again.pinned_content_hash == pinned
    assert "changed since it was registered" in caplog.text
    assert "changed: workspaceblobstore/train-images/a.png" in caplog.text
    assert Dataset.File.from_files((images, "train-images/")).verify() == []  # unregistered


def test_unknown_dataset_and_version(images: Datastore) -> None:
    ws = images.workspace
    Dataset.File.from_files((images, "train-images/")).register(ws, "train_images")
    with pytest.raises(
        UnknownDatasetError, match=r'no dataset .train_image.*did you mean "train_images"'
    ):
        Dataset.get_by_name(ws, "train_image")
    with pytest.raises(UnknownDatasetError, match=r"has no version 3; known versions: 1"):
        Dataset.get_by_name(ws, "train_images", 3)
    with pytest.raises(DatasetError, match="version must be a number"):
        Dataset.get_by_name(ws, "train_images", "newest")
    assert issubclass(UnknownDatasetError, StoreError)


# -- engine helpers ---------------------------------------------------------------------------
def test_resolve_dataset(images: Datastore) -> None:
    ws = images.workspace
    dataset = Dataset.File.from_files((images, "train-images/"))
    assert resolve_dataset(ws, dataset) is dataset
    dataset.register(ws, "imgs")
    Dataset.File.from_files((images, "train-images/*.png")).register(
        ws, "imgs", create_new_version=True
    )
    assert resolve_dataset(ws, DatasetRef("imgs")).version == 2
    assert resolve_dataset(ws, DatasetRef("imgs", 1)).version == 1
    assert resolve_dataset(ws, "imgs").version == 2
    assert resolve_dataset(ws, "imgs:1").version == 1
    assert resolve_dataset(ws, dataset.to_definition()) == dataset
    with pytest.raises(UnknownDatasetError, match="known versions: 1, 2"):
        resolve_dataset(ws, "imgs:7")
    with pytest.raises(DatasetError, match="cannot use 42 as a dataset"):
        resolve_dataset(ws, 42)


def test_register_from_files(store: Datastore) -> None:
    ws = store.workspace
    put(store, "out/run-1/prepared/part-0.csv", "a,b\n1,2\n")
    put(store, "out/run-1/prepared/log.txt", "done")
    files = register_from_files(ws, "prepared", store, "out/run-1/prepared", "file")
    assert (files.name, files.version, files.kind) == ("prepared", 1, "file")
    assert files.to_path() == ["/log.txt", "/part-0.csv"]
    put(store, "out/run-2/prepared/part-0.csv", "a,b\n3,4\n")
    table = register_from_files(
        ws,
        "prepared",
        "workspaceblobstore",
        "out/run-2/prepared",
        "tabular",
        {"separator": ",", "header": True, "path_glob": "*.csv", "set_column_types": {"a": "int"}},
        "prepared rows",
        {"step": "prep"},
    )
    assert isinstance(table, TabularDataset)
    assert (table.version, table.description, table.tags) == (2, "prepared rows", {"step": "prep"})
    assert table.to_records() == [{"a": 3, "b": 4}]
    with pytest.raises(DatasetError, match="kind must be"):
        register_from_files(ws, "x", store, "out", "images")


def test_load_input_dataset(store: Datastore, tmp_path: Path) -> None:
    ws = store.workspace
    put(store, "tables/t.csv", "x,y\n1,a\n2,b\n")
    files = Dataset.File.from_files((store, "tables"))
    staged = tmp_path / "inputs" / "files"
    files.download(str(staged))
    entry = {"definition": files.to_definition(), "path": str(staged)}
    assert load_input_dataset(str(ws.dir), entry) == str(staged)
    mounted = load_input_dataset(str(ws.root), {"definition": files.to_definition()})
    assert isinstance(mounted, str) and (Path(mounted) / "t.csv").is_file()

    table = Dataset.Tabular.from_delimited_files((store, "tables/*.csv"))
    local = tmp_path / "inputs" / "table"
    local.mkdir(parents=True)
    (local / "t.csv").write_text("x,y\n9,z\n")  # what the step was given wins
    entry = {"definition": table.to_definition(), "path": str(local), "dataset": {"name": "t"}}
    loaded = load_input_dataset(str(ws.dir), entry)
    assert isinstance(loaded, TabularDataset) and loaded.name == "t"
    assert loaded.to_records() == [{"x": 9, "y": "z"}]
    first, second = loaded.random_split(0.5, seed=1)  # still read from the step's files
    assert first.to_records() + second.to_records() == [{"x": 9, "y": "z"}]
    staged_table = tmp_path / "inputs" / "staged_table"
    table.stage(staged_table)  # how the engine stages a table's files
    entry = {"definition": table.to_definition(), "path": str(staged_table)}
    assert load_input_dataset(str(ws.dir), entry).to_records()[0] == {"x": 1, "y": "a"}
    direct = load_input_dataset(str(ws.dir), {"definition": table.to_definition(), "path": ""})
    assert isinstance(direct, TabularDataset)
    assert direct.to_records() == [{"x": 1, "y": "a"}, {"x": 2, "y": "b"}]


# -- TabularDataset -----------------------------------------------------------------------------
def test_tabular_header_inferred_types_and_records(store: Datastore) -> None:
    put(store, "t/1.csv", "id,name,score,ok,when\n1,ann,1.5,true,2020-01-02\n2,bob,,false,\n")
    put(store, "t/2.csv", "id,name,score,ok,when\n3,cy,3,TRUE,2021-05-06T07:08:09\n")
    table = Dataset.Tabular.from_delimited_files([(store, "t/*.csv")])
    assert table.kind == "tabular" and table.columns == ["id", "name", "score", "ok", "when"]
    assert table.to_records() == [
        {"id": 1, "name": "ann", "score": 1.5, "ok": True, "when": datetime(2020, 1, 2)},
        {"id": 2, "name": "bob", "score": None, "ok": False, "when": None},
        {"id": 3, "name": "cy", "score": 3.0, "ok": True, "when": datetime(2021, 5, 6, 7, 8, 9)},
    ]
    assert table.take(1).to_records()[0]["name"] == "ann"
    assert [r["id"] for r in table.skip(1).to_records()] == [2, 3]
    assert table.keep_columns(["name", "id"]).take(1).to_records() == [{"id": 1, "name": "ann"}]
    assert table.drop_columns("when").columns == ["id", "name", "score", "ok"]
    with pytest.raises(DatasetError, match=r"no column\(s\) \['nmae'\].*did you mean \"name\""):
        table.keep_columns("nmae").to_records()


def test_tabular_without_header_with_separator(store: Datastore) -> None:
    put(store, "raw/a.tsv", "1\tx\n2\ty\n")
    put(store, "raw/b.tsv", "3\tz\n")
    table = Dataset.Tabular.from_delimited_files((store, "raw/"), header=False, separator="\t")
    assert table.to_records() == [
        {"Column1": 1, "Column2": "x"},
        {"Column1": 2, "Column2": "y"},
        {"Column1": 3, "Column2": "z"},
    ]
    strings = Dataset.Tabular.from_delimited_files(
        (store, "raw/a.tsv"), header=False, separator="\t", infer_column_types=False
    )
    assert strings.to_records()[0] == {"Column1": "1", "Column2": "x"}


def test_tabular_set_column_types(store: Datastore) -> None:
    put(store, "typed.csv", "code,amount,flag,day\n007,10,1,03/02/2021\n010,2.5,0,04/02/2021\n")
    table = Dataset.Tabular.from_delimited_files(
        (store, "typed.csv"),
        set_column_types={
            "code": DataType.to_string(),
            "amount": "float",
            "flag": DataType.to_bool(),
            "day": DataType.to_datetime("%d/%m/%Y"),
        },
    )
    assert table.to_records()[0] == {
        "code": "007",
        "amount": 10.0,
        "flag": True,
        "day": datetime(2021, 2, 3),
    }
    assert str(DataType.to_datetime(["%d/%m/%Y"])) == "datetime:%d/%m/%Y"
    assert table.to_definition()["tabular"]["set_column_types"]["flag"] == "bool"
    assert str(DataType.to_long()) == "int" and DataType.to_float() == DataType("float")
    with pytest.raises(DatasetError, match=r"unknown column type 'decimal' for column 'amount'"):
        Dataset.Tabular.from_delimited_files(
            (store, "typed.csv"), set_column_types={"amount": "decimal"}
        )
    with pytest.raises(DatasetError, match=r"unknown column\(s\) \['amt'\]"):
        Dataset.Tabular.from_delimited_files((store, "typed.csv"), set_column_types={"amt": "int"})


def test_malformed_csv_names_file_line_and_column(store: Datastore) -> None:
    put(store, "bad/rows.csv", "a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(
        DatasetError,
        match=r"'workspaceblobstore/bad/rows.csv', line 3: expected 3 columns, found 2",
    ):
        Dataset.Tabular.from_delimited_files((store, "bad/rows.csv"))
    lazy = Dataset.Tabular.from_delimited_files((store, "bad/rows.csv"), validate=False)
    with pytest.raises(DatasetError, match="line 3"):
        lazy.to_records()
    put(store, "bad/types.csv", "a,b\n1,2\nx,3\n")
    message = r"'workspaceblobstore/bad/types.csv', line 3, column 'a': cannot convert 'x' to int"
    # validate=True checks that the files parse; values convert when read (v1: nulls)
    table = Dataset.Tabular.from_delimited_files(
        (store, "bad/types.csv"), set_column_types={"a": "int"}
    )
    with pytest.raises(DatasetError, match=message):
        table.to_records()
    assert table.to_records(on_error="null") == [{"a": 1, "b": 2}, {"a": None, "b": 3}]


def test_headers_that_differ_are_read_as_v1_does_unless_combined(
    store: Datastore, caplog: pytest.LogCaptureFixture
) -> None:
    put(store, "h/1.csv", "a,b\n1,2\n")
    put(store, "h/2.csv", "a,c\n3,4\n")
    same = Dataset.Tabular.from_delimited_files((store, "h/"))  # v1: the first file's header
    assert same.to_records() == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert "h/2.csv', line 1: header ['a', 'c'] differs" in caplog.text
    combined = Dataset.Tabular.from_delimited_files(
        (store, "h/"), header="combine_all_files_headers"
    )
    assert combined.to_records() == [{"a": 1, "b": 2, "c": None}, {"a": 3, "b": None, "c": 4}]
    first = Dataset.Tabular.from_delimited_files(
        (store, "h/"), header="only_first_file_has_headers"
    )
    assert first.to_records()[1:] == [{"a": "a", "b": "c"}, {"a": "3", "b": "4"}]


def test_include_path_partitions_empty_strings_and_multiline(store: Datastore) -> None:
    put(store, "sales/2021/01/05/eu.csv", 'item,note\nx,"two\nlines"\ny,\n')
    table = Dataset.Tabular.from_delimited_files(
        (store, "sales/**/*.csv"),
        include_path=True,
        partition_format="/{day:yyyy/MM/dd}/{region}.csv",
        support_multi_line=True,
        empty_as_string=True,
    )
    assert table.to_records() == [
        {"Path": "/2021/01/05/eu.csv", "day": datetime(2021, 1, 5), "region": "eu", "item": "x",
         "note": "two\nlines"},
        {"Path": "/2021/01/05/eu.csv", "day": datetime(2021, 1, 5), "region": "eu", "item": "y",
         "note": ""},
    ]  # fmt: skip
    with pytest.raises(DatasetError, match=r"line 2: a quoted value spans several lines"):
        Dataset.Tabular.from_delimited_files((store, "sales/**/*.csv"))


def test_encoding(store: Datastore) -> None:
    put(store, "latin.csv", "name\nJosé\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="is not 'utf8' text"):
        Dataset.Tabular.from_delimited_files((store, "latin.csv"))
    table = Dataset.Tabular.from_delimited_files((store, "latin.csv"), encoding="latin1")
    assert table.to_records() == [{"name": "José"}]


def test_to_pandas_dataframe(store: Datastore) -> None:
    pd = pytest.importorskip("pandas")
    put(store, "p.csv", "id,score,ok,when,name\n1,1.5,true,2020-01-01,a\n2,,,2020-01-02,\n")
    frame = Dataset.Tabular.from_delimited_files((store, "p.csv")).to_pandas_dataframe()
    assert list(frame.columns) == ["id", "score", "ok", "when", "name"]
    assert str(frame["id"].dtype) == "int64" and str(frame["score"].dtype) == "float64"
    assert str(frame["ok"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(frame["when"])
    assert frame["id"].tolist() == [1, 2] and pd.isna(frame["score"][1])


def test_to_pandas_dataframe_without_pandas(store: Datastore, monkeypatch: pytest.MonkeyPatch):
    put(store, "p.csv", "id\n1\n")
    table = Dataset.Tabular.from_delimited_files((store, "p.csv"))
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(DatasetError, match=r"pip install jupyter_pipelines\[tabular\]"):
        table.to_pandas_dataframe()
    assert table.to_records() == [{"id": 1}]


def test_tabular_definition_and_registration(store: Datastore) -> None:
    put(store, "t.csv", "a;b\n1;2\n")
    table = Dataset.Tabular.from_delimited_files((store, "t.csv"), separator=";").keep_columns("a")
    definition = table.to_definition()
    assert definition["tabular"]["separator"] == ";"
    assert definition["transformations"] == [{"op": "keep_columns", "columns": ["a"]}]
    registered = table.register(store.workspace, "table")
    again = Dataset.get_by_name(store.workspace, "table")
    assert isinstance(again, TabularDataset) and again == registered
    assert again.to_records() == [{"a": 1}]


def test_top_level_exports() -> None:
    assert jp.Dataset is Dataset and jp.FileDataset is FileDataset
    assert jp.TabularDataset is TabularDataset and jp.DataType is DataType
    assert jp.DatasetError is DatasetError and jp.UnknownDatasetError is UnknownDatasetError


def test_local_hashes_go_through_the_stat_cache(
    images: Datastore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_pipelines.reuse import statcache

    monkeypatch.setattr(statcache, "RACY_SECONDS", 0.0)  # the files were written just now
    path = images.local_path("train-images/a.png")
    assert path is not None
    dataset = Dataset.File.from_files((images, "train-images/a.png"))
    key = "workspaceblobstore/train-images/a.png"
    assert dataset.file_hashes() == {key: hash_bytes(b"image a")}
    cache = statcache.StatCache(images.workspace.snapshots_dir / "statcache.db")
    stat_key, digest = cache.load_prefix(str(images.local_path("")))[str(path)]
    assert digest == hash_bytes(b"image a")
    cache.store([(str(path), stat_key, "f" * 64)])  # an unchanged file is not read again
    assert dataset.file_hashes() == {key: "f" * 64}
    path.write_bytes(b"image a, changed")
    assert dataset.file_hashes() == {key: hash_bytes(b"image a, changed")}
