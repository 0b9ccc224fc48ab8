"""The datastore registry: registrations of datastores in the workspace's ``datastores``
table (see ``schema.sql``), as plain records.

The backend classes that turn a record into a datastore are found in ``datastores.py``,
which imports this module (never the reverse).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatastoreError, UnknownDatastoreError, did_you_mean
from .workspace_like import WorkspaceLike

#: The workspace's own datastores: folders under ``.pipelines/datastores/``, always present.
BUILTIN_TYPES = {"workspaceblobstore": "AzureBlob", "workspacefilestore": "AzureFile"}
DEFAULT_NAME = "workspaceblobstore"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


def scheme_of(url: str) -> str:
    """The URL's scheme, ``file`` for plain paths (a Windows drive letter is not a scheme)."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep and len(head) > 1 else "file"


# -- registrations -------------------------------------------------------------------
@dataclass
class DatastoreRecord:
    """One registered datastore as stored; ``url`` is None for the built-in ones."""

    name: str
    url: str | None
    storage_options: dict[str, Any] = field(default_factory=dict)
    datastore_type: str = "Fsspec"
    is_default: bool = False
    created: float = field(default_factory=time.time)


def check_name(name: object) -> str:
    """``name`` when it is a valid datastore name (v1: letters, digits, '_' and '-')."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise DatastoreError(
            f"invalid datastore name {name!r}: use letters, digits, '_' and '-' "
            "(starting with a letter or digit, at most 255 characters)"
        )
    return name


def load_records(workspace: WorkspaceLike) -> dict[str, DatastoreRecord]:
    """Every datastore of ``workspace`` by name, the built-in ones included."""
    rows = workspace.run_store._query("SELECT * FROM datastores ORDER BY name")
    records = {
        name: DatastoreRecord(name, None, {}, kind, False, 0.0)
        for name, kind in BUILTIN_TYPES.items()
    }
    for row in rows:
        records[row["name"]] = DatastoreRecord(
            name=row["name"],
            url=row["url"],
            storage_options=json.loads(row["options_json"] or "{}"),
            datastore_type=BUILTIN_TYPES.get(row["name"], row["datastore_type"]),
            is_default=bool(row["is_default"]),
            created=row["created"],
        )
    if not any(r.is_default for r in records.values()):
        records[DEFAULT_NAME].is_default = True
    return records


def load_record(workspace: WorkspaceLike, name: str) -> DatastoreRecord:
    """The datastore ``name`` of ``workspace``, or UnknownDatastoreError listing the known ones."""
    records = load_records(workspace)
    if name not in records:
        raise UnknownDatastoreError(
            f"no datastore {name!r} in workspace {str(workspace.root)!r}"
            f"{did_you_mean(str(name), records)}; known: {', '.join(sorted(records))}"
        )
    return records[name]


def default_record(workspace: WorkspaceLike) -> DatastoreRecord:
    """The workspace's default datastore (``workspaceblobstore`` unless another was set)."""
    return next(r for r in load_records(workspace).values() if r.is_default)


def local_folders(workspace: WorkspaceLike) -> dict[str, Path]:
    """The folder of each datastore of ``workspace`` that is a local folder, by name (the
    built-in ones included); read from the records, without opening any file system."""
    folders = {}
    for name, record in load_records(workspace).items():
        url = record.url
        if url is None:
            folders[name] = workspace.datastores_dir / name
        elif scheme_of(url) in ("file", "local"):
            path = url.partition("://")[2] if "://" in url else url
            folders[name] = Path(path).expanduser()
    return folders


def save_record(workspace: WorkspaceLike, record: DatastoreRecord, overwrite: bool) -> None:
    """Register ``record``; an existing name is replaced only with ``overwrite``."""
    if record.name in BUILTIN_TYPES:
        raise DatastoreError(f"{record.name!r} is a built-in datastore of the workspace")
    with workspace.run_store.transaction() as tx:
        row = tx.execute("SELECT url FROM datastores WHERE name = ?", (record.name,)).fetchone()
        if row is not None and not overwrite:
            raise DatastoreError(
                f"datastore {record.name!r} is already registered (to {row['url']!r}); "
                "pass overwrite=True to replace it"
            )
        tx.execute(
            "INSERT INTO datastores (name, url, options_json, datastore_type, is_default, created)"
            " VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
            " options_json = excluded.options_json, datastore_type = excluded.datastore_type",
            (
                record.name,
                record.url,
                json.dumps(record.storage_options),
                record.datastore_type,
                record.created,
            ),
        )


def delete_record(workspace: WorkspaceLike, name: str) -> None:
    """Unregister ``name``; the default moves back to ``workspaceblobstore`` if it was ``name``."""
    if name in BUILTIN_TYPES:
        raise DatastoreError(f"{name!r} is a built-in datastore and cannot be unregistered")
    with workspace.run_store.transaction() as tx:
        if tx.execute("DELETE FROM datastores WHERE name = ?", (name,)).rowcount == 0:
            raise UnknownDatastoreError(f"no datastore {name!r} is registered")


def set_default(workspace: WorkspaceLike, name: str) -> None:
    """Make ``name`` the workspace's default datastore."""
    load_record(workspace, name)
    with workspace.run_store.transaction() as tx:
        if name in BUILTIN_TYPES:
            tx.execute(
                "INSERT OR IGNORE INTO datastores (name, url, options_json, datastore_type,"
                " is_default, created) VALUES (?, NULL, '{}', ?, 0, ?)",
                (name, BUILTIN_TYPES[name], time.time()),
            )
        tx.execute("UPDATE datastores SET is_default = (name = ?)", (name,))
