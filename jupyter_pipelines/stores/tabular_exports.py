"""What a ``TabularDataset`` makes from its table: CSV and parquet files, partitioned copies,
Dask DataFrames, and the files named by a stream column.

Written files go to the workspace's default datastore under ``dataset-exports/<hash>/``
(the hash of the table's definition and content, so the same table is written once), or to
a temporary folder for a dataset that belongs to no workspace. The datasets made here are
built through ``AbstractDataset``'s kinds, so that this module sits below the classes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatasetError
from ..log import get_logger
from ..reuse.hashing import hash_document
from . import tabular
from .dataset_base import AbstractDataset
from .dataset_sources import is_location, split_location
from .datastores import Datastore
from .tabular_formats import pandas, write_csv, write_parquet

if TYPE_CHECKING:
    from .dataset_files import DatasetMount

log = get_logger(__name__)
EXPORTS = "dataset-exports"


class TabularExports:
    """The exports of ``TabularDataset`` (a mixin: ``self`` is a TabularDataset)."""

    def to_csv_files(self, separator: str = ",") -> Any:
        """A FileDataset of the table written as CSV (with a header)."""
        table = self._table()  # type: ignore[attr-defined]
        return _export(self, f"csv{separator}", lambda folder: write_csv(
            table.columns, table.records, folder / "part-00000.csv", separator
        ))  # fmt: skip

    def to_parquet_files(self) -> Any:
        """A FileDataset of the table written as parquet (needs pandas and pyarrow)."""
        frame = self.to_pandas_dataframe(on_error="fail")  # type: ignore[attr-defined]
        return _export(self, "parquet", lambda folder: write_parquet(
            frame, folder / "part-00000.parquet"
        ))  # fmt: skip

    def to_dask_dataframe(
        self,
        sample_size: int = 10000,
        dtypes: dict[str, Any] | None = None,
        on_error: str = "null",
        out_of_range_datetime: str = "null",
    ) -> Any:
        """The table as a Dask DataFrame (``pip install 'dask[dataframe]'``), in partitions
        of about ``sample_size`` rows."""
        try:
            import dask.dataframe as dd
        except ImportError as exc:
            raise DatasetError(
                f"to_dask_dataframe() needs dask: pip install 'dask[dataframe]' ({exc})"
            ) from exc
        frame = self.to_pandas_dataframe(on_error, out_of_range_datetime)  # type: ignore[attr-defined]
        if dtypes:
            frame = frame.astype(dtypes)
        return dd.from_pandas(frame, chunksize=max(1, int(sample_size)))

    def partition_by(
        self,
        partition_keys: list[str],
        target: Any,
        name: str | None = None,
        show_progress: bool = True,
        partition_as_file_dataset: bool = False,
    ) -> Any:
        """Copy the table as parquet files in one folder per value of ``partition_keys``
        (``target/<guid>/{key}/.../part-00000.parquet`` on a datastore), and return (and
        register, with ``name``) the dataset of that copy, partitioned by those keys."""
        keys = [partition_keys] if isinstance(partition_keys, str) else list(partition_keys)
        table = self._table(on_error="fail")  # type: ignore[attr-defined]
        missing = [k for k in keys if k not in table.columns]
        if not keys or missing:
            raise DatasetError(
                f"partition_by: no column(s) {missing or keys}; columns: {table.columns}"
            )
        store, base = datastore_target(target)
        if isinstance(store, str):
            store = Datastore.get(self.workspace, store)  # type: ignore[attr-defined]
        rel = f"{base.strip('/')}/{uuid.uuid4()}".lstrip("/")
        with tempfile.TemporaryDirectory(prefix="partition-") as tmp:
            _write_partitions(table, keys, Path(tmp))
            store.put_dir(tmp, rel, show_progress=show_progress)
        fmt = "/".join(f"{{{k}}}" for k in keys) + "/part-00000.parquet"
        paths = [(store.name, f"{rel}/**/*.parquet")]
        common = {"workspace": store.workspace, "paths": paths, "datastores": {store.name: store}}
        if partition_as_file_dataset:
            dataset = AbstractDataset._kinds["file"](**common, properties={"partition_format": fmt})
        else:
            options = tabular.normalize_options(format="parquet", partition_format=fmt)
            dataset = AbstractDataset._kinds["tabular"](**common, tabular_options=options)
        return dataset.register(store.workspace, name) if name else dataset

    # -- stream columns --------------------------------------------------------------------
    def _stream_files(self, stream_column: str, ignore_not_found: bool) -> Any:
        """A FileDataset of the files named in ``stream_column``: paths of this dataset's own
        files (as ``include_path=True`` writes them), URLs or local paths."""
        values = [r.get(stream_column) for r in self._table().records]  # type: ignore[attr-defined]
        files = self.resolve_files()  # type: ignore[attr-defined]
        own = dict(zip(self._layout(files), files, strict=True))  # type: ignore[attr-defined]
        paths, stores = [], dict(self._datastores)  # type: ignore[attr-defined]
        for value in dict.fromkeys(v for v in values if v):
            if value in own:
                store, rel = own[value]
                paths.append((store.name, rel))
                stores[store.name] = store
            elif isinstance(value, str) and is_location(value) and _exists(value):
                paths.append(split_location(value))
            elif not ignore_not_found:
                raise DatasetError(f"column {stream_column!r}: no file {value!r}")
            else:
                log.warning("column %r: no file %r; skipped", stream_column, value)
        workspace = self.workspace  # type: ignore[attr-defined]
        return AbstractDataset._kinds["file"](workspace=workspace, paths=paths, datastores=stores)

    def download(
        self,
        stream_column: str,
        target_path: str | None = None,
        overwrite: bool = False,
        ignore_not_found: bool = True,
    ) -> list[str]:
        """Copy the files named in ``stream_column`` into ``target_path`` (default: a new
        temporary folder); returns their local paths."""
        files = self._stream_files(stream_column, ignore_not_found)
        return files.download(target_path, overwrite, ignore_not_found)  # type: ignore[no-any-return]

    def mount(self, stream_column: str, mount_point: str | None = None) -> DatasetMount:
        """A read-only view of the files named in ``stream_column`` (see FileDataset.mount)."""
        return self._stream_files(stream_column, True).mount(mount_point)  # type: ignore[no-any-return]


# -- helpers ---------------------------------------------------------------------------------
def _export(dataset: Any, form: str, write: Callable[[Path], None]) -> Any:
    digest = hash_document({"table": dataset.content_hash(), "as": form})[:24]
    file_kind = AbstractDataset._kinds["file"]
    workspace = dataset.workspace
    if workspace is not None:
        store = workspace.get_default_datastore()
        rel = f"{EXPORTS}/{digest}"
        if not store.glob(rel):
            with tempfile.TemporaryDirectory(prefix="export-") as tmp:
                write(Path(tmp))
                store.put_dir(tmp, rel)
        return file_kind(
            workspace=workspace, paths=[(store.name, rel)], datastores={store.name: store}
        )
    folder = Path(tempfile.gettempdir()) / "jupyter_pipelines-exports" / digest
    if not folder.is_dir():
        partial = folder.with_name(f".{digest}.{uuid.uuid4().hex[:8]}")
        write(partial)
        try:
            os.replace(partial, folder)
        except OSError:  # written meanwhile by another process
            shutil.rmtree(partial, ignore_errors=True)
    return file_kind(paths=[split_location(str(folder))])


def _write_partitions(table: tabular.Table, keys: list[str], root: Path) -> None:
    pd = pandas("partition_by()")
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in table.records:
        groups.setdefault(tuple(str(record.get(k)) for k in keys), []).append(record)
    kept = [c for c in table.columns if c not in keys]
    for values, records in groups.items():
        frame = pd.DataFrame.from_records(
            [{c: r.get(c) for c in kept} for r in records], columns=kept
        )
        write_parquet(frame, root.joinpath(*values) / "part-00000.parquet")


def datastore_target(target: Any) -> tuple[Any, str]:
    """The (datastore, path) of a v1 ``target``: a DataPath, (datastore, path), a Datastore."""
    if isinstance(target, tuple) and len(target) == 2:
        return target[0], str(target[1] or "")
    if hasattr(target, "path_on_datastore") and hasattr(target, "datastore"):
        return target.datastore, str(target.path_on_datastore or "")
    if isinstance(target, Datastore):
        return target, ""
    raise DatasetError(
        f"target must be a DataPath, (datastore, 'path') or a Datastore, got {target!r}"
    )


def _exists(location: str) -> bool:
    key, path = split_location(location)
    from .dataset_sources import source_files

    return source_files(key).exists(path)
