"""Fuzzing pipeline files and REST bodies (Hypothesis, a fixed budget, derandomized): loading
and validating either succeeds or raises a PipelinesError naming a line or field; the service
answers every body with JSON or a 4xx error. Never another exception, never a hang.

Each property prints its figures (examples tried, outcomes). See fuzz_strategies.py for the
strategies and why the runs are derandomized.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jupyter_pipelines import Workspace
from jupyter_pipelines.engine.submit import check_pipeline
from jupyter_pipelines.errors import PipelinesError
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.untrusted import load_json
from jupyter_pipelines.server.errors import BadRequestError, error_response
from jupyter_pipelines.server.handlers import MAX_BODY_BYTES
from jupyter_pipelines.server.service import PipelinesService
from tests.unit.fuzz_strategies import (
    BODY_SHAPES,
    DOC_MUTATIONS,
    FUZZ,
    NOTEBOOKS,
    PLACE,
    SCRIPTS,
    TEXT_MUTATIONS,
    Tally,
    mutated,
    pipeline_files,
    request_bodies,
)

ELYRA = Path(__file__).parent.parent / "fixtures" / "elyra"
ELYRA_DOC = json.loads((ELYRA / "three_nodes.pipeline").read_text())
#: Examples per kind of mutation or body: together about half a minute on 2 cores.
FILES, ELYRA_FILES, BODIES = 20, 15, 30


def make_project(root: Path) -> Workspace:
    """A project with the files generated steps name, and its workspace."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SCRIPTS:
        (root / name).write_text("print('hi')\n")
    for name in NOTEBOOKS:
        nbformat.write(nbformat.v4.new_notebook(), str(root / name))
    for name in ("load_data.ipynb", "report.py", "notebooks/train.ipynb"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((ELYRA / name).read_bytes())
    return Workspace.at(root)


def load_and_check(path: Path, ws: Workspace) -> str:
    """Load and validate like ``jupyter-pipelines validate``; the outcome's name. A
    PipelinesError must name where the problem is."""
    try:
        issues = check_pipeline(ws, Pipeline.load(path, workspace=ws))
    except PipelinesError as exc:
        assert PLACE.search(str(exc)), f"the message names no line or field: {exc}"
        return type(exc).__name__
    return "invalid" if any(i.severity == "error" for i in issues) else "valid"


@pytest.mark.parametrize(
    "kind", [*DOC_MUTATIONS, *(f"text_{k}" for k in TEXT_MUTATIONS)], ids=lambda k: k
)
def test_fuzz_pipeline_files(tmp_path: Path, kind: str) -> None:
    ws = make_project(tmp_path / "project")
    path = tmp_path / "project" / "fuzz.pipeline.yaml"
    tally = Tally(f"pipeline files, {kind}")

    @settings(FUZZ, max_examples=FILES)
    @given(pipeline_files(kind))
    @example((b"version: 1\nsteps: {s: {type: command, command: true, timeout: .nan}}\n", []))
    def check(case: tuple[bytes, list[str]]) -> None:
        path.write_bytes(case[0])
        started = time.perf_counter()
        tally.check(started, load_and_check(path, ws))

    check()
    print(tally.report())


@pytest.mark.parametrize("kind", ("drop", "rename", "retype", "deep", "huge", "odd_key"))
def test_fuzz_elyra_files(tmp_path: Path, kind: str) -> None:
    ws = make_project(tmp_path / "project")
    path = tmp_path / "project" / "fuzz.pipeline"
    tally = Tally(f"Elyra files, {kind}")

    @settings(FUZZ, max_examples=ELYRA_FILES)
    @given(mutated(ELYRA_DOC, kind))
    def check(case: tuple[Any, list[str]]) -> None:
        path.write_text(
            json.dumps(case[0], allow_nan=True), encoding="utf-8", errors="surrogatepass"
        )
        started = time.perf_counter()
        tally.check(started, load_and_check(path, ws))

    check()
    print(tally.report())


SERVICE_CALLS = ("validate", "parse", "format", "describe", "convert", "load_submission")


def call_like_the_server(service: PipelinesService, method: str, raw: bytes) -> Any:
    """What a handler does with a body: decode and check it as ``prepare`` does, then ask
    the service."""
    decoded = load_json(raw, "request body", BadRequestError, MAX_BODY_BYTES) if raw else {}
    if not isinstance(decoded, dict):
        raise BadRequestError("the request body must be a JSON object")
    answer = getattr(service, method)(decoded)
    if method == "load_submission":
        return {"steps": [s.name for s in answer[0].steps]}
    return answer


@pytest.fixture
def service(tmp_path: Path) -> PipelinesService:
    root = tmp_path / "project"
    make_project(root)
    (root / "ok.pipeline.yaml").write_text(
        "version: 1\nsteps: {s: {type: python_script, script: prep.py}}\n"
    )
    (root / "three.pipeline").write_bytes((ELYRA / "three_nodes.pipeline").read_bytes())
    return PipelinesService(root)


@pytest.mark.parametrize("shape", BODY_SHAPES)
def test_fuzz_request_bodies_against_the_service(service: PipelinesService, shape: str) -> None:
    tally = Tally(f"REST bodies, service layer, {shape}")
    files = ("ok.pipeline.yaml", "three.pipeline", "prep.py", "nope.pipeline.yaml", ".")

    @settings(FUZZ, max_examples=BODIES)
    @given(request_bodies(files, shape), st.sampled_from(SERVICE_CALLS))
    def check(raw: bytes, method: str) -> None:
        started = time.perf_counter()
        try:
            json.dumps(call_like_the_server(service, method, raw))
            outcome = "200"
        except PipelinesError as exc:
            status, body = error_response(exc)
            assert status < 500, f"{method}: {status} {body}"
            assert str(exc)
            outcome = str(status)
        tally.check(started, outcome)

    check()
    print(tally.report())
