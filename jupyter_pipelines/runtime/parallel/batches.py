"""Cutting the step's inputs into mini-batches, in input order.

Each input is cut separately (as in v1) and the mini-batches follow one another: first
input's, then the next's. A file input's files are sorted by their path inside the input;
``mini_batch_size`` of them make a mini-batch, or, with ``partition_keys``, the files with
the same values of those keys (read from their paths with the dataset's
``partition_format``). Tables are cut in ``tables.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from .config import DataInput

#: v1's default for file inputs: 10 files per mini-batch.
DEFAULT_FILES = 10


@dataclass
class MiniBatch:
    """One call of ``run()``: its position, input, items and what identifies its content."""

    index: int
    input: str
    #: Absolute paths (file inputs), given to ``run()`` as a list.
    files: list[str] = field(default_factory=list)
    #: Paths inside the input (file inputs): the key holds these, not the run's paths.
    rel: list[str] = field(default_factory=list)
    #: The rows (table inputs), a pandas DataFrame given to ``run()``.
    frame: Any = None
    #: Partition values, when cut by ``partition_keys``.
    partition: dict[str, Any] | None = None
    key: str | None = None

    @property
    def size(self) -> int:
        """Its number of items: files or rows."""
        return len(self.frame) if self.frame is not None else len(self.files)

    @property
    def payload(self) -> Any:
        """What ``run()`` receives."""
        return self.frame if self.frame is not None else list(self.files)

    @property
    def label(self) -> str:
        """A short description for logs: the input and its first and last items."""
        if self.partition is not None:
            return f"{self.input} {self.partition}"
        if self.frame is not None:
            return f"{self.input} ({self.size} rows)"
        if not self.rel:
            return f"{self.input} (empty)"
        last = f" .. {self.rel[-1]}" if len(self.rel) > 1 else ""
        return f"{self.input}: {self.rel[0]}{last}"


def list_files(path: str) -> list[tuple[str, str]]:
    """(path inside the input, absolute path) of every file of a file or folder, sorted."""
    if os.path.isfile(path):
        return [(os.path.basename(path), os.path.abspath(path))]
    found = []
    for folder, dirs, names in os.walk(path, followlinks=True):
        dirs.sort()
        for name in names:
            full = os.path.join(folder, name)
            if os.path.isfile(full):
                found.append((os.path.relpath(full, path).replace(os.sep, "/"), full))
            elif os.path.islink(full):  # never skipped: the step would miss its data
                raise FileNotFoundError(
                    f"{full!r} is a link to {os.readlink(full)!r}, which is not reachable "
                    "where the step runs"
                )
    return sorted(found)


def file_batches(
    inputs: list[DataInput], size: int | None, partition_keys: list[str] | None = None
) -> list[MiniBatch]:
    """The mini-batches of file inputs."""
    batches: list[MiniBatch] = []
    for data in inputs:
        files = list_files(data.path) if data.path else []
        if partition_keys:
            groups = partition_groups(data, files, partition_keys)
        else:
            step = size or DEFAULT_FILES
            groups = [(None, files[i : i + step]) for i in range(0, len(files), step)]
        for partition, chunk in groups:
            batches.append(
                MiniBatch(
                    index=len(batches),
                    input=data.name,
                    files=[full for _, full in chunk],
                    rel=[rel for rel, _ in chunk],
                    partition=partition,
                )
            )
    return batches


def partition_groups(
    data: DataInput, files: list[tuple[str, str]], keys: list[str]
) -> list[tuple[dict[str, str], list[tuple[str, str]]]]:
    """Files grouped by the values of ``keys`` in their paths, groups in first-seen order."""
    if not data.partition_format:
        raise ValueError(
            f"input {data.name!r}: partition_keys need a dataset made with partition_format "
            "(Dataset.File.from_files(path, partition_format='/{country}/*.csv'))"
        )
    pattern = partition_pattern(data.partition_format)
    missing = [k for k in keys if k not in pattern.groupindex]
    if missing:
        raise ValueError(
            f"input {data.name!r}: partition key(s) {missing} are not in its partition_format "
            f"{data.partition_format!r}"
        )
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for rel, full in files:
        match = pattern.search("/" + rel)
        if match is None:
            raise ValueError(
                f"input {data.name!r}: file {rel!r} does not match partition_format "
                f"{data.partition_format!r}"
            )
        groups.setdefault(tuple(match.group(k) for k in keys), []).append((rel, full))
    return [(dict(zip(keys, values, strict=True)), chunk) for values, chunk in groups.items()]


def partition_pattern(fmt: str) -> re.Pattern[str]:
    """A regular expression of a v1 ``partition_format`` (``/{country}/{date:yyyy}/*.csv``)."""
    parts, pos = [], 0
    for match in re.finditer(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}|\*\*|\*", fmt):
        parts.append(re.escape(fmt[pos : match.start()]))
        token = match.group(0)
        if match.group(1):
            name = match.group(1)
            parts.append(f"(?P<{name}>[^/]+)" if f"(?P<{name}>" not in "".join(parts) else "[^/]+")
        else:
            parts.append(".*" if token == "**" else "[^/]*")
        pos = match.end()
    parts.append(re.escape(fmt[pos:]))
    return re.compile("".join(parts) + "$")
