"""The dataset registry: versions of named datasets in the workspace's ``datasets`` table
(``schema.sql``), and the definitions of datasets by id.

Versions of one name count from 1; a new version is numbered inside the write transaction,
so two processes registering at once get two different versions. Every dataset that is
registered or used by a submitted run is recorded by its id in ``dataset_ids`` (a side
table of ``workspace.db``, created on first use), so that ``Dataset.get_by_id`` finds it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DatasetError, UnknownDatasetError, did_you_mean
from .side_tables import side_transaction
from .workspace_like import WorkspaceLike

if TYPE_CHECKING:
    from .runstore import RunStore

#: Datasets by id: a definition, and the registered name and version when there is one.
ID_SCHEMA = """
CREATE TABLE IF NOT EXISTS dataset_ids (
    id              TEXT PRIMARY KEY,
    definition_json TEXT NOT NULL,
    name            TEXT,
    version         INTEGER,
    created         REAL NOT NULL
)
"""


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,254}$")


@dataclass
class DatasetRecord:
    """One registered version: its definition and the content it pinned."""

    name: str
    version: int
    kind: str
    definition: dict[str, Any]
    content_hash: str
    files: dict[str, str]
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> DatasetRecord:
        return cls(
            name=row["name"],
            version=row["version"],
            kind=row["kind"],
            definition=json.loads(row["definition_json"]),
            content_hash=row["content_hash"],
            files=json.loads(row["files_json"]),
            description=row["description"],
            tags=json.loads(row["tags_json"]),
            created=row["created"],
        )


def check_name(name: object) -> str:
    """``name`` when it is a valid dataset name (letters, digits, ' ', '_', '.', '-')."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise DatasetError(
            f"invalid dataset name {name!r}: use letters, digits, spaces, '_', '.' and '-' "
            "(starting with a letter or digit, at most 255 characters)"
        )
    return name


def _store(workspace: WorkspaceLike) -> RunStore:
    """The run store, whose schema holds the datasets table."""
    return workspace.run_store


def all_latest(workspace: WorkspaceLike) -> dict[str, DatasetRecord]:
    """The latest version of every registered dataset, by name."""
    rows = _store(workspace)._query(
        "SELECT d.* FROM datasets d JOIN (SELECT name, MAX(version) AS v FROM datasets"
        " GROUP BY name) m ON d.name = m.name AND d.version = m.v ORDER BY d.name"
    )
    return {row["name"]: DatasetRecord.from_row(row) for row in rows}


def versions(workspace: WorkspaceLike, name: str) -> list[int]:
    """The registered versions of ``name``, oldest first (empty when unknown)."""
    rows = _store(workspace)._query(
        "SELECT version FROM datasets WHERE name = ? ORDER BY version", (name,)
    )
    return [row["version"] for row in rows]


def load(workspace: WorkspaceLike, name: str, version: int | None = None) -> DatasetRecord:
    """Version ``version`` (None: the latest) of ``name``; UnknownDatasetError names what exists."""
    store = _store(workspace)
    if version is None:
        rows = store._query(
            "SELECT * FROM datasets WHERE name = ? ORDER BY version DESC LIMIT 1", (name,)
        )
    else:
        rows = store._query(
            "SELECT * FROM datasets WHERE name = ? AND version = ?", (name, version)
        )
    if rows:
        return DatasetRecord.from_row(rows[0])
    known = versions(workspace, name)
    if not known:
        names = [r["name"] for r in store._query("SELECT DISTINCT name FROM datasets")]
        raise UnknownDatasetError(
            f"no dataset {name!r} is registered in workspace {str(workspace.root)!r}"
            f"{did_you_mean(name, names)}; known: {', '.join(sorted(names)) or 'none'}"
        )
    raise UnknownDatasetError(
        f"dataset {name!r} has no version {version}; known versions: {', '.join(map(str, known))}"
    )


