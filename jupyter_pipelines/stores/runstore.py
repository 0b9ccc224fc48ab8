"""The run store: experiments, pipeline runs, step runs, events and metrics in SQLite (WAL).

Several processes (kernels, the CLI, the server, run drivers) use one store at
once; every change is one short ``BEGIN IMMEDIATE`` transaction, so a reader
never sees half of a change.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StoreError, UnknownRunError
from . import status as st
from .records import RunRecord, StepRecord, readable_steps, step_row

log = logging.getLogger(__name__)

SCHEMA_VERSION = "6"

#: Columns added after version 1, for stores created by an older jupyter_pipelines. New
#: tables and indexes need no entry: every statement of schema.sql is idempotent and is run
#: again on an older store (version 3 added the datastores table that way).
MIGRATIONS: list[tuple[str, str, str]] = [
    ("step_runs", "snapshot_id", "TEXT"),
    ("step_runs", "fingerprint_json", "TEXT"),
    ("step_runs", "reuse_json", "TEXT NOT NULL DEFAULT '{}'"),
    ("step_runs", "git_json", "TEXT NOT NULL DEFAULT '{}'"),
    ("step_runs", "pid", "INTEGER"),
    ("step_runs", "pid_started", "REAL"),
    # version 6: where a step ran on a Dask cluster, and the cluster's dashboard
    ("step_runs", "worker", "TEXT"),
    ("step_runs", "dashboard_link", "TEXT"),
]
#: Data repairs, run once by a store older than the version given. Version 5: a run whose
#: every step was reused got no start and end time (a duration that grew for ever); it
#: started when it was submitted and ended with its last event.
REPAIRS: list[tuple[int, str]] = [
    (
        5,
        "UPDATE runs SET started = COALESCE(started, created), ended = COALESCE(ended,"
        " (SELECT MAX(ts) FROM events WHERE events.run_id = runs.id), created)"
        " WHERE status IN ('Finished', 'Failed', 'Canceled')"
        " AND (started IS NULL OR ended IS NULL)",
    ),
]
_SCHEMA = (Path(__file__).parent / "schema.sql").read_text()


def _statements(script: str) -> list[str]:
    """The statements of an SQL script, one string each (SQLite decides where each ends)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


