"""Schedules in ``workspace.db``: what each schedule submits and when, and every time one
fired (its due time, the run it started or why none started).

A schedule row holds its published pipeline (or endpoint), experiment, parameters and either
a recurrence (``recurrence_json``) or a datastore path to watch. ``next_due`` is the next
time it is due: the next fire of a recurrence, the next poll of a datastore. A fire is
*claimed* by moving ``next_due`` on with a compare-and-set in the same transaction that
records the fire (``schedule_fires``), so a due time is fired once even when several
schedulers look at it at the same moment. The tables are created with ``CREATE TABLE IF
NOT EXISTS`` beside the run store's schema, like the other side tables.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError, UnknownScheduleError
from .side_tables import side_transaction

ACTIVE, DISABLED = "Active", "Disabled"
STATUSES = (ACTIVE, DISABLED)
RECURRENCE, DATASTORE = "Recurrence", "DataStore"

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    description              TEXT,
    status                   TEXT NOT NULL DEFAULT 'Active',
    pipeline_id              TEXT,
    pipeline_endpoint_id     TEXT,
    experiment_name          TEXT NOT NULL,
    parameters_json          TEXT NOT NULL DEFAULT '{}',
    continue_on_step_failure INTEGER,
    recurrence_json          TEXT,
    anchor                   REAL NOT NULL,
    datastore_name           TEXT,
    path_on_datastore        TEXT,
    polling_interval         INTEGER,
    data_path_parameter_name TEXT,
    next_due                 REAL,
    watch_json               TEXT NOT NULL DEFAULT '{}',
    watch_version            INTEGER NOT NULL DEFAULT 0,
    created                  REAL NOT NULL,
    updated                  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_fires (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id  TEXT NOT NULL,
    due          REAL NOT NULL,
    missed_since REAL,
    fired        REAL NOT NULL,
    trigger      TEXT NOT NULL,
    changed_path TEXT,
    holder       TEXT,
    run_id       TEXT,
    experiment   TEXT,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS schedule_fires_by_schedule ON schedule_fires(schedule_id, id);
CREATE TABLE IF NOT EXISTS scheduler_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    pid_started REAL NOT NULL,
    acquired    REAL NOT NULL,
    renewed     REAL NOT NULL,
    expires     REAL NOT NULL
)
"""
#: The one row of ``scheduler_lease``: the workspace's scheduler.
LEASE = "scheduler"

#: Columns ``update`` may change, with how each is stored.
_UPDATABLE = {
    "name": None,
    "description": None,
    "status": None,
    "experiment_name": None,
    "parameters": "parameters_json",
    "continue_on_step_failure": None,
    "recurrence": "recurrence_json",
    "anchor": None,
    "datastore_name": None,
    "path_on_datastore": None,
    "polling_interval": None,
    "data_path_parameter_name": None,
    "next_due": None,
    "watch": "watch_json",
}


@dataclass
class ScheduleRecord:
    """A schedule as stored. ``recurrence`` is a ScheduleRecurrence's ``to_dict()`` (None for
    a datastore schedule); ``anchor`` the unix time its recurrence counts from; ``watch`` the
    files last seen under the watched path (path -> what identifies their content)."""

    id: str
    name: str
    experiment_name: str
    anchor: float
    description: str | None = None
    status: str = ACTIVE
    pipeline_id: str | None = None
    pipeline_endpoint_id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    continue_on_step_failure: bool | None = None
    recurrence: dict[str, Any] | None = None
    datastore_name: str | None = None
    path_on_datastore: str | None = None
    polling_interval: int | None = None
    data_path_parameter_name: str | None = None
    next_due: float | None = None
    watch: dict[str, Any] = field(default_factory=dict)
    watch_version: int = 0
    created: float = 0.0
    updated: float = 0.0

    @property
    def kind(self) -> str:
        """v1's schedule type: ``Recurrence`` or ``DataStore``."""
        return RECURRENCE if self.recurrence is not None else DATASTORE

    @classmethod
    def from_row(cls, row: Any) -> ScheduleRecord:
        cosf = row["continue_on_step_failure"]
        recurrence = row["recurrence_json"]
        return cls(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            status=row["status"],
            pipeline_id=row["pipeline_id"],
            pipeline_endpoint_id=row["pipeline_endpoint_id"],
            experiment_name=row["experiment_name"],
            parameters=json.loads(row["parameters_json"]),
            continue_on_step_failure=None if cosf is None else bool(cosf),
            recurrence=json.loads(recurrence) if recurrence else None,
            anchor=row["anchor"],
            datastore_name=row["datastore_name"],
            path_on_datastore=row["path_on_datastore"],
            polling_interval=row["polling_interval"],
            data_path_parameter_name=row["data_path_parameter_name"],
            next_due=row["next_due"],
            watch=json.loads(row["watch_json"]),
            watch_version=row["watch_version"],
            created=row["created"],
            updated=row["updated"],
        )


