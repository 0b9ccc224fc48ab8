"""The CLI's schedule commands: ``schedule create`` (a recurrence or a datastore trigger, of a
published pipeline or an endpoint), ``schedules``, ``schedule show|enable|disable|delete``,
with --json and the exit codes of bad input and unknown ids."""

from __future__ import annotations

import pytest

from jupyter_pipelines import DataPath, PipelineEndpoint, PipelineParameter, PublishedPipeline
from tests.integration.publishing_support import two_steps, write_code
from tests.integration.support import Project

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _no_background_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PIPELINES_BACKGROUND_SERVER", "0")


@pytest.fixture
def published(project: Project) -> PublishedPipeline:
    write_code(project)
    data = PipelineParameter("input", default_value=DataPath("workspaceblobstore", "incoming"))
    return two_steps(project, parameters=(data,)).publish(name="nightly")


def test_create_list_show_disable_enable_delete(
    project: Project, published: PublishedPipeline
) -> None:
    made = project.cli(
        "schedule",
        "create",
        "twice-a-day",
        "--pipeline",
        published.id[:8],
        "--experiment",
        "nightly",
        "--every",
        "1",
        "--unit",
        "Day",
        "--hours",
        "9,21",
        "--time-zone",
        "Pacific Standard Time",
        "--param",
        "n=5",
        check=0,
    )
    assert "twice-a-day" in made.stdout and "every day at 09:00, 21:00" in made.stdout
    assert "fire only while a Jupyter server serves" in made.stderr  # none may be started
    [doc] = project.cli_json("schedules")["schedules"]
    assert doc["pipeline_id"] == published.id and doc["pipeline_parameters"] == {"n": "5"}
    assert doc["trigger_text"] == "every day at 09:00, 21:00 (Pacific Standard Time)"
    assert doc["recurrence"]["time_zone"] == "Pacific Standard Time"
    table = project.cli("schedules", check=0).stdout
    assert "twice-a-day" in table and "Active" in table
    short = doc["id"][:8]
    assert project.cli_json("schedule", "disable", short)["status"] == "Disabled"
    assert project.cli_json("schedules")["schedules"] == []
    assert len(project.cli_json("schedules", "--all")["schedules"]) == 1
    assert project.cli_json("schedule", "enable", short)["next_fire"] is not None
    shown = project.cli("schedule", "show", short, check=0).stdout
    assert "runs: nightly in experiment 'nightly'" in shown
    assert project.cli_json("schedule", "delete", short) == {"deleted": doc["id"]}
    gone = project.cli("schedule", "show", short, check=3)
    assert "no schedule" in gone.stderr


def test_a_datastore_schedule_of_an_endpoint(
    project: Project, published: PublishedPipeline
) -> None:
    PipelineEndpoint.publish(project.ws, "scoring", "", published)
    doc = project.cli_json(
        "schedule",
        "create",
        "on-data",
        "--endpoint",
        "scoring",
        "--experiment",
        "scoring",
        "--datastore",
        "workspaceblobstore",
        "--path",
        "incoming",
        "--polling-interval",
        "2",
        "--data-path-parameter",
        "input",
    )
    assert (doc["kind"], doc["pipeline_name"], doc["polling_interval"]) == (
        "DataStore",
        "scoring",
        2,
    )
    assert doc["trigger_text"] == (
        "when files are added to or changed in workspaceblobstore/incoming "
        "(checked every 2 minutes)"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--every", "1"], 2, "needs both --every N and --unit"),
        (["--every", "1", "--unit", "Hour", "--hours", "3"], 2, "hours if frequency"),
        (["--every", "1", "--unit", "Day", "--hours", "x"], 2, "--hours takes integers"),
        (["--datastore", "nope"], 1, "nope"),
        (["--every", "1", "--unit", "Day", "--param", "m=1"], 2, "unknown pipeline parameter"),
    ],
)
def test_bad_input_is_refused_naming_it(
    project: Project, published: PublishedPipeline, args: list[str], code: int, message: str
) -> None:
    done = project.cli(
        "schedule",
        "create",
        "s",
        "--pipeline",
        published.id,
        "--experiment",
        "e",
        *args,
        check=code,
    )
    assert message in done.stderr
    assert project.cli_json("schedules", "--all")["schedules"] == []