class RunStore:
    """Access to one workspace's ``workspace.db``; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        conn = self._connect()
        if self._needs_schema(conn):
            try:
                conn.executescript(_SCHEMA)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot create run store {str(self.path)!r}: {exc}") from exc
            with self.transaction() as tx:
                tx.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (SCHEMA_VERSION,),
                )
        else:
            self._migrate(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring a store written by an older version up to SCHEMA_VERSION."""
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is not None and row["value"] == SCHEMA_VERSION:
            return
        if row is not None and int(row["value"]) > int(SCHEMA_VERSION):
            raise StoreError(
                f"run store {str(self.path)!r} was written by a newer jupyter_pipelines "
                f"(schema {row['value']}, this one reads {SCHEMA_VERSION}); upgrade it"
            )
        with self.transaction() as tx:
            for table, column, decl in MIGRATIONS:
                have = {r["name"] for r in tx.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
            for statement in _statements(_SCHEMA):
                tx.execute(statement)
            old = int(row["value"]) if row is not None else 0
            for version, repair in REPAIRS:
                if old < version:
                    tx.execute(repair)
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (SCHEMA_VERSION,),
            )

    # -- connections -----------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA busy_timeout=30000")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open run store {str(self.path)!r}: {exc}") from exc
            self._local.conn = conn
        return conn

    @staticmethod
    def _needs_schema(conn: sqlite3.Connection) -> bool:
        row = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='runs'"
        ).fetchone()
        return row is None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it is committed, or none of it."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"run store {str(self.path)!r} is not writable: {exc}") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return self._connect().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"run store query failed: {exc}") from exc

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- runs ------------------------------------------------------------------------
    def create_run(self, run: RunRecord, steps: list[StepRecord]) -> None:
        """Record a new run and all its step runs in one transaction."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO experiments (name, created) VALUES (?, ?)",
                (run.experiment, run.created),
            )
            conn.execute(
                "INSERT INTO runs (id, experiment, status, created, started, ended, description,"
                " pipeline_file, pipeline_json, parameters_json, tags_json, options_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.id,
                    run.experiment,
                    run.status,
                    run.created,
                    run.started,
                    run.ended,
                    run.description,
                    run.pipeline_file,
                    json.dumps(run.pipeline),
                    json.dumps(run.parameters),
                    json.dumps(run.tags),
                    json.dumps(run.options),
                ),
            )
            conn.executemany(
                "INSERT INTO step_runs (id, run_id, name, position, status, target,"
                " depends_json, spec_json, step_dir, fingerprint, reused_from, outputs_json,"
                " started, ended, exit_code, error, snapshot_id, fingerprint_json, reuse_json,"
                " git_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [step_row(s) for s in steps],
            )
            self._event(conn, run.id, None, "run", run.status, "run submitted")

    def get_run(self, run_id: str) -> RunRecord:
        """The run with id ``run_id`` or a unique prefix of it."""
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows and run_id:
            rows = self._query(
                "SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                (run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
            )
            if len(rows) > 1:
                raise UnknownRunError(f"run id prefix {run_id!r} is ambiguous; give more of it")
        if not rows:
            raise UnknownRunError(
                f"no run {run_id!r} in {str(self.path)!r}; list runs with 'jupyter-pipelines runs'"
            )
        return RunRecord.from_row(rows[0])

    def list_runs(
        self,
        experiment: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
        pipeline_file: str | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first, optionally filtered."""
        where, args = [], []
        for column, value in (
            ("experiment", experiment),
            ("status", status),
            ("pipeline_file", pipeline_file),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC LIMIT ? OFFSET ?"
        return [RunRecord.from_row(r) for r in self._query(sql, (*args, limit, offset))]

    def list_experiments(self) -> list[str]:
        """Names of all experiments, oldest first."""
        return [r["name"] for r in self._query("SELECT name FROM experiments ORDER BY created")]

    def update_run(self, run_id: str, *, event: str | None = None, **fields: Any) -> None:
        """Change fields of a run; a status change is also recorded as an event."""
        with self.transaction() as conn:
            self._update(conn, "runs", "id = ?", (run_id,), fields)
            if "status" in fields:
                message = event or fields.get("error")
                self._event(conn, run_id, None, "run", fields["status"], message)

    def set_run_status_if(
        self,
        run_id: str,
        expected: frozenset[str] | set[str],
        message: str | None = None,
        **fields: Any,
    ) -> bool:
        """Change a run's fields only if its status is in ``expected``; True when changed."""
        with self.transaction() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None or row["status"] not in expected:
                return False
            self._update(conn, "runs", "id = ?", (run_id,), fields)
            if "status" in fields:
                self._event(conn, run_id, None, "run", fields["status"], message)
            return True

    def fail_unfinished_run(self, run_id: str, reason: str) -> list[StepRecord] | None:
        """Mark an unfinished run and its unfinished step runs Failed with ``reason``, in one
        transaction (no reader sees the run failed and a step still running); the step runs
        that were unfinished, or None when the run had ended (nothing changed)."""
        now = time.time()
        failed = {"status": st.FAILED, "ended": now, "error": reason}
        with self.transaction() as conn:
            row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None or row["status"] in st.TERMINAL:
                return None
            self._update(conn, "runs", "id = ?", (run_id,), failed)
            self._event(conn, run_id, None, "run", st.FAILED, reason)
            rows = conn.execute(
                "SELECT * FROM step_runs WHERE run_id = ? ORDER BY position", (run_id,)
            ).fetchall()
            steps = [s for s in map(StepRecord.from_row, rows) if s.status not in st.TERMINAL]
            for step in steps:
                self._update(conn, "step_runs", "id = ?", (step.id,), failed)
                self._event(conn, run_id, step.name, "step", st.FAILED, reason)
        return steps

    # -- steps -----------------------------------------------------------------------
    def get_steps(self, run_id: str) -> list[StepRecord]:
        """The step runs of a run, in pipeline order."""
        rows = self._query("SELECT * FROM step_runs WHERE run_id = ? ORDER BY position", (run_id,))
        return [StepRecord.from_row(r) for r in rows]

    def get_step(self, run_id: str, name: str) -> StepRecord:
        """One step run of a run, by step name."""
        rows = self._query("SELECT * FROM step_runs WHERE run_id = ? AND name = ?", (run_id, name))
        if not rows:
            from ..errors import did_you_mean

            names = [s.name for s in self.get_steps(run_id)]
            raise UnknownRunError(f"run {run_id!r} has no step {name!r}{did_you_mean(name, names)}")
        return StepRecord.from_row(rows[0])

    def get_step_run(self, step_run_id: str) -> StepRecord:
        """A step run by its own id."""
        rows = self._query("SELECT * FROM step_runs WHERE id = ?", (step_run_id,))
        if not rows:
            raise UnknownRunError(f"no step run {step_run_id!r}")
        return StepRecord.from_row(rows[0])

    def update_step(
        self, run_id: str, name: str, *, message: str | None = None, **fields: Any
    ) -> None:
        """Change fields of a step run; a status change is also recorded as an event."""
        with self.transaction() as conn:
            self._update(conn, "step_runs", "run_id = ? AND name = ?", (run_id, name), fields)
            if "status" in fields:
                self._event(conn, run_id, name, "step", fields["status"], message)

    # -- reuse -----------------------------------------------------------------------
    def reuse_candidates(self, fingerprint: str, limit: int = 5) -> list[StepRecord]:
        """Successful step runs that computed ``fingerprint`` themselves, newest first."""
        rows = self._query(
            "SELECT * FROM step_runs WHERE fingerprint = ? AND status = ? AND reused_from IS NULL"
            " ORDER BY ended DESC LIMIT ?",
            (fingerprint, st.FINISHED, limit),
        )
        return readable_steps(rows)

    def start_step_once(
        self,
        run_id: str,
        name: str,
        fingerprint: str,
        live: Callable[[str], bool],
        *,
        finished_too: bool = True,
        message: str | None = None,
        **fields: Any,
    ) -> StepRecord | None:
        """Mark a step run Running unless ``fingerprint`` is computed elsewhere already.

        In one transaction, so that of concurrent callers one starts the computation: when
        another step run with that fingerprint is Running in a run for which ``live(run
        id)`` holds (its driver lives), or has Finished (with ``finished_too``), nothing
        changes and that step run is returned; otherwise this one becomes Running with
        ``fields`` and None is returned.
        """
        statuses = (st.RUNNING, st.FINISHED) if finished_too else (st.RUNNING,)
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM step_runs WHERE fingerprint = ? AND reused_from IS NULL"
                f" AND status IN ({', '.join('?' for _ in statuses)})"
                " AND NOT (run_id = ? AND name = ?) ORDER BY status = ? DESC, ended DESC",
                (fingerprint, *statuses, run_id, name, st.FINISHED),
            ).fetchall()
            for other in readable_steps(rows):
                if other.status == st.FINISHED or live(other.run_id):
                    return other
            self._update(
                conn,
                "step_runs",
                "run_id = ? AND name = ?",
                (run_id, name),
                {**fields, "status": st.RUNNING},
            )
            self._event(conn, run_id, name, "step", st.RUNNING, message)
        return None

    def latest_step_run(
        self,
        experiment: str,
        step_name: str,
        before: float | None = None,
        successful: bool = False,
        exclude_run: str | None = None,
    ) -> StepRecord | None:
        """The newest step run of ``step_name`` in ``experiment`` (submitted before ``before``)."""
        sql = (
            "SELECT s.* FROM step_runs s JOIN runs r ON r.id = s.run_id"
            " WHERE r.experiment = ? AND s.name = ? AND s.fingerprint_json IS NOT NULL"
        )
        args: list[Any] = [experiment, step_name]
        if before is not None:
            sql += " AND r.created < ?"
            args.append(before)
        if successful:
            sql += " AND s.status = ?"
            args.append(st.FINISHED)
        if exclude_run is not None:
            sql += " AND r.id != ?"
            args.append(exclude_run)
        rows = self._query(sql + " ORDER BY r.created DESC LIMIT 20", tuple(args))
        readable = readable_steps(rows[:1]) or readable_steps(rows[1:])
        return readable[0] if readable else None

    # -- events and metrics ----------------------------------------------------------
    def events(self, run_id: str, after: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        """Events of a run with an id greater than ``after``, oldest first."""
        rows = self._query(
            "SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
            (run_id, after, limit),
        )
        return [dict(r) for r in rows]

    def add_metrics(
        self, run_id: str, step_run_id: str, records: Sequence[Mapping[str, Any]]
    ) -> None:
        """Store metric records logged by a step (see runtime.metrics)."""
        if not records:
            return
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO metrics (run_id, step_run_id, name, kind, value_json, description, ts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        step_run_id,
                        str(r["name"]),
                        str(r.get("kind", "scalar")),
                        json.dumps(r.get("value")),
                        str(r.get("description") or ""),
                        float(r.get("ts") or time.time()),
                    )
                    for r in records
                ],
            )

    def get_metrics(self, step_run_id: str) -> list[dict[str, Any]]:
        """Metric records of a step run, in logging order."""
        rows = self._query(
            "SELECT name, kind, value_json, description, ts FROM metrics"
            " WHERE step_run_id = ? ORDER BY id",
            (step_run_id,),
        )
        return [
            {
                "name": r["name"],
                "kind": r["kind"],
                "value": json.loads(r["value_json"]),
                "description": r["description"],
                "ts": r["ts"],
            }
            for r in rows
        ]

    # -- helpers ---------------------------------------------------------------------
    @staticmethod
    def _update(
        conn: sqlite3.Connection,
        table: str,
        where: str,
        args: tuple[Any, ...],
        fields: Mapping[str, Any],
    ) -> None:
        if not fields:
            return
        cols, values = [], []
        for key, value in fields.items():
            if key in ("outputs", "tags", "options", "parameters", "reuse", "git"):
                key, value = f"{key}_json", json.dumps(value)
            elif key == "fingerprint_doc":
                key, value = "fingerprint_json", json.dumps(value)
            cols.append(f"{key} = ?")
            values.append(value)
        cur = conn.execute(f"UPDATE {table} SET {', '.join(cols)} WHERE {where}", (*values, *args))
        if cur.rowcount == 0:
            raise UnknownRunError(f"no {table[:-1].replace('_', ' ')} matches {args!r}")

    @staticmethod
    def _event(
        conn: sqlite3.Connection,
        run_id: str,
        step: str | None,
        kind: str,
        status: str | None,
        message: str | None,
    ) -> None:
        conn.execute(
            "INSERT INTO events (run_id, step, ts, kind, status, message)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, step, time.time(), kind, status, message),
        )


__all__ = ["SCHEMA_VERSION", "RunRecord", "RunStore", "StepRecord", "st"]