@dataclass
class FireRecord:
    """One time a schedule fired: the due time it stands for (``missed_since``: the first
    due time it also stands for, when fires were missed while no scheduler ran), what
    triggered it (``Recurrence``, or ``DataStore`` with the ``changed_path``), and the run
    it started (``run_id``) or why none started (``error``)."""

    schedule_id: str
    due: float
    trigger: str
    fired: float = 0.0
    missed_since: float | None = None
    changed_path: str | None = None
    holder: str | None = None
    run_id: str | None = None
    experiment: str | None = None
    error: str | None = None
    id: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> FireRecord:
        return cls(**dict(row))


class ScheduleStore:
    """The schedules of one workspace (``.pipelines/``) and their fires."""

    def __init__(self, workspace_dir: str | Path) -> None:
        self.db_path = Path(workspace_dir) / "workspace.db"

    # -- schedules -------------------------------------------------------------------------
    def create(self, record: ScheduleRecord) -> ScheduleRecord:
        """Record a new schedule (one INSERT)."""
        record.created = record.updated = time.time()
        values = _columns(record)
        names, marks = ", ".join(values), ", ".join("?" for _ in values)
        with self._write(f"create schedule {record.name!r}") as conn:
            conn.execute(
                f"INSERT INTO schedules ({names}) VALUES ({marks})", tuple(values.values())
            )
        return record

    def get(self, schedule_id: str) -> ScheduleRecord | None:
        """The schedule with id ``schedule_id``, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM schedules WHERE id = ?", (schedule_id,)).fetchone()
        return ScheduleRecord.from_row(row) if row is not None else None

    def all(
        self,
        active_only: bool = False,
        pipeline_id: str | None = None,
        pipeline_endpoint_id: str | None = None,
    ) -> list[ScheduleRecord]:
        """The schedules (Active ones only, of a published pipeline, of an endpoint), oldest
        first."""
        sql, args = "SELECT * FROM schedules WHERE 1", []
        if active_only:
            sql += " AND status = ?"
            args.append(ACTIVE)
        if pipeline_id is not None:
            sql += " AND pipeline_id = ?"
            args.append(pipeline_id)
        if pipeline_endpoint_id is not None:
            sql += " AND pipeline_endpoint_id = ?"
            args.append(pipeline_endpoint_id)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY created, id", tuple(args)).fetchall()
        return [ScheduleRecord.from_row(r) for r in rows]

    def any_active(self) -> bool:
        """Whether any schedule is Active (a scheduler with nothing to do stays idle)."""
        with self._read() as conn:
            row = conn.execute("SELECT 1 FROM schedules WHERE status = ? LIMIT 1", (ACTIVE,))
            return row.fetchone() is not None

    def update(self, schedule_id: str, **changes: Any) -> ScheduleRecord:
        """Change the given fields of a schedule in one transaction (a new watch bumps its
        version, so that a poll that read the old one cannot overwrite it)."""
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise StoreError(f"schedule fields {sorted(unknown)} cannot be changed")
        if "status" in changes and changes["status"] not in STATUSES:
            raise StoreError(f"status {changes['status']!r} is not one of {', '.join(STATUSES)}")
        sets, args = ["updated = ?"], [time.time()]
        for key, value in changes.items():
            column = _UPDATABLE[key] or key
            sets.append(f"{column} = ?")
            args.append(_stored(key, value))
        if "watch" in changes:
            sets.append("watch_version = watch_version + 1")
        with self._write(f"change schedule {schedule_id!r}") as conn:
            changed = conn.execute(
                f"UPDATE schedules SET {', '.join(sets)} WHERE id = ?", (*args, schedule_id)
            ).rowcount
        if not changed:
            raise UnknownScheduleError(f"schedule {schedule_id!r} does not exist")
        found = self.get(schedule_id)
        assert found is not None
        return found

    def delete(self, schedule_id: str) -> None:
        """Remove a schedule and its fire history (the runs it started stay)."""
        with self._write(f"delete schedule {schedule_id!r}") as conn:
            gone = conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount
            conn.execute("DELETE FROM schedule_fires WHERE schedule_id = ?", (schedule_id,))
        if not gone:
            raise UnknownScheduleError(f"schedule {schedule_id!r} does not exist")

    # -- claiming fires --------------------------------------------------------------------
    def claim(
        self,
        schedule_id: str,
        due: float,
        next_due: float | None,
        fires: list[FireRecord],
        holder: str | None = None,
    ) -> list[FireRecord] | None:
        """Move an Active schedule's ``next_due`` from ``due`` to ``next_due`` and record
        ``fires``, in one transaction; None (nothing written) when the schedule is no longer
        Active, another scheduler moved it first, or ``holder`` (when given) no longer holds
        the scheduler lease. The fires come back with their ids."""
        with self._write(f"fire schedule {schedule_id!r}") as conn:
            if holder is not None and not _holds(conn, holder):
                return None
            return self._claim(conn, schedule_id, due, next_due, fires)

    def claim_poll(
        self,
        schedule_id: str,
        due: float,
        next_due: float,
        version: int,
        watch: dict[str, Any] | None,
        fires: list[FireRecord],
        holder: str | None = None,
    ) -> list[FireRecord] | None:
        """``claim`` for a datastore schedule's poll: also replaces its watch when it is still
        at ``version`` (the one the poll compared with) and ``watch`` is given."""
        with self._write(f"record a poll of schedule {schedule_id!r}") as conn:
            if holder is not None and not _holds(conn, holder):
                return None
            if watch is not None:
                changed = conn.execute(
                    "UPDATE schedules SET watch_json = ?, watch_version = watch_version + 1 "
                    "WHERE id = ? AND watch_version = ? AND next_due = ? AND status = ?",
                    (json.dumps(watch), schedule_id, version, due, ACTIVE),
                ).rowcount
                if not changed:
                    return None
            return self._claim(conn, schedule_id, due, next_due, fires)

    @staticmethod
    def _claim(
        conn: sqlite3.Connection,
        schedule_id: str,
        due: float,
        next_due: float | None,
        fires: list[FireRecord],
    ) -> list[FireRecord] | None:
        now = time.time()
        moved = conn.execute(
            "UPDATE schedules SET next_due = ?, updated = ? "
            "WHERE id = ? AND status = ? AND next_due = ?",
            (next_due, now, schedule_id, ACTIVE, due),
        ).rowcount
        if not moved:
            return None
        for fire in fires:
            fire.fired = fire.fired or now
            values = {k: v for k, v in fire.__dict__.items() if k != "id"}
            names, marks = ", ".join(values), ", ".join("?" for _ in values)
            cursor = conn.execute(
                f"INSERT INTO schedule_fires ({names}) VALUES ({marks})", tuple(values.values())
            )
            fire.id = cursor.lastrowid
        return fires

    def finish_fire(
        self,
        fire_id: int,
        run_id: str | None = None,
        experiment: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the run a fire started, or why it started none."""
        with self._write(f"record schedule fire {fire_id}") as conn:
            conn.execute(
                "UPDATE schedule_fires SET run_id = ?, experiment = ?, error = ? WHERE id = ?",
                (run_id, experiment, error, fire_id),
            )

    def fires(self, schedule_id: str, limit: int | None = None) -> list[FireRecord]:
        """The fires of a schedule, newest first."""
        sql = "SELECT * FROM schedule_fires WHERE schedule_id = ? ORDER BY id DESC"
        args: tuple[Any, ...] = (schedule_id,)
        if limit is not None:
            sql += " LIMIT ?"
            args += (int(limit),)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [FireRecord.from_row(r) for r in rows]

    # -- helpers ---------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            yield conn

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """A write transaction; SQLite errors become StoreErrors naming ``what``."""
        try:
            with side_transaction(self.db_path, SCHEMA) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"cannot {what}: {exc}") from exc


def _holds(conn: sqlite3.Connection, holder: str) -> bool:
    row = conn.execute(
        "SELECT holder, expires FROM scheduler_lease WHERE name = ?", (LEASE,)
    ).fetchone()
    return row is not None and row["holder"] == holder and row["expires"] >= time.time()


def _stored(key: str, value: Any) -> Any:
    if key in ("parameters", "watch"):
        return json.dumps(value or {})
    if key == "recurrence":
        return json.dumps(value) if value is not None else None
    if key == "continue_on_step_failure":
        return None if value is None else int(bool(value))
    return value


def _columns(record: ScheduleRecord) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        column = _UPDATABLE.get(key) or key
        values[column] = _stored(key, value)
    return values


__all__ = [
    "ACTIVE",
    "DATASTORE",
    "DISABLED",
    "LEASE",
    "RECURRENCE",
    "SCHEMA",
    "FireRecord",
    "ScheduleRecord",
    "ScheduleStore",
]