def add_version(
    workspace: WorkspaceLike, record: DatasetRecord, create_new_version: bool
) -> tuple[DatasetRecord, bool]:
    """Register ``record`` as the next version of its name; returns (record, created).

    The latest version is returned instead when its definition is the same and either
    ``create_new_version`` is False or its pinned content is the same too. A different
    definition without ``create_new_version`` is refused.
    """
    check_name(record.name)
    with _store(workspace).transaction() as tx:
        row = tx.execute(
            "SELECT * FROM datasets WHERE name = ? ORDER BY version DESC LIMIT 1", (record.name,)
        ).fetchone()
        latest = DatasetRecord.from_row(row) if row is not None else None
        if latest is not None:
            same = _canonical(latest.definition) == _canonical(record.definition)
            if same and (not create_new_version or latest.content_hash == record.content_hash):
                return latest, False
            if not create_new_version:
                raise DatasetError(
                    f"dataset {record.name!r} is already registered (version "
                    f"{latest.version}) with a different definition; pass "
                    "create_new_version=True to register a new version"
                )
        record.version = latest.version + 1 if latest is not None else 1
        tx.execute(
            "INSERT INTO datasets (name, version, kind, definition_json, content_hash,"
            " files_json, description, tags_json, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.name,
                record.version,
                record.kind,
                json.dumps(record.definition, sort_keys=True),
                record.content_hash,
                json.dumps(record.files, sort_keys=True),
                record.description,
                json.dumps(record.tags, sort_keys=True),
                record.created,
            ),
        )
    return record, True


def _canonical(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def update_version(
    workspace: WorkspaceLike,
    name: str,
    version: int,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> DatasetRecord:
    """Set the description and/or tags of one registered version; returns it updated."""
    load(workspace, name, version)  # UnknownDatasetError names what exists
    with _store(workspace).transaction() as tx:
        if description is not None:
            tx.execute(
                "UPDATE datasets SET description = ? WHERE name = ? AND version = ?",
                (description, name, version),
            )
        if tags is not None:
            tx.execute(
                "UPDATE datasets SET tags_json = ? WHERE name = ? AND version = ?",
                (json.dumps(tags, sort_keys=True), name, version),
            )
    return load(workspace, name, version)


def delete_all_versions(workspace: WorkspaceLike, name: str) -> int:
    """Unregister every version of ``name``; returns how many there were."""
    with _store(workspace).transaction() as tx:
        count = tx.execute("DELETE FROM datasets WHERE name = ?", (name,)).rowcount
    with side_transaction(workspace.dir / "workspace.db", ID_SCHEMA) as tx:
        tx.execute("UPDATE dataset_ids SET name = NULL, version = NULL WHERE name = ?", (name,))
    return int(count)


# -- datasets by id --------------------------------------------------------------------------
def record_id(
    workspace: WorkspaceLike,
    dataset_id: str,
    definition: dict[str, Any],
    name: str | None = None,
    version: int | None = None,
) -> None:
    """Remember ``dataset_id`` (the first record of an id wins: ids name one definition)."""
    with side_transaction(workspace.dir / "workspace.db", ID_SCHEMA) as tx:
        tx.execute(
            "INSERT OR IGNORE INTO dataset_ids (id, definition_json, name, version, created)"
            " VALUES (?, ?, ?, ?, ?)",
            (dataset_id, _canonical(definition), name, version, time.time()),
        )


def find_id(
    workspace: WorkspaceLike, dataset_id: str
) -> tuple[dict[str, Any], str | None, int | None] | None:
    """(definition, name, version) recorded for ``dataset_id``, or None."""
    with side_transaction(workspace.dir / "workspace.db", ID_SCHEMA, write=False) as conn:
        row = conn.execute(
            "SELECT definition_json, name, version FROM dataset_ids WHERE id = ?", (dataset_id,)
        ).fetchone()
    if row is None:
        return None
    return json.loads(row["definition_json"]), row["name"], row["version"]


def all_versions(workspace: WorkspaceLike) -> list[DatasetRecord]:
    """Every registered version of every dataset (for look-ups by id of older records)."""
    rows = _store(workspace)._query("SELECT * FROM datasets ORDER BY name, version")
    return [DatasetRecord.from_row(row) for row in rows]
