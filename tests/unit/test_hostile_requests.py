"""Bad values in requests, through the service layer in-process: each is a PipelinesError the
server answers with a 4xx naming the field (each was a 500, a TypeError, an OSError or an
OverflowError before)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import ScheduleRecurrence
from jupyter_pipelines.errors import PipelinesError, RecurrenceError
from jupyter_pipelines.server.errors import error_response
from jupyter_pipelines.server.schedules import ScheduleService
from jupyter_pipelines.server.service import PipelinesService

HELLO = "version: 1\nsteps: {s: {type: command, command: 'echo hi'}}\n"


@pytest.fixture
def service(tmp_path: Path) -> PipelinesService:
    root = tmp_path / "project"
    root.mkdir()
    (root / "ok.pipeline.yaml").write_text(HELLO)
    return PipelinesService(root)


def status_of(call: Any, *args: Any) -> tuple[int, str]:
    with pytest.raises(PipelinesError) as info:
        call(*args)
    status, body = error_response(info.value)
    return status, body["message"]


def step_doc(**step: Any) -> dict[str, Any]:
    return {"version": 1, "steps": {"s": {"type": "command", "command": "true", **step}}}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"experiment": 5}, "'experiment': experiment name 5 is invalid"),
        ({"experiment": "a/b"}, "'experiment': experiment name 'a/b' is invalid"),
        ({"steps": 5}, "'steps' must be a list of step names"),
        ({"from_steps": [1]}, "'from_steps' must be a list of step names"),
        ({"description": {"a": 1}}, "'description' must be a string"),
        ({"regenerate_outputs": "no"}, "'regenerate_outputs' must be true or false"),
        ({"continue_on_step_failure": 1}, "'continue_on_step_failure' must be true or false"),
        ({"tags": [1]}, "'tags' must be an object"),
        ({"parameters": "p=1"}, "'parameters' must be an object"),
    ],
)
def test_run_request_fields_of_the_wrong_type(
    service: PipelinesService, body: dict[str, Any], expected: str
) -> None:
    for call in (service.load_submission, service.submit):
        status, message = status_of(call, {"path": "ok.pipeline.yaml", **body})
        assert status == 400 and expected in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"path": "x\0.txt"}, "'path' holds a NUL character"),
        ({"path": "x" * 300}, "'path' holds a name of 300 bytes"),
        ({"path": "d/" * 2100}, "'path' is a path of 4,200 bytes"),
        ({"document": step_doc(), "base_dir": "b" * 256}, "'base_dir' holds a name of 256"),
        ({"document": step_doc(source_directory="a\0b")}, "source_directory' holds a NUL"),
        ({"document": step_doc(source_directory="s" * 300)}, "source_directory' holds a name"),
    ],
)
def test_paths_that_no_file_system_accepts(
    service: PipelinesService, body: dict[str, Any], expected: str
) -> None:
    for call in (service.validate, service.describe, service.load_submission):
        status, message = status_of(call, body)
        assert status == 400 and expected in message, (call, message)


def test_parse_refuses_text_no_file_can_hold(service: PipelinesService) -> None:
    for text, expected in (
        ("a: \ud800", "lone surrogate"),
        ("a: 99999999999999999999999", "larger than 64 bits"),
        ("a: &a [*a]", "recursive structure"),
    ):
        status, message = status_of(service.parse, {"text": text})
        assert status == 400 and expected in message


@pytest.mark.parametrize("version", ["abc", "-1", "0", "²", "1.5", "99999999999999999999"])
def test_dataset_versions_that_are_not_numbers(service: PipelinesService, version: str) -> None:
    status, message = status_of(service.dataset, "d", version)
    assert status == 400
    assert f"'version' must be 'latest' or a version number, not {version!r}" in message


def test_list_runs_refuses_an_offset_sqlite_cannot_hold(service: PipelinesService) -> None:
    assert status_of(service.list_runs, None, None, None, 10, -1)[0] == 400


# -- schedules ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"frequency": "Week", "interval": 1, "week_days": 5}, "Week days must be a list"),
        (
            {"frequency": "Minute", "interval": 2**62},
            "Interval must be at most 525,600,000 for frequency Minute",
        ),
    ],
)
def test_recurrence_values_that_crashed(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(RecurrenceError, match=expected):
        ScheduleRecurrence(**options).validate()


def test_a_polling_interval_past_any_date_is_a_400(service: PipelinesService) -> None:
    published = service.publishing.publish(
        {"name": "ok"}, service.load({"path": "ok.pipeline.yaml"}), "http://localhost/api"
    )
    schedules = ScheduleService(service.workspace, None)
    body = {"name": "n", "experiment_name": "e", "pipeline_id": published["id"]}
    for interval in (2**62, float("inf")):
        status, message = status_of(
            schedules.create,
            {**body, "datastore": "workspaceblobstore", "polling_interval": interval},
        )
        assert status == 400 and "from 1 to 1,000,000" in message
