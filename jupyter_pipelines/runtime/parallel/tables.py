"""Tabular inputs: read as pandas DataFrames and cut into mini-batches of about
``mini_batch_size`` bytes, or by ``partition_keys``. pandas is imported only here.

A table is read through ``Run.get_context().input_datasets[name]`` (a TabularDataset, as in
v1). Its rows are cut in order; a row's size is what the table weighs as CSV text (measured
on a sample of rows), so ``"1MB"`` means about one megabyte of the source. Unlike v1, a
mini-batch may hold rows of two files of the dataset.
"""

from __future__ import annotations

from typing import Any

from .batches import MiniBatch
from .config import DataInput

#: v1's default for tables: 1 MB of data per mini-batch.
DEFAULT_BYTES = 1024 * 1024
_SAMPLE_ROWS = 1000


def read_table(data: DataInput) -> Any:
    """The input's rows as a DataFrame."""
    from ..run import Run

    value = Run.get_context(allow_offline=False).input_datasets.get(data.name)
    if value is None or isinstance(value, str):
        raise ValueError(
            f"input {data.name!r} is not a tabular dataset in this step "
            "(give ParallelRunStep TabularDatasets, all of one type)"
        )
    return value.to_pandas_dataframe()


def bytes_per_row(frame: Any) -> float:
    """The size of a row as CSV text, measured on up to 1000 rows spread over the table."""
    if len(frame) == 0:
        return 1.0
    step = max(1, len(frame) // _SAMPLE_ROWS)
    sample = frame.iloc[::step]
    text = sample.to_csv(index=False, header=False)
    return max(1.0, len(text.encode("utf-8")) / len(sample))


def table_batches(
    inputs: list[DataInput],
    size: int | None,
    partition_keys: list[str] | None = None,
    read: Any = read_table,
) -> list[MiniBatch]:
    """The mini-batches of table inputs (``read`` gives each input's DataFrame)."""
    batches: list[MiniBatch] = []
    for data in inputs:
        frame = read(data)
        if partition_keys:
            chunks = _partitions(data, frame, partition_keys)
        else:
            rows = max(1, int((size or DEFAULT_BYTES) // bytes_per_row(frame)))
            chunks = [(None, frame.iloc[i : i + rows]) for i in range(0, len(frame), rows)]
        for partition, chunk in chunks:
            batches.append(
                MiniBatch(
                    index=len(batches),
                    input=data.name,
                    frame=chunk.reset_index(drop=True),
                    partition=partition,
                )
            )
    return batches


def _partitions(data: DataInput, frame: Any, keys: list[str]) -> list[tuple[dict[str, Any], Any]]:
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(
            f"input {data.name!r}: partition key(s) {missing} are not columns of the table "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    groups = frame.groupby(keys, sort=False, dropna=False)
    found = []
    for values, group in groups:
        row = values if isinstance(values, tuple) else (values,)
        found.append(({k: _plain(v) for k, v in zip(keys, row, strict=True)}, group))
    return found


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for logs and JSON)."""
    return value.item() if hasattr(value, "item") else value


def rows_digest(frame: Any) -> str:
    """A hash of a mini-batch's rows: columns, types and values (not the index)."""
    import hashlib

    import pandas as pd

    hasher = hashlib.blake2b(digest_size=32)
    hasher.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    values = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    hasher.update(values.tobytes())
    return hasher.hexdigest()
