"""The Jupyter server extension through a real server (pytest-jupyter): REST routes,
the run events WebSocket, error statuses and authentication."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from tornado.httpclient import HTTPClientError

from jupyter_pipelines import AmlCompute, ComputeTarget, Dataset, Environment, Workspace
from jupyter_pipelines.server.routes import ROUTES
from jupyter_pipelines.stores import status as st
from tests.integration.event_support import content
from tests.integration.support import write_notebook

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = pytest.mark.integration

API = ("jupyter-pipelines", "api")
LOG_METRIC = (
    f"{sys.executable} -c "
    "'from jupyter_pipelines import Run; Run.get_context().log(\"score\", 0.5)'"
)


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_pipelines": True}}}


@pytest.fixture(autouse=True)
def _no_workspace_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)


def two_steps(first: str = "echo hello; echo oops >&2") -> dict[str, Any]:
    return {
        "version": 1,
        "name": "two",
        "steps": {
            "make": {
                "type": "command",
                "command": f"{first}; echo made > ${{{{outputs.data}}}}/x.txt; {LOG_METRIC}",
                "outputs": {"data": {}},
            },
            "show": {
                "type": "command",
                "command": "cat ${{inputs.data}}/x.txt",
                "inputs": {"data": {"step": "make", "output": "data"}},
            },
        },
    }


@pytest.fixture
def pipeline_file(jp_root_dir: Path) -> Path:
    path = jp_root_dir / "sub" / "two.pipeline.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(two_steps()))
    return path


async def call(jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None, **kw: Any):
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    response = await jp_fetch(*API, *parts, method=method, body=body, **kw)
    return json.loads(response.body) if response.body else None


async def status_of(jp_fetch: Any, *parts: str, **kw: Any) -> tuple[int, Any]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, *parts, **kw)
    return info.value.code, json.loads(info.value.response.body)


async def follow(jp_ws_fetch: Any, run_id: str, after: str = "0") -> list[dict[str, Any]]:
    ws = await jp_ws_fetch(*API, "runs", run_id, "events", params={"after": str(after)})
    messages = []
    while True:
        text = await asyncio.wait_for(ws.read_message(), timeout=30)
        if text is None:
            break
        messages.append(json.loads(text))
    ws.close()
    return messages


async def test_submit_follow_and_read_a_run(
    jp_fetch: Any, jp_ws_fetch: Any, pipeline_file: Path
) -> None:
    assert await call(jp_fetch, "pipelines") == {"pipelines": ["sub/two.pipeline.yaml"]}
    checked = await call(
        jp_fetch, "pipelines", "validate", method="POST", body={"path": "sub/two.pipeline.yaml"}
    )
    assert checked == {"valid": True, "issues": []}
    described = await call(
        jp_fetch, "pipelines", "describe", method="POST", body={"path": "sub/two.pipeline.yaml"}
    )
    assert described["order"] == ["make", "show"]

    response = await jp_fetch(
        *API, "runs", method="POST", body=json.dumps({"path": "sub/two.pipeline.yaml"})
    )
    assert response.code == 201
    run = json.loads(response.body)["run"]
    assert run["pipeline_file"] == "sub/two.pipeline.yaml" and run["steps"]["total"] == 2

    messages = await follow(jp_ws_fetch, run["id"])
    ids = [m["id"] for m in messages]
    assert len(set(ids)) == len(ids)  # each id is the cursor right after its message
    assert messages[-1]["type"] == "end" and messages[-1]["status"] == st.FINISHED
    statuses = [(m["step"], m["status"]) for m in messages if m["type"] == "status"]
    assert statuses.index(("make", st.FINISHED)) < statuses.index(("show", st.RUNNING))
    assert len(statuses) == len(set(statuses))
    logged = [
        (m["step"], m["stream"], line)
        for m in messages
        if m["type"] == "log"
        for line in m["lines"]
    ]
    assert ("make", "stdout", "hello") in logged and ("make", "stderr", "oops") in logged
    assert ("show", "stdout", "made") in logged
    # Resuming after a message gives exactly the rest (perhaps grouped differently).
    resumed = await follow(jp_ws_fetch, run["id"], after=ids[2])
    assert content(resumed, messages[:3]) == content(messages[3:], messages[:3])

    base = ("runs", run["id"][:8], "steps", "make")
    logs = await call(jp_fetch, *base, "logs", params={"stream": "stdout"})
    assert logs["text"] == "hello\n" and logs["next_offset"] == logs["size"] == 6
    tail = await call(jp_fetch, *base, "logs", params={"stream": "stdout", "tail": "3"})
    assert tail == {
        "stream": "stdout",
        "offset": 3,
        "next_offset": 6,
        "size": 6,
        "truncated": False,
        "text": "lo\n",
    }
    assert (await call(jp_fetch, *base, "metrics"))["metrics"] == {"score": 0.5}
    step = await call(jp_fetch, *base)
    assert step["status"] == st.FINISHED and step["reuse"]["reused"] is False
    files = (await call(jp_fetch, *base, "files"))["files"]
    assert files
    one = await jp_fetch(*API, *base, "files", files[0])
    assert one.code == 200

    listed = await call(jp_fetch, "runs", params={"pipeline": "sub/two.pipeline.yaml"})
    assert listed["total"] == 1 and listed["runs"][0]["id"] == run["id"]
    assert listed["runs"][0]["status"] == st.FINISHED
    assert (await call(jp_fetch, "experiments"))["experiments"] == ["two"]

    rerun = await call(jp_fetch, "runs", run["id"], "rerun", method="POST", body={})
    assert rerun["run"]["reused"] == 2 and rerun["run"]["status"] == st.FINISHED
    runs = await call(jp_fetch, "runs", params={"limit": "1"})
    assert runs["total"] == 2 and runs["runs"][0]["id"] == rerun["run"]["id"]


async def test_cancel_a_run(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> None:
    doc = two_steps(first="sleep 30")
    run = (await call(jp_fetch, "runs", method="POST", body={"document": doc}))["run"]
    await call(jp_fetch, "runs", run["id"], "cancel", method="POST", body={})
    messages = await follow(jp_ws_fetch, run["id"])
    assert messages[-1] == {**messages[-1], "type": "end", "status": st.CANCELED}
    assert (await call(jp_fetch, "runs", run["id"]))["status"] == st.CANCELED


async def test_error_statuses(jp_fetch: Any, jp_root_dir: Path) -> None:
    code, body = await status_of(jp_fetch, "runs", "no-such-run")
    assert code == 404 and "no run 'no-such-run'" in body["message"]
    code, body = await status_of(jp_fetch, "runs", method="POST", body="{not json")
    assert code == 400 and "not valid JSON" in body["message"]
    code, body = await status_of(jp_fetch, "runs", method="POST", body={"path": "../x.yaml"})
    assert code == 403 and "outside the server root" in body["message"]
    code, body = await status_of(
        jp_fetch, "pipelines", "validate", method="POST", body={"path": "/etc/passwd"}
    )
    assert code == 403
    bad = two_steps()
    bad["steps"]["show"]["inputs"]["data"]["step"] = "nope"
    code, body = await status_of(jp_fetch, "runs", method="POST", body={"document": bad})
    assert code == 400 and body["message"] and "issues" in body
    code, body = await status_of(jp_fetch, "runs", params={"limit": "501"})
    assert code == 400


async def test_every_route_needs_a_token(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    for route in ROUTES:
        path = re.sub(r"\{\w+\}", "x", route.path)
        url = f"{jp_base_url}jupyter-pipelines/api/{path}"
        for method in route.methods:
            if route.path.endswith("events"):
                continue  # a WebSocket: checked below
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(
                    url,
                    method=method,
                    body="{}" if method in ("POST", "PATCH") else None,
                    headers={"Authorization": "token not-the-token"},
                )
            assert info.value.code == 403, (method, path)
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(
            f"{jp_base_url}jupyter-pipelines/api/runs/r/events",
            headers={
                "Authorization": "token not-the-token",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
    assert info.value.code == 403


async def finished(jp_ws_fetch: Any, run: dict[str, Any]) -> dict[str, Any]:
    """Follow ``run`` to its end; returns the end message."""
    messages = await follow(jp_ws_fetch, run["id"])
    return messages[-1]


async def test_executed_notebook_route(jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nbs" / "nb.ipynb", "alpha = 0.1\n", "print('alpha is', alpha)\n")
    doc = {
        "version": 1,
        "name": "nb",
        "steps": {
            "nb": {
                "type": "notebook",
                "notebook": "nb.ipynb",
                "source_directory": "nbs",
                "parameters": {"alpha": 0.5},
            }
        },
    }
    run = (await call(jp_fetch, "runs", method="POST", body={"document": doc}))["run"]
    assert (await finished(jp_ws_fetch, run))["status"] == st.FINISHED
    response = await jp_fetch(*API, "runs", run["id"], "steps", "nb", "notebook")
    assert response.headers["Content-Type"] == "application/json"
    executed = nbformat.reads(response.body.decode(), as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "alpha = 0.5" in injected[0].source
    printed = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert "alpha is 0.5\n" in printed
    step = await call(jp_fetch, "runs", run["id"], "steps", "nb")
    assert step["notebook"].startswith(".pipelines/") and step["notebook"].endswith(".ipynb")
    assert (jp_root_dir / step["notebook"]).is_file()
    # A step without a notebook: 404.
    command = {"version": 1, "name": "c", "steps": {"c": {"type": "command", "command": "true"}}}
    other = (await call(jp_fetch, "runs", method="POST", body={"document": command}))["run"]
    await finished(jp_ws_fetch, other)
    code, body = await status_of(jp_fetch, "runs", other["id"], "steps", "c", "notebook")
    assert code == 404 and "no executed notebook" in body["message"]


async def test_workspace_object_routes(jp_fetch: Any, jp_root_dir: Path) -> None:
    ws = Workspace.from_config(jp_root_dir)
    folder = jp_root_dir / "data" / "files"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("a\n")
    store = ws.get_default_datastore()
    store.upload(str(folder), target_path="files", overwrite=True, show_progress=False)
    Dataset.File.from_files([(store, "files")]).register(ws, "files", description="some files")
    Environment("my-env").register(ws)
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=1)
    ComputeTarget.create(ws, "cpu-cluster", config).wait_for_completion(show_output=False)

    stores = (await call(jp_fetch, "datastores"))["datastores"]
    assert store.name in [d["name"] for d in stores]
    one = await call(jp_fetch, "datastores", store.name)
    assert one["name"] == store.name and one["type"] == store.datastore_type
    code, body = await status_of(jp_fetch, "datastores", "no-such-store")
    assert code == 404 and "no-such-store" in body["message"]

    datasets = (await call(jp_fetch, "datasets"))["datasets"]
    assert [d["name"] for d in datasets] == ["files"]
    dataset = await call(jp_fetch, "datasets", "files", params={"version": "1"})
    assert dataset["version"] == 1 and dataset["description"] == "some files"
    assert (await call(jp_fetch, "datasets", "files"))["id"] == dataset["id"]
    code, _ = await status_of(jp_fetch, "datasets", "files", params={"version": "7"})
    assert code == 404
    code, _ = await status_of(jp_fetch, "datasets", "no-such-dataset")
    assert code == 404

    environments = (await call(jp_fetch, "environments"))["environments"]
    assert {"name": "my-env", "version": "1"} in environments
    compute = (await call(jp_fetch, "compute"))["compute"]
    assert [c["name"] for c in compute] == ["local", "cpu-cluster"]


def parameterized() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "params",
        "parameters": {"rows": {"type": "int", "default": 1}},
        "steps": {
            "gen": {
                "type": "command",
                "command": "echo rows=$AML_PARAMETER_rows > ${{outputs.data}}/rows.txt",
                "params": {"rows": "${{parameters.rows}}"},
                "outputs": {"data": {}},
            },
            "use": {
                "type": "command",
                "command": "cat ${{inputs.data}}/rows.txt",
                "inputs": {"data": {"step": "gen", "output": "data"}},
            },
            "report": {"type": "command", "command": "echo report", "run_after": ["use"]},
        },
    }


async def test_rerun_with_overrides_and_partial_runs(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "p.pipeline.yaml").write_text(yaml.safe_dump(parameterized()))
    first = (await call(jp_fetch, "runs", method="POST", body={"path": "p.pipeline.yaml"}))["run"]
    assert (await finished(jp_ws_fetch, first))["status"] == st.FINISHED
    assert first["parameters"] == {"rows": 1}

    body = {"parameters": {"rows": "5"}, "tags": {"why": "more rows"}}
    rerun = (await call(jp_fetch, "runs", first["id"], "rerun", method="POST", body=body))["run"]
    assert (await finished(jp_ws_fetch, rerun))["status"] == st.FINISHED
    rerun = await call(jp_fetch, "runs", rerun["id"])
    assert rerun["parameters"] == {"rows": 5} and rerun["tags"] == {"why": "more rows"}
    assert rerun["pipeline_file"] == "p.pipeline.yaml"
    # The new value changes what gen and use compute; report does not read it.
    assert [s["name"] for s in rerun["step_runs"] if s["reused_from"]] == ["report"]
    logs = await call(jp_fetch, "runs", rerun["id"], "steps", "use", "logs")
    assert logs["text"] == "rows=5\n"

    to = {"path": "p.pipeline.yaml", "to_steps": ["use"]}
    partial = (await call(jp_fetch, "runs", method="POST", body=to))["run"]
    await finished(jp_ws_fetch, partial)
    partial = await call(jp_fetch, "runs", partial["id"])
    assert [s["name"] for s in partial["step_runs"]] == ["gen", "use"]
    assert partial["status"] == st.FINISHED and partial["reused"] == 2

    frm = {"path": "p.pipeline.yaml", "from_steps": ["use"], "parameters": {"rows": 5}}
    later = (await call(jp_fetch, "runs", method="POST", body=frm))["run"]
    await finished(jp_ws_fetch, later)
    later = await call(jp_fetch, "runs", later["id"])
    reused = {s["name"]: s["reused_from"] is not None for s in later["step_runs"]}
    assert reused == {"gen": True, "use": False, "report": True}
    assert later["options"]["selection"]["use"] == "forced"
    code, body = await status_of(
        jp_fetch, "runs", method="POST", body={**frm, "from_steps": ["nope"]}
    )
    assert code == 400 and "nope" in body["message"]


ELYRA = Path(__file__).resolve().parents[2] / "examples" / "elyra"


async def test_convert_elyra_and_get_environment_and_compute(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    import shutil

    shutil.copytree(ELYRA, jp_root_dir / "elyra")
    converted = await call(
        jp_fetch, "pipelines", "convert", method="POST", body={"path": "elyra/numbers.pipeline"}
    )
    assert set(converted["document"]["steps"]) == {"produce", "summarize"}
    assert not (jp_root_dir / "elyra" / "numbers.pipeline.yaml").exists()
    saved = await call(
        jp_fetch,
        "pipelines",
        "convert",
        method="POST",
        body={"path": "elyra/numbers.pipeline", "target": "elyra/numbers.pipeline.yaml"},
    )
    assert saved["path"] == "elyra/numbers.pipeline.yaml"
    assert (jp_root_dir / "elyra" / "numbers.pipeline.yaml").is_file()
    again = await status_of(
        jp_fetch,
        "pipelines",
        "convert",
        method="POST",
        body={"path": "elyra/numbers.pipeline", "target": "elyra/numbers.pipeline.yaml"},
    )
    assert again[0] == 400 and "overwrite" in again[1]["message"]
    outside = await status_of(
        jp_fetch,
        "pipelines",
        "convert",
        method="POST",
        body={"path": "elyra/numbers.pipeline", "target": "../x.pipeline.yaml"},
    )
    assert outside[0] == 403

    env = await call(jp_fetch, "environments", "AzureML-Tutorial")
    assert env["name"] == "AzureML-Tutorial" and "python" in env
    assert (await status_of(jp_fetch, "environments", "nope"))[0] == 404
    assert (await call(jp_fetch, "compute", "local"))["type"] == "local"
    missing = await status_of(jp_fetch, "compute", "gpu-cluster")
    assert missing[0] == 404 and "gpu-cluster" in missing[1]["message"]


async def test_browser_posts_need_the_xsrf_token(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str, jp_root_dir: Path
) -> None:
    """A browser session (a login cookie, no token header) must send the XSRF token."""
    token = jp_serverapp.identity_provider.token
    page = await http_server_client.fetch(f"{jp_base_url}login", raise_error=False)
    login = await http_server_client.fetch(
        f"{jp_base_url}login?token={token}", follow_redirects=False, raise_error=False
    )
    set_cookies = page.headers.get_list("Set-Cookie") + login.headers.get_list("Set-Cookie")
    cookies = "; ".join(c.split(";")[0] for c in set_cookies)
    assert cookies, "logging in with the token should set a session cookie"
    url = f"{jp_base_url}jupyter-pipelines/api/pipelines/validate"
    body = json.dumps({"document": two_steps()})
    listed = await http_server_client.fetch(
        f"{jp_base_url}jupyter-pipelines/api/pipelines", headers={"Cookie": cookies}
    )
    assert listed.code == 200  # the cookie authenticates a read
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(url, method="POST", body=body, headers={"Cookie": cookies})
    assert info.value.code == 403  # ...but a write without the XSRF token is refused
    xsrf = [c for c in cookies.split("; ") if c.startswith("_xsrf=")]
    assert xsrf, "the login page sets the _xsrf cookie"
    value = xsrf[0].split("=", 1)[1]
    ok = await http_server_client.fetch(
        url, method="POST", body=body, headers={"Cookie": cookies, "X-XSRFToken": value}
    )
    assert ok.code == 200


async def test_parse_and_format_keep_the_sdk_file_format(
    jp_fetch: Any, jp_root_dir: Path, pipeline_file: Path
) -> None:
    """The editor's two routes: text -> document -> the exact text Pipeline.save() writes."""
    from jupyter_pipelines import Pipeline

    saved = jp_root_dir / "sub" / "saved.pipeline.yaml"
    pipeline = Pipeline.load(pipeline_file)
    pipeline.layout = {"nodes": {"make": {"x": 10, "y": 20}, "show": {"x": 300, "y": 20}}}
    pipeline.save(saved)
    text = saved.read_text()

    parsed = await call(jp_fetch, "pipelines", "parse", method="POST", body={"text": text})
    assert parsed["document"]["layout"]["nodes"]["show"] == {"x": 300, "y": 20}
    formatted = await call(
        jp_fetch,
        "pipelines",
        "format",
        method="POST",
        body={"document": parsed["document"], "base_dir": "sub"},
    )
    assert formatted == {"text": text, "valid": True, "issues": []}
    # A browser sends 1.0 as 1: a float parameter's default is still written as the SDK does.
    with_float = {**parsed["document"], "parameters": {"rate": {"type": "float", "default": 1}}}
    answer = await call(
        jp_fetch, "pipelines", "format", method="POST", body={"document": with_float}
    )
    assert "    default: 1.0\n" in answer["text"]

    empty = await call(jp_fetch, "pipelines", "parse", method="POST", body={"text": ""})
    assert empty == {"document": {"version": 1, "steps": {}}}

    # An invalid pipeline still formats (the editor saves it) and its issues name the step.
    broken = parsed["document"]
    broken["steps"]["show"]["inputs"]["data"]["step"] = "nope"
    answer = await call(
        jp_fetch, "pipelines", "format", method="POST", body={"document": broken, "base_dir": "sub"}
    )
    assert not answer["valid"] and "step: nope" in answer["text"]
    assert any(i["step"] == "show" and "nope" in i["message"] for i in answer["issues"])

    code, body = await status_of(
        jp_fetch,
        "pipelines",
        "parse",
        method="POST",
        body={"text": "steps: [a\n", "source": "x.yaml"},
    )
    assert code == 400 and "'x.yaml' is not valid YAML at line" in body["message"]
    code, body = await status_of(
        jp_fetch, "pipelines", "parse", method="POST", body={"text": "version: 1\nsteps: 3\n"}
    )
    assert code == 400 and "steps" in body["message"]
    code, body = await status_of(
        jp_fetch, "pipelines", "format", method="POST", body={"document": 3}
    )
    assert code == 400 and "'document'" in body["message"]
    code, body = await status_of(
        jp_fetch, "pipelines", "format", method="POST", body={"document": broken, "base_dir": ".."}
    )
    assert code == 403
