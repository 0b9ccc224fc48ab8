"""The compute target registry: the ``compute_targets`` table of ``workspace.db``.

Each row is a target's name, its kind (``AmlCompute``, ...) and the provisioning
configuration it was created with, as JSON.
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ComputeTargetException
from .registry_tables import transaction

#: Settings that change nothing on this machine: creating a target again with another value
#: (v1's scale-down default changed from none to 1800 s) gives back the existing target.
_NO_LOCAL_EFFECT = ("idle_seconds_before_scaledown",)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def kept(config: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in config.items() if k not in _NO_LOCAL_EFFECT}

    return kept(a) == kept(b)


@dataclass
class ComputeRecord:
    """A registered compute target as stored."""

    name: str
    kind: str
    config: dict[str, Any]
    created: float


class ComputeRegistry:
    """The ``compute_targets`` table of one workspace."""

    def __init__(self, workspace: Any) -> None:
        self.db_path = workspace.dir / "workspace.db"

    def get(self, name: str) -> ComputeRecord | None:
        with transaction(self.db_path, write=False) as conn:
            row = conn.execute("SELECT * FROM compute_targets WHERE name = ?", (name,)).fetchone()
        return _record(row) if row is not None else None

    def list(self) -> list[ComputeRecord]:
        with transaction(self.db_path, write=False) as conn:
            rows = conn.execute("SELECT * FROM compute_targets ORDER BY name").fetchall()
        return [_record(r) for r in rows]

    def create(self, name: str, kind: str, config: dict[str, Any]) -> ComputeRecord:
        """Register a target; an identical existing one is returned, a different one refused."""
        with transaction(self.db_path) as conn:
            row = conn.execute("SELECT * FROM compute_targets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                existing = _record(row)
                if existing.kind == kind and _same(existing.config, config):
                    return existing
                raise ComputeTargetException(
                    f"compute target {name!r} already exists as a {existing.kind} with another "
                    f"configuration; use ComputeTarget(ws, {name!r}), or delete() it first"
                )
            record = ComputeRecord(name, kind, config, time.time())
            conn.execute(
                "INSERT INTO compute_targets (name, kind, config_json, created)"
                " VALUES (?, ?, ?, ?)",
                (name, kind, json.dumps(config, sort_keys=True), record.created),
            )
        return record

    def update(self, name: str, config: dict[str, Any]) -> None:
        with transaction(self.db_path) as conn:
            conn.execute(
                "UPDATE compute_targets SET config_json = ? WHERE name = ?",
                (json.dumps(config, sort_keys=True), name),
            )

    def active_steps(self, target: str, statuses: set[str]) -> builtins.list[tuple[str, str, str]]:
        """(step run id, run id, status) of the step runs on ``target`` in ``statuses``."""
        if not statuses:
            return []
        marks = ", ".join("?" for _ in statuses)
        with transaction(self.db_path, write=False) as conn:
            rows = conn.execute(
                f"SELECT id, run_id, status FROM step_runs WHERE target = ? AND status IN ({marks})"
                " ORDER BY started, id",
                (target, *sorted(statuses)),
            ).fetchall()
        return [(row["id"], row["run_id"], row["status"]) for row in rows]

    def delete(self, name: str) -> bool:
        with transaction(self.db_path) as conn:
            return conn.execute("DELETE FROM compute_targets WHERE name = ?", (name,)).rowcount > 0


def _record(row: Any) -> ComputeRecord:
    return ComputeRecord(row["name"], row["kind"], json.loads(row["config_json"]), row["created"])
