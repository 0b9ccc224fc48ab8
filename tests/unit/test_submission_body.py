"""The v1 REST run request body (server/submissions.py): values converted to the parameters'
types, every problem reported at once with its field, and v1's error body and statuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

pytest.importorskip("jupyter_server")

from jupyter_pipelines.errors import (
    PipelineDisabledError,
    UnknownDatasetError,
    UnknownPublishedPipelineError,
)
from jupyter_pipelines.model.data import DataPath
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.server.errors import v1_error_response
from jupyter_pipelines.server.submissions import (
    Submission,
    SubmissionError,
    parse_submission,
    run_entity,
)

DECLARED = {
    p.name: p
    for p in (
        PipelineParameter("alpha", 0.5),
        PipelineParameter("epochs", 3),
        PipelineParameter("mode", "fast"),
        PipelineParameter("verbose", False),
        PipelineParameter("folder", DataPath("workspaceblobstore", "in")),
    )
}


class Known:
    """A registered dataset, as the resolver hands it to submit."""

    is_dataset = True

    def __init__(self, id: str) -> None:
        self.id = id


def resolve(reference: Mapping[str, Any]) -> Known:
    if reference.get("Id") == "ds-1" or reference.get("Name") == "images":
        return Known("ds-1")
    raise UnknownDatasetError(f"no dataset with id {reference.get('Id')!r}")


DECLARED_WITH_DATASET = {**DECLARED, "images": PipelineParameter("images", Known("ds-0"))}


def parse(body: Any, declared: Mapping[str, PipelineParameter] = DECLARED) -> Submission:
    return parse_submission(body, declared, resolve, {"workspaceblobstore", "workspacefilestore"})


def test_the_v1_body_becomes_typed_values() -> None:
    got = parse(
        {
            "ExperimentName": "nightly",
            "RunSource": "SDK",
            "ParameterAssignments": {"alpha": "0.25", "epochs": "7", "verbose": "true"},
            "DataPathAssignments": {
                "folder": {"DataStoreName": "workspacefilestore", "RelativePath": "x/y"}
            },
            "tags": {"who": "cron"},
            "ContinueRunOnStepFailure": True,
            "Description": "from curl",
        }
    )
    assert got.experiment_name == "nightly"
    assert got.parameters["alpha"] == 0.25 and got.parameters["epochs"] == 7
    assert got.parameters["verbose"] is True
    assert got.parameters["folder"] == DataPath("workspacefilestore", "x/y")
    assert (got.run_source, got.tags, got.continue_on_step_failure) == (
        "SDK",
        {"who": "cron"},
        True,
    )
    assert got.description == "from curl"


def test_a_saved_dataset_reference_is_resolved_by_id() -> None:
    body = {
        "ExperimentName": "e",
        "DataSetDefinitionValueAssignments": {"images": {"SavedDataSetReference": {"Id": "ds-1"}}},
    }
    got = parse(body, DECLARED_WITH_DATASET)
    assert got.parameters["images"].id == "ds-1"
    assert got.datasets == body["DataSetDefinitionValueAssignments"]


def test_every_problem_is_reported_at_once_each_with_its_field() -> None:
    with pytest.raises(SubmissionError) as caught:
        parse(
            {
                "ParameterAssignments": {"alpah": 1, "epochs": "many", "mode": {"a": 1}},
                "DataPathAssignments": {"folder": {"DataStoreName": "nostore", "RelativePath": ""}},
                "Paramters": {},
            }
        )
    targets = [d["target"] for d in caught.value.details]
    assert targets == [
        "Paramters",
        "ExperimentName",
        "ParameterAssignments.alpah",
        "ParameterAssignments.epochs",
        "ParameterAssignments.mode",
        "DataPathAssignments.folder.DataStoreName",
    ]
    message = str(caught.value)
    assert "unknown pipeline parameter 'alpah' (did you mean \"alpha\"?)" in message
    assert "parameter 'epochs' expects a int value, got 'many'" in message
    assert 'unknown field (did you mean "ParameterAssignments"?)' in message
    assert "unknown datastore 'nostore'" in message
    assert caught.value.target == "Paramters"


def test_a_parameter_assigned_in_the_wrong_section_names_its_kind() -> None:
    with pytest.raises(SubmissionError, match="parameter 'alpha' is a float parameter, not a"):
        parse({"ExperimentName": "e", "DataPathAssignments": {"alpha": {}}})
    with pytest.raises(
        SubmissionError, match=r"DataSetDefinitionValueAssignments\.images: expects"
    ):
        parse(
            {"ExperimentName": "e", "DataSetDefinitionValueAssignments": {"images": {"Id": "x"}}},
            DECLARED_WITH_DATASET,
        )
    with pytest.raises(SubmissionError, match="the request body must be a JSON object"):
        parse(["not", "an", "object"])


def test_status_and_v1_error_body_of_each_refusal() -> None:
    with pytest.raises(SubmissionError) as bad:
        parse({"ExperimentName": "e", "ParameterAssignments": {"nope": 1}})
    status, body = v1_error_response(bad.value)
    assert status == 400
    assert body["error"]["code"] == "UserError"
    assert body["error"]["target"] == "ParameterAssignments.nope"
    assert body["error"]["innerError"] == {"code": "BadArgument"}
    assert body["error"]["details"][0]["target"] == "ParameterAssignments.nope"
    assert set(body) == {"error", "correlation", "time"}

    with pytest.raises(UnknownDatasetError) as missing:
        parse(
            {
                "ExperimentName": "e",
                "DataSetDefinitionValueAssignments": {
                    "images": {"SavedDataSetReference": {"Id": "ds-404"}}
                },
            },
            DECLARED_WITH_DATASET,
        )
    status, body = v1_error_response(missing.value)
    assert (status, body["error"]["target"]) == (404, "DataSetDefinitionValueAssignments.images")
    assert body["error"]["innerError"] == {"code": "NotFound"}

    assert v1_error_response(PipelineDisabledError("x is Disabled"))[0] == 409
    assert v1_error_response(PipelineDisabledError("x"))[1]["error"]["innerError"] == {
        "code": "Conflict"
    }
    assert v1_error_response(UnknownPublishedPipelineError("no such"))[0] == 404


def test_the_answer_is_v1s_run_entity() -> None:
    class Run:
        id, description, status, error = "r1", "d", "NotStarted", None
        created, ended, experiment, tags = 1_700_000_000.0, None, "nightly", {"a": "b"}

    class Published:
        id, graph_id, total_run_steps = "p1", "g1", 2

    submission = parse({"ExperimentName": "nightly", "ParameterAssignments": {"epochs": 4}})
    entity = run_entity(Run(), Published(), submission)
    assert entity["Id"] == "r1"
    assert entity["Status"]["StatusCode"] == "NotStarted"
    assert entity["Status"]["CreationTime"].startswith("2023-11-14T22:13:20")
    assert entity["ParameterAssignments"] == {"epochs": "4"}
    assert (entity["PipelineId"], entity["GraphId"], entity["TotalRunSteps"]) == ("p1", "g1", 2)
    assert entity["RunHistoryExperimentName"] == "nightly"
