"""Transactions on the registry tables (environments, compute targets) of ``workspace.db``.

The tables are part of the run store's schema (``schema.sql``); this opens the run store
for a workspace database path, so that its migrations run first.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .runstore import RunStore

_stores: dict[Path, RunStore] = {}
_lock = threading.Lock()


def _store(path: Path) -> RunStore:
    with _lock:
        if path not in _stores:
            _stores[path] = RunStore(path)
        return _stores[path]


@contextmanager
def transaction(path: Path, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection inside one transaction: a write (all or nothing) or a consistent read."""
    store = _store(Path(path))
    if write:
        with store.transaction() as conn:
            yield conn
    else:
        yield store._connect()
