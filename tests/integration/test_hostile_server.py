"""Hostile requests to a real ``jupyter server``: bombs, deep nesting, huge bodies and bad
values get a clear 4xx quickly, while other clients are still served and memory stays flat."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tornado.httpclient import HTTPClientError

from jupyter_pipelines import Workspace
from jupyter_pipelines.model.untrusted import ALIAS_BUDGET, MAX_DEPTH
from jupyter_pipelines.server import handlers
from jupyter_pipelines.server.handlers import MAX_BODY_BYTES
from jupyter_pipelines.server.routes import ROUTES
from jupyter_pipelines.stores import status as st
from tests.integration.server_process import HEADERS, ServerProcess
from tests.integration.support import wait_until
from tests.unit.test_hostile_documents import billion_laughs

pytest_plugins = ["pytest_jupyter.jupyter_server"]

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
ELYRA = Path(__file__).parent.parent / "fixtures" / "elyra" / "three_nodes.pipeline"
HELLO = {"version": 1, "steps": {"hi": {"type": "command", "command": "echo hi"}}}


def send(
    server: ServerProcess, method: str, path: str, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any, float]:
    """One request: its status, its JSON answer (text when not JSON) and its seconds."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        f"{server.api}/{path}", data=data, method=method, headers=HEADERS
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    elapsed = time.perf_counter() - started
    try:
        return status, json.loads(text), elapsed
    except ValueError:
        return status, text.decode(errors="replace"), elapsed


def message(answer: Any) -> str:
    """The error message of an answer (ours, or v1's ``{"error": {"message"}}``)."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return str(answer["error"].get("message"))
    return str(answer.get("message") if isinstance(answer, dict) else answer)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server on a project holding a bomb, an Elyra file and one finished run."""
    base = tmp_path_factory.mktemp("hostile")
    root = base / "project"
    root.mkdir()
    Workspace.at(root)
    (root / "bomb.pipeline.yaml").write_text(billion_laughs())
    (root / "hello.pipeline.yaml").write_text(yaml.safe_dump(HELLO))
    shutil.copy(ELYRA, root / "three.pipeline")
    started = ServerProcess(root, base / "runtime")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def run_id(server: ServerProcess) -> str:
    """The id of a finished run of hello.pipeline.yaml."""
    status, answer, _ = send(server, "POST", "runs", {"path": "hello.pipeline.yaml"})
    assert status == 201, answer
    rid = answer["run"]["id"]
    wait_until(
        lambda: send(server, "GET", f"runs/{rid}")[1]["status"] in st.TERMINAL,
        timeout=120,
        what="the hello run to end",
    )
    return str(rid)


class Prober(threading.Thread):
    """Another client: GETs the run list every 50 ms and keeps each answer's seconds."""

    def __init__(self, server: ServerProcess) -> None:
        super().__init__(daemon=True)
        self.server, self.latencies, self.failures = server, [], 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            status, _, elapsed = send(self.server, "GET", "runs?limit=1")
            self.latencies.append(elapsed)
            self.failures += status != 200
            time.sleep(0.05)

    def stop(self) -> float:
        self.done.set()
        self.join(30)
        return max(self.latencies)


# -- denial of service ----------------------------------------------------------------------
BOMB_REQUESTS = [
    ("pipelines/parse", {"text": billion_laughs()}),
    ("pipelines/validate", {"path": "bomb.pipeline.yaml"}),
    ("pipelines/describe", {"path": "bomb.pipeline.yaml"}),
    ("pipelines/format", {"path": "bomb.pipeline.yaml", "document": HELLO}),
    ("runs", {"path": "bomb.pipeline.yaml"}),
    ("published", {"path": "bomb.pipeline.yaml", "name": "bomb"}),
]


