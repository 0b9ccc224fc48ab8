"""REST security against one real ``jupyter server`` with the extension, for every route of
``server/openapi.yaml`` (a new route is covered when it is described there): no token or a
wrong one gets 401/403 and no data; a browser session (a login cookie) must send the XSRF
token with every write; and every path parameter resists traversal (``..``, encoded dots
and slashes, absolute paths, backslashes, null bytes, overlong UTF-8), leaking no file and
never answering 500. Each test prints its figures.

jupyter_server skips the XSRF check for requests authenticated by a token (an
``Authorization: token`` header), since a browser never adds that header by itself; a
request authenticated by the login cookie must carry the ``_xsrf`` cookie's value in an
``X-XSRFToken`` header (or ``_xsrf`` argument) on every method but GET and HEAD, and a
cross-origin ``Origin`` is refused.
"""

from __future__ import annotations

import http.client
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from jupyter_pipelines.server import routes
from tests.integration.server_process import HEADERS, TOKEN, ServerProcess

pytestmark = pytest.mark.integration

SPEC = Path(routes.__file__).with_name("openapi.yaml")
VERBS = ("get", "post", "put", "patch", "delete")
SECRET_OUTSIDE = "CANARY-outside-the-server-root"
SECRET_IN_ROOT = "CANARY-in-the-root-but-not-a-run-file"
PASSWD = "root:x:0:0"
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI style, without the leading slash: runs/{run_id}

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def websocket(self) -> bool:
        return self.path.endswith("/events")

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], self.path)


def described_routes() -> list[Route]:
    """Every (method, path) that openapi.yaml describes."""
    spec = yaml.safe_load(SPEC.read_text())
    return [
        Route(verb.upper(), path.lstrip("/"))
        for path, item in spec["paths"].items()
        for verb in item
        if verb in VERBS
    ]


@dataclass
class Answer:
    status: int
    body: bytes

    def leaks(self, *extra: str) -> list[str]:
        text = self.body.decode("utf-8", "replace")
        return [s for s in (SECRET_OUTSIDE, SECRET_IN_ROOT, PASSWD, *extra) if s in text]


class Client:
    """Raw HTTP to the server: paths are sent exactly as written (no normalization)."""

    def __init__(self, server: ServerProcess) -> None:
        match = re.match(r"http://([^:/]+):(\d+)(/.*)$", server.api)
        assert match, server.api
        self.host, self.port, self.api = match[1], int(match[2]), match[3]

    def send(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: str | None = None
    ) -> Answer:
        if body is None and method in ("POST", "PATCH", "PUT"):
            body = "{}"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                connection.putheader(key, value)
            data = body.encode() if body is not None else b""
            if body is not None:
                connection.putheader("Content-Type", "application/json")
                connection.putheader("Content-Length", str(len(data)))
            connection.endheaders(data or None)
            response = connection.getresponse()
            # A WebSocket that was accepted answers 101 and then waits: never read on.
            payload = b"" if response.status == 101 else response.read()
            return Answer(response.status, payload)
        finally:
            connection.close()

    def route(self, route: Route, values: dict[str, str], headers: dict[str, str]) -> Answer:
        extra = UPGRADE if route.websocket else {}
        return self.send(route.method, f"{self.api}/{route.url(values)}", {**headers, **extra})

    def login(self) -> dict[str, str]:
        """The cookies of a browser session logged in with the token: {name: value}."""
        cookies: dict[str, str] = {}
        for path in ("/login", f"/login?token={TOKEN}"):
            connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
                connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = connection.getresponse()
                response.read()
                for header in response.headers.get_all("Set-Cookie") or []:
                    name, _, value = header.split(";", 1)[0].partition("=")
                    cookies[name.strip()] = value.strip()
            finally:
                connection.close()
        return cookies


