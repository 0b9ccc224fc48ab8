"""Published pipelines and pipeline endpoints in ``workspace.db``: the frozen records that the
REST endpoints, the CLI, the JupyterLab sidebar and the scheduler read.

A published pipeline is one row holding everything it runs: the pipeline document, the
folder its paths are relative to, and the snapshot id (and git state) of every step's code,
frozen when it was published. It is written in one INSERT, so it is visible whole or not at
all; only its status (``Active``/``Disabled``) ever changes. A pipeline endpoint is a named
row with a default version, and its versions are rows of ``pipeline_endpoint_versions``
(version ``"0"``, ``"1"``, ... -> published pipeline id); adding a version and moving the
default happen in one transaction.
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

from ..errors import StoreError
from .side_tables import side_transaction

ACTIVE, DISABLED = "Active", "Disabled"
STATUSES = (ACTIVE, DISABLED)

SCHEMA = """
CREATE TABLE IF NOT EXISTS published_pipelines (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    description              TEXT NOT NULL DEFAULT '',
    version                  TEXT,
    status                   TEXT NOT NULL DEFAULT 'Active',
    continue_on_step_failure INTEGER,
    graph_id                 TEXT NOT NULL,
    total_run_steps          INTEGER NOT NULL,
    pipeline_json            TEXT NOT NULL,
    base_dir                 TEXT NOT NULL,
    code_json                TEXT NOT NULL,
    source_json              TEXT NOT NULL DEFAULT '{}',
    created                  REAL NOT NULL,
    updated                  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pipeline_endpoints (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'Active',
    default_version TEXT NOT NULL,
    created         REAL NOT NULL,
    updated         REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pipeline_endpoint_versions (
    endpoint_id TEXT NOT NULL REFERENCES pipeline_endpoints(id),
    version     TEXT NOT NULL,
    pipeline_id TEXT NOT NULL REFERENCES published_pipelines(id),
    added       REAL NOT NULL,
    PRIMARY KEY (endpoint_id, version)
);
CREATE INDEX IF NOT EXISTS pipeline_endpoint_versions_by_pipeline
    ON pipeline_endpoint_versions(pipeline_id)
"""


@dataclass
class PublishedRecord:
    """A published pipeline as stored.

    ``code`` maps each step name to ``{"snapshot": id, "git": {...}}``; ``source`` says what
    it was published from (``{"file": path}``, ``{"run_id": id}``, ``{"draft_id": id}``).
    """

    id: str
    name: str
    graph_id: str
    total_run_steps: int
    pipeline: dict[str, Any]
    base_dir: str
    code: dict[str, dict[str, Any]]
    description: str = ""
    version: str | None = None
    status: str = ACTIVE
    continue_on_step_failure: bool | None = None
    source: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0

    @classmethod
    def from_row(cls, row: Any) -> PublishedRecord:
        cosf = row["continue_on_step_failure"]
        return cls(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            version=row["version"],
            status=row["status"],
            continue_on_step_failure=None if cosf is None else bool(cosf),
            graph_id=row["graph_id"],
            total_run_steps=row["total_run_steps"],
            pipeline=json.loads(row["pipeline_json"]),
            base_dir=row["base_dir"],
            code=json.loads(row["code_json"]),
            source=json.loads(row["source_json"]),
            created=row["created"],
            updated=row["updated"],
        )


@dataclass
class EndpointRecord:
    """A pipeline endpoint as stored, with its versions (version -> published pipeline id),
    oldest first."""

    id: str
    name: str
    default_version: str
    description: str = ""
    status: str = ACTIVE
    versions: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0

    def pipeline_id(self, version: str | None = None) -> str | None:
        """The published pipeline of ``version`` (the default when None), or None."""
        return self.versions.get(self.default_version if version is None else str(version))


class PublishedStore:
    """The published pipelines and pipeline endpoints of one workspace (``.pipelines/``)."""

    def __init__(self, workspace_dir: str | Path) -> None:
        self.db_path = Path(workspace_dir) / "workspace.db"

    # -- published pipelines ---------------------------------------------------------------
    def create(self, record: PublishedRecord) -> PublishedRecord:
        """Record a new published pipeline (one INSERT: whole or not at all)."""
        record.created = record.updated = time.time()
        values = {
            "id": record.id,
            "name": record.name,
            "description": record.description,
            "version": record.version,
            "status": record.status,
            "continue_on_step_failure": None
            if record.continue_on_step_failure is None
            else int(bool(record.continue_on_step_failure)),
            "graph_id": record.graph_id,
            "total_run_steps": record.total_run_steps,
            "pipeline_json": json.dumps(record.pipeline),
            "base_dir": record.base_dir,
            "code_json": json.dumps(record.code),
            "source_json": json.dumps(record.source),
            "created": record.created,
            "updated": record.updated,
        }
        names, marks = ", ".join(values), ", ".join("?" for _ in values)
        with self._write(f"publish pipeline {record.name!r}") as conn:
            conn.execute(
                f"INSERT INTO published_pipelines ({names}) VALUES ({marks})",
                tuple(values.values()),
            )
        return record

    def get(self, pipeline_id: str) -> PublishedRecord | None:
        """The published pipeline with id ``pipeline_id``, or None."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute(
                "SELECT * FROM published_pipelines WHERE id = ?", (pipeline_id,)
            ).fetchone()
        return PublishedRecord.from_row(row) if row is not None else None

    def all(self, active_only: bool = False) -> list[PublishedRecord]:
        """Every published pipeline (only the Active ones with ``active_only``), oldest first."""
        sql = "SELECT * FROM published_pipelines"
        if active_only:
            sql += f" WHERE status = '{ACTIVE}'"
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute(sql + " ORDER BY created, id").fetchall()
        return [PublishedRecord.from_row(r) for r in rows]

    def set_status(self, pipeline_id: str, status: str) -> None:
        """Make a published pipeline ``Active`` or ``Disabled``."""
        _check_status(status)
        with self._write(f"change the status of published pipeline {pipeline_id!r}") as conn:
            changed = conn.execute(
                "UPDATE published_pipelines SET status = ?, updated = ? WHERE id = ?",
                (status, time.time(), pipeline_id),
            ).rowcount
        if not changed:
            raise StoreError(f"published pipeline {pipeline_id!r} does not exist")

    # -- pipeline endpoints ----------------------------------------------------------------
    def create_endpoint(
        self, endpoint_id: str, name: str, description: str, pipeline_id: str
    ) -> EndpointRecord:
        """A new endpoint whose version "0" (its default) is ``pipeline_id``; the name must be
        free (checked inside the transaction)."""
        now = time.time()
        with self._write(f"create pipeline endpoint {name!r}") as conn:
            self._check_name_free(conn, name, None)
            self._check_pipeline(conn, pipeline_id)
            conn.execute(
                "INSERT INTO pipeline_endpoints (id, name, description, status, default_version, "
                "created, updated) VALUES (?, ?, ?, ?, '0', ?, ?)",
                (endpoint_id, name, description or "", ACTIVE, now, now),
            )
            conn.execute(
                "INSERT INTO pipeline_endpoint_versions (endpoint_id, version, pipeline_id, added) "
                "VALUES (?, '0', ?, ?)",
                (endpoint_id, pipeline_id, now),
            )
        found = self.get_endpoint(endpoint_id)
        assert found is not None
        return found

    def get_endpoint(
        self, endpoint_id: str | None = None, name: str | None = None
    ) -> EndpointRecord | None:
        """The endpoint with id ``endpoint_id`` (else named ``name``), or None."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            return self._endpoint(conn, endpoint_id, name)

    def endpoints(self, active_only: bool = False) -> list[EndpointRecord]:
        """Every endpoint (only the Active ones with ``active_only``), oldest first."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute("SELECT * FROM pipeline_endpoints ORDER BY created, id").fetchall()
            found = [self._with_versions(conn, r) for r in rows]
        return [e for e in found if not active_only or e.status == ACTIVE]

    def endpoints_of(self, pipeline_id: str) -> list[tuple[str, str]]:
        """(endpoint id, version) of every endpoint version that runs ``pipeline_id``."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute(
                "SELECT endpoint_id, version FROM pipeline_endpoint_versions "
                "WHERE pipeline_id = ? ORDER BY added",
                (pipeline_id,),
            ).fetchall()
        return [(r["endpoint_id"], r["version"]) for r in rows]

    def update_endpoint(
        self,
        endpoint_id: str,
        *,
        name: str | None = None,
        status: str | None = None,
        description: str | None = None,
        default_version: str | None = None,
    ) -> EndpointRecord:
        """Change what is given; a new name must be free and a default version must exist."""
        with self._write(f"change pipeline endpoint {endpoint_id!r}") as conn:
            current = self._endpoint(conn, endpoint_id, None)
            if current is None:
                raise StoreError(f"pipeline endpoint {endpoint_id!r} does not exist")
            if name is not None and name != current.name:
                self._check_name_free(conn, name, endpoint_id)
            if status is not None:
                _check_status(status)
            if default_version is not None and str(default_version) not in current.versions:
                raise StoreError(
                    f"pipeline endpoint {current.name!r} has no version {default_version!r}; "
                    f"its versions: {', '.join(current.versions)}"
                )
            conn.execute(
                "UPDATE pipeline_endpoints SET name = ?, status = ?, description = ?, "
                "default_version = ?, updated = ? WHERE id = ?",
                (
                    current.name if name is None else name,
                    current.status if status is None else status,
                    current.description if description is None else description,
                    current.default_version if default_version is None else str(default_version),
                    time.time(),
                    endpoint_id,
                ),
            )
        found = self.get_endpoint(endpoint_id)
        assert found is not None
        return found

    def add_version(self, endpoint_id: str, pipeline_id: str, make_default: bool) -> str:
        """Add ``pipeline_id`` as the endpoint's next version ("0", "1", ...) and return the
        version; a pipeline already in the endpoint keeps its version. With
        ``make_default`` the version becomes the default, in the same transaction."""
        with self._write(f"add a version to pipeline endpoint {endpoint_id!r}") as conn:
            current = self._endpoint(conn, endpoint_id, None)
            if current is None:
                raise StoreError(f"pipeline endpoint {endpoint_id!r} does not exist")
            self._check_pipeline(conn, pipeline_id)
            version = next((v for v, p in current.versions.items() if p == pipeline_id), None)
            if version is None:
                version = str(max((_int(v) for v in current.versions), default=-1) + 1)
                conn.execute(
                    "INSERT INTO pipeline_endpoint_versions (endpoint_id, version, pipeline_id, "
                    "added) VALUES (?, ?, ?, ?)",
                    (endpoint_id, version, pipeline_id, time.time()),
                )
            if make_default:
                conn.execute(
                    "UPDATE pipeline_endpoints SET default_version = ?, updated = ? WHERE id = ?",
                    (version, time.time(), endpoint_id),
                )
        return version

    # -- helpers ---------------------------------------------------------------------------
    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        """A write transaction (all or nothing); SQLite errors become StoreErrors naming
        ``what``."""
        try:
            with side_transaction(self.db_path, SCHEMA) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"cannot {what}: {exc}") from exc

    def _endpoint(
        self, conn: sqlite3.Connection, endpoint_id: str | None, name: str | None
    ) -> EndpointRecord | None:
        if endpoint_id is not None:
            row = conn.execute(
                "SELECT * FROM pipeline_endpoints WHERE id = ?", (endpoint_id,)
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT * FROM pipeline_endpoints WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else self._with_versions(conn, row)

    @staticmethod
    def _with_versions(conn: sqlite3.Connection, row: Any) -> EndpointRecord:
        versions = conn.execute(
            "SELECT version, pipeline_id FROM pipeline_endpoint_versions WHERE endpoint_id = ?",
            (row["id"],),
        ).fetchall()
        ordered = sorted(((v["version"], v["pipeline_id"]) for v in versions), key=_version_key)
        return EndpointRecord(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            status=row["status"],
            default_version=row["default_version"],
            versions=dict(ordered),
            created=row["created"],
            updated=row["updated"],
        )

    @staticmethod
    def _check_name_free(conn: sqlite3.Connection, name: str, endpoint_id: str | None) -> None:
        row = conn.execute("SELECT id FROM pipeline_endpoints WHERE name = ?", (name,)).fetchone()
        if row is not None and row["id"] != endpoint_id:
            raise StoreError(
                f"a pipeline endpoint named {name!r} already exists (id {row['id']}); choose "
                "another name, or add versions to it with PipelineEndpoint.get(ws, name=...).add"
            )

    @staticmethod
    def _check_pipeline(conn: sqlite3.Connection, pipeline_id: str) -> None:
        row = conn.execute(
            "SELECT id FROM published_pipelines WHERE id = ?", (pipeline_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"published pipeline {pipeline_id!r} does not exist")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise StoreError(f"status {status!r} is not one of {', '.join(STATUSES)}")


def _int(version: str) -> int:
    try:
        return int(version)
    except ValueError:
        return -1


def _version_key(item: tuple[str, str]) -> tuple[int, str]:
    return (_int(item[0]), item[0])


__all__ = ["ACTIVE", "DISABLED", "EndpointRecord", "PublishedRecord", "PublishedStore"]
