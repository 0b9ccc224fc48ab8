"""Pipeline drafts on disk: a pipeline file per draft plus its metadata row in ``workspace.db``.

A draft's pipeline is ``.pipelines/drafts/<id>.pipeline.yaml``, in the project's own file
format (docs/pipeline-file.md), so it can be opened, diffed and run like any pipeline file.
Its name, description, experiment, tags, properties, parameter values and lineage are a row
of the ``pipeline_drafts`` table. A change is written whole or not at all: the new file is
written under a temporary name, and renamed over the old one inside the transaction that
changes the row, so a reader never sees a row without its file nor half a file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..model.fileformat import dump_document, pipeline_to_document
from ..model.pipeline import Pipeline
from .side_tables import side_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS pipeline_drafts (
    id                             TEXT PRIMARY KEY,
    name                           TEXT NOT NULL,
    description                    TEXT NOT NULL DEFAULT '',
    experiment_name                TEXT NOT NULL,
    tags_json                      TEXT NOT NULL DEFAULT '{}',
    properties_json                TEXT NOT NULL DEFAULT '{}',
    parameters_json                TEXT NOT NULL DEFAULT '{}',
    continue_on_step_failure       INTEGER,
    parent_pipeline_id             TEXT,
    parent_pipeline_run_id         TEXT,
    parent_step_run_ids_json       TEXT NOT NULL DEFAULT '[]',
    parent_pipeline_draft_id       TEXT,
    last_submitted_pipeline_run_id TEXT,
    created                        REAL NOT NULL,
    updated                        REAL NOT NULL
)
"""

#: Fields kept as JSON in the table: field name -> column.
_JSON_FIELDS = {
    "tags": "tags_json",
    "properties": "properties_json",
    "pipeline_parameters": "parameters_json",
    "parent_step_run_ids": "parent_step_run_ids_json",
}


@dataclass
class DraftRecord:
    """A pipeline draft's metadata as stored (its pipeline is the file beside it)."""

    id: str
    name: str
    experiment_name: str
    description: str = ""
    tags: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    pipeline_parameters: dict[str, Any] = field(default_factory=dict)
    continue_on_step_failure: bool | None = None
    parent_pipeline_id: str | None = None
    parent_pipeline_run_id: str | None = None
    parent_step_run_ids: list[str] = field(default_factory=list)
    parent_pipeline_draft_id: str | None = None
    last_submitted_pipeline_run_id: str | None = None
    created: float = 0.0
    updated: float = 0.0

    def columns(self) -> dict[str, Any]:
        """The record as table columns."""
        values: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key in _JSON_FIELDS:
                values[_JSON_FIELDS[key]] = json.dumps(value)
            elif key == "continue_on_step_failure" and value is not None:
                values[key] = int(bool(value))
            else:
                values[key] = value
        return values

    @classmethod
    def from_row(cls, row: Any) -> DraftRecord:
        values = dict(row)
        for key, column in _JSON_FIELDS.items():
            values[key] = json.loads(values.pop(column))
        if values["continue_on_step_failure"] is not None:
            values["continue_on_step_failure"] = bool(values["continue_on_step_failure"])
        return cls(**values)


class DraftStore:
    """The pipeline drafts of one workspace (``.pipelines/`` folder)."""

    def __init__(self, workspace_dir: str | Path) -> None:
        self.dir = Path(workspace_dir) / "drafts"
        self.db_path = Path(workspace_dir) / "workspace.db"

    def pipeline_path(self, draft_id: str) -> Path:
        """The pipeline file of draft ``draft_id``."""
        return self.dir / f"{draft_id}.pipeline.yaml"

    def get(self, draft_id: str) -> DraftRecord | None:
        """The draft with id ``draft_id``, or None."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            row = conn.execute("SELECT * FROM pipeline_drafts WHERE id = ?", (draft_id,)).fetchone()
        return DraftRecord.from_row(row) if row is not None else None

    def all(self) -> list[DraftRecord]:
        """Every draft, oldest first."""
        with side_transaction(self.db_path, SCHEMA, write=False) as conn:
            rows = conn.execute("SELECT * FROM pipeline_drafts ORDER BY created, id").fetchall()
        return [DraftRecord.from_row(r) for r in rows]

    def create(self, record: DraftRecord, pipeline: Pipeline) -> DraftRecord:
        """Record a new draft and its pipeline file, both or neither."""
        record.created = record.updated = time.time()
        columns = record.columns()
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        with self._writing(record.id, pipeline) as conn:
            conn.execute(
                f"INSERT INTO pipeline_drafts ({names}) VALUES ({marks})", tuple(columns.values())
            )
        return record

    def update(
        self, draft_id: str, changes: Mapping[str, Any], pipeline: Pipeline | None = None
    ) -> DraftRecord:
        """Change fields of a draft (and its pipeline, when given), all or nothing."""
        current = self.get(draft_id)
        if current is None:
            raise StoreError(f"pipeline draft {draft_id!r} no longer exists")
        merged = DraftRecord(**{**asdict(current), **changes, "updated": time.time()})
        columns = merged.columns()
        columns.pop("id")
        columns.pop("created")
        assignments = ", ".join(f"{c} = ?" for c in columns)
        with self._writing(draft_id, pipeline) as conn:
            cursor = conn.execute(
                f"UPDATE pipeline_drafts SET {assignments} WHERE id = ?",
                (*columns.values(), draft_id),
            )
            if cursor.rowcount == 0:
                raise StoreError(f"pipeline draft {draft_id!r} no longer exists")
        return merged

    def delete(self, draft_id: str) -> bool:
        """Forget a draft and remove its pipeline file; False when there was no such draft."""
        with side_transaction(self.db_path, SCHEMA) as conn:
            gone = conn.execute("DELETE FROM pipeline_drafts WHERE id = ?", (draft_id,)).rowcount
        self.pipeline_path(draft_id).unlink(missing_ok=True)
        return bool(gone)

    @contextmanager
    def _writing(self, draft_id: str, pipeline: Pipeline | None) -> Iterator[Any]:
        """A write transaction; ``pipeline`` (when given) replaces the draft's file as its
        last step, so that the row and the file change together."""
        tmp = self._write_temporary(draft_id, pipeline) if pipeline is not None else None
        try:
            with side_transaction(self.db_path, SCHEMA) as conn:
                yield conn
                if tmp is not None:
                    os.replace(tmp, self.pipeline_path(draft_id))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save pipeline draft {draft_id!r}: {exc}") from exc
        except OSError as exc:
            raise StoreError(
                f"cannot write the pipeline file of draft {draft_id!r}: {exc}"
            ) from exc
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def _write_temporary(self, draft_id: str, pipeline: Pipeline) -> str:
        """The draft's new pipeline file under a temporary name in the drafts folder."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            # Paths in the file are relative to the folder it will be renamed into.
            text = dump_document(pipeline_to_document(pipeline, self.dir))
            fd, tmp = tempfile.mkstemp(prefix=f".{draft_id}.", suffix=".tmp", dir=self.dir)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise StoreError(
                f"cannot write the pipeline of draft {draft_id!r} in {str(self.dir)!r}: {exc}"
            ) from exc
        return tmp
