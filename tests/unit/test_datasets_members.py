"""The v1 members of FileDataset and TabularDataset: registry metadata, samples, splits,
filters, partitions, time series, exports and stream columns, on real local files."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from jupyter_pipelines import Dataset, FileDataset, TabularDataset
from jupyter_pipelines.errors import DatasetError, NotSupportedError, UnknownDatasetError
from jupyter_pipelines.model.data import DataPath
from jupyter_pipelines.stores.datastores import Datastore
from jupyter_pipelines.stores.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "project")


@pytest.fixture
def store(ws: Workspace) -> Datastore:
    return ws.get_default_datastore()


def put(store: Datastore, rel: str, text: str) -> Path:
    path = store.local_path(rel)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def numbers(store: Datastore) -> TabularDataset:
    """100 rows: n = 0..99, parity, and a day (2024-01-01 + n days)."""
    lines = ["n,parity,day"] + [
        f"{n},{'even' if n % 2 == 0 else 'odd'},{(datetime(2024, 1, 1) + timedelta(days=n)).date()}"
        for n in range(100)
    ]
    put(store, "numbers/all.csv", "\n".join(lines) + "\n")
    return Dataset.Tabular.from_delimited_files(
        (store, "numbers/all.csv"), set_column_types={"day": "datetime:%Y-%m-%d"}
    )


@pytest.fixture
def files(store: Datastore) -> FileDataset:
    for i in range(20):
        put(store, f"files/f{i:02d}.{'txt' if i % 4 else 'csv'}", "x" * (i + 1))
    return Dataset.File.from_files((store, "files/"))


# -- identity and registry metadata ------------------------------------------------------------
def test_properties_update_tags_and_unregister(files: FileDataset, ws: Workspace) -> None:
    assert (files.name, files.version, files.description, files.tags) == (None, None, None, {})
    registered = files.register(ws, "files", description="twenty", tags={"a": "1"})
    assert (registered.name, registered.version, registered.description) == ("files", 1, "twenty")
    registered.add_tags({"b": "2"})
    registered.remove_tags(["a"])
    registered.update(description="renamed")
    again = Dataset.get_by_name(ws, "files", version=1, extra_v1_argument=True)
    assert (again.description, again.tags) == ("renamed", {"b": "2"})
    assert isinstance(registered.data_changed_time, datetime)
    assert Dataset.get_by_id(ws, registered.id) == registered
    registered.unregister_all_versions()
    with pytest.raises(UnknownDatasetError, match="no dataset 'files'"):
        Dataset.get_by_name(ws, "files")
    with pytest.raises(DatasetError, match="is not registered"):
        files.unregister_all_versions()


def test_get_by_id_names_what_gives_an_id(ws: Workspace) -> None:
    with pytest.raises(UnknownDatasetError, match="registered or used by a submitted run"):
        Dataset.get_by_id(ws, "00000000-0000-0000-0000-000000000000")


def test_legacy_dataset_members(files: FileDataset, ws: Workspace, store: Datastore) -> None:
    registered = files.register(ws, "files")
    assert Dataset.get(ws, name="files") == registered
    assert Dataset.get(ws, id=registered.id) == registered
    assert Dataset.list(ws) == [registered]
    assert Dataset.from_binary_files((store, "files/")).to_path() == files.to_path()
    put(store, "t/a.csv", "x;y\n1;2\n")
    legacy = Dataset.from_delimited_files((store, "t/a.csv"), separator=";")
    assert legacy.to_records() == [{"x": 1, "y": 2}]
    with pytest.raises(DatasetError, match="skip_rows"):
        Dataset.from_delimited_files((store, "t/a.csv"), skip_rows=1)
    with pytest.raises(NotSupportedError, match=r"Dataset\.Tabular\.register_pandas_dataframe"):
        Dataset.from_pandas_dataframe(None)
    with pytest.raises(NotSupportedError, match=r"Dataset\.File\.from_files or Dataset\.Tabular"):
        Dataset("definition", ws)


# -- files ----------------------------------------------------------------------------------------
def test_file_samples_and_splits_are_stable_and_complementary(files: FileDataset) -> None:
    sample = files.take_sample(0.5, seed=7)
    assert sample.to_path() == files.take_sample(0.5, seed=7).to_path()
    assert 3 < len(sample.to_path()) < 17
    first, second = files.random_split(0.3, seed=1)
    a, b = first.to_path(), second.to_path()
    assert sorted(a + b) == files.to_path() and not set(a) & set(b)
    unseeded = files.take_sample(0.5)  # a seed is drawn once and kept in the definition
    assert unseeded.to_path() == unseeded.to_path()
    with pytest.raises(DatasetError, match=r"between 0\.0 and 1\.0"):
        files.take_sample(1.5)


def test_file_filter_on_metadata(files: FileDataset) -> None:
    big = files.filter(files.file_metadata("Size") > 15)
    assert big.to_path() == [f"/f{i:02d}.{'txt' if i % 4 else 'csv'}" for i in range(15, 20)]
    csv = files.filter(files.file_metadata("Extension").starts_with("c"))
    assert csv.to_path() == ["/f00.csv", "/f04.csv", "/f08.csv", "/f12.csv", "/f16.csv"]
    both = files.filter(
        (files.file_metadata("Size") > 10) & (files.file_metadata("Extension") == "csv")
    )
    assert both.to_path() == ["/f12.csv", "/f16.csv"]
    assert files.filter(~(files.file_metadata("Size") > 1)).to_path() == ["/f00.csv"]
    with pytest.raises(DatasetError, match=r"unknown file metadata column 'Sise'.*Size"):
        files.file_metadata("Sise")
    with pytest.raises(DatasetError, match=r"combine conditions with & \| ~"):
        files.filter((files.file_metadata("Size") > 1) and files.file_metadata("Size") < 5)
    round_trip = FileDataset.from_definition(files.workspace, big.to_definition())
    assert round_trip.to_path() == big.to_path()


def test_download_ignore_not_found_and_refused_members(
    files: FileDataset, store: Datastore, tmp_path: Path
) -> None:
    from jupyter_pipelines.stores.dataset_files import place

    gone = [(store, "files/gone.txt", tmp_path / "a" / "gone.txt")]  # deleted after listing
    with pytest.raises(DatasetError, match=r"cannot get workspaceblobstore/files/gone\.txt"):
        place(gone)
    kept = [(store, "files/f01.txt", tmp_path / "b" / "f01.txt"), *gone]
    assert place(kept, ignore_not_found=True) == [str(tmp_path / "b" / "f01.txt")]
    assert files.take(1).download(str(tmp_path / "c"), ignore_not_found=True) == [
        str(tmp_path / "c" / "f00.csv")
    ]
    with pytest.raises(NotSupportedError, match="as_download"):
        files.as_cache(None)
    with pytest.raises(NotSupportedError, match="Synapse"):
        files.as_hdfs()


def test_partition_keys_and_values(store: Datastore) -> None:
    for country, year in (("fr", 2020), ("fr", 2021), ("de", 2021)):
        put(store, f"sales/{country}/{year}/data.csv", "amount\n1\n")
    files = Dataset.File.from_files(
        (store, "sales/**/*.csv"), partition_format="{country}/{year}/data.csv"
    )
    assert files.partition_keys == ["country", "year"]
    assert files.get_partition_key_values(["country"]) == [{"country": "de"}, {"country": "fr"}]
    assert len(files.get_partition_key_values()) == 3
    with pytest.raises(DatasetError, match="unknown partition key"):
        files.get_partition_key_values(["city"])
    table = Dataset.Tabular.from_delimited_files(
        (store, "sales/**/*.csv"), partition_format="{country}/{year}/data.csv"
    )
    assert table.partition_keys == ["country", "year"]
    assert {r["country"] for r in table.to_records()} == {"de", "fr"}


# -- tables ---------------------------------------------------------------------------------------
def test_table_sample_split_filter(numbers: TabularDataset) -> None:
    first, second = numbers.random_split(0.25, seed=3)
    a = [r["n"] for r in first.to_records()]
    b = [r["n"] for r in second.to_records()]
    assert sorted(a + b) == list(range(100)) and 10 < len(a) < 45
    assert len(numbers.take_sample(0.1, seed=5).to_records()) < 30
    odd_big = numbers.filter((numbers["parity"] == "odd") & (numbers["n"] >= 90))
    assert [r["n"] for r in odd_big.to_records()] == [91, 93, 95, 97, 99]
    listed = numbers.filter(numbers["n"].is_in([3, 5]) | numbers["parity"].ends_with("vem"))
    assert [r["n"] for r in listed.to_records()] == [3, 5]
    assert numbers.keep_columns(["n"]).filter(numbers["n"] < 2).to_records() == [
        {"n": 0},
        {"n": 1},
    ]
    with pytest.raises(DatasetError, match="no column 'parity'"):
        numbers.keep_columns("n").filter(numbers["parity"] == "odd").to_records()
    with pytest.raises(DatasetError, match=r"keep_columns: no column\(s\) \['m'\]"):
        numbers.keep_columns("m", validate=True)


def test_timestamp_columns_and_time_filters(numbers: TabularDataset) -> None:
    assert numbers.timestamp_columns == (None, None)
    with pytest.raises(DatasetError, match="with_timestamp_columns"):
        numbers.time_before(datetime(2024, 1, 5))
    timed = numbers.with_timestamp_columns(timestamp="day", validate=True)
    assert timed.timestamp_columns == ("day", None)
    assert [r["n"] for r in timed.time_before(datetime(2024, 1, 3)).to_records()] == [0, 1, 2]
    after = timed.time_after(datetime(2024, 4, 8), include_boundary=False)
    assert [r["n"] for r in after.to_records()] == [99]
    between = timed.time_between(datetime(2024, 2, 1), datetime(2024, 2, 3))
    assert [r["n"] for r in between.to_records()] == [31, 32, 33]
    assert timed.time_recent(timedelta(days=1)).to_records() == []  # 2024 is long past
    cleared = timed.with_timestamp_columns()
    assert cleared.timestamp_columns == (None, None)
    legacy = numbers.with_timestamp_columns(fine_grain_timestamp="day")
    assert legacy.timestamp_columns == ("day", None)
    with pytest.raises(DatasetError, match="no column"):
        numbers.with_timestamp_columns(timestamp="when", validate=True)


def test_to_pandas_on_error_and_out_of_range(store: Datastore) -> None:
    pytest.importorskip("pandas")
    put(store, "bad/t.csv", "n,when\n1,2024-01-01\nx,0001-01-01\n")
    table = Dataset.Tabular.from_delimited_files(
        (store, "bad/t.csv"), set_column_types={"n": "int", "when": "datetime"}
    )
    frame = table.to_pandas_dataframe()  # v1's defaults: nulls, with a warning
    assert frame["n"].isna().tolist() == [False, True]
    with pytest.raises(DatasetError, match=r"line 3, column 'n': cannot convert 'x' to int"):
        table.to_pandas_dataframe(on_error="fail")
    with pytest.raises(DatasetError, match="on_error must be"):
        table.to_pandas_dataframe(on_error="maybe")
    assert table.to_records(on_error="null")[1]["n"] is None


def test_to_csv_and_parquet_files(numbers: TabularDataset, ws: Workspace) -> None:
    small = numbers.take(3).keep_columns(["n", "parity"])
    csv = small.to_csv_files(separator=";")
    assert isinstance(csv, FileDataset) and csv.to_path() == ["/part-00000.csv"]
    back = Dataset.Tabular.from_delimited_files(
        (ws.get_default_datastore(), csv.resolve_files()[0][1]), separator=";"
    )
    assert back.to_records() == small.to_records()
    assert small.to_csv_files(separator=";").to_definition() == csv.to_definition()  # once
    pytest.importorskip("pyarrow")
    parquet = small.to_parquet_files()
    reread = Dataset.Tabular.from_parquet_files(
        (ws.get_default_datastore(), parquet.resolve_files()[0][1])
    )
    assert reread.to_records() == small.to_records()


def test_parquet_json_lines_and_pandas_registration(store: Datastore, ws: Workspace) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    registered = Dataset.Tabular.register_pandas_dataframe(
        frame, (store, "frames"), "frame", description="two rows"
    )
    assert (registered.name, registered.version, registered.description) == ("frame", 1, "two rows")
    assert registered.to_records() == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    put(store, "lines/a.jsonl", '{"a": 1, "t": "2024-01-02"}\nnot json\n{"a": 2, "b": [1]}\n')
    with pytest.raises(DatasetError, match=r"line 2: not JSON"):
        Dataset.Tabular.from_json_lines_files((store, "lines/a.jsonl"))
    lines = Dataset.Tabular.from_json_lines_files(
        (store, "lines/a.jsonl"), invalid_lines="drop", set_column_types={"t": "datetime"}
    )
    assert lines.to_records() == [
        {"a": 1, "t": datetime(2024, 1, 2), "b": None},
        {"a": 2, "t": None, "b": [1]},
    ]


def test_partition_by(numbers: TabularDataset, store: Datastore, ws: Workspace) -> None:
    pytest.importorskip("pyarrow")
    parted = numbers.take(4).partition_by(["parity"], DataPath(store, "parted"), name="parted")
    assert parted.name == "parted" and parted.partition_keys == ["parity"]
    rows = sorted(parted.to_records(), key=lambda r: r["n"])
    assert [(r["n"], r["parity"]) for r in rows] == [
        (0, "even"),
        (1, "odd"),
        (2, "even"),
        (3, "odd"),
    ]
    as_files = numbers.take(2).partition_by("parity", (store, "p2"), partition_as_file_dataset=True)
    assert isinstance(as_files, FileDataset)
    assert as_files.get_partition_key_values() == [{"parity": "even"}, {"parity": "odd"}]


def test_stream_column_download_and_mount(store: Datastore, tmp_path: Path) -> None:
    put(store, "img/a.png", "A")
    put(store, "img/b.png", "B")
    put(store, "img/index.csv", "name\n")
    table = Dataset.Tabular.from_delimited_files((store, "img/index.csv"), include_path=True)
    assert table.to_records() == []
    listing = put(store, "lists/l.csv", f"Path\n{store.local_path('img/a.png')}\n/missing.png\n")
    paths = Dataset.Tabular.from_delimited_files(listing.as_posix())
    got = paths.download("Path", str(tmp_path / "got"))
    assert [Path(p).read_text() for p in got] == ["A"]
    with pytest.raises(DatasetError, match=r"no file '/missing\.png'"):
        paths.download("Path", str(tmp_path / "strict"), ignore_not_found=False)
    with paths.mount("Path") as mounted:
        assert (Path(mounted.mount_point) / "a.png").read_text() == "A"


def test_cloud_only_table_members_are_refused(numbers: TabularDataset) -> None:
    for call, hint in (
        (lambda: numbers.to_spark_dataframe(), "to_pandas_dataframe"),
        (lambda: numbers.get_profile(), "describe"),
        (lambda: numbers.submit_profile_run("cpu", None), "describe"),
    ):
        with pytest.raises(NotSupportedError, match=hint):
            call()


def test_to_dask_dataframe_needs_dask(numbers: TabularDataset) -> None:
    try:
        import dask.dataframe  # noqa: F401
    except ImportError:
        with pytest.raises(DatasetError, match=r"pip install 'dask\[dataframe\]'"):
            numbers.to_dask_dataframe()
        return
    frame = numbers.to_dask_dataframe(sample_size=30).compute()
    assert len(frame) == 100


def test_repeated_header_names_are_made_unique(store: Datastore) -> None:
    put(store, "dup/t.csv", "a,b,a,a\n1,2,3,4\n")
    table = Dataset.Tabular.from_delimited_files((store, "dup/t.csv"))
    assert table.to_records() == [{"a": 1, "b": 2, "a_1": 3, "a_2": 4}]
