"""Fuzzing a real ``jupyter server`` (Hypothesis, a small fixed budget, derandomized): every
route of the table, with odd path parameters, query arguments and bodies, answers below 500
with JSON (a file route: the file). The service-layer fuzz (tests/unit/test_fuzz_documents.py)
covers bodies at a larger budget; this one checks what only the server does (decoding
bodies, path and query arguments, the handlers' conversions, the threads)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_pipelines import Workspace
from jupyter_pipelines.server.routes import ROUTES
from jupyter_pipelines.stores import status as st_status
from tests.integration.server_process import ServerProcess
from tests.integration.support import Project, wait_until
from tests.integration.test_hostile_server import ELYRA, HELLO, send
from tests.unit.fuzz_strategies import BODY_SHAPES, FUZZ, ODD_STRINGS, Tally, request_bodies

pytestmark = pytest.mark.integration

#: Examples per property (each is one HTTP request).
BODIES, GETS = 150, 150
QUERY_NAMES = (
    "limit",
    "offset",
    "tail",
    "max_bytes",
    "stream",
    "version",
    "fires",
    "active_only",
    "experiment",
    "status",
    "pipeline",
    "pipelineVersion",
    "after",
)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, list[str]]]:
    """A server on a project with pipeline files, one finished run, a published pipeline
    and an endpoint (their ids and names: valid path parameters)."""
    base = tmp_path_factory.mktemp("fuzz")
    root = base / "project"
    root.mkdir()
    ws = Workspace.at(root)
    (root / "hello.pipeline.yaml").write_text(yaml.safe_dump(HELLO))
    (root / "ok.pipeline.yaml").write_text(yaml.safe_dump(HELLO))
    shutil.copy(ELYRA, root / "three.pipeline")
    server = ServerProcess(root, base / "runtime")
    try:
        status, answer, _ = send(server, "POST", "runs", {"path": "hello.pipeline.yaml"})
        assert status == 201, answer
        run_id = answer["run"]["id"]
        wait_until(
            lambda: send(server, "GET", f"runs/{run_id}")[1]["status"] in st_status.TERMINAL,
            timeout=120,
            what="the first run to end",
        )
        status, published, _ = send(
            server,
            "POST",
            "published",
            {"path": "ok.pipeline.yaml", "name": "ok", "endpoint": "ep"},
        )
        assert status == 201, published
        ids = [run_id, published["id"], published["endpoint_added"]["id"], "ep"]
        yield server, ids
    finally:
        server.stop()
        Project(root=root, ws=ws).stop_everything()


def quoted(value: str) -> str:
    return urllib.parse.quote(value, safe="", errors="surrogatepass")


def path_values(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from([*ids, "hi", "stdout.txt", "x", "..", "%2e%2e"]),
        st.sampled_from(ODD_STRINGS).filter(lambda s: s and "/" not in s),
        st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s),
        st.integers(-(2**70), 2**70).map(str),
    )


@st.composite
def requests(draw: st.DrawFn, ids: list[str], methods: tuple[str, ...]) -> tuple[str, str]:
    """(method, path and query) of a route of the table, its parameters filled oddly."""
    route = draw(st.sampled_from([r for r in ROUTES if set(r.methods) & set(methods)]))
    method = draw(st.sampled_from([m for m in route.methods if m in methods]))
    path = route.path
    while "{" in path:
        name = path[path.index("{") + 1 : path.index("}")]
        path = path.replace(f"{{{name}}}", quoted(draw(path_values(ids))), 1)
    query = draw(
        st.dictionaries(
            st.sampled_from(QUERY_NAMES),
            st.one_of(
                st.integers(-(2**70), 2**70).map(str),
                st.sampled_from(ODD_STRINGS),
                st.text(max_size=8),
            ),
            max_size=3,
        )
    )
    if query:
        path += "?" + "&".join(f"{k}={quoted(v)}" for k, v in query.items())
    return method, path


def check_answer(status: int, answer: Any, method: str, path: str) -> str:
    assert status < 500, (method, path, status, answer)
    if "/files/" not in path and "/notebook" not in path and status != 101:
        assert not isinstance(answer, str) or status in (400, 404, 405), (path, answer)
    return str(status)


def test_fuzz_every_get_route(fuzzed: tuple[ServerProcess, list[str]]) -> None:
    server, ids = fuzzed
    tally = Tally("real server, GET routes")

    @settings(FUZZ, max_examples=GETS)
    @given(requests(ids, ("GET",)))
    def check(request: tuple[str, str]) -> None:
        method, path = request
        started = time.perf_counter()
        status, answer, _ = send(server, method, path)
        tally.check(started, check_answer(status, answer, method, path))

    check()
    print(tally.report())


def test_fuzz_every_route_with_a_body(fuzzed: tuple[ServerProcess, list[str]]) -> None:
    server, ids = fuzzed
    tally = Tally("real server, routes with a body")
    files = ("hello.pipeline.yaml", "three.pipeline", "nope.pipeline.yaml", ".")

    @settings(FUZZ, max_examples=BODIES)
    @given(
        requests(ids, ("POST", "PATCH", "DELETE")),
        st.sampled_from(BODY_SHAPES).flatmap(lambda shape: request_bodies(files, shape)),
    )
    def check(request: tuple[str, str], raw: bytes) -> None:
        method, path = request
        started = time.perf_counter()
        status, answer, _ = send(server, method, path, raw=raw)
        tally.check(started, check_answer(status, answer, method, path))

    check()
    print(tally.report())
    assert json.dumps(tally.outcomes)
