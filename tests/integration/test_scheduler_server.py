"""The scheduler inside real Jupyter servers: a recurrence whose next fire is seconds away fires
exactly once, a datastore schedule fires when a file is written into its folder and not again
while nothing changes, disabling stops both, and with two servers on one workspace one fires;
killing it lets the other take over without firing twice, and a fire that fell due while no
server ran fires once when one starts. Ticks are short through the testing knobs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from jupyter_pipelines import DataPath, PipelineParameter, PublishedPipeline, Schedule
from jupyter_pipelines import ScheduleRecurrence as Recurrence
from jupyter_pipelines.engine import schedule_records as sr
from jupyter_pipelines.stores.scheduler_lease import current_lease
from tests.integration.publishing_support import Server, jupyter_server, two_steps, write_code
from tests.integration.support import Project, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers tick every 0.3 s and a polling minute lasts one second (the testing knobs)."""
    monkeypatch.setenv("JUPYTER_PIPELINES_BACKGROUND_SERVER", "0")
    monkeypatch.setenv("JUPYTER_PIPELINES_SCHEDULER_TICK", "0.3")
    monkeypatch.setenv(sr.MINUTE_ENV, "1")


@pytest.fixture
def published(project: Project) -> PublishedPipeline:
    write_code(project)
    data = PipelineParameter("input", default_value=DataPath("workspaceblobstore", "incoming"))
    return two_steps(project, parameters=(data,)).publish(name="nightly")


@pytest.fixture
def runtimes(tmp_path: Path) -> Iterator[list[Path]]:
    folders = [tmp_path / f"runtime{i}" for i in range(3)]
    for folder in folders:
        folder.mkdir()
    yield folders


