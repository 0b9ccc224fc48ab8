"""Confinement (model/step_paths.py, server/served_files.py) through every front door: a
step's script or notebook must lie inside its source directory, from the SDK, the CLI and
REST alike; a source directory outside the project runs from the SDK and the CLI only;
the server refuses it (400 naming the field, nothing recorded, validate and run agreeing),
and its file routes never serve a step's copy of its code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tornado.httpclient import HTTPClientError

from jupyter_pipelines import NotebookStep, Pipeline, PythonScriptStep, Workspace
from jupyter_pipelines.errors import PipelineValidationError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, wait_until, write_notebook

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = pytest.mark.integration

API = ("jupyter-pipelines", "api")
SECRET = "TOP-SECRET-outside-the-root"
EVIL = "print('evil code ran'); print(open({secret!r}).read())\n"


def outside_folder(root: Path) -> Path:
    """``outside/`` next to ``root``: ``evil.py`` and ``secret.txt``."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "evil.py").write_text(EVIL.format(secret=str(outside / "secret.txt")))
    return outside


def sources(root: Path) -> Path:
    """``src/`` (``ok.py``, ``nb.ipynb``) and ``x.py`` under ``root``; returns ``outside``."""
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "ok.py").write_text("print('ok')\n")
    write_notebook(root / "src" / "nb.ipynb")
    (root / "x.py").write_text("print('x')\n")
    return outside_folder(root)


#: (case, step document, the field every front door names); the files are those above.
def cases(outside: Path) -> list[tuple[str, dict[str, Any], str]]:
    evil = str(outside / "evil.py")
    return [
        (
            "absolute script",
            {"type": "python_script", "script": evil, "source_directory": "src"},
            "script_name",
        ),
        (
            "script above",
            {"type": "python_script", "script": "../x.py", "source_directory": "src"},
            "script_name",
        ),
        ("absolute notebook", {"type": "notebook", "notebook": "/etc/passwd"}, "notebook"),
    ]  # fmt: skip


def document(step: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "name": "c", "steps": {"s": step}}


OUTSIDE_STEP = {"type": "python_script", "script": "evil.py", "source_directory": "../outside"}


# -- the SDK -----------------------------------------------------------------------------------
def test_sdk_refuses_code_outside_its_source_directory(project: Project) -> None:
    outside = sources(project.root)
    pipelines = {
        "absolute script": PythonScriptStep(
            str(outside / "evil.py"), name="s", source_directory="src"
        ),
        "script above": PythonScriptStep("../x.py", name="s", source_directory="src"),
        "absolute notebook": NotebookStep("/etc/passwd", name="s", source_directory="."),
    }
    refused = 0
    for case, step in pipelines.items():
        field = next(f for c, _, f in cases(outside) if c == case)
        [issue] = Pipeline(steps=[step]).validate()
        assert (issue.step, issue.field) == ("s", field), case
        with pytest.raises(PipelineValidationError, match=f"field '{field}'.*move the"):
            project.experiment().submit(Pipeline(steps=[step]), show_output=False)
        refused += 1
    project.assert_nothing_recorded()
    print(
        f"\nSDK: {refused} of {len(pipelines)} entry files outside their source directory refused"
    )


def test_sdk_runs_a_source_directory_outside_the_project(project: Project) -> None:
    """The user's own machine: any folder they name is theirs to run."""
    outside_folder(project.root)
    step = PythonScriptStep("evil.py", name="s", source_directory="../outside")
    assert Pipeline(steps=[step]).validate() == []
    run = project.experiment().submit(Pipeline(steps=[step]), show_output=False)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == st.FINISHED
    assert "evil code ran" in run.find_step_run("s")[0].get_stdout_log()


