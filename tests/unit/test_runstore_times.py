"""Start and end times of runs decided at submit, and the repair of older stores."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from jupyter_pipelines.stores import status as st
from jupyter_pipelines.stores.records import RunRecord
from jupyter_pipelines.stores.runstore import SCHEMA_VERSION, RunStore


def run_record(run_id: str, status: str, started: float | None, ended: float | None) -> RunRecord:
    return RunRecord(
        id=run_id,
        experiment="e",
        status=status,
        created=1000.0,
        started=started,
        ended=ended,
        description="",
        pipeline_file=None,
        pipeline={},
        parameters={},
        tags={},
        options={},
        driver_pid=None,
        driver_started=None,
        error=None,
    )


def test_a_run_recorded_finished_keeps_its_times(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "workspace.db")
    store.create_run(run_record("done", st.FINISHED, 1000.0, 1000.5), [])
    got = store.get_run("done")
    assert (got.started, got.ended) == (1000.0, 1000.5)


def test_older_stores_get_times_for_runs_that_ended_without(tmp_path: Path) -> None:
    db = tmp_path / "workspace.db"
    store = RunStore(db)
    store.create_run(run_record("reused", st.FINISHED, None, None), [])
    store.create_run(run_record("waiting", st.NOT_STARTED, None, None), [])
    store.create_run(run_record("ran", st.FINISHED, 1001.0, 1005.0), [])
    store.close()
    conn = sqlite3.connect(db)
    # A store of version 4, where the fully reused run got no times, its last event at 1000.2.
    conn.execute("UPDATE events SET ts = 1000.2 WHERE run_id = 'reused'")
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    store = RunStore(db)
    reused, waiting, ran = (store.get_run(i) for i in ("reused", "waiting", "ran"))
    assert (reused.started, reused.ended) == (1000.0, 1000.2)
    assert (waiting.started, waiting.ended) == (None, None)  # not over: no end yet
    assert (ran.started, ran.ended) == (1001.0, 1005.0)
    (version,) = store._query("SELECT value FROM meta WHERE key = 'schema_version'")[0]
    assert version == SCHEMA_VERSION
    # Repairs run once: a later change is not overwritten by opening the store again.
    store.update_run("reused", ended=time.time())
    later = store.get_run("reused").ended
    store.close()
    assert RunStore(db).get_run("reused").ended == later
