"""Tables of ``workspace.db`` that live beside the run store's schema, each created on first use.

A module that keeps its own records in the workspace database (experiment metadata, pipeline
drafts) declares its ``CREATE TABLE IF NOT EXISTS`` statements and opens its transactions
here: the run store is opened first (so its migrations run), then the module's statements
run once per database and process. ``schema.sql`` stays the run store's own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .registry_tables import transaction

_created: set[tuple[Path, str]] = set()
_lock = threading.Lock()


def _ensure(path: Path, schema: str) -> None:
    key = (path, schema)
    with _lock:
        if key in _created:
            return
        with transaction(path) as conn:
            for statement in schema.split(";"):
                if statement.strip():
                    conn.execute(statement)
        _created.add(key)


@contextmanager
def side_transaction(
    path: str | Path, schema: str, *, write: bool = True
) -> Iterator[sqlite3.Connection]:
    """A connection to ``path`` once the tables of ``schema`` exist: inside one write
    transaction (all or nothing) or, with ``write=False``, for consistent reads."""
    db = Path(path)
    _ensure(db, schema)
    with transaction(db, write=write) as conn:
        yield conn
