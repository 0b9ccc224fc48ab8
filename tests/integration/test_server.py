"""The Jupyter server extension through a real server (pytest-jupyter): REST routes,
the run events WebSocket, error statuses and authentication."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tornado.httpclient import HTTPClientError

from jupyter_pipelines.server.routes import ROUTES
from jupyter_pipelines.stores import status as st

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


async def follow(jp_ws_fetch: Any, run_id: str, after: int = 0) -> list[dict[str, Any]]:
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
    assert ids == list(range(1, len(ids) + 1))
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
    # Resuming after a message gives exactly the rest.
    assert await follow(jp_ws_fetch, run["id"], after=ids[2]) == messages[3:]

    base = ("runs", run["id"][:8], "steps", "make")
    logs = await call(jp_fetch, *base, "logs", params={"stream": "stdout"})
    assert logs["text"] == "hello\n" and logs["next_offset"] == logs["size"] == 6
    tail = await call(jp_fetch, *base, "logs", params={"stream": "stdout", "tail": "3"})
    assert tail == {"stream": "stdout", "offset": 3, "next_offset": 6, "size": 6, "text": "lo\n"}
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
        path = route.path.format(run_id="r", step="s", file_path="f", name="n")
        url = f"{jp_base_url}jupyter-pipelines/api/{path}"
        for method in route.methods:
            if route.path.endswith("events"):
                continue  # a WebSocket: checked below
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(
                    url,
                    method=method,
                    body="{}" if method == "POST" else None,
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