def call(server: Server, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = requests.request(
        method, f"{server.api}/{path}", headers=server.headers, json=body, timeout=30
    )
    assert response.status_code == status, response.text
    return response.json()


def soon(seconds: float) -> str:
    """A start time ``seconds`` from now, as v1 writes it (UTC, no offset)."""
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return when.replace(tzinfo=None, microsecond=0).isoformat()


def fires(project: Project, schedule_id: str) -> list:
    return sr.store_of(project.ws).fires(schedule_id)


def wait_for_fires(project: Project, schedule_id: str, count: int, timeout: float = 30) -> list:
    """The fires of a schedule once there are ``count`` and each started its run (or failed to)."""

    def done() -> bool:
        found = fires(project, schedule_id)
        return len(found) >= count and all(f.run_id or f.error for f in found)

    wait_until(
        done,
        timeout=timeout,
        what=f"schedule {schedule_id} to fire {count} time(s)",
    )
    return fires(project, schedule_id)


def test_one_server_fires_recurrences_once_datastore_changes_and_stops_when_disabled(
    project: Project, published: PublishedPipeline, runtimes: list[Path]
) -> None:
    with jupyter_server(project.root, runtimes[0]) as server:
        start = soon(4)
        timed = call(
            server,
            "POST",
            "schedules",
            {
                "name": "soon",
                "pipeline_id": published.id,
                "experiment_name": "scheduled",
                "recurrence": {"frequency": "Minute", "interval": 1, "start_time": start},
            },
            status=201,
        )
        assert timed["next_fire"] == start + "+00:00"
        assert (
            timed["trigger_text"] == f"every minute, starting {start[:16].replace('T', ' ')} (UTC)"
        )
        watched = call(
            server,
            "POST",
            "schedules",
            {
                "name": "on-data",
                "pipeline_id": published.id,
                "experiment_name": "scheduled",
                "datastore": "workspaceblobstore",
                "path_on_datastore": "incoming",
                "polling_interval": 1,
                "data_path_parameter_name": "input",
            },
            status=201,
        )
        [fire] = wait_for_fires(project, timed["id"], 1)
        time.sleep(3)  # ten ticks: still one fire for that due time
        doc = call(server, "GET", f"schedules/{timed['id']}")
        assert len(doc["fires"]) == 1 and doc["last_run"]["run_id"] == fire.run_id
        assert doc["last_run"]["due"] == start + "+00:00"
        run = project.ws.run_store.get_run(fire.run_id)
        assert run.experiment == "scheduled"
        assert (run.options["schedule_id"], run.options["schedule_due"]) == (
            timed["id"],
            start + "+00:00",
        )
        listing = call(server, "GET", "schedules")
        assert listing["scheduler"]["this_server"] and listing["scheduler"]["live"]
        assert [s["name"] for s in listing["schedules"]] == ["soon", "on-data"]

        folder = project.ws.get_default_datastore().local_path("incoming")
        assert folder is not None and fires(project, watched["id"]) == []
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a.csv").write_text("1,2\n")
        [data_fire] = wait_for_fires(project, watched["id"], 1)
        assert data_fire.changed_path == "incoming/a.csv"
        data_run = project.ws.run_store.get_run(data_fire.run_id)
        assert data_run.parameters["input"]["path"] == "incoming/a.csv"
        time.sleep(3)  # three polls, nothing changed
        assert len(fires(project, watched["id"])) == 1

        for schedule in (timed, watched):
            patched = call(server, "PATCH", f"schedules/{schedule['id']}", {"status": "Disabled"})
            assert patched["status"] == "Disabled" and patched["next_fire"] is None
        (folder / "b.csv").write_text("3,4\n")
        time.sleep(3)
        assert len(fires(project, watched["id"])) == 1
        call(server, "DELETE", f"schedules/{timed['id']}")
        call(server, "GET", f"schedules/{timed['id']}", status=404)
        bad = {"name": "x", "pipeline_id": published.id, "experiment_name": "e"}
        answer = call(server, "POST", "schedules", bad, status=400)
        assert "needs recurrence=" in answer["message"]


def test_servers_fire_once_take_over_from_a_killed_one_and_make_up_a_missed_fire_once(
    project: Project, published: PublishedPipeline, runtimes: list[Path]
) -> None:
    ws = project.ws
    with (
        jupyter_server(project.root, runtimes[0]) as a,
        jupyter_server(project.root, runtimes[1]) as b,
    ):
        first = Schedule.create(
            ws, "first", published.id, "exp", recurrence=Recurrence("Minute", 1, start_time=soon(3))
        )
        wait_for_fires(project, first.id, 1)
        time.sleep(3)
        assert len(fires(project, first.id)) == 1  # two schedulers, one fire
        lease = current_lease(ws.dir)
        assert lease is not None and lease.pid in (a.proc.pid, b.proc.pid)
        holder, survivor = (a, b) if lease.pid == a.proc.pid else (b, a)
        holder.proc.kill()  # no lease handed back
        holder.proc.wait()
        wait_until(
            lambda: getattr(current_lease(ws.dir), "pid", None) == survivor.proc.pid,
            timeout=20,
            what="the other server to take the lease of the killed one",
        )
        # a schedule that fell due ten minutes ago: fired once, for its latest due time
        hourly = Schedule.create(
            ws, "missed", published.id, "exp", recurrence=Recurrence("Minute", 1)
        )
        sr.store_of(ws).update(hourly.id, next_due=time.time() - 600)
        [made_up] = wait_for_fires(project, hourly.id, 1)
        assert made_up.missed_since is not None and made_up.due - made_up.missed_since >= 540
        time.sleep(2)
        assert len(fires(project, hourly.id)) == 1 and len(fires(project, first.id)) == 1
    # no server runs now; this one falls due meanwhile
    late = Schedule.create(
        ws, "late", published.id, "exp", recurrence=Recurrence("Minute", 1, start_time=soon(1))
    )
    time.sleep(2)
    assert fires(project, late.id) == []
    with jupyter_server(project.root, runtimes[2]):
        [fire] = wait_for_fires(project, late.id, 1)
        time.sleep(2)
        assert len(fires(project, late.id)) == 1
        assert len(fires(project, first.id)) == 1 and len(fires(project, hourly.id)) == 1
        assert fire.run_id is not None


def test_a_script_that_makes_a_schedule_leaves_a_server_that_fires_it(
    project: Project, published: PublishedPipeline, runtimes: list[Path]
) -> None:
    """v1 code in a plain script: no server runs, so Schedule.create starts the workspace's
    background server (as reading an endpoint does), which fires it after the script ended."""
    from jupyter_pipelines.stores import background as bg

    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_BACKGROUND_SERVER"}
    env["JUPYTER_RUNTIME_DIR"] = str(runtimes[0])
    script = (
        "import sys\n"
        "from jupyter_pipelines import Schedule, ScheduleRecurrence, Workspace\n"
        "s = Schedule.create(Workspace.from_config(), 'from-a-script', sys.argv[1], 'exp',\n"
        "                    recurrence=ScheduleRecurrence('Hour', 1))\n"
        "print(s.id)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, published.id],
            cwd=project.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        schedule_id = done.stdout.split()[-1]
        [fire] = wait_for_fires(project, schedule_id, 1)  # no start time: at once, as v1
        assert fire.run_id is not None
        lease = current_lease(project.ws.dir)
        assert lease is not None and lease.pid == bg.read_record(project.ws.dir).pid  # type: ignore[union-attr]
    finally:
        bg.stop_server(project.ws.dir, timeout=10)
