"""The workspace's model registry: registered models by name, each version a folder of files
and a row of the ``models`` table in ``workspace.db``.

A version's files are ``.pipelines/models/<name>/<version>/<entry>``, where ``<entry>`` is
the registered file or folder under its own base name (``model.pkl``, ``model/``), as v1
lays a model out when it downloads it. Registering writes the files under a temporary name
in the model's folder, then, in one write transaction, takes the next version number,
renames the folder to it and inserts the row: a reader sees a version with all its files or
not at all, and two processes registering the same name at once get two versions. Version
numbers increase and are never given twice, even after a version is deleted
(``model_names`` keeps the last one given). A folder left by a crash between the rename and
the commit has no row: it is never shown, and is replaced when its number is given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError, WebserviceException
from .side_tables import side_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name              TEXT NOT NULL,
    version           INTEGER NOT NULL,
    entry             TEXT NOT NULL,
    description       TEXT,
    tags_json         TEXT NOT NULL DEFAULT '{}',
    properties_json   TEXT NOT NULL DEFAULT '{}',
    framework         TEXT,
    framework_version TEXT,
    run_id            TEXT,
    experiment_name   TEXT,
    datasets_json     TEXT NOT NULL DEFAULT '[]',
    extras_json       TEXT NOT NULL DEFAULT '{}',
    created_by        TEXT NOT NULL DEFAULT '',
    created           REAL NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS model_names (
    name         TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
)
"""

#: v1's rule for model names (``model_name_validation``).
NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-._]{0,254}")
MODELS_FOLDER = "models"
_JSON_FIELDS = {
    "tags": "tags_json",
    "properties": "properties_json",
    "datasets": "datasets_json",
    "extras": "extras_json",
}


def check_model_name(name: Any) -> str:
    """``name`` when it is a valid model name (v1's rule), else WebserviceException."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise WebserviceException(
            f"model name {name!r} is invalid: it must only consist of letters, numbers, "
            "dashes, periods, or underscores, start with a letter or number, and be between "
            "1 and 255 characters long"
        )
    return name


@dataclass
class ModelRecord:
    """One registered model version, as stored."""

    name: str
    version: int
    entry: str
    description: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    framework: str | None = None
    framework_version: str | None = None
    run_id: str | None = None
    experiment_name: str | None = None
    #: ``[{"name": <how the model used it>, "id": <dataset id>}, ...]``
    datasets: list[dict[str, Any]] = field(default_factory=list)
    #: Other v1 facts: sample input/output dataset ids, resource configuration.
    extras: dict[str, Any] = field(default_factory=dict)
    created_by: str = ""
    created: float = 0.0

    @property
    def id(self) -> str:
        """v1's model id, ``<name>:<version>``."""
        return f"{self.name}:{self.version}"

    def columns(self) -> dict[str, Any]:
        """The record as table columns."""
        values = asdict(self)
        for name, column in _JSON_FIELDS.items():
            values[column] = json.dumps(values.pop(name), sort_keys=True)
        return values

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ModelRecord:
        values = dict(row)
        for name, column in _JSON_FIELDS.items():
            empty: Any = [] if name == "datasets" else {}
            values[name] = json.loads(values.pop(column) or "null") or empty
        return cls(**values)


