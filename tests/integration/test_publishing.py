"""Published pipelines and pipeline endpoints, end to end: frozen code, reuse by fingerprint,
the v1 REST run requests against a real jupyter server (v1 body, auth header, v1 errors),
disable/enable, endpoint versions and the default, publishing from a run and a draft."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from jupyter_pipelines import (
    Dataset,
    Experiment,
    InteractiveLoginAuthentication,
    PipelineDraft,
    PipelineEndpoint,
    PipelineParameter,
    PipelineRun,
    PublishedPipeline,
    Run,
)
from jupyter_pipelines.errors import EngineError, PipelineDisabledError, PublishingError
from jupyter_pipelines.stores import status as st
from tests.integration.publishing_support import (
    TOKEN,
    Server,
    jupyter_server,
    stdout,
    two_steps,
    write_code,
)
from tests.integration.support import Project

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _no_background_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests bring their own server; none may be started behind their back."""
    monkeypatch.setenv("JUPYTER_PIPELINES_BACKGROUND_SERVER", "0")


@pytest.fixture
def server(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    with jupyter_server(project.root, runtime) as running:
        yield running


def run_of(project: Project, answer: dict[str, Any]) -> PipelineRun:
    record = project.ws.run_store.get_run(answer["Id"])
    return PipelineRun(Experiment(project.ws, record.experiment), record.id)


def run_count(project: Project) -> int:
    return len(project.ws.run_store.list_runs(limit=10_000))


def test_a_published_pipeline_runs_its_frozen_code_and_reuses_by_fingerprint(
    project: Project,
) -> None:
    write_code(project, "one")
    pipeline = two_steps(project)
    first = project.experiment().submit(pipeline, show_output=False)
    assert first.wait_for_completion(show_output=False) == st.FINISHED

    published = pipeline.publish(name="two", description="the two steps", version="1.0")
    assert (published.status, published.version, published.total_run_steps) == ("Active", "1.0", 2)
    write_code(project, "two")  # edited after publishing: the published pipeline ignores it

    # Same code, same parameters: the published run's fingerprints are the first run's.
    reused = published.submit(project.ws, "it", parent_run_id=first.id)
    assert reused.get_status() == st.FINISHED
    assert all(s.is_reused for s in reused.get_steps())
    assert reused.get_properties()["azureml.parentRunId"] == first.id
    runs = len(project.ws.run_store.list_runs())
    with pytest.raises(EngineError, match="the parent run must belong to the experiment"):
        published.submit(project.ws, "published", parent_run_id=first.id)
    assert len(project.ws.run_store.list_runs()) == runs

    changed = published.submit(project.ws, "published", pipeline_parameters={"n": 5})
    assert changed.wait_for_completion(show_output=False) == st.FINISHED
    assert "make: n=5 code=one" in stdout(changed, "make")
    assert "show: n=5 code=one" in stdout(changed, "show")

    # The source folder may even be gone: the code comes from the published snapshots.
    shutil.rmtree(project.root / "src")
    via_experiment = Experiment(project.ws, "published").submit(
        published, pipeline_parameters={"n": 6}
    )
    assert via_experiment.wait_for_completion(show_output=False) == st.FINISHED
    assert "make: n=6 code=one" in stdout(via_experiment, "make")
    options = via_experiment.get_details()["options"]
    assert options["published_pipeline_id"] == published.id
    assert PublishedPipeline.get(project.ws, published.id).get_step_names() == ["make", "show"]
    assert {r.id for r in PipelineRun.get_pipeline_runs(project.ws, published.id)} == {
        reused.id,
        changed.id,
        via_experiment.id,
    }


def test_v1_client_code_posts_to_the_endpoint_and_bad_bodies_record_nothing(
    project: Project, server: Server
) -> None:
    write_code(project)
    store = project.ws.get_default_datastore()
    folder = Path(store.full_path("images"))
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("pixels")
    images = Dataset.File.from_files(path=(store, "images")).register(project.ws, "images")
    # An unregistered dataset as a default is frozen by its definition.
    loose = Dataset.Tabular.from_delimited_files(str(project.script("t.csv", "a,b\n1,2\n")))
    parameters = (
        PipelineParameter("images", default_value=images),
        PipelineParameter("table", default_value=loose),
    )
    pipeline = two_steps(project, parameters=parameters)
    published = pipeline.publish(name="two", description="for REST")

    auth = InteractiveLoginAuthentication().get_authentication_header()
    assert auth == {"Authorization": f"Bearer {TOKEN}"}
    assert published.endpoint.startswith(server.api + "/PipelineRuns/PipelineSubmit/")
    response = requests.post(
        published.endpoint,
        headers=auth,
        json={
            "ExperimentName": "rest",
            "RunSource": "SDK",
            "ParameterAssignments": {"n": "7"},
            "DataSetDefinitionValueAssignments": {
                "images": {"SavedDataSetReference": {"Id": images.id}}
            },
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["PipelineId"] == published.id
    assert answer["ParameterAssignments"]["n"] == "7"
    run = run_of(project, answer)  # visible to the SDK at once
    assert run.experiment.name == "rest"
    assert Run.get(project.ws, answer["Id"]) == run  # found by id, as a PipelineRun
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "make: n=7 code=one" in stdout(run, "make")
    assert run.get_details()["options"]["run_source"] == "SDK"

    before = run_count(project)
    bad = {
        "unknown parameter": ({"ParameterAssignments": {"m": 1}}, 400, "ParameterAssignments.m"),
        "wrong type": ({"ParameterAssignments": {"n": "many"}}, 400, "ParameterAssignments.n"),
        "unknown dataset": (
            {
                "DataSetDefinitionValueAssignments": {
                    "images": {"SavedDataSetReference": {"Id": "no-such-dataset"}}
                }
            },
            404,
            "DataSetDefinitionValueAssignments.images",
        ),
        "no experiment": ({"ExperimentName": None}, 400, "ExperimentName"),
    }
    for what, (fields, status, target) in bad.items():
        body = {"ExperimentName": "rest", **fields}
        refused = requests.post(published.endpoint, headers=auth, json=body, timeout=30)
        assert refused.status_code == status, (what, refused.text)
        error = refused.json()["error"]
        assert (error["code"], error["target"]) == ("UserError", target), what
        assert target.split(".")[-1] in error["message"], what

    unknown = published.endpoint.replace(published.id, "no-such-pipeline")
    refused = requests.post(unknown, headers=auth, json={"ExperimentName": "rest"}, timeout=30)
    assert refused.status_code == 404
    assert "no published pipeline 'no-such-pipeline'" in refused.json()["error"]["message"]
    assert requests.post(
        published.endpoint, json={"ExperimentName": "x"}, timeout=30
    ).status_code in (
        401,
        403,
    )

    published.disable()
    refused = requests.post(published.endpoint, headers=auth, json={"ExperimentName": "rest"})
    assert refused.status_code == 409
    assert refused.json()["error"]["innerError"]["code"] == "Conflict"
    with pytest.raises(PipelineDisabledError, match="is Disabled; enable"):
        published.submit(project.ws, "rest")
    assert PublishedPipeline.list(project.ws) == []
    assert PublishedPipeline.list(project.ws, active_only=False) == [published]
    assert run_count(project) == before  # no run was recorded for any refusal

    published.enable()
    again = requests.post(published.endpoint, headers=auth, json={"ExperimentName": "rest"})
    assert again.status_code == 200, again.text
    assert run_count(project) == before + 1


def test_endpoint_versions_and_the_default_over_rest_and_the_sdk(
    project: Project, server: Server
) -> None:
    write_code(project)
    three = two_steps(project, 3).publish(name="three", description="n=3", version="1")
    four = two_steps(project, 4).publish(name="four", description="n=4", version="2")
    for published in (three, four):  # once each: later runs reuse every step
        run = published.submit(project.ws, "warm")
        assert run.wait_for_completion(show_output=False) == st.FINISHED

    endpoint = PipelineEndpoint.publish(project.ws, "scoring", "the scorer", three)
    endpoint.add(four)
    assert [(v.version, v.pipeline_id) for v in endpoint.pipeline_version_list] == [
        ("0", three.id),
        ("1", four.id),
    ]
    assert endpoint.get_default_version() == "0"
    auth = InteractiveLoginAuthentication().get_authentication_header()

    def post(url: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        response = requests.post(url, headers=auth, json={"ExperimentName": "ep", **body})
        assert response.status_code == expect, response.text
        return dict(response.json())

    def ran(answer: dict[str, Any]) -> tuple[str, str]:
        options = run_of(project, answer).get_details()["options"]
        assert options["pipeline_endpoint_id"] == endpoint.id
        return options["pipeline_version"], options["published_pipeline_id"]

    assert endpoint.endpoint == f"{server.api}/PipelineRuns/PipelineEndpointSubmit/Id/{endpoint.id}"
    assert ran(post(endpoint.endpoint)) == ("0", three.id)
    assert ran(post(endpoint.endpoint + "/1")) == ("1", four.id)
    assert ran(post(endpoint.endpoint + "?pipelineVersion=1")) == ("1", four.id)
    endpoint.set_default_version("1")
    assert ran(post(endpoint.endpoint)) == ("1", four.id)
    endpoint.set_default(three)
    assert PipelineEndpoint.get(project.ws, name="scoring").default_version == "0"
    assert "has no version '9'" in post(endpoint.endpoint + "/9", 404)["error"]["message"]
    with pytest.raises(PublishingError, match="cannot set version '5'"):
        endpoint.set_default_version("5")

    four.disable()
    assert post(endpoint.endpoint + "/1", 409)["error"]["innerError"]["code"] == "Conflict"
    assert endpoint.list_pipelines() == [three]
    assert endpoint.list_pipelines(active_only=False) == [three, four]
    four.enable()
    endpoint.disable()
    assert "pipeline endpoint 'scoring'" in post(endpoint.endpoint, 409)["error"]["message"]
    with pytest.raises(PipelineDisabledError):
        endpoint.submit("ep")
    endpoint.enable()

    by_sdk = endpoint.submit("ep", pipeline_version="1")
    assert ran({"Id": by_sdk.id}) == ("1", four.id)
    by_experiment = Experiment(project.ws, "ep").submit(endpoint, pipeline_parameters={"n": 3})
    assert ran({"Id": by_experiment.id}) == ("0", three.id)
    assert by_experiment.get_status() == st.FINISHED  # every step reused

    with pytest.raises(ValueError, match="named 'scoring' already exists"):
        PipelineEndpoint.publish(project.ws, "scoring", "again", four)
    endpoint.set_name("scoring-2")
    assert PipelineEndpoint.get(project.ws, id=endpoint.id).name == "scoring-2"
    endpoint.archive()
    assert endpoint.status == "Disabled" and endpoint.name != "scoring-2"
    assert PipelineEndpoint.list(project.ws) == []
    endpoint.reactivate("scoring")
    assert [e.name for e in PipelineEndpoint.list(project.ws)] == ["scoring"]
    assert [v.pipeline.name for v in endpoint.list_versions()] == ["three", "four"]

    fresh = PipelineEndpoint.publish(project.ws, "fresh", "from a Pipeline", two_steps(project))
    assert fresh.get_pipeline().name.startswith("fresh-")
    assert fresh.get_pipeline().name.endswith("-Pipeline")


def test_publishing_from_a_run_and_from_a_draft(project: Project) -> None:
    write_code(project, "one")
    first = project.experiment().submit(two_steps(project), show_output=False)
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    write_code(project, "two")

    from_run = first.publish_pipeline("from-run", "what the run ran", "3")
    run = from_run.submit(project.ws, "published", pipeline_parameters={"n": 8})
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "make: n=8 code=one" in stdout(run, "make")  # the run's code, not the edited one
    with pytest.raises(ValueError, match="'colour' is not recognized"):
        first.publish_pipeline("x", "y", "1", colour="blue")

    draft = PipelineDraft.create(project.ws, from_run)
    assert (draft.name, draft.parent_pipeline_id) == ("from-run", from_run.id)
    assert draft.experiment_name == "from-run"
    from_draft = draft.publish()
    assert from_draft.name == "from-run" and from_draft.id != from_run.id
    # The draft reads the source folder again: its code is the edited one.
    assert from_draft.graph_id != from_run.graph_id
    assert from_draft.get_step_names() == ["make", "show"]


def test_the_rest_resources_the_front_end_reads(project: Project, server: Server) -> None:
    write_code(project)
    two_steps(project).save(project.root / "two.pipeline.yaml")
    auth = server.headers

    def call(method: str, route: str, expect: int = 200, **body: Any) -> Any:
        response = requests.request(
            method, f"{server.api}/{route}", headers=auth, json=body or None, timeout=60
        )
        assert response.status_code == expect, response.text
        return response.json()

    made = call(
        "POST",
        "published",
        201,
        path="two.pipeline.yaml",
        name="two",
        version="1",
        endpoint="scoring",
    )
    assert made["endpoint"] == f"{server.api}/PipelineRuns/PipelineSubmit/{made['id']}"
    assert made["parameters"] == {"n": {"type": "int", "default": 3}}
    endpoint = made["endpoint_added"]
    assert (endpoint["name"], endpoint["default_version"]) == ("scoring", "0")
    second = call("POST", "published", 201, path="two.pipeline.yaml", name="two", version="2")
    assert call("POST", "published", 403, path="../outside.pipeline.yaml", name="x")
    assert "'name'" in call("POST", "published", 400, path="two.pipeline.yaml")["message"]

    listed = call("GET", "published")["published"]
    assert [(p["name"], p["version"]) for p in listed] == [("two", "1"), ("two", "2")]
    one = call("GET", f"published/{made['id']}")
    assert one["steps"] == ["make", "show"] and set(one["code"]) == {"make", "show"}
    assert one["endpoints"] == [{"id": endpoint["id"], "version": "0"}]
    call("PATCH", f"published/{second['id']}", status="Disabled")
    assert [p["id"] for p in call("GET", "published?active_only=true")["published"]] == [made["id"]]
    assert call("PATCH", f"published/{second['id']}", 400, status="Paused")
    call("PATCH", f"published/{second['id']}", status="Active")
    assert call("GET", "published/nope", 404)["error"] == "UnknownPublishedPipelineError"

    not_a_flag = call(
        "POST",
        f"pipeline-endpoints/{endpoint['id']}/versions",
        400,
        pipeline_id=second["id"],
        default="yes",
    )
    assert not_a_flag["message"] == "'default' must be true or false"
    added = call(
        "POST", f"pipeline-endpoints/{endpoint['id']}/versions", 201, pipeline_id=second["id"]
    )
    assert [(v["version"], v["default"]) for v in added["versions"]] == [("0", True), ("1", False)]
    assert added["versions"][1]["endpoint"] == added["endpoint"] + "/1"
    moved = call("PATCH", "pipeline-endpoints/scoring", default_version="1", name="scorer")
    assert (moved["default_version"], moved["name"]) == ("1", "scorer")
    assert (
        "no version '7'"
        in call("PATCH", f"pipeline-endpoints/{endpoint['id']}", 400, default_version="7")[
            "message"
        ]
    )
    other = call("POST", "pipeline-endpoints", 201, name="batch", pipeline_id=made["id"])
    assert (
        "already exists"
        in call("POST", "pipeline-endpoints", 400, name="batch", pipeline_id=made["id"])["message"]
    )
    assert [e["name"] for e in call("GET", "pipeline-endpoints")["endpoints"]] == [
        "scorer",
        "batch",
    ]
    call("PATCH", f"pipeline-endpoints/{other['id']}", status="Disabled")
    active = call("GET", "pipeline-endpoints?active_only=true")["endpoints"]
    assert [e["name"] for e in active] == ["scorer"]

    swagger = call("GET", f"pipeline-endpoints/{endpoint['id']}/swagger.json")
    assert swagger["servers"] == [{"url": added["endpoint"]}]
    body = swagger["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["ParameterAssignments"]["properties"]["n"]["type"] == "integer"
    assert PipelineEndpoint.get(project.ws, name="scorer").swaggerurl.endswith(
        f"pipeline-endpoints/{endpoint['id']}/swagger.json"
    )