@dataclass
class Served:
    server: ServerProcess
    client: Client
    root: Path
    values: dict[str, str]  # a real value for each path parameter
    step_dir: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module, on a root with a finished run, a published pipeline and an
    endpoint; a secret file lies next to the root and another in it (not a run file)."""
    base = tmp_path_factory.mktemp("rest_security")
    root = base / "root"
    (root / "src").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside" / "secret.txt").write_text(SECRET_OUTSIDE)
    (root / "private.txt").write_text(SECRET_IN_ROOT)
    doc = {
        "version": 1,
        "name": "sec",
        "steps": {
            "s": {
                "type": "command",
                "command": "echo hello; echo made > ${{outputs.data}}/x.txt",
                "outputs": {"data": {}},
            }
        },
    }
    (root / "sec.pipeline.yaml").write_text(yaml.safe_dump(doc))
    saved = os.environ.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    server = ServerProcess(root, base / "runtime")
    try:
        run = server.call("runs", {"path": "sec.pipeline.yaml"})["run"]
        deadline = time.monotonic() + 120
        while server.call(f"runs/{run['id']}")["status"] not in ("Finished", "Failed"):
            assert time.monotonic() < deadline, "the setup run did not end"
            time.sleep(0.1)
        published = server.call("published", {"path": "sec.pipeline.yaml", "name": "sec"})
        endpoint = server.call(
            "pipeline-endpoints", {"name": "sec", "pipeline_id": published["id"]}
        )
        values = {
            "run_id": run["id"],
            "step": "s",
            "file_path": "stdout.txt",
            "name": "workspaceblobstore",
            "pipeline_id": published["id"],
            "endpoint_id": endpoint["id"],
            "version": "0",
            "schedule_id": "no-such-schedule",
        }
        step_dir = next((root / ".pipelines" / "runs" / run["id"]).iterdir())
        yield Served(server, Client(server), root, values, step_dir)
    finally:
        server.stop()
        if saved is not None:
            os.environ["JUPYTER_PIPELINES_WORKSPACE"] = saved


def test_every_described_route_is_served() -> None:
    """The list the other tests walk is the server's route table (so nothing is skipped)."""
    table = {(m, r.path) for r in routes.ROUTES for m in r.methods}
    assert {(r.method, r.path) for r in described_routes()} == table


def test_no_token_or_a_wrong_one_gets_no_data(served: Served) -> None:
    secrets = [served.values["run_id"], served.values["pipeline_id"]]
    credentials = {
        "no token": {},
        "wrong token": {"Authorization": "token not-the-token"},
        "wrong scheme": {"Authorization": f"Bearer {TOKEN}x"},
        "token as a cookie": {"Cookie": f"token={TOKEN}"},
    }
    tried, failures = 0, []
    for route in described_routes():
        for what, headers in credentials.items():
            answer = served.client.route(route, served.values, headers)
            tried += 1
            if answer.status not in (401, 403) or answer.leaks(*secrets):
                failures.append((route, what, answer.status, answer.body[:200]))
    assert served.server.call("runs")["total"] == 1  # no refused POST started anything
    routes_n = len(described_routes())
    print(f"\nauthentication: {routes_n} routes x {len(credentials)} credentials = {tried} tried, "
          f"{tried - len(failures)} refused (401/403, no data)")  # fmt: skip
    assert failures == []


def refused_by_jupyter(answer: Answer) -> bool:
    """jupyter_server's own refusals: a missing or wrong ``_xsrf`` (403), a cross-origin
    request (404 "Not Found", before any handler runs)."""
    xsrf = b"_xsrf" in answer.body or b"XSRF" in answer.body
    return (answer.status == 403 and xsrf) or (
        answer.status == 404 and b'"message": "Not Found"' in answer.body
    )