def test_a_bomb_on_every_route_that_reads_pipelines_is_refused_while_others_are_served(
    server: ServerProcess,
) -> None:
    rss_before, _ = server.memory()
    prober = Prober(server)
    prober.start()
    time.sleep(0.3)
    figures = []
    for _round in range(3):
        for path, body in BOMB_REQUESTS:
            status, answer, elapsed = send(server, "POST", path, body)
            figures.append(elapsed)
            if path == "pipelines/format":  # the editor's save: the issues, not an error
                assert status == 200 and not answer["valid"], (path, answer)
                assert "alias budget" in json.dumps(answer["issues"])
                continue
            assert status == 400, (path, status, answer)
            assert f"more than {ALIAS_BUDGET:,} nodes (the alias budget)" in message(answer)
            assert "at line" in message(answer)
            assert elapsed < 5, (path, elapsed)
    worst_get = prober.stop()
    rss_after, _ = server.memory()
    grown = (rss_after - rss_before) / MIB
    print(
        f"\n{len(figures)} bomb requests on {len(BOMB_REQUESTS)} routes: each answered 400/200 in "
        f"at most {max(figures) * 1000:.0f} ms; another client's {len(prober.latencies)} GETs: "
        f"slowest {worst_get * 1000:.0f} ms, {prober.failures} failed; server memory "
        f"{grown:+.1f} MiB"
    )
    assert prober.failures == 0
    assert worst_get < 2.0
    assert grown < 100


def large_document(steps: int) -> str:
    """A legal pipeline file of ``steps`` steps, each with a long argument list."""
    args = ", ".join(["a"] * 60)
    lines = ["version: 1", "steps:"]
    lines += [
        f"  s{i}: {{type: command, command: 'true', arguments: [{args}]}}" for i in range(steps)
    ]
    return "\n".join(lines) + "\n"


