"""The dataset kinds: ``FileDataset`` (files) and ``TabularDataset`` (files read as a table).

What they share is ``AbstractDataset`` (``dataset_base.py``); the table's exports (CSV and
parquet files, partitions, Dask, stream columns) are ``TabularExports``
(``tabular_exports.py``); the factories and the registry look-ups of v1 ``Dataset`` are in
``dataset_factories.py`` and ``datasets.py``, which sit above this module.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

from ..compat import refused
from ..errors import DatasetError, did_you_mean
from . import dataset_ops as ops
from . import tabular
from .dataset_base import AbstractDataset, Files
from .dataset_expressions import Expression
from .dataset_files import DatasetMount
from .tabular_exports import TabularExports
from .tabular_formats import to_dataframe
from .workspace_like import WorkspaceLike

__all__ = ["AbstractDataset", "FileDataset", "TabularDataset"]

_PROFILE = "read the table with to_pandas_dataframe() and use DataFrame.describe()"


class FileDataset(AbstractDataset):
    """Files on datastores, web servers or the local disk (v1 ``FileDataset``)."""

    kind = "file"

    @classmethod
    def _from_parts(
        cls, workspace: WorkspaceLike | None, paths: list[tuple[str, str]], doc: dict[str, Any]
    ) -> FileDataset:
        steps = [ops.check_step(t, ops.ITEM_OPS) for t in doc.get("transformations") or []]
        fmt = doc.get("partition_format")
        return cls(
            workspace=workspace, paths=paths, transformations=steps,
            properties={"partition_format": fmt} if fmt else None,
        )  # fmt: skip

    def resolve_files(self) -> list[tuple[Files, str]]:
        files = self._all_files()
        for step in self._transformations:
            files = ops.select(files, step, self._metadata)
        return files

    def _metadata(self, item: tuple[Files, str]) -> dict[str, Any]:
        """What ``file_metadata`` columns hold for one file."""
        store, rel = item
        info = store.info(rel)
        local = store.local_path(rel)
        created = os.stat(local).st_ctime if local is not None else info["mtime"]
        return {
            "Size": info["size"],
            "LastModifiedTime": _time(info["mtime"]),
            "CreationTime": _time(created),
            "Extension": os.path.splitext(rel.split("?", 1)[0])[1].lstrip("."),
            "CanSeek": True,
            "StreamName": f"{store.name}/{rel}",
        }

    def download(
        self,
        target_path: str | None = None,
        overwrite: bool = False,
        ignore_not_found: bool = False,
    ) -> list[str]:
        """Copy the files into ``target_path`` (default: a new temporary folder), laid out as
        ``to_path()``; returns their local paths. Existing files are an error unless
        ``overwrite``; a file that is gone is an error unless ``ignore_not_found``."""
        root = target_path or tempfile.mkdtemp(prefix="dataset-")
        return self.stage(root, False, overwrite, ignore_not_found)

    def mount(self, mount_point: str | None = None, **kwargs: Any) -> DatasetMount:
        """A read-only view of the files (call ``start()``, or use it in a ``with``):
        symlinks to local files, a temporary download of others."""
        return DatasetMount(self, mount_point)

    def take(self, count: int) -> FileDataset:
        """The first ``count`` files."""
        return self._with(**ops.count_step("take", count))

    def skip(self, count: int) -> FileDataset:
        """All files but the first ``count``."""
        return self._with(**ops.count_step("skip", count))

    def take_sample(self, probability: float, seed: int | None = None) -> FileDataset:
        """Each file kept with ``probability`` (the same files for the same seed)."""
        return self._with(**ops.sample_step(probability, seed))

    def random_split(
        self, percentage: float, seed: int | None = None
    ) -> tuple[FileDataset, FileDataset]:
        """Two datasets: about ``percentage`` of the files, and the others."""
        first, second = ops.split_steps(percentage, seed)
        return self._with(**first), self._with(**second)

    def file_metadata(self, col: str) -> Expression:
        """A file's metadata for ``filter``: Size, LastModifiedTime, CreationTime, Extension,
        CanSeek or StreamName."""
        return Expression.metadata(col)

    def filter(self, expression: Expression) -> FileDataset:
        """The files for which ``expression`` (built with ``file_metadata``) holds."""
        return self._with(**ops.filter_step(expression))

    @refused("use as_download() or as_mount(): datacache stores exist only in Azure ML")
    def as_cache(self, datacache_store: Any) -> Any:
        """v1: the dataset hydrated into a datacache store (refused here)."""

    @refused("use as_download() or as_mount(): datacache stores exist only in Azure ML")
    def hydrate(self, datacache_store: Any, replica_count: int | None = None) -> Any:
        """v1: copy the dataset into a datacache store (refused here)."""


class TabularDataset(TabularExports, AbstractDataset):
    """Delimited, JSON lines or parquet files read as one table (v1 ``TabularDataset``)."""

    kind = "tabular"

    @classmethod
    def _from_parts(
        cls, workspace: WorkspaceLike | None, paths: list[tuple[str, str]], doc: dict[str, Any]
    ) -> TabularDataset:
        allowed = (*ops.ITEM_OPS, *ops.COLUMN_OPS)
        steps = [ops.check_step(t, allowed) for t in doc.get("transformations") or []]
        stamps = doc.get("timestamps")
        return cls(
            workspace=workspace, paths=paths, transformations=steps,
            tabular_options=tabular.normalize_options(**doc.get("tabular") or {}),
            properties={"timestamps": dict(stamps)} if stamps else None,
        )  # fmt: skip

    def _sources(self) -> list[tabular.Source]:
        root = self._local_root
        if root is not None:  # inside a step: the files were made available here
            pattern = (self._options or {}).get("path_glob") or "**/*"
            found = (
                [root] if root.is_file() else sorted(p for p in root.glob(pattern) if p.is_file())
            )
            base = root.parent if root.is_file() else root
            return [
                tabular.Source(str(p), "/" + p.relative_to(base).as_posix(), _opener(p))
                for p in found
                if not p.name.startswith(".")  # partial downloads
            ]
        files = self.resolve_files()
        return [
            tabular.Source(f"{store.name}/{rel}", path, _store_opener(store, rel))
            for (store, rel), path in zip(files, self._layout(files), strict=True)
        ]

    def _table(self, on_error: str = "fail") -> tabular.Table:
        assert self._options is not None
        table = tabular.read_table(self._sources(), self._options, on_error=on_error)
        columns, records = table.columns, table.records
        for step in self._transformations:
            if step["op"] not in ops.COLUMN_OPS:
                records = ops.select(records, step, lambda record: record)
                continue
            _known(step["op"], step["columns"], columns)
            keep = step["op"] == "keep_columns"
            columns = [c for c in columns if (c in step["columns"]) == keep]
            records = [{c: r.get(c) for c in columns} for r in records]
        return tabular.Table(columns, records)

    # -- reading ---------------------------------------------------------------------------
    def to_records(self, on_error: str = "fail") -> list[dict[str, Any]]:
        """The rows as dicts (standard library only; no pandas needed). A value that does
        not convert raises DatasetError naming file, line and column (``on_error='fail'``)."""
        return self._table(on_error).records

    def to_pandas_dataframe(
        self, on_error: str = "null", out_of_range_datetime: str = "null"
    ) -> Any:
        """The table as a pandas DataFrame (``pip install jupyter_pipelines[tabular]``).

        As in v1, a value that does not convert is read as null (a warning names the first);
        ``on_error='fail'`` makes it an error naming the file, line and column."""
        table = self._table(on_error)
        return to_dataframe(table.columns, table.records, out_of_range_datetime)

    @property
    def columns(self) -> list[str]:
        """The table's column names."""
        return self._table().columns

    def __getitem__(self, column: str) -> Expression:
        """A column, to build ``filter`` expressions: ``ds.filter(ds['age'] > 30)``."""
        return Expression.column(column)

    # -- transformations -------------------------------------------------------------------
    def take(self, count: int) -> TabularDataset:
        """The first ``count`` rows."""
        return self._with(**ops.count_step("take", count))

    def skip(self, count: int) -> TabularDataset:
        """All rows but the first ``count``."""
        return self._with(**ops.count_step("skip", count))

    def take_sample(self, probability: float, seed: int | None = None) -> TabularDataset:
        """Each row kept with ``probability`` (the same rows for the same seed)."""
        return self._with(**ops.sample_step(probability, seed))

    def random_split(
        self, percentage: float, seed: int | None = None
    ) -> tuple[TabularDataset, TabularDataset]:
        """Two datasets: about ``percentage`` of the rows, and the others."""
        first, second = ops.split_steps(percentage, seed)
        return self._with(**first), self._with(**second)

    def filter(self, expression: Expression) -> TabularDataset:
        """The rows for which ``expression`` holds: ``ds.filter(ds['age'] > 30)``."""
        return self._with(**ops.filter_step(expression))

    def keep_columns(self, columns: str | list[str], validate: bool = False) -> TabularDataset:
        """Only ``columns`` (checked now when ``validate``, else when read)."""
        step = ops.column_step("keep_columns", columns)
        if validate:
            _known("keep_columns", step["columns"], self.columns)
        return self._with(**step)

    def drop_columns(self, columns: str | list[str]) -> TabularDataset:
        """All columns but ``columns``."""
        return self._with(**ops.column_step("drop_columns", columns))

    # -- time series -------------------------------------------------------------------------
    @property
    def timestamp_columns(self) -> tuple[str | None, str | None]:
        """(timestamp, partition_timestamp): the columns time filters use."""
        stamps = self._properties.get("timestamps") or {}
        return stamps.get("timestamp"), stamps.get("partition_timestamp")

    def with_timestamp_columns(
        self,
        timestamp: str | None = None,
        partition_timestamp: str | None = None,
        validate: bool = False,
        **kwargs: Any,
    ) -> TabularDataset:
        """A dataset whose time filters use ``timestamp`` (v1 also says ``fine_grain_
        timestamp``) and ``partition_timestamp`` (``coarse_grain_timestamp``); None clears."""
        timestamp = timestamp or kwargs.get("fine_grain_timestamp")
        partition_timestamp = partition_timestamp or kwargs.get("coarse_grain_timestamp")
        given = {"timestamp": timestamp, "partition_timestamp": partition_timestamp}
        stamps = {k: str(v) for k, v in given.items() if v}
        if validate and stamps:
            _known("with_timestamp_columns", list(stamps.values()), self.columns)
        return self._copy(properties={**self._properties, "timestamps": stamps or None})

    def _time(
        self, start: datetime | None, end: datetime | None, include: bool, validate: bool
    ) -> TabularDataset:
        timestamp, partition = self.timestamp_columns
        column = timestamp or partition
        if validate and column:
            _known("time filter", [column], self.columns)
        return self._with(**ops.time_step(column, start, end, include))

    def time_before(
        self, end_time: datetime, include_boundary: bool = True, validate: bool = True
    ) -> TabularDataset:
        """The rows whose timestamp is before ``end_time``."""
        return self._time(None, end_time, include_boundary, validate)

    def time_after(
        self, start_time: datetime, include_boundary: bool = True, validate: bool = True
    ) -> TabularDataset:
        """The rows whose timestamp is after ``start_time``."""
        return self._time(start_time, None, include_boundary, validate)

    def time_recent(
        self, time_delta: timedelta, include_boundary: bool = True, validate: bool = True
    ) -> TabularDataset:
        """The rows of the last ``time_delta`` (counted from now, when this is called)."""
        return self._time(datetime.now() - time_delta, None, include_boundary, validate)

    def time_between(
        self,
        start_time: datetime,
        end_time: datetime,
        include_boundary: bool = True,
        validate: bool = True,
    ) -> TabularDataset:
        """The rows whose timestamp is between ``start_time`` and ``end_time``."""
        return self._time(start_time, end_time, include_boundary, validate)

    # -- cloud-only ------------------------------------------------------------------------
    @refused("read the table with to_pandas_dataframe() and give it to Spark if needed")
    def to_spark_dataframe(self) -> Any:
        """v1: the table as a Spark DataFrame (refused here)."""

    @refused(_PROFILE)
    def submit_profile_run(
        self, compute_target: Any, experiment: Any, cache_datastore_name: str | None = None
    ) -> Any:
        """v1: profile the data on a compute target (refused here)."""

    @refused(_PROFILE)
    def get_profile(self, workspace: Any = None) -> Any:
        """v1: the data profile computed by a profile run (refused here)."""

    @refused(_PROFILE)
    def get_profile_runs(self, workspace: Any = None) -> Any:
        """v1: the profile runs of this dataset (refused here)."""


# -- helpers -------------------------------------------------------------------------------------
def _known(what: str, wanted: list[str], columns: list[str]) -> None:
    unknown = [c for c in wanted if c not in columns]
    if unknown:
        raise DatasetError(
            f"{what}: no column(s) {unknown}{did_you_mean(unknown[0], columns)}; columns: {columns}"
        )


def _time(stamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, tz=timezone.utc) if stamp else None


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: open(path, "rb")


def _store_opener(store: Files, rel: str) -> Callable[[], IO[bytes]]:
    return lambda: store.open(rel, "rb")
