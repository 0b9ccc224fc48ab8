"""The server's run JSON gives a fully reused run and its steps start and end times, from
which the JupyterLab sidebar shows a fixed duration (it grew for ever when they were null)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines.stores import status as st

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = pytest.mark.integration

API = ("jupyter-pipelines", "api")
PIPELINE = {
    "version": 1,
    "name": "once",
    "steps": {"make": {"type": "command", "command": "echo made"}},
}


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_pipelines": True}}}


@pytest.fixture(autouse=True)
def _no_workspace_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)


async def call(jp_fetch: Any, *parts: str, method: str = "GET", body: Any = None) -> Any:
    response = await jp_fetch(
        *API, *parts, method=method, body=json.dumps(body) if body is not None else None
    )
    return json.loads(response.body)


async def ended(jp_fetch: Any, run_id: str) -> dict[str, Any]:
    for _ in range(600):
        run = await call(jp_fetch, "runs", run_id)
        if run["status"] in st.TERMINAL:
            return dict(run)
        await asyncio.sleep(0.05)
    pytest.fail(f"run {run_id} did not end")


async def test_a_fully_reused_run_has_times_in_the_run_json(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "once.pipeline.yaml").write_text(yaml.safe_dump(PIPELINE))
    first = (await call(jp_fetch, "runs", method="POST", body={"path": "once.pipeline.yaml"}))[
        "run"
    ]
    assert (await ended(jp_fetch, first["id"]))["status"] == st.FINISHED
    again = (await call(jp_fetch, "runs", method="POST", body={"path": "once.pipeline.yaml"}))[
        "run"
    ]
    run = await ended(jp_fetch, again["id"])
    assert run["reused"] == 1
    assert run["started"] is not None and run["ended"] is not None
    assert run["created"] <= run["started"] <= run["ended"]
    listed = await call(jp_fetch, "runs")
    (summary,) = [r for r in listed["runs"] if r["id"] == again["id"]]
    assert summary["started"] == run["started"] and summary["ended"] == run["ended"]
    (step,) = run["step_runs"]
    assert step["reused_from"] and step["started"] is not None and step["ended"] is not None
