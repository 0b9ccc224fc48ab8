"""The partition members of datasets (v1 ``partition_keys``, ``get_partition_key_values``):
columns that a ``partition_format`` reads from the files' paths."""

from __future__ import annotations

from typing import Any

from ..errors import DatasetError
from .tabular import Source, partition_fields, partition_values


class PartitionMembers:
    """A mixin of ``AbstractDataset``: ``self`` has ``_properties``, ``_options`` and
    ``to_path()``."""

    _properties: dict[str, Any]
    _options: dict[str, Any] | None

    def to_path(self) -> list[str]:
        raise NotImplementedError

    def _partition_format(self) -> str | None:
        fmt = self._properties.get("partition_format") or (self._options or {}).get(
            "partition_format"
        )
        return str(fmt) if fmt else None

    @property
    def partition_keys(self) -> list[str]:
        """The columns that the paths' ``partition_format`` defines."""
        fmt = self._partition_format()
        return [name for name, _ in partition_fields(fmt)] if fmt else []

    def get_partition_key_values(
        self, partition_keys: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The distinct values of ``partition_keys`` (default: all) among the files."""
        fmt = self._partition_format()
        keys = list(partition_keys or self.partition_keys)
        unknown = [k for k in keys if k not in self.partition_keys]
        if not fmt or unknown:
            raise DatasetError(
                f"unknown partition key(s) {unknown or keys}; this dataset's partition keys: "
                f"{self.partition_keys or 'none (make it with partition_format=...)'}"
            )
        seen: list[dict[str, Any]] = []
        for path in self.to_path():
            values = partition_values(fmt, Source(path, path, _no_open))
            chosen = {k: values[k] for k in keys}
            if chosen not in seen:
                seen.append(chosen)
        return seen


def _no_open() -> Any:
    raise DatasetError("partition values are read from paths, not from file contents")