def test_browser_writes_need_the_xsrf_token(served: Served) -> None:
    cookies, other = served.client.login(), served.client.login()
    xsrf = cookies.get("_xsrf")
    assert xsrf and len(cookies) >= 2, f"logging in should set a session and _xsrf: {cookies}"
    assert other["_xsrf"] != xsrf
    session = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    here = f"http://{served.client.host}:{served.client.port}"
    forged = {
        "cookie without _xsrf": session,
        "cookie, malformed _xsrf": {**session, "X-XSRFToken": "2|00|forged|1"},
        "cookie, another session's _xsrf": {**session, "X-XSRFToken": other["_xsrf"]},
        "cookie, _xsrf, another origin": {
            **session, "X-XSRFToken": xsrf, "Origin": "http://evil.example"
        },
    }  # fmt: skip
    genuine = {**session, "X-XSRFToken": xsrf, "Origin": here}
    values = {k: "x" for k in served.values}  # writes to nothing that exists
    writes = [r for r in described_routes() if r.method != "GET"]
    tried, failures = 0, []
    for route in writes:
        for what, headers in forged.items():
            answer = served.client.route(route, values, headers)
            tried += 1
            if not refused_by_jupyter(answer):
                failures.append((route, what, answer.status, answer.body[:200]))
        # The same session with its token gets through to the handler (which answers).
        answer = served.client.route(route, values, genuine)
        tried += 1
        if refused_by_jupyter(answer) or answer.status in (401, 403) or answer.status >= 500:
            failures.append((route, "genuine", answer.status, answer.body[:200]))
    reads = [r for r in described_routes() if r.method == "GET" and not r.websocket]
    for route in reads:  # the cookie does authenticate: a read needs no _xsrf
        answer = served.client.route(route, served.values, session)
        tried += 1
        if answer.status in (401, 403) or answer.status >= 500:
            failures.append((route, "cookie read", answer.status, answer.body[:200]))
    assert served.server.call("runs")["total"] == 1
    print(f"\nXSRF: {len(writes)} write routes x {len(forged)} forged sessions = "
          f"{len(writes) * len(forged)} refused by jupyter_server; {len(writes)} genuine "
          f"writes and {len(reads)} cookie reads reach the handlers; {tried} requests, "
          f"{len(failures)} wrong")  # fmt: skip
    assert failures == []


def traversals(step_dir: Path, root: Path) -> dict[str, str]:
    """Attack values for one path parameter, written as they go on the wire."""
    outside = os.path.relpath(root.parent / "outside" / "secret.txt", step_dir)
    in_root = os.path.relpath(root / "private.txt", step_dir)
    return {
        "dot dot": "..",
        "dot dot chain": "../../../../../../../../etc/passwd",
        "encoded dot dot": "%2e%2e",
        "encoded chain": "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "encoded slashes": "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "double encoded": "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "absolute, encoded": "%2fetc%2fpasswd",
        "absolute": "/etc/passwd",
        "backslashes": "..%5c..%5c..%5c..%5cetc%5cpasswd",
        "overlong UTF-8": "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
        "null byte": "stdout.txt%00.png",
        "null byte alone": "%00",
        "dot dot, null": "..%00",
        "to a secret outside the root": outside,
        "to a secret outside, encoded": outside.replace("/", "%2f").replace(".", "%2e"),
        "to a file of the root": in_root,
        "through the code folder": "code/" + "../" * 8 + "etc/passwd",
        "the workspace database": "../../../workspace.db",
    }


def test_path_traversal_in_every_path_parameter_leaks_nothing(served: Served) -> None:
    attacks = traversals(served.step_dir, served.root)
    token = {**HEADERS}
    tried, failures = 0, []
    refused = served_ok = 0
    statuses: Counter[int] = Counter()
    targets = [(r, p) for r in described_routes() for p in r.params]
    for route, param in targets:
        for what, value in attacks.items():
            answer = served.client.route(route, {**served.values, param: value}, token)
            tried += 1
            leaked = answer.leaks()
            if answer.status >= 500 or leaked or b"SQLite format" in answer.body:
                failures.append((route, param, what, answer.status, leaked, answer.body[:160]))
            elif answer.status >= 400:
                refused += 1
                statuses[answer.status] += 1
            else:
                served_ok += 1  # answered without leaking (a name that is just a name)
    assert served.server.call("runs")["total"] == 1
    print(f"\ntraversal: {len(targets)} (route, path parameter) pairs x {len(attacks)} attacks "
          f"= {tried} tried: {refused} refused ({dict(sorted(statuses.items()))}), "
          f"{served_ok} answered harmlessly, "
          f"{len(failures)} leaks or 500s")  # fmt: skip
    assert failures == []


def test_the_files_a_run_serves_are_still_served(served: Served) -> None:
    """The refusals above are not everything refused: the run's own files come back."""
    token = {**HEADERS}
    run, api = served.values["run_id"], served.client.api
    answer = served.client.send("GET", f"{api}/runs/{run}/steps/s/files/stdout.txt", token)
    assert answer.status == 200 and answer.body == b"hello\n"
    listed = served.client.send("GET", f"{api}/runs/{run}/steps/s/files", token)
    assert listed.status == 200 and b"stdout.txt" in listed.body
    notebook = served.client.send("GET", f"{api}/runs/{run}/steps/s/notebook", token)
    assert notebook.status == 404
