"""Experiment metadata in ``workspace.db``: each experiment's id, tags and archived state.

The run store knows an experiment by name once it has a run (its ``experiments`` table);
this table gives every experiment, with or without runs, a stable id (a UUID, as v1 gives
one), its tags and the time it was archived. A row is made when an experiment is first
opened by name, or when it is first listed after runs were recorded for it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from .side_tables import side_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiment_meta (
    name          TEXT PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    created       REAL NOT NULL,
    tags_json     TEXT NOT NULL DEFAULT '{}',
    archived_time REAL
)
"""


@dataclass
class ExperimentRecord:
    """An experiment as stored: name, id, creation time, tags, and when it was archived."""

    name: str
    id: str
    created: float
    tags: dict[str, Any] = field(default_factory=dict)
    archived_time: float | None = None

    @property
    def archived(self) -> bool:
        return self.archived_time is not None


def _record(row: Any) -> ExperimentRecord:
    try:
        tags = json.loads(row["tags_json"])
    except ValueError:
        tags = {}
    return ExperimentRecord(
        name=row["name"],
        id=row["id"],
        created=row["created"],
        tags=tags if isinstance(tags, dict) else {},
        archived_time=row["archived_time"],
    )


def _unrecorded(conn: Any) -> list[Any]:
    """Experiments of the run store (name, created) that have no row here yet."""
    return list(
        conn.execute(
            "SELECT e.name, e.created FROM experiments e"
            " LEFT JOIN experiment_meta m ON m.name = e.name WHERE m.name IS NULL"
        ).fetchall()
    )


class ExperimentStore:
    """The experiment metadata of one workspace database."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)

    def get(self, name: str) -> ExperimentRecord | None:
        """The experiment named ``name``, or None when it was never opened nor run."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute("SELECT * FROM experiment_meta WHERE name = ?", (name,)).fetchone()
        return _record(row) if row is not None else None

    def get_or_create(self, name: str) -> ExperimentRecord:
        """The experiment named ``name``, recorded now when it is new."""
        found = self.get(name)
        if found is not None:
            return found
        with side_transaction(self.db_path, SCHEMA) as conn:
            created = conn.execute(
                "SELECT created FROM experiments WHERE name = ?", (name,)
            ).fetchone()
            conn.execute(
                "INSERT OR IGNORE INTO experiment_meta (name, id, created) VALUES (?, ?, ?)",
                (name, str(uuid.uuid4()), created["created"] if created else time.time()),
            )
        record = self.get(name)
        assert record is not None
        return record

    def by_id(self, experiment_id: str) -> ExperimentRecord | None:
        """The experiment whose id is ``experiment_id``, or None."""
        self.all()  # experiments known only from their runs get their id here
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute(
                "SELECT * FROM experiment_meta WHERE id = ?", (experiment_id,)
            ).fetchone()
        return _record(row) if row is not None else None

    def all(self) -> list[ExperimentRecord]:
        """Every experiment, oldest first: those opened by name and those with runs."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            missing = _unrecorded(conn)
        if missing:  # experiments known only from their runs get their row (and id) now
            with side_transaction(self.db_path, SCHEMA) as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO experiment_meta (name, id, created) VALUES (?, ?, ?)",
                    [(r["name"], str(uuid.uuid4()), r["created"]) for r in _unrecorded(conn)],
                )
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute("SELECT * FROM experiment_meta ORDER BY created, name").fetchall()
        return [_record(r) for r in rows]

    def update_tags(
        self, name: str, set_tags: dict[str, Any] | None = None, remove: list[str] | None = None
    ) -> ExperimentRecord:
        """Set and remove tags of experiment ``name`` in one transaction; the new record."""
        self.get_or_create(name)
        with side_transaction(self.db_path, SCHEMA) as conn:
            row = conn.execute(
                "SELECT tags_json FROM experiment_meta WHERE name = ?", (name,)
            ).fetchone()
            tags = json.loads(row["tags_json"]) if row else {}
            tags = tags if isinstance(tags, dict) else {}
            tags.update(set_tags or {})
            for key in remove or ():
                tags.pop(key, None)
            conn.execute(
                "UPDATE experiment_meta SET tags_json = ? WHERE name = ?",
                (json.dumps(tags), name),
            )
        return self._must_get(name)

    def set_archived(self, name: str, archived: bool) -> ExperimentRecord:
        """Archive experiment ``name`` (now) or make it active again; the new record."""
        self.get_or_create(name)
        with side_transaction(self.db_path, SCHEMA) as conn:
            conn.execute(
                "UPDATE experiment_meta SET archived_time = ? WHERE name = ?",
                (time.time() if archived else None, name),
            )
        return self._must_get(name)

    def run_count(self, name: str) -> int:
        """How many runs experiment ``name`` has."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS n FROM runs WHERE experiment = ?", (name,)
            ).fetchone()
        return int(row["n"])

    def delete(self, name: str) -> None:
        """Forget experiment ``name``; refused (StoreError) while it has runs."""
        with side_transaction(self.db_path, SCHEMA) as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS n FROM runs WHERE experiment = ?", (name,)
            ).fetchone()
            if row["n"]:
                raise StoreError(
                    f"experiment {name!r} has {row['n']} run(s) and cannot be deleted: runs "
                    "are kept, since later runs may reuse their results; archive it instead "
                    "(Experiment.archive()) to hide it from Experiment.list()"
                )
            conn.execute("DELETE FROM experiment_meta WHERE name = ?", (name,))
            conn.execute("DELETE FROM experiments WHERE name = ?", (name,))

    def _must_get(self, name: str) -> ExperimentRecord:
        record = self.get(name)
        if record is None:
            raise StoreError(f"experiment {name!r} vanished from {str(self.db_path)!r}")
        return record
