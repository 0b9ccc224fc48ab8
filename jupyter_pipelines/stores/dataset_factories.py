"""v1's dataset factories: ``Dataset.File`` (``FileDatasetFactory``) and ``Dataset.Tabular``
(``TabularDatasetFactory``).

A path is ``(datastore, 'glob')``, a DataPath, ``datastore.path(...)``, an http(s) URL, a
local path, or a list of them. A dataset made only of URLs and local paths belongs to no
workspace until it is registered or submitted. This module attaches the factories to
``AbstractDataset`` as v1's ``File`` and ``Tabular`` attributes.
"""

from __future__ import annotations

import fnmatch
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ..compat import refused
from ..errors import DatasetError
from . import tabular
from .dataset_base import AbstractDataset
from .dataset_classes import FileDataset, TabularDataset
from .dataset_files import parse_paths
from .dataset_sources import is_source_key, is_web_key, location_of
from .datastores import Datastore
from .tabular_exports import datastore_target
from .tabular_formats import pandas, write_parquet


class FileDatasetFactory:
    """Makes FileDatasets (v1 ``Dataset.File``)."""

    @staticmethod
    def from_files(
        path: Any, validate: bool = True, partition_format: str | None = None, is_file: bool = False
    ) -> FileDataset:
        """The files at ``path``; a folder means every file under it, ``**`` any folders.
        One file (not a folder or glob) reaches a step as that file's path."""
        properties = {"partition_format": partition_format} if partition_format else None
        dataset = make(FileDataset, path, None, validate, properties)
        return dataset  # type: ignore[return-value]

    @staticmethod
    def upload_directory(
        src_dir: str,
        target: Any,
        pattern: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> FileDataset:
        """Upload the files under local ``src_dir`` (those matching ``pattern``, if given) to
        ``target`` (a DataPath, (datastore, 'path') or a Datastore) and return their dataset."""
        src = Path(src_dir)
        if not src.is_dir():
            raise DatasetError(f"cannot upload {str(src)!r}: it is not a folder")
        store, rel = datastore_target(target)
        files = [p for p in sorted(src.rglob("*")) if p.is_file()]
        if pattern:
            files = [p for p in files if fnmatch.fnmatch(p.relative_to(src).as_posix(), pattern)]
        store.upload_files(
            [str(p) for p in files], str(src), rel, overwrite=overwrite, show_progress=show_progress
        )
        return FileDatasetFactory.from_files((store, rel.strip("/") or "/"), validate=bool(files))


class TabularDatasetFactory:
    """Makes TabularDatasets (v1 ``Dataset.Tabular``)."""

    @staticmethod
    def from_delimited_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        infer_column_types: bool = True,
        set_column_types: dict[str, Any] | None = None,
        separator: str = ",",
        header: bool | str | int = True,
        partition_format: str | None = None,
        support_multi_line: bool = False,
        empty_as_string: bool = False,
        encoding: str = "utf8",
    ) -> TabularDataset:
        """Delimited files at ``path`` read as one table (paths as for ``from_files``)."""
        options = tabular.normalize_options(
            include_path=include_path, infer_column_types=infer_column_types,
            set_column_types=set_column_types, separator=separator, header=header,
            partition_format=partition_format, support_multi_line=support_multi_line,
            empty_as_string=empty_as_string, encoding=encoding,
        )  # fmt: skip
        return _table(path, options, validate)

    @staticmethod
    def from_parquet_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: dict[str, Any] | None = None,
        partition_format: str | None = None,
    ) -> TabularDataset:
        """Parquet files at ``path`` read as one table (needs pandas and pyarrow)."""
        options = tabular.normalize_options(
            format="parquet", include_path=include_path, set_column_types=set_column_types,
            partition_format=partition_format, infer_column_types=False,
        )  # fmt: skip
        return _table(path, options, validate)

    @staticmethod
    def from_json_lines_files(
        path: Any,
        validate: bool = True,
        include_path: bool = False,
        set_column_types: dict[str, Any] | None = None,
        partition_format: str | None = None,
        invalid_lines: str = "error",
        encoding: str = "utf8",
    ) -> TabularDataset:
        """Files of one JSON object per line read as one table; ``invalid_lines='drop'``
        skips lines that are not JSON objects."""
        options = tabular.normalize_options(
            format="json_lines", include_path=include_path, set_column_types=set_column_types,
            partition_format=partition_format, invalid_lines=invalid_lines, encoding=encoding,
            infer_column_types=False,
        )  # fmt: skip
        return _table(path, options, validate)

    @staticmethod
    @refused(
        "run the query with the database's Python client, save the result as CSV or parquet "
        "and read it with Dataset.Tabular.from_delimited_files, or register the DataFrame "
        "with Dataset.Tabular.register_pandas_dataframe"
    )
    def from_sql_query(
        query: Any,
        validate: bool = True,
        set_column_types: dict[str, Any] | None = None,
        query_timeout: int = 30,
    ) -> TabularDataset:
        """v1: a table read from an SQL datastore (refused here)."""
        raise NotImplementedError

    @staticmethod
    def register_pandas_dataframe(
        dataframe: Any,
        target: Any,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        show_progress: bool = True,
        row_group_size: int | None = None,
        make_target_path_unique: bool = True,
    ) -> TabularDataset:
        """Write ``dataframe`` as parquet to ``target`` (a DataPath, (datastore, 'path') or a
        Datastore; in a new folder when ``make_target_path_unique``) and register it."""
        pandas("register_pandas_dataframe()")
        store, rel = datastore_target(target)
        rel = rel.strip("/")
        if make_target_path_unique:
            rel = f"{rel}/{uuid.uuid4()}".lstrip("/")
        with tempfile.TemporaryDirectory(prefix="dataframe-") as tmp:
            write_parquet(dataframe, Path(tmp) / "part-00000.parquet", row_group_size)
            store.put_dir(tmp, rel, overwrite=True, show_progress=show_progress)
        dataset = TabularDatasetFactory.from_parquet_files((store, f"{rel}/*.parquet"))
        return dataset.register(store.workspace, name, description, tags, create_new_version=True)  # type: ignore[return-value]

    @staticmethod
    @refused("convert it with DataFrame.toPandas() and use register_pandas_dataframe")
    def register_spark_dataframe(
        dataframe: Any,
        target: Any,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """v1: register a Spark DataFrame (refused here)."""
        raise NotImplementedError

    @staticmethod
    def register_dask_dataframe(
        dataframe: Any,
        target: Any,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        show_progress: bool = True,
    ) -> TabularDataset:
        """Compute ``dataframe`` (a Dask DataFrame) and register it as
        ``register_pandas_dataframe`` does."""
        return TabularDatasetFactory.register_pandas_dataframe(
            dataframe.compute(), target, name, description, tags, show_progress
        )


AbstractDataset.File = FileDatasetFactory
AbstractDataset.Tabular = TabularDatasetFactory


# -- making datasets -----------------------------------------------------------------------------
def make(
    cls: type[AbstractDataset],
    path: Any,
    options: dict[str, Any] | None,
    validate: bool,
    properties: dict[str, Any] | None = None,
) -> AbstractDataset:
    """A dataset of kind ``cls`` over ``path``; with ``validate``, each path must match a file."""
    workspace, pairs = parse_paths(path)
    stores: dict[str, Any] = {}
    paths = []
    for store, pattern in pairs:
        if isinstance(store, str) and is_source_key(store):
            paths.append((store, pattern))
            continue
        if workspace is None:
            raise DatasetError(
                f"the paths {path!r} name datastores only by name; pass a Datastore object "
                "(Datastore.get(ws, name)) so the dataset knows its workspace"
            )
        resolved = store if isinstance(store, Datastore) else Datastore.get(workspace, store)
        stores[resolved.name] = resolved
        paths.append((resolved.name, resolved.relative(pattern)))
    dataset = cls(
        workspace=workspace, paths=paths, tabular_options=options, datastores=stores,
        properties=properties,
    )  # fmt: skip
    if validate:
        for key, pattern in paths:
            if not dataset._datastore(key).glob(pattern):
                raise DatasetError(_matches_nothing(key, pattern))
    return dataset


def _matches_nothing(key: str, pattern: str) -> str:
    if not is_source_key(key):
        return (
            f"path {pattern or '/'!r} on datastore {key!r} matches no file; upload the data "
            "first (datastore.upload(...)) or fix the path"
        )
    what = "URL" if is_web_key(key) else "local path"
    return (
        f"{what} {location_of(key, pattern)!r} matches no file (or cannot be read); fix it, "
        "or upload the data to a datastore and use (datastore, 'path')"
    )


def _table(path: Any, options: dict[str, Any], validate: bool) -> TabularDataset:
    dataset = make(TabularDataset, path, options, validate)
    assert isinstance(dataset, TabularDataset)
    if validate:
        # the files must parse; values that do not convert are v1's nulls until read
        tabular.read_table(dataset._sources()[:1], options, limit=100, on_error="null")
    return dataset
