"""The scheduler lease: a row of ``workspace.db`` that says which process fires the
workspace's schedules, so that one does even when several Jupyter servers serve it.

The holder renews the lease on every pass; another process takes it over when the holder
lets it expire, when the holder is a process of this machine that is gone (its pid is dead,
or now belongs to another process), or when the holder hands it back at exit. Taking and
renewing happen in one write transaction, so two processes never both hold it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..errors import StoreError
from .schedules import LEASE, SCHEMA
from .side_tables import side_transaction


@dataclass(frozen=True)
class Holder:
    """Who holds (or wants) the lease: an id unique to one scheduler, and the process."""

    id: str
    host: str
    pid: int
    pid_started: float

    @classmethod
    def this_process(cls) -> Holder:
        pid = os.getpid()
        host = socket.gethostname()
        return cls(f"{host}:{pid}:{uuid.uuid4().hex[:8]}", host, pid, _started(pid) or 0.0)


@dataclass(frozen=True)
class Lease:
    """The lease as stored."""

    holder: str
    host: str
    pid: int
    pid_started: float
    acquired: float
    renewed: float
    expires: float

    def gone(self) -> bool:
        """Whether the holder is a process of this machine that no longer runs."""
        if self.host != socket.gethostname():
            return False
        started = _started(self.pid)
        return started is None or abs(started - self.pid_started) > 1.0


class SchedulerLease:
    """The scheduler lease of one workspace, as seen by ``holder``; held for ``ttl`` seconds
    after each renewal."""

    def __init__(self, workspace_dir: str | Path, holder: Holder, ttl: float) -> None:
        self.db_path = Path(workspace_dir) / "workspace.db"
        self.holder = holder
        self.ttl = ttl
        self._held = False  # held at the last acquire: only then is there anything to release

    def acquire(self) -> bool:
        """Take or renew the lease; False when another live holder has it."""
        now = time.time()
        with self._write("take the scheduler lease") as conn:
            current = _lease(conn)
            mine = current is not None and current.holder == self.holder.id
            free = current is None or current.expires < now or current.gone()
            if not (mine or free):
                self._held = False
                return False
            acquired = current.acquired if mine and current is not None else now
            conn.execute(
                "INSERT OR REPLACE INTO scheduler_lease (name, holder, host, pid, pid_started, "
                "acquired, renewed, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    LEASE,
                    self.holder.id,
                    self.holder.host,
                    self.holder.pid,
                    self.holder.pid_started,
                    acquired,
                    now,
                    now + self.ttl,
                ),
            )
        self._held = True
        return True

    def release(self) -> None:
        """Hand the lease back (when this holder has it), so another server takes it at once."""
        if not self._held:
            return  # nothing to hand back (a server that never scheduled writes nothing)
        self._held = False
        with self._write("release the scheduler lease") as conn:
            conn.execute(
                "DELETE FROM scheduler_lease WHERE name = ? AND holder = ?",
                (LEASE, self.holder.id),
            )

    def current(self) -> Lease | None:
        """The lease as stored (whoever holds it), or None."""
        return current_lease(self.db_path.parent)

    @contextmanager
    def _write(self, what: str) -> Iterator[sqlite3.Connection]:
        try:
            with side_transaction(self.db_path, SCHEMA) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"cannot {what}: {exc}") from exc


def current_lease(workspace_dir: str | Path) -> Lease | None:
    """The workspace's scheduler lease as stored, or None when no scheduler ever held it."""
    with side_transaction(Path(workspace_dir) / "workspace.db", SCHEMA, write=False) as conn:
        return _lease(conn)


def _lease(conn: sqlite3.Connection) -> Lease | None:
    row = conn.execute("SELECT * FROM scheduler_lease WHERE name = ?", (LEASE,)).fetchone()
    if row is None:
        return None
    fields = dict(row)
    fields.pop("name")
    return Lease(**fields)


def _started(pid: int) -> float | None:
    """The start time of a live (not zombie) process, else None."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return float(proc.create_time())
    except psutil.Error:
        return None


__all__ = ["Holder", "Lease", "SchedulerLease", "current_lease"]
