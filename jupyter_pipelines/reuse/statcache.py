"""The stat cache: a file's content hash remembered by path, size, mtime, ctime and inode.

An unchanged file is not read again. Entries for files modified in the last
two seconds are not stored, so a write that lands within the clock's resolution
after hashing cannot hide (git's "racily clean" rule). A corrupt cache is a miss.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)
RACY_SECONDS = 2.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stat (
    path  TEXT PRIMARY KEY,
    size  INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    ctime INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    hash  TEXT NOT NULL
) WITHOUT ROWID;
"""


class StatKey(NamedTuple):
    """What must match for a cached hash to be trusted.

    A named tuple, not a dataclass: one is built per file of every snapshot (and per
    cached row), and tuples are built and compared several times faster.
    """

    size: int
    mtime: int
    ctime: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class StatCache:
    """A SQLite-backed map from absolute path to (StatKey, content hash)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                self._conn = conn
            except sqlite3.Error as exc:
                log.warning("stat cache %s is unusable (%s); hashing without it", self.path, exc)
                return None
        return self._conn

    def load_prefix(self, root: str) -> dict[str, tuple[StatKey, str]]:
        """All entries under the folder ``root``, in one query."""
        prefix = root.rstrip(os.sep) + os.sep
        with self._lock:
            conn = self._db()
            if conn is None:
                return {}
            try:
                rows = conn.execute(
                    "SELECT path, size, mtime, ctime, inode, hash FROM stat"
                    " WHERE path >= ? AND path < ?",
                    (prefix, prefix[:-1] + chr(ord(os.sep) + 1)),
                ).fetchall()
            except sqlite3.Error as exc:
                log.warning("stat cache read failed (%s); treating as empty", exc)
                return {}
        return {r[0]: (StatKey(r[1], r[2], r[3], r[4]), r[5]) for r in rows}

    def store(self, entries: list[tuple[str, StatKey, str]]) -> None:
        """Remember hashes of files that are not racily recent."""
        now_ns = time.time_ns()
        keep = [
            (p, k.size, k.mtime, k.ctime, k.inode, h)
            for p, k, h in entries
            if now_ns - max(k.mtime, k.ctime) > RACY_SECONDS * 1e9
        ]
        if not keep:
            return
        with self._lock:
            conn = self._db()
            if conn is None:
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT OR REPLACE INTO stat VALUES (?, ?, ?, ?, ?, ?)", keep)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                log.warning("stat cache write failed (%s); continuing without caching", exc)
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
