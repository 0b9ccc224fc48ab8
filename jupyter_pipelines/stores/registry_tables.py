"""Small registry tables in ``workspace.db`` that create themselves on first use.

The environment and compute target registries keep their tables here, apart from the run
store's schema, each with ``CREATE TABLE IF NOT EXISTS``: a store made by any version of
the run store gains them when first used, and no schema migration is needed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError

_ensured: set[tuple[str, str]] = set()
_lock = threading.Lock()


@contextmanager
def transaction(path: Path, ddl: str, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection to ``path`` inside one transaction, with the tables of ``ddl`` present.

    A write transaction (``BEGIN IMMEDIATE``) is all-or-nothing; a short-lived connection
    per call keeps this safe across threads and processes.
    """
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {str(path)!r}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        _ensure(conn, path, ddl)
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StoreError(f"workspace database {str(path)!r} failed: {exc}") from exc
    finally:
        conn.close()


def _ensure(conn: sqlite3.Connection, path: Path, ddl: str) -> None:
    key = (str(path), ddl)
    with _lock:
        if key in _ensured and path.exists():
            return
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(ddl)
    with _lock:
        _ensured.add(key)
