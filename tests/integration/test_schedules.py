"""Schedules through the SDK and scheduler passes in this process (no server): v1's checks at
create, finding and changing schedules, a due recurrence fired once with its schedule and due
time recorded on the run, missed fires made up once, datastore triggers by content with the
changed path given to the DataPath parameter, and the lease keeping a second scheduler out."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jupyter_pipelines import (
    DataPath,
    PipelineEndpoint,
    PipelineParameter,
    PublishedPipeline,
    Schedule,
    ScheduleRecurrence,
    TimeZone,
)
from jupyter_pipelines.engine import schedule_records as sr
from jupyter_pipelines.engine.scheduler import Scheduler
from jupyter_pipelines.errors import (
    ParameterError,
    RecurrenceError,
    ScheduleError,
    UnknownPublishedPipelineError,
    UnknownScheduleError,
)
from tests.integration.publishing_support import two_steps, write_code
from tests.integration.support import Project

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """No background server; a polling minute lasts 0.05 s."""
    monkeypatch.setenv("JUPYTER_PIPELINES_BACKGROUND_SERVER", "0")
    monkeypatch.setenv(sr.MINUTE_ENV, "0.05")


@pytest.fixture
def published(project: Project) -> PublishedPipeline:
    write_code(project)
    ds = project.ws.get_default_datastore()
    data = PipelineParameter("input", default_value=DataPath(ds, "incoming"))
    return two_steps(project, parameters=(data,)).publish(name="nightly", version="1")


def options(project: Project, run_id: str) -> dict:
    return project.ws.run_store.get_run(run_id).options


def fired(schedule: Schedule) -> list:
    return sr.store_of(schedule._workspace).fires(schedule.id)


def test_create_applies_v1_checks_and_records_nothing_when_wrong(
    project: Project, published: PublishedPipeline
) -> None:
    ws, every_hour = project.ws, ScheduleRecurrence("Hour", 1)
    ds = ws.get_default_datastore()
    cases = [
        ({"recurrence": every_hour, "datastore": ds}, ScheduleError, "both a Recurrence"),
        ({"recurrence": every_hour, "path_on_datastore": "x"}, ScheduleError, "Path on datastore"),
        ({"recurrence": every_hour, "data_path_parameter_name": "x"}, ScheduleError, "Data Path"),
        ({}, ScheduleError, "needs recurrence="),
        ({"recurrence": ScheduleRecurrence("Hour", 1, hours=[3])}, RecurrenceError, "hours"),
        ({"recurrence": every_hour, "pipeline_parameters": {"m": 1}}, ParameterError, "'m'"),
        ({"recurrence": every_hour, "pipeline_parameters": {"n": "x"}}, ParameterError, "'n'"),
        ({"datastore": ds, "data_path_parameter_name": "inptu"}, ScheduleError, '"input"'),
        ({"datastore": ds, "polling_interval": 0}, ScheduleError, "polling_interval"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            Schedule.create(ws, "s", published.id, "exp", **kwargs)
    with pytest.raises(UnknownPublishedPipelineError, match="no published pipeline"):
        Schedule.create(ws, "s", "nope", "exp", recurrence=every_hour)
    with pytest.raises(ValueError, match="experiment name"):
        Schedule.create(ws, "s", published.id, "bad name!", recurrence=every_hour)
    assert Schedule.list(ws, active_only=False) == []


def test_find_change_enable_and_disable(project: Project, published: PublishedPipeline) -> None:
    ws = project.ws
    start = ScheduleRecurrence("Day", 1, start_time="2030-01-01T09:00:00")
    s = Schedule.create(ws, "daily", published.id, "exp", recurrence=start, description="d")
    endpoint = PipelineEndpoint.publish(ws, "scoring", "", published)
    e = Schedule.create_for_pipeline_endpoint(
        ws, "on-data", endpoint.id, "exp", datastore="workspaceblobstore", path_on_datastore="in"
    )
    assert (s.status, s.pipeline_id, s.recurrence, s.datastore_name) == (
        "Active",
        published.id,
        start,
        None,
    )
    assert (e.pipeline_endpoint_id, e.datastore_name, e.path_on_datastore) == (
        endpoint.id,
        "workspaceblobstore",
        "in",
    )
    assert (e.polling_interval, e.recurrence) == (5, None)
    assert Schedule.get(ws, s.id) == s and Schedule.get(ws, s.id[:8]).name == "daily"
    assert Schedule.list(ws, pipeline_id=published.id) == [s]
    assert Schedule.get_schedules_for_pipeline_endpoint_id(ws, endpoint.id) == [e]
    assert "Recurrence Details: Runs every Day" in repr(s)
    s.disable()
    assert s.status == "Disabled" and Schedule.get(ws, s.id).status == "Disabled"
    assert Schedule.list(ws) == [e] and len(Schedule.list(ws, active_only=False)) == 2
    s.enable()
    s.update(name="twice-daily", recurrence=ScheduleRecurrence("Day", 1, hours=[9, 21]))
    again = Schedule.get(ws, s.id)
    assert (again.name, again.recurrence.hours) == ("twice-daily", [9, 21])  # type: ignore[union-attr]
    with pytest.raises(ScheduleError, match="recurrence for a Datastore schedule"):
        e.update(recurrence=ScheduleRecurrence("Day", 1))
    with pytest.raises(ScheduleError, match="Datastore for a Recurrence schedule"):
        s.update(datastore="workspaceblobstore")
    with pytest.raises(ScheduleError, match="Status must be either Active or Disabled"):
        s.update(status="Paused")
    e.update(polling_interval=2, path_on_datastore="other")
    assert (e.polling_interval, e.path_on_datastore) == (2, "other")
    sr.delete_schedule(ws, e.id)
    with pytest.raises(UnknownScheduleError, match="no schedule"):
        Schedule.get(ws, e.id)


def test_load_yaml_reads_v1_schedule_files(project: Project, published: PublishedPipeline) -> None:
    path = project.root / "schedule.yaml"
    path.write_text(
        "Schedule:\n"
        '    description: "Test create with recurrence"\n'
        "    recurrence:\n"
        "        frequency: Week\n"
        "        interval: 1\n"
        "        start_time: 2019-06-07T10:50:00\n"
        "        time_zone: Pacific Standard Time\n"
        "        hours:\n        - 1\n"
        "        minutes:\n        - 0\n"
        "        time_of_day: null\n"
        "        week_days:\n        - Friday\n"
        "    pipeline_parameters: {'n': 1}\n"
        "    wait_for_provisioning: True\n"
        "    wait_timeout: 3600\n"
        "    datastore_name: ~\n"
        "    continue_on_step_failure: None\n"
    )
    info = Schedule.load_yaml(project.ws, str(path))
    r = info["recurrence"]
    assert (r.frequency, r.week_days, r.hours, r.time_zone) == (
        "Week",
        ["Friday"],
        [1],
        TimeZone.PacificStandardTime,
    )
    assert info["continue_on_step_failure"] is None and info["pipeline_parameters"] == {"n": 1}
    s = Schedule.create(
        project.ws, "y", published.id, "exp", recurrence=r, description=info["description"]
    )
    assert s.description == "Test create with recurrence"
    (project.root / "bad.yaml").write_text("Other: {}\n")
    with pytest.raises(ScheduleError, match='"Schedule:" section'):
        Schedule.load_yaml(project.ws, str(project.root / "bad.yaml"))


def test_a_due_recurrence_fires_once_and_the_run_names_its_schedule(
    project: Project, published: PublishedPipeline
) -> None:
    ws = project.ws
    s = Schedule.create(
        ws,
        "now",
        published.id,
        "scheduled",
        recurrence=ScheduleRecurrence("Minute", 30),  # no start time: due at once, as v1
        pipeline_parameters={"n": 7},
        description="from a schedule",
    )
    one, two = Scheduler(ws), Scheduler(ws)
    one.run_pass()
    two.run_pass()  # another server: the lease keeps it out
    one.run_pass()  # nothing is due any more
    [fire] = fired(s)
    assert fire.run_id and fire.error is None and fire.experiment == "scheduled"
    run = s.get_last_pipeline_run()
    assert run is not None and run.id == fire.run_id and s.get_pipeline_runs() == [run]
    record = ws.run_store.get_run(fire.run_id)
    assert record.parameters["n"] == 7 and record.description == "from a schedule"
    assert record.options["schedule_id"] == s.id
    assert (
        record.options["schedule_due"]
        == datetime.fromtimestamp(fire.due, timezone.utc).replace(microsecond=0).isoformat()
    )
    assert record.options["run_source"] == "Schedule"
    assert record.options["published_pipeline_id"] == published.id
    assert sr.get_schedule(ws, s.id).next_due == pytest.approx(fire.due + 1800, abs=1)
    one.close()
    two.run_pass()  # the lease was handed back: the other takes over, with nothing due
    assert len(fired(s)) == 1


def test_fires_missed_while_no_scheduler_ran_fire_once(
    project: Project, published: PublishedPipeline
) -> None:
    ws = project.ws
    start = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(hours=5)
    s = Schedule.create(
        ws,
        "hourly",
        published.id,
        "exp",
        recurrence=ScheduleRecurrence("Hour", 1, start_time=start),
    )
    missed_since = sr.get_schedule(ws, s.id).next_due - 4 * 3600  # type: ignore[operator]
    sr.store_of(ws).update(s.id, next_due=missed_since)  # as if no server ran for 4 hours
    Scheduler(ws).run_pass()
    [fire] = fired(s)
    assert fire.missed_since == missed_since
    assert fire.due == missed_since + 3 * 3600  # the latest due time, not the first
    assert sr.get_schedule(ws, s.id).next_due == missed_since + 4 * 3600
    assert options(project, fire.run_id)["schedule_missed_since"]


def test_a_disabled_pipeline_fires_and_records_why_no_run_started(
    project: Project, published: PublishedPipeline
) -> None:
    s = Schedule.create(
        project.ws, "s", published.id, "exp", recurrence=ScheduleRecurrence("Hour", 1)
    )
    published.disable()
    Scheduler(project.ws).run_pass()
    [fire] = fired(s)
    assert fire.run_id is None and "is Disabled" in (fire.error or "")
    assert s.get_last_pipeline_run() is None
    s.disable()
    sr.store_of(project.ws).update(s.id, next_due=time.time() - 1)
    Scheduler(project.ws).run_pass()  # a Disabled schedule does not fire
    assert len(fired(s)) == 1


def test_an_endpoint_schedule_runs_its_default_version(
    project: Project, published: PublishedPipeline
) -> None:
    endpoint = PipelineEndpoint.publish(project.ws, "scoring", "", published)
    s = Schedule.create_for_pipeline_endpoint(
        project.ws, "e", endpoint.id, "exp", recurrence=ScheduleRecurrence("Day", 1)
    )
    Scheduler(project.ws).run_pass()
    [fire] = fired(s)
    got = options(project, fire.run_id)
    assert (got["pipeline_endpoint_id"], got["pipeline_version"]) == (endpoint.id, "0")
    assert got["schedule_id"] == s.id


def test_a_datastore_schedule_fires_for_added_and_changed_files_by_content(
    project: Project, published: PublishedPipeline
) -> None:
    ws = project.ws
    folder = ws.get_default_datastore().local_path("incoming")
    assert folder is not None
    folder.mkdir(parents=True)
    (folder / "old.csv").write_text("there before")
    s = Schedule.create(
        ws,
        "on-data",
        published.id,
        "exp",
        datastore=ws.get_default_datastore(),
        polling_interval=1,
        path_on_datastore="incoming",
        data_path_parameter_name="input",
    )
    scheduler = Scheduler(ws)

    def poll() -> list:
        time.sleep(0.06)  # one polling minute
        scheduler.run_pass()
        return fired(s)

    assert poll() == []  # what was there before is the baseline
    (folder / "a.csv").write_text("1,2")
    [fire] = poll()
    assert (fire.trigger, fire.changed_path) == ("DataStore", "incoming/a.csv")
    record = ws.run_store.get_run(fire.run_id)
    assert record.parameters["input"] == {
        "datastore": "workspaceblobstore",
        "path": "incoming/a.csv",
    }
    assert record.options["schedule_changed_path"] == "incoming/a.csv"
    assert len(poll()) == 1  # nothing changed
    Path(folder / "a.csv").write_text("1,2")  # the same content again
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.csv").write_text("not watched")
    assert len(poll()) == 1
    (folder / "a.csv").write_text("3,4")
    (folder / "b.csv").write_text("5")
    got = poll()
    assert sorted(f.changed_path for f in got[:2]) == ["incoming/a.csv", "incoming/b.csv"]
    assert len(got) == 3
    s.disable()
    (folder / "c.csv").write_text("while disabled")
    assert len(poll()) == 3
    s.enable()  # a new baseline: what changed while disabled does not fire
    assert len(poll()) == 3