# -- the CLI ---------------------------------------------------------------------------------
def test_cli_validate_and_run_agree(project: Project) -> None:
    outside = sources(project.root)
    for case, step, field in cases(outside):
        name = case.replace(" ", "_") + ".pipeline.yaml"
        project.pipeline_file(name, document(step))
        checked = project.cli("validate", name, check=1)
        assert f"step 's', field '{field}'" in checked.stdout and "move the" in checked.stdout
        ran = project.cli("run", name, check=2)
        assert f"step 's', field '{field}'" in ran.stderr, case
    project.assert_nothing_recorded()
    project.pipeline_file("outside.pipeline.yaml", document(OUTSIDE_STEP))
    project.cli("validate", "outside.pipeline.yaml", check=0)
    ran = project.cli_json("run", "outside.pipeline.yaml")
    assert ran["status"] == st.FINISHED


# -- a real server -----------------------------------------------------------------------------
@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_pipelines": True}}}


@pytest.fixture
def served(jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The server root as a project (its workspace is the server's), made the current
    folder; runs still going at the end are stopped."""
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    monkeypatch.chdir(jp_root_dir)
    project = Project(root=jp_root_dir, ws=Workspace.at(jp_root_dir))
    yield project
    project.stop_everything()


async def call(jp_fetch: Any, *parts: str, body: Any = None) -> tuple[int, Any]:
    """The status and JSON answer of a GET (a POST with ``body``)."""
    method = "GET" if body is None else "POST"
    data = None if body is None else json.dumps(body)
    try:
        response = await jp_fetch(*API, *parts, method=method, body=data)
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body) if response.body else None


async def raw(jp_fetch: Any, *parts: str) -> tuple[int, bytes]:
    try:
        response = await jp_fetch(*API, *parts)
    except HTTPClientError as exc:
        assert exc.response is not None
        return exc.code, exc.response.body
    return response.code, response.body


def fields(issues: list[dict[str, Any]]) -> set[tuple[str | None, str | None]]:
    return {(i["step"], i["field"]) for i in issues if i["severity"] == "error"}


def finished(project: Project, run_id: str) -> str:
    def status() -> str | None:
        found = project.ws.run_store.get_run(run_id).status
        return found if found in st.TERMINAL else None

    return str(wait_until(status, timeout=120, what=f"run {run_id} to end"))


async def test_rest_refuses_code_outside_the_root_and_validate_agrees(
    jp_fetch: Any, served: Project
) -> None:
    root = served.root
    outside = sources(root)
    (root / "linked_src").symlink_to(outside)
    rest_cases = [
        *cases(outside),
        ("source directory above the root", OUTSIDE_STEP, "source_directory"),
        (
            "absolute source directory",
            {"type": "python_script", "script": "evil.py", "source_directory": str(outside)},
            "source_directory",
        ),
        (
            "source directory linked out of the root",
            {"type": "python_script", "script": "evil.py", "source_directory": "linked_src"},
            "source_directory",
        ),
    ]
    tried = refused = 0
    for case, step, field in rest_cases:
        doc = document(step)
        (root / "p.pipeline.yaml").write_text(yaml.safe_dump(doc))
        for request in ({"document": doc}, {"path": "p.pipeline.yaml"}):
            code, checked = await call(jp_fetch, "pipelines", "validate", body=request)
            assert code == 200 and not checked["valid"], case
            assert fields(checked["issues"]) == {("s", field)}, case
            code, described = await call(jp_fetch, "pipelines", "describe", body=request)
            assert code == 200 and fields(described["issues"]) == {("s", field)}, case
            code, answer = await call(jp_fetch, "runs", body=request)
            assert code == 400, (case, answer)
            assert fields(answer["issues"]) == {("s", field)}, case
            tried, refused = tried + 1, refused + 1
        message = checked["issues"][0]["message"]
        if field == "source_directory":
            inside = "the server only runs pipelines whose source directories lie inside its root"
            assert f"{inside} {str(root.resolve())!r}" in message
        else:
            assert "move the" in message and "into source_directory" in message
        code, answer = await call(
            jp_fetch, "published", body={"path": "p.pipeline.yaml", "name": "p"}
        )
        assert code == 400 and fields(answer["issues"]) == {("s", field)}, case
    assert (await call(jp_fetch, "runs"))[1]["total"] == 0
    assert (await call(jp_fetch, "published"))[1]["published"] == []
    served.assert_nothing_recorded()
    # Code inside the root: valid, and it runs.
    good = document({"type": "python_script", "script": "ok.py", "source_directory": "src"})
    code, checked = await call(jp_fetch, "pipelines", "validate", body={"document": good})
    assert checked["valid"]
    code, answer = await call(jp_fetch, "runs", body={"document": good})
    assert code == 201 and finished(served, answer["run"]["id"]) == st.FINISHED
    print(f"\nREST: {refused} of {tried} submissions of code outside the rule refused (400)")


async def test_rerun_over_rest_is_confined_too(jp_fetch: Any, served: Project) -> None:
    outside_folder(served.root)
    step = PythonScriptStep("evil.py", name="s", source_directory="../outside")
    run = served.experiment().submit(Pipeline(steps=[step]), show_output=False)
    assert finished(served, run.id) == st.FINISHED  # the SDK: allowed
    code, answer = await call(jp_fetch, "runs", run.id, "rerun", body={})
    assert code == 400 and fields(answer["issues"]) == {("s", "source_directory")}
    assert len(served.ws.run_store.list_runs()) == 1


WRITES_OUTPUTS = """\
import os
os.makedirs("outputs", exist_ok=True)
open("outputs/result.txt", "w").write("made by the step")
open("outputs/rewritten.txt", "w").write("rewritten by the step")
os.symlink({secret!r}, "outputs/link.txt")
print("wrote outputs")
"""


async def test_file_routes_never_serve_the_code_copy(jp_fetch: Any, served: Project) -> None:
    root = served.root
    outside = outside_folder(root)
    secret = str(outside / "secret.txt")
    # Run by the SDK from outside the root: its code folder holds copies of outside files.
    (outside / "write.py").write_text(WRITES_OUTPUTS.format(secret=secret))
    sdk = PythonScriptStep("write.py", name="s", source_directory="../outside")
    sdk_run = served.experiment().submit(Pipeline(steps=[sdk]), show_output=False)
    # Run over REST from inside the root, with links out of it that the snapshot copies.
    src = root / "src"
    (src / "outputs").mkdir(parents=True)
    (src / "write.py").write_text(WRITES_OUTPUTS.format(secret=secret))
    (src / "leak.txt").symlink_to(secret)
    (src / "outputs" / "stale.txt").symlink_to(secret)
    (src / "outputs" / "rewritten.txt").write_text("the source's copy")
    doc = document({"type": "python_script", "script": "write.py", "source_directory": "src"})
    code, answer = await call(jp_fetch, "runs", body={"document": doc})
    assert code == 201
    rest_run = answer["run"]["id"]
    assert finished(served, sdk_run.id) == finished(served, rest_run) == st.FINISHED
    refused = served_ok = 0
    for run_id in (sdk_run.id, rest_run):
        code, listed = await call(jp_fetch, "runs", run_id, "steps", "s", "files")
        assert code == 200
        assert {"outputs/result.txt", "outputs/rewritten.txt"} <= set(listed["files"])
        assert not {"outputs/stale.txt", "outputs/link.txt"} & set(listed["files"])
        for name in ("outputs/result.txt", "outputs/rewritten.txt", "stdout.txt"):
            code, body = await raw(jp_fetch, "runs", run_id, "steps", "s", "files", name)
            assert code == 200 and SECRET.encode() not in body, name
            served_ok += 1
        assert (
            b"rewritten by the step"
            in (
                await raw(jp_fetch, "runs", run_id, "steps", "s", "files", "outputs/rewritten.txt")
            )[1]
        )
        for name in (
            "code/write.py",
            "code/secret.txt",
            "code/leak.txt",
            "code/outputs/stale.txt",
            "outputs/stale.txt",
            "outputs/link.txt",
            "code/outputs/link.txt",
        ):
            code, body = await raw(jp_fetch, "runs", run_id, "steps", "s", "files", name)
            assert code in (403, 404) and SECRET.encode() not in body, (run_id, name, code)
            refused += 1
    print(f"\nfile routes: {refused} asks for code copies or links refused, {served_ok} served")
