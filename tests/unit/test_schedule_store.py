"""The schedule tables and the scheduler lease: a due time is claimed once, only by the lease
holder, and the lease passes on when its holder lets it expire, dies or hands it back."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from jupyter_pipelines.errors import StoreError, UnknownScheduleError
from jupyter_pipelines.stores.scheduler_lease import Holder, SchedulerLease, current_lease
from jupyter_pipelines.stores.schedules import (
    DISABLED,
    RECURRENCE,
    FireRecord,
    ScheduleRecord,
    ScheduleStore,
)


@pytest.fixture
def store(tmp_path: Path) -> ScheduleStore:
    return ScheduleStore(tmp_path)


def record(store: ScheduleStore, due: float = 1000.0, **fields: object) -> ScheduleRecord:
    values = {
        "id": f"s-{time.monotonic_ns()}",
        "name": "nightly",
        "experiment_name": "exp",
        "anchor": 0.0,
        "pipeline_id": "p",
        "recurrence": {"frequency": "Minute", "interval": 1},
        "next_due": due,
        **fields,
    }
    return store.create(ScheduleRecord(**values))  # type: ignore[arg-type]


def fire(schedule: ScheduleRecord, due: float) -> FireRecord:
    return FireRecord(schedule_id=schedule.id, due=due, trigger=RECURRENCE)


def test_a_due_time_is_claimed_once(store: ScheduleStore) -> None:
    s = record(store)
    claimed = store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)])
    assert claimed is not None and claimed[0].id is not None
    assert store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)]) is None  # moved already
    assert [f.due for f in store.fires(s.id)] == [1000.0]
    assert store.get(s.id).next_due == 1060.0  # type: ignore[union-attr]


def test_a_disabled_schedule_is_not_claimed(store: ScheduleStore) -> None:
    s = record(store)
    store.update(s.id, status=DISABLED)
    assert store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)]) is None
    assert store.fires(s.id) == []


def test_only_the_lease_holder_claims(tmp_path: Path, store: ScheduleStore) -> None:
    s = record(store)
    mine = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    other = Holder.this_process()
    assert mine.acquire()
    assert store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)], holder=other.id) is None
    assert store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)], holder=mine.holder.id)


def test_fires_come_newest_first_with_their_runs(store: ScheduleStore) -> None:
    s = record(store)
    first = store.claim(s.id, 1000.0, 1060.0, [fire(s, 1000.0)])
    second = store.claim(s.id, 1060.0, 1120.0, [fire(s, 1060.0)])
    assert first and second
    store.finish_fire(first[0].id or 0, run_id="r1", experiment="exp")
    store.finish_fire(second[0].id or 0, error="published pipeline 'x' is Disabled")
    got = store.fires(s.id)
    assert [(f.due, f.run_id, f.error) for f in got] == [
        (1060.0, None, "published pipeline 'x' is Disabled"),
        (1000.0, "r1", None),
    ]
    assert len(store.fires(s.id, limit=1)) == 1


def test_a_poll_replaces_the_watch_it_compared_with_only(store: ScheduleStore) -> None:
    s = record(store, recurrence=None, datastore_name="ds", watch={"a": {"id": "1"}})
    changed = {"a": {"id": "2"}}
    store.update(s.id, watch={"a": {"id": "0"}})  # someone re-baselined meanwhile
    assert store.claim_poll(s.id, 1000.0, 1300.0, s.watch_version, changed, []) is None
    fresh = store.get(s.id)
    assert fresh is not None and fresh.watch == {"a": {"id": "0"}}
    assert store.claim_poll(s.id, 1000.0, 1300.0, fresh.watch_version, changed, []) == []
    assert store.get(s.id).watch == changed  # type: ignore[union-attr]


def test_update_list_and_delete(store: ScheduleStore) -> None:
    a = record(store, pipeline_id="p1")
    b = record(store, pipeline_id=None, pipeline_endpoint_id="e1")
    store.update(b.id, status=DISABLED, name="renamed", parameters={"n": 2})
    assert [r.id for r in store.all(active_only=True)] == [a.id]
    assert [r.id for r in store.all(pipeline_endpoint_id="e1")] == [b.id]
    assert store.get(b.id).parameters == {"n": 2}  # type: ignore[union-attr]
    assert store.any_active()
    store.delete(a.id)
    assert not store.any_active()
    with pytest.raises(UnknownScheduleError, match="does not exist"):
        store.update(a.id, name="x")
    with pytest.raises(StoreError, match="status 'Paused'"):
        store.update(b.id, status="Paused")


def test_the_lease_is_held_by_one_and_renewed(tmp_path: Path) -> None:
    a = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    b = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    assert a.acquire() and not b.acquire()
    first = current_lease(tmp_path)
    assert a.acquire()
    renewed = current_lease(tmp_path)
    assert first and renewed and renewed.holder == a.holder.id
    assert renewed.acquired == first.acquired and renewed.expires >= first.expires


def test_an_expired_lease_is_taken_over(tmp_path: Path) -> None:
    a = SchedulerLease(tmp_path, Holder.this_process(), ttl=0.2)
    b = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    assert a.acquire() and not b.acquire()
    time.sleep(0.3)
    assert b.acquire() and not a.acquire()
    assert current_lease(tmp_path).holder == b.holder.id  # type: ignore[union-attr]


def test_a_dead_holders_lease_is_taken_over_at_once(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        from jupyter_pipelines.stores.scheduler_lease import _started

        started = _started(gone.pid)
        assert started is not None
        dead = Holder(f"dead:{gone.pid}", Holder.this_process().host, gone.pid, started)
        assert SchedulerLease(tmp_path, dead, ttl=3600).acquire()
        survivor = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
        assert not survivor.acquire()  # the holder lives
    finally:
        gone.kill()
        gone.wait()
    assert survivor.acquire()  # its holder died with an hour of lease left


def test_a_released_lease_is_free(tmp_path: Path) -> None:
    a = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    b = SchedulerLease(tmp_path, Holder.this_process(), ttl=30)
    assert a.acquire()
    b.release()  # not b's: nothing changes
    assert not b.acquire()
    a.release()
    assert current_lease(tmp_path) is None
    assert b.acquire()