def test_large_documents_are_parsed_off_the_event_loop(server: ServerProcess) -> None:
    """Three clients post documents of 1,000 steps (each takes the server a few seconds of
    CPU) while a fourth lists runs: the list still answers in a fraction of a second."""
    text = large_document(1_000)
    prober = Prober(server)
    prober.start()
    time.sleep(0.3)
    answers: list[tuple[int, float]] = []

    def parse() -> None:
        status, _, elapsed = send(server, "POST", "pipelines/parse", {"text": text})
        answers.append((status, elapsed))

    clients = [threading.Thread(target=parse) for _ in range(3)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(120)
    worst_get = prober.stop()
    print(
        f"\n3 concurrent parses of a {len(text) / MIB:.1f} MiB document "
        f"({1_000 * 62:,} nodes): {', '.join(f'{e:.1f} s' for _, e in answers)}; another "
        f"client's {len(prober.latencies)} GETs meanwhile: slowest {worst_get * 1000:.0f} ms"
    )
    assert [status for status, _ in answers] == [200, 200, 200]
    assert prober.failures == 0
    assert worst_get < 2.0


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_pipelines": True}}}


async def test_input_that_takes_longer_than_the_limit_is_a_503(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    monkeypatch.setattr(handlers, "INPUT_SECONDS", 0.05)
    body = json.dumps({"text": large_document(300)})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("jupyter-pipelines", "api", "pipelines/parse", method="POST", body=body)
    answer = json.loads(info.value.response.body)
    assert info.value.code == 503, answer
    assert "took more than 0.05 s" in answer["message"]
    ok = await jp_fetch(
        "jupyter-pipelines", "api", "pipelines/parse", method="POST", body='{"text": ""}'
    )
    assert json.loads(ok.body)["document"]["steps"] == {}


def body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, path parameters filled with 'x'."""
    found = []
    for route in ROUTES:
        for method in route.methods:
            if method in ("POST", "PATCH", "DELETE"):
                path = route.path
                for name in ("run_id", "pipeline_id", "endpoint_id", "schedule_id", "version"):
                    path = path.replace(f"{{{name}}}", "x")
                found.append((method, path))
    return found


def test_deeply_nested_json_is_a_400_on_every_route_with_a_body(server: ServerProcess) -> None:
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    deep_object = ('{"a":' * 100_000 + "1" + "}" * 100_000).encode()
    routes = body_routes()
    assert len(routes) >= 17
    slowest = 0.0
    for method, path in routes:
        for raw in (deep, deep_object):
            status, answer, elapsed = send(server, method, path, raw=raw)
            assert status == 400, (method, path, status, answer)
            assert f"deeper than {MAX_DEPTH} levels" in message(answer), (method, path, answer)
            slowest = max(slowest, elapsed)
    print(
        f"\n100,000-level JSON on {len(routes)} routes: 400 each, slowest {slowest * 1000:.0f} ms"
    )


def test_deep_yaml_in_a_request_or_a_file_is_a_400(server: ServerProcess) -> None:
    text = "[" * 100_000 + "]" * 100_000
    status, answer, _ = send(server, "POST", "pipelines/parse", {"text": text})
    assert status == 400 and "line 1" in message(answer), answer
    (Path(server_root(server)) / "deep.pipeline.yaml").write_text("steps: " + text)
    for path in ("pipelines/validate", "pipelines/describe", "runs"):
        status, answer, _ = send(server, "POST", path, {"path": "deep.pipeline.yaml"})
        # libyaml's own limit (1,000 levels) meets flow brackets first; ours, block nesting
        assert status == 400 and "at line 1" in message(answer), answer
        assert "nesting depth" in message(answer), answer
    block = "steps:\n" + "".join(" " * i + "- \n" for i in range(1, 200))
    (Path(server_root(server)) / "deep.pipeline.yaml").write_text(block)
    status, answer, _ = send(server, "POST", "pipelines/validate", {"path": "deep.pipeline.yaml"})
    assert status == 400 and "deeper than 64 levels" in message(answer), answer
    assert "line 65" in message(answer), answer


def server_root(server: ServerProcess) -> Path:
    return server.log.parent.parent / "project"


def test_a_body_over_the_limit_is_a_413(server: ServerProcess) -> None:
    raw = json.dumps({"text": "x" * (MAX_BODY_BYTES + 1)}).encode()
    status, answer, _ = send(server, "POST", "pipelines/parse", raw=raw)
    assert status == 413, answer
    assert f"at most {MAX_BODY_BYTES:,}" in message(answer)
    status, answer, _ = send(server, "POST", "pipelines/parse", {"text": "x" * (5 * MIB)})
    assert status == 400 and "is larger than 4.0 MiB" in message(answer), answer


# -- crashes on bad input: a 400 naming the field -------------------------------------------
def bad_source_directory(value: str) -> dict[str, Any]:
    step = {"type": "command", "command": "true", "source_directory": value}
    return {"document": {"version": 1, "steps": {"s": step}}}


BAD_POSTS = [
    (
        "pipelines/validate",
        bad_source_directory("a\0b"),
        "'document.steps.s.source_directory' holds a NUL",
    ),
    ("pipelines/validate", bad_source_directory("a" * 300), "holds a name of 300 bytes"),
    ("pipelines/validate", {"path": "x\0.txt"}, "'path' holds a NUL character"),
    ("pipelines/validate", {"path": "x" * 300}, "'path' holds a name of 300 bytes"),
    ("pipelines/describe", {"document": HELLO, "base_dir": "b" * 300}, "'base_dir' holds a name"),
    ("pipelines/describe", {"document": HELLO, "base_dir": 7}, "'base_dir' must be a non-empty"),
    ("pipelines/convert", {"path": "three.pipeline\0"}, "'path' holds a NUL"),
    ("pipelines/convert", {"path": "three.pipeline", "target": "t\0"}, "'target' holds a NUL"),
    ("pipelines/parse", {"text": "a: \ud800"}, "lone surrogate"),
    ("pipelines/parse", {"text": 'a: "\\0"'}, "NUL character"),
    ("pipelines/parse", {"text": "a: 99999999999999999999999"}, "larger than 64 bits"),
    ("runs", {"path": "hello.pipeline.yaml", "experiment": 5}, "'experiment': experiment name 5"),
    ("runs", {"path": "hello.pipeline.yaml", "experiment": "a/b"}, "'experiment'"),
    ("runs", {"path": "hello.pipeline.yaml", "steps": 5}, "'steps' must be a list of step"),
    ("runs", {"path": "hello.pipeline.yaml", "description": {}}, "'description' must be a"),
    ("runs", {"path": "hello.pipeline.yaml", "regenerate_outputs": "no"}, "must be true or"),
    ("runs", {"path": "hello.pipeline.yaml", "tags": [1]}, "'tags' must be an object"),
    ("runs", {"document": HELLO, "parameters": {"p": 10**30}}, "larger than 64 bits"),
    ("runs", [1, 2], "must be a JSON object"),
]


@pytest.mark.parametrize(("path", "body", "expected"), BAD_POSTS)
def test_bad_request_bodies_are_a_400_naming_the_field(
    server: ServerProcess, path: str, body: Any, expected: str
) -> None:
    status, answer, _ = send(server, "POST", path, body)
    assert status == 400, (status, answer)
    assert expected in message(answer), answer


def test_an_elyra_node_whose_op_is_a_list_is_a_400(server: ServerProcess) -> None:
    doc = json.loads(ELYRA.read_text())
    doc["pipelines"][0]["nodes"][0]["op"] = ["execute-notebook-node"]
    (server_root(server) / "op.pipeline").write_text(json.dumps(doc))
    for path in ("pipelines/convert", "pipelines/validate"):
        status, answer, _ = send(server, "POST", path, {"path": "op.pipeline"})
        assert status == 400 and "nodes[0]) has op ['execute-notebook-node']" in message(answer)


def test_rerun_with_a_bad_experiment_is_a_400(server: ServerProcess, run_id: str) -> None:
    for body, expected in (({"experiment": 5}, "experiment name 5"), ({"steps": {}}, "'steps'")):
        status, answer, _ = send(server, "POST", f"runs/{run_id}/rerun", body)
        assert status == 400 and expected in message(answer), answer


def test_bad_query_and_path_arguments_are_a_400(server: ServerProcess, run_id: str) -> None:
    step = f"runs/{run_id}/steps/hi"
    cases = [
        (f"{step}/logs?offset=-1", "'offset' must be a number of bytes"),
        (f"{step}/logs?offset=1{'0' * 30}", "'offset' must be an integer of 64 bits"),
        (f"{step}/logs?tail=x", "'tail' must be an integer"),
        (f"{step}/files/stdout.txt%00.png", "path parameter 'file_path' holds a NUL"),
        (f"{step}/files/{'f' * 300}", "path parameter 'file_path' holds a name of 300 bytes"),
        ("datasets/d?version=abc", "'version' must be 'latest' or a version number"),
        ("datasets/d?version=-1", "'version' must be 'latest' or a version number"),
        ("datasets/d?version=0", "'version' must be 'latest' or a version number"),
        ("datasets/d?version=%C2%B2", "'version' must be 'latest' or a version number"),
        ("datasets/d?version=99999999999999999999", "'version' must be 'latest' or a version"),
        (f"runs?offset={2**70}", "'offset' must be an integer of 64 bits"),
        ("runs?limit=0", "'limit' must be 1 to"),
        ("runs?experiment=%00", "query argument 'experiment' holds a NUL"),
        ("runs?pipeline=a%00b", "query argument 'pipeline' holds a NUL"),
        (f"schedules/x?fires={'9' * 5000}", "'fires' must be an integer"),
    ]
    for path, expected in cases:
        status, answer, _ = send(server, "GET", path)
        assert status == 400, (path, status, answer)
        assert expected in message(answer), (path, answer)
