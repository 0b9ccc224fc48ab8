"""The records of the run store: a pipeline run and a step run as stored, read from rows."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class RunRecord:
    """A pipeline run as stored."""

    id: str
    experiment: str
    status: str
    created: float
    started: float | None
    ended: float | None
    description: str
    pipeline_file: str | None
    pipeline: dict[str, Any]
    parameters: dict[str, Any]
    tags: dict[str, Any]
    options: dict[str, Any]
    driver_pid: int | None
    driver_started: float | None
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunRecord:
        return cls(
            id=row["id"],
            experiment=row["experiment"],
            status=row["status"],
            created=row["created"],
            started=row["started"],
            ended=row["ended"],
            description=row["description"],
            pipeline_file=row["pipeline_file"],
            pipeline=json.loads(row["pipeline_json"]),
            parameters=json.loads(row["parameters_json"]),
            tags=json.loads(row["tags_json"]),
            options=json.loads(row["options_json"]),
            driver_pid=row["driver_pid"],
            driver_started=row["driver_started"],
            error=row["error"],
        )


@dataclass
class StepRecord:
    """A step run as stored."""

    id: str
    run_id: str
    name: str
    position: int
    status: str
    target: str
    depends: list[str]
    spec: dict[str, Any]
    step_dir: str
    started: float | None = None
    ended: float | None = None
    exit_code: int | None = None
    error: str | None = None
    fingerprint: str | None = None
    reused_from: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    snapshot_id: str | None = None
    fingerprint_doc: dict[str, Any] | None = None
    reuse: dict[str, Any] = field(default_factory=dict)
    git: dict[str, Any] = field(default_factory=dict)
    pid: int | None = None
    pid_started: float | None = None
    #: The Dask worker that ran the step (its address), and its cluster's dashboard.
    worker: str | None = None
    dashboard_link: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StepRecord:
        return cls(
            id=row["id"],
            run_id=row["run_id"],
            name=row["name"],
            position=row["position"],
            status=row["status"],
            target=row["target"],
            depends=json.loads(row["depends_json"]),
            spec=json.loads(row["spec_json"]),
            step_dir=row["step_dir"],
            started=row["started"],
            ended=row["ended"],
            exit_code=row["exit_code"],
            error=row["error"],
            fingerprint=row["fingerprint"],
            reused_from=row["reused_from"],
            outputs=json.loads(row["outputs_json"]),
            snapshot_id=row["snapshot_id"],
            fingerprint_doc=json.loads(row["fingerprint_json"])
            if row["fingerprint_json"]
            else None,
            reuse=json.loads(row["reuse_json"]),
            git=json.loads(row["git_json"]),
            pid=row["pid"],
            pid_started=row["pid_started"],
            worker=row["worker"],
            dashboard_link=row["dashboard_link"],
        )


def readable_steps(rows: Sequence[sqlite3.Row]) -> list[StepRecord]:
    """Step records of ``rows``, leaving out (and logging) any whose JSON is damaged.

    Used by reuse look-ups: a damaged record is a cache miss, never a crash or a reuse.
    """
    records = []
    for row in rows:
        try:
            record = StepRecord.from_row(row)
            doc = record.fingerprint_doc
            if not (
                isinstance(record.outputs, dict)
                and all(isinstance(o, dict) and "path" in o for o in record.outputs.values())
                and isinstance(record.reuse, dict)
                and (doc is None or isinstance(doc, dict))
            ):
                raise TypeError("a JSON field does not have the expected shape")
        except (ValueError, TypeError) as exc:
            log.warning("step run %s has a damaged record (%s); not used for reuse", row["id"], exc)
            continue
        records.append(record)
    return records


def step_row(s: StepRecord) -> tuple[Any, ...]:
    return (
        s.id,
        s.run_id,
        s.name,
        s.position,
        s.status,
        s.target,
        json.dumps(s.depends),
        json.dumps(s.spec),
        s.step_dir,
        s.fingerprint,
        s.reused_from,
        json.dumps(s.outputs),
        s.started,
        s.ended,
        s.exit_code,
        s.error,
        s.snapshot_id,
        json.dumps(s.fingerprint_doc) if s.fingerprint_doc is not None else None,
        json.dumps(s.reuse),
        json.dumps(s.git),
    )
