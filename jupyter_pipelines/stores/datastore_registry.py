"""The datastore registry: backends by URL scheme (entry points) and registrations in SQLite.

Backends are classes found through the ``jupyter_pipelines.datastores`` entry-point group,
one entry per URL scheme; the entry named ``fsspec`` serves every other scheme that fsspec
knows. Registrations live in the workspace's ``datastores`` table (see ``schema.sql``).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ..errors import DatastoreError, UnknownDatastoreError, did_you_mean

if TYPE_CHECKING:
    from .datastores import Datastore
    from .workspace import Workspace

GROUP = "jupyter_pipelines.datastores"
#: Entry name of the backend used for any scheme without an entry of its own.
FALLBACK = "fsspec"
_FSSPEC = "jupyter_pipelines.stores.datastores:FsspecDatastore"
#: Used when the package runs from a source tree without installed metadata.
_BUILTIN = {"file": _FSSPEC, "local": _FSSPEC, "memory": _FSSPEC, FALLBACK: _FSSPEC}
#: Schemes whose fsspec implementation lives in a package not named after its module.
_PACKAGES = {"smb": "smbprotocol", "sftp": "paramiko", "ssh": "paramiko", "hf": "huggingface_hub"}

#: The workspace's own datastores: folders under ``.pipelines/datastores/``, always present.
BUILTIN_TYPES = {"workspaceblobstore": "AzureBlob", "workspacefilestore": "AzureFile"}
DEFAULT_NAME = "workspaceblobstore"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


# -- backends ------------------------------------------------------------------------
@cache
def datastore_backends() -> dict[str, str]:
    """URL scheme (or ``fsspec`` for the fallback) -> 'module:Class'."""
    found = dict(_BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def scheme_of(url: str) -> str:
    """The URL's scheme, ``file`` for plain paths (a Windows drive letter is not a scheme)."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep and len(head) > 1 else "file"


def datastore_class(url: str) -> type[Datastore]:
    """The backend class for ``url``'s scheme (the ``fsspec`` entry for any other scheme).

    Whether the scheme can really be opened is checked when the file system is opened, so
    that listing datastores never fails for want of one backend's package.
    """
    backends = datastore_backends()
    module, _, attr = backends.get(scheme_of(url), backends[FALLBACK]).partition(":")
    cls: type[Datastore] = getattr(import_module(module), attr)
    return cls


def check_fsspec_scheme(scheme: str, url: str) -> None:
    """Raise DatastoreError unless fsspec can open ``scheme`` here, naming what to install."""
    import fsspec
    from fsspec.registry import known_implementations

    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:
        known = known_implementations.get(scheme, {})
        package = _PACKAGES.get(scheme) or str(known.get("class", scheme)).split(".")[0]
        raise DatastoreError(
            f"datastore URL {url!r} needs the fsspec implementation of {scheme!r}: "
            f"pip install {package} ({exc})"
        ) from exc
    except ValueError as exc:
        schemes = sorted(set(known_implementations) | set(datastore_backends()) - {FALLBACK})
        raise DatastoreError(
            f"unknown datastore URL scheme {scheme!r} in {url!r}{did_you_mean(scheme, schemes)}; "
            "no installed fsspec implementation or jupyter_pipelines.datastores entry point "
            "serves it (install the package that provides it)"
        ) from exc


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


def load_records(workspace: Workspace) -> dict[str, DatastoreRecord]:
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


def load_record(workspace: Workspace, name: str) -> DatastoreRecord:
    """The datastore ``name`` of ``workspace``, or UnknownDatastoreError listing the known ones."""
    records = load_records(workspace)
    if name not in records:
        raise UnknownDatastoreError(
            f"no datastore {name!r} in workspace {str(workspace.root)!r}"
            f"{did_you_mean(str(name), records)}; known: {', '.join(sorted(records))}"
        )
    return records[name]


def default_record(workspace: Workspace) -> DatastoreRecord:
    """The workspace's default datastore (``workspaceblobstore`` unless another was set)."""
    return next(r for r in load_records(workspace).values() if r.is_default)


def save_record(workspace: Workspace, record: DatastoreRecord, overwrite: bool) -> None:
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


def delete_record(workspace: Workspace, name: str) -> None:
    """Unregister ``name``; the default moves back to ``workspaceblobstore`` if it was ``name``."""
    if name in BUILTIN_TYPES:
        raise DatastoreError(f"{name!r} is a built-in datastore and cannot be unregistered")
    with workspace.run_store.transaction() as tx:
        if tx.execute("DELETE FROM datastores WHERE name = ?", (name,)).rowcount == 0:
            raise UnknownDatastoreError(f"no datastore {name!r} is registered")


def set_default(workspace: Workspace, name: str) -> None:
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