class ModelRegistry:
    """The registered models of one workspace (its ``.pipelines/`` folder)."""

    def __init__(self, workspace_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(workspace_dir) / MODELS_FOLDER
        self.db_path = Path(workspace_dir) / "workspace.db"

    def folder(self, name: str, version: int) -> Path:
        """The folder of version ``version`` of model ``name``."""
        return self.dir / name / str(version)

    def path(self, record: ModelRecord) -> Path:
        """The registered file or folder of ``record``."""
        return self.folder(record.name, record.version) / record.entry

    # -- reading -----------------------------------------------------------------------
    def get(self, name: str, version: int | None = None) -> ModelRecord | None:
        """Version ``version`` of model ``name`` (the latest when None), or None."""
        query = "SELECT * FROM models WHERE name = ?"
        args: tuple[Any, ...] = (name,)
        if version is not None:
            query, args = query + " AND version = ?", (name, int(version))
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute(query + " ORDER BY version DESC LIMIT 1", args).fetchone()
        return ModelRecord.from_row(row) if row is not None else None

    def all(
        self, name: str | None = None, run_id: str | None = None, latest: bool = False
    ) -> list[ModelRecord]:
        """The registered versions, newest first (of ``name``, made by ``run_id``); with
        ``latest``, only the latest version of each name."""
        clauses, args = [], []
        for column, value in (("name", name), ("run_id", run_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute(
                f"SELECT * FROM models{where} ORDER BY created DESC, name, version DESC", args
            ).fetchall()
        records = [ModelRecord.from_row(r) for r in rows]
        if latest:
            newest: dict[str, int] = {}
            for record in records:
                newest[record.name] = max(newest.get(record.name, 0), record.version)
            records = [r for r in records if r.version == newest[r.name]]
        return records

    def names(self) -> list[str]:
        """The names of the registered models."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute("SELECT DISTINCT name FROM models ORDER BY name").fetchall()
        return [r["name"] for r in rows]

    # -- writing -----------------------------------------------------------------------
    def register(
        self, record: ModelRecord, files: Iterable[tuple[Path, str]], *, link: bool = False
    ) -> ModelRecord:
        """Register ``record`` (its version is given here) with ``files``: (source path,
        path under the version folder) pairs; hard-linked when ``link`` (sources that will
        not change), else copied. Returns the record as stored."""
        check_model_name(record.name)
        model_dir = self.dir / record.name
        staging = model_dir / f".tmp-{uuid.uuid4().hex}"
        try:
            _stage(staging, files, link)
            with self._writing() as conn:
                record.version = _next_version(conn, record.name)
                record.created = record.created or time.time()
                target = self.folder(record.name, record.version)
                if target.exists():  # left by a crash before its row was committed
                    shutil.rmtree(target)
                os.replace(staging, target)
                try:
                    _insert(conn, record)
                except BaseException:
                    shutil.rmtree(target, ignore_errors=True)
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return record

    def update(self, name: str, version: int, **changes: Any) -> ModelRecord:
        """Change fields of a version (tags, properties, description, extras, datasets)."""
        columns = ModelRecord(name=name, version=version, entry="", **changes).columns()
        wanted = {
            _JSON_FIELDS.get(key, key): columns[_JSON_FIELDS.get(key, key)] for key in changes
        }
        assignments = ", ".join(f"{column} = ?" for column in wanted)
        with self._writing() as conn:
            cursor = conn.execute(
                f"UPDATE models SET {assignments} WHERE name = ? AND version = ?",
                (*wanted.values(), name, version),
            )
            if cursor.rowcount == 0:
                raise StoreError(f"model {name}:{version} is no longer registered")
        found = self.get(name, version)
        assert found is not None
        return found

    def delete(self, name: str, version: int) -> bool:
        """Forget a version and remove its files; False when it was not registered."""
        with self._writing() as conn:
            gone = conn.execute(
                "DELETE FROM models WHERE name = ? AND version = ?", (name, version)
            ).rowcount
        shutil.rmtree(self.folder(name, version), ignore_errors=True)
        return bool(gone)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        try:
            with side_transaction(self.db_path, SCHEMA) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot write the model registry {str(self.db_path)!r}: {exc}"
            ) from exc


def _next_version(conn: sqlite3.Connection, name: str) -> int:
    """The next version number of ``name`` (inside the write transaction that uses it)."""
    given = conn.execute("SELECT last_version FROM model_names WHERE name = ?", (name,)).fetchone()
    kept = conn.execute("SELECT MAX(version) AS v FROM models WHERE name = ?", (name,)).fetchone()
    version = max(given["last_version"] if given else 0, kept["v"] or 0) + 1
    conn.execute(
        "INSERT INTO model_names (name, last_version) VALUES (?, ?) "
        "ON CONFLICT(name) DO UPDATE SET last_version = excluded.last_version",
        (name, version),
    )
    return version


def _insert(conn: sqlite3.Connection, record: ModelRecord) -> None:
    columns = record.columns()
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    conn.execute(f"INSERT INTO models ({names}) VALUES ({marks})", tuple(columns.values()))


def _stage(staging: Path, files: Iterable[tuple[Path, str]], link: bool) -> None:
    """Put ``files`` under ``staging`` (hard links when ``link`` and possible, else copies)."""
    staging.mkdir(parents=True)
    count = 0
    for source, relative in files:
        target = staging / relative
        if not target.resolve().is_relative_to(staging.resolve()):
            raise WebserviceException(f"model file name {relative!r} leaves the model's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if not link:
                raise OSError("copy asked for")
            os.link(source, target)
        except OSError:
            try:
                shutil.copy2(source, target)
            except OSError as exc:
                raise WebserviceException(
                    f"cannot copy {str(source)!r} into the model registry: {exc}"
                ) from exc
        count += 1
    if count == 0:
        raise WebserviceException("a model needs at least one file; none was given")
