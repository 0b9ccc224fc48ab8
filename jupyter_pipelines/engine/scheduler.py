"""The scheduler: fires the workspace's due schedules, once each, from whichever process holds
the scheduler lease (a Jupyter server; see server/scheduler.py for its loop).

One pass: when any schedule is Active, take or renew the lease (stores/scheduler_lease.py);
when held, for every Active schedule that is due:

- a recurrence schedule is fired once for the latest due time that has passed (a fire missed
  while no scheduler ran is made up once, not once per missed time), and its next due time
  is the recurrence's next fire after now;
- a datastore schedule polls its folder and fires for the files added or changed since the
  last poll (one run per changed file when it sets a DataPath parameter to it, else one run),
  and is next due ``polling_interval`` minutes later.

Claiming a fire (moving ``next_due`` and recording the fire) is one transaction that also
checks the lease, so a due time is fired at most once whatever the number of servers; the run
is then submitted with the schedule's experiment and parameters, its options naming the
schedule, the due time and the trigger. A fire whose run cannot start (the pipeline was
disabled, a parameter no longer fits) is recorded with the reason.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from ..errors import PipelinesError
from ..model.data import DataPath
from ..model.recurrence import ScheduleRecurrence, latest_fire, next_fire
from ..stores.datastore_watch import changed, look
from ..stores.datastores import Datastore
from ..stores.scheduler_lease import Holder, SchedulerLease
from ..stores.schedules import DATASTORE, RECURRENCE, FireRecord, ScheduleRecord
from ..stores.workspace import Workspace
from . import published_runs as pr
from . import schedule_records as sr

log = logging.getLogger(__name__)

#: Testing knob: the longest wait, in seconds, between two passes (default 10).
TICK_ENV = "JUPYTER_PIPELINES_SCHEDULER_TICK"
#: Set to 0 to run no scheduler in this process (the server starts none).
ENABLED_ENV = "JUPYTER_PIPELINES_SCHEDULER"


def tick_seconds() -> float:
    """The longest wait between passes: 10 s, or ``JUPYTER_PIPELINES_SCHEDULER_TICK``."""
    try:
        value = float(os.environ.get(TICK_ENV) or 10)
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0


def scheduler_enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class Scheduler:
    """The scheduler of one workspace in this process; ``run_pass`` does one pass."""

    def __init__(
        self, workspace: Workspace, holder: Holder | None = None, ttl: float | None = None
    ) -> None:
        self.workspace = workspace
        self.store = sr.store_of(workspace)
        self.holder = holder or Holder.this_process()
        self.lease = SchedulerLease(workspace.dir, self.holder, ttl or max(3 * tick_seconds(), 10))

    def run_pass(self) -> float:
        """Fire what is due; the seconds to wait before the next pass (at most one tick)."""
        tick = tick_seconds()
        if not self.store.any_active() or not self.lease.acquire():
            return tick
        for record in self.store.all(active_only=True):
            if record.next_due is not None and record.next_due <= time.time():
                try:
                    self._due(record)
                except Exception:  # one schedule's trouble must not stop the others
                    log.exception("schedule %r (%s) could not fire", record.name, record.id)
        upcoming = [r.next_due for r in self.store.all(active_only=True) if r.next_due is not None]
        wait = min([tick, *(due - time.time() for due in upcoming)])
        return max(wait, 0.05)

    def close(self) -> None:
        """Hand the lease back, so that another server takes over at once."""
        try:
            self.lease.release()
        except PipelinesError as exc:
            log.warning("could not release the scheduler lease: %s", exc)

    def _due(self, record: ScheduleRecord) -> None:
        if record.recurrence is not None:
            self._fire_recurrence(record)
        else:
            self._poll(record)

    # -- recurrences -----------------------------------------------------------------------
    def _fire_recurrence(self, record: ScheduleRecord) -> None:
        assert record.next_due is not None and record.recurrence is not None
        recurrence = ScheduleRecurrence.from_dict(record.recurrence)
        anchor, now = sr.utc(record.anchor), sr.utc(time.time())
        first_due = sr.utc(record.next_due)
        due = latest_fire(recurrence, anchor, first_due, now) or first_due
        following = next_fire(recurrence, anchor, max(due, now))
        fire = FireRecord(
            schedule_id=record.id,
            due=due.timestamp(),
            missed_since=first_due.timestamp() if first_due < due else None,
            trigger=RECURRENCE,
            holder=self.holder.id,
        )
        claimed = self.store.claim(
            record.id, record.next_due, following.timestamp(), [fire], self.holder.id
        )
        if claimed:
            self._submit(record, fire)

    # -- datastores ------------------------------------------------------------------------
    def _poll(self, record: ScheduleRecord) -> None:
        assert record.next_due is not None
        now = time.time()
        following = now + (record.polling_interval or 5) * sr.minute_seconds()
        try:
            store = Datastore.get(self.workspace, str(record.datastore_name))
            current = look(
                store, record.path_on_datastore, record.watch, sr.stat_cache(self.workspace)
            )
        except (PipelinesError, OSError) as exc:
            log.warning("schedule %r cannot poll its datastore: %s", record.name, exc)
            self.store.claim(record.id, record.next_due, following, [], self.holder.id)
            return
        paths = changed(record.watch, current)
        fires = [self._datastore_fire(record, now, p) for p in paths]
        if paths and not record.data_path_parameter_name:
            fires = [self._datastore_fire(record, now, ", ".join(paths))]
        claimed = self.store.claim_poll(
            record.id,
            record.next_due,
            following,
            record.watch_version,
            current if current != record.watch else None,
            fires,
            self.holder.id,
        )
        for fire in claimed or []:
            self._submit(record, fire)

    def _datastore_fire(self, record: ScheduleRecord, now: float, path: str) -> FireRecord:
        return FireRecord(
            schedule_id=record.id,
            due=now,
            trigger=DATASTORE,
            changed_path=path,
            holder=self.holder.id,
        )

    # -- submitting ------------------------------------------------------------------------
    def _submit(self, record: ScheduleRecord, fire: FireRecord) -> None:
        """Start the run of a claimed fire and record it (or why it did not start)."""
        assert fire.id is not None
        parameters = sr.parameter_values(record.parameters)
        if record.data_path_parameter_name and fire.changed_path:
            path = DataPath(record.datastore_name, fire.changed_path)
            parameters[record.data_path_parameter_name] = path
        try:
            run_id = submit_fire(self.workspace, record, fire, parameters)
        except PipelinesError as exc:
            log.warning("schedule %r fired but its run did not start: %s", record.name, exc)
            self.store.finish_fire(fire.id, error=str(exc))
            return
        except Exception as exc:
            log.exception("schedule %r fired but its run did not start", record.name)
            self.store.finish_fire(fire.id, error=f"{type(exc).__name__}: {exc}")
            return
        self.store.finish_fire(fire.id, run_id=run_id, experiment=record.experiment_name)
        log.info("schedule %r started run %s", record.name, run_id)


def submit_fire(
    workspace: Workspace, record: ScheduleRecord, fire: FireRecord, parameters: dict[str, Any]
) -> str:
    """Submit the run of a fire: the published pipeline, or the endpoint's default version."""
    origin = fire_origin(record, fire)
    if record.pipeline_endpoint_id:
        return pr.run_endpoint(
            workspace,
            record.pipeline_endpoint_id,
            record.experiment_name,
            pipeline_parameters=parameters,
            continue_on_step_failure=record.continue_on_step_failure,
            description=record.description,
            origin=origin,
        )
    return pr.run_published(
        workspace,
        str(record.pipeline_id),
        record.experiment_name,
        pipeline_parameters=parameters,
        continue_on_step_failure=record.continue_on_step_failure,
        description=record.description,
        origin=origin,
    )


def fire_origin(record: ScheduleRecord, fire: FireRecord) -> dict[str, Any]:
    """What a scheduled run records in its options: the schedule, the due time (ISO, UTC),
    the trigger and, for a datastore schedule, the changed path(s)."""
    origin: dict[str, Any] = {
        "run_source": pr.SOURCE_SCHEDULE,
        "schedule_id": record.id,
        "schedule_name": record.name,
        "schedule_due": iso(fire.due),
        "schedule_trigger": fire.trigger,
    }
    if fire.missed_since is not None:
        origin["schedule_missed_since"] = iso(fire.missed_since)
    if fire.changed_path:
        origin["schedule_changed_path"] = fire.changed_path
    return origin


def iso(ts: float) -> str:
    """A unix time as ISO 8601 in UTC, to the second."""
    return sr.utc(ts).replace(microsecond=0).isoformat()


__all__ = [
    "ENABLED_ENV",
    "TICK_ENV",
    "Scheduler",
    "fire_origin",
    "iso",
    "scheduler_enabled",
    "submit_fire",
    "tick_seconds",
]
