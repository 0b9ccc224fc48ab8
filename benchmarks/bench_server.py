"""The Jupyter server extension under load, through a real ``jupyter server`` subprocess.

Three measurements against one server (loopback only, token auth), in a temporary workspace:

- *list*: 10,000 runs (3 step runs each) are recorded through ``RunStore.create_run`` (one
  transaction per run, as a submit records them; status Finished, tiny step records), then
  30 ``GET runs?limit=50`` requests are timed from this process with urllib;
- *event latency*: 10 times, a one-step pipeline whose command sleeps 0.5 s is submitted
  (``regenerate_outputs``) and followed over the WebSocket; the figure is the time from the
  step's recorded end (``ended`` in the run store) until the client receives the step's
  Finished status message (same machine, same clock);
- *fan-out*: 5 runs of 3 short command steps (each printing lines) run at once while 20
  clients follow the first one (connecting a few ms apart, so some replay and some live);
  each client must get the same status events in order and the same lines of each log in
  order (grouped into messages as each came: replayed or live), no id twice, a final
  ``end``, and every status event of the run store must be among them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median, percentile, print_figures, temp_dir, temp_workspace

TOKEN = "bench"
API = "/jupyter-pipelines/api"
N_RUNS = 10_000
LIST_REQUESTS = 30
LATENCY_REPEATS = 10
FOLLOWERS = 20
CONCURRENT_RUNS = 5

TARGETS = {
    "list_runs_median_ms": ("<=", 100.0),
    "list_runs_p90_ms": ("<=", 100.0),
    "event_latency_median_ms": ("<=", 200.0),
    "event_latency_p90_ms": ("<=", 200.0),
    "missed_or_duplicated": ("<=", 0),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def jupyter_server(root: Path) -> Iterator[str]:
    """A ``jupyter server`` on ``root`` (extension enabled); yields its base URL."""
    port = _free_port()
    with temp_dir("jp-bench-runtime-") as runtime:
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
        env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
        argv = [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={TOKEN}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.jpserver_extensions={'jupyter_pipelines': True}",
            "--no-browser",
            "--allow-root",
        ]
        log = (runtime / "server.log").open("wb")
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    text = (runtime / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"the jupyter server did not start:\n{text[-3000:]}")
                try:
                    get(url, "runs?limit=1")
                    break
                except OSError:
                    time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _request(url: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{url}{API}/{path}",
        data=data,
        method="GET" if body is None else "POST",
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def get(url: str, path: str) -> Any:
    return _request(url, path)


def post(url: str, path: str, body: Any) -> Any:
    return _request(url, path, body)


async def follow(url: str, run_id: str, delay: float = 0.0) -> list[tuple[float, dict[str, Any]]]:
    """Every message of a run's event stream, each with the time it was received."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    await asyncio.sleep(delay)
    ws_url = f"{url.replace('http', 'ws', 1)}{API}/runs/{run_id}/events"
    request = HTTPRequest(ws_url, headers={"Authorization": f"token {TOKEN}"})
    ws = await websocket_connect(request)
    got = []
    while True:
        text = await asyncio.wait_for(ws.read_message(), timeout=60)
        if text is None:
            break
        got.append((time.time(), json.loads(text)))
    ws.close()
    return got


# -- the store of 10,000 runs ---------------------------------------------------------------
def fill_store(ws: Any, root: Path, count: int) -> float:
    """Record ``count`` finished runs of 3 tiny step runs each; returns the seconds taken."""
    from jupyter_pipelines.stores import status as st
    from jupyter_pipelines.stores.runstore import RunRecord, StepRecord

    store = ws.run_store
    start = time.perf_counter()
    base = time.time() - count
    for i in range(count):
        run_id = uuid.uuid4().hex
        created = base + i
        run = RunRecord(
            id=run_id,
            experiment=f"exp-{i % 10}",
            status=st.FINISHED,
            created=created,
            started=created,
            ended=created + 0.5,
            description="",
            pipeline_file=str(root / "bench.pipeline.yaml"),
            pipeline={"name": "bench", "steps": {}},
            parameters={"alpha": i},
            tags={},
            options={},
            driver_pid=None,
            driver_started=None,
            error=None,
        )
        steps = [
            StepRecord(
                id=uuid.uuid4().hex,
                run_id=run_id,
                name=f"step{j}",
                position=j,
                status=st.FINISHED,
                target="local",
                depends=[f"step{j - 1}"] if j else [],
                spec={"kind": "command"},
                step_dir=str(root / ".pipelines" / "runs" / run_id / f"step{j}"),
                started=created + j * 0.1,
                ended=created + j * 0.1 + 0.1,
                exit_code=0,
                reused_from=None if i % 4 else "x",
            )
            for j in range(3)
        ]
        store.create_run(run, steps)
    # create_run records a submitted run: give the rows the start and end a finished one has.
    with store.transaction() as conn:
        conn.execute("UPDATE runs SET started = created, ended = created + 0.5")
    return time.perf_counter() - start


def bench_list(url: str) -> list[float]:
    get(url, "runs?limit=50")  # warm
    times = []
    for _ in range(LIST_REQUESTS):
        start = time.perf_counter()
        page = get(url, "runs?limit=50")
        times.append(time.perf_counter() - start)
    assert page["total"] == N_RUNS and len(page["runs"]) == 50, page["total"]
    return times


# -- pipelines that execute -----------------------------------------------------------------
def one_sleeping_step(seconds: float) -> dict[str, Any]:
    return {
        "version": 1,
        "name": "latency",
        "steps": {"wait": {"type": "command", "command": f"sleep {seconds}"}},
    }


def three_printing_steps(tag: int) -> dict[str, Any]:
    printing = "for i in 1 2 3 4 5; do echo line $i; echo err $i >&2; sleep 0.02; done"
    steps: dict[str, Any] = {}
    for j in range(3):
        steps[f"s{j}"] = {"type": "command", "command": f"{printing}; echo run {tag} step {j}"}
        if j:
            steps[f"s{j}"]["run_after"] = [f"s{j - 1}"]
    return {"version": 1, "name": f"fanout{tag}", "steps": steps}


async def bench_latency(url: str, ws: Any) -> list[float]:
    latencies = []
    for _ in range(LATENCY_REPEATS):
        run = post(url, "runs", {"document": one_sleeping_step(0.5), "regenerate_outputs": True})
        got = await follow(url, run["run"]["id"])
        (received,) = [
            t
            for t, m in got
            if m["type"] == "status" and m["step"] == "wait" and m["status"] == "Finished"
        ]
        ended = ws.run_store.get_step(run["run"]["id"], "wait").ended
        latencies.append(received - ended)
    return latencies


def delivered(messages: list[dict[str, Any]]) -> tuple[list[int], dict[Any, list[str]]]:
    """The status events and each log's lines a client got, whatever their grouping."""
    events = [m["event_id"] for m in messages if m["type"] == "status"]
    logs: dict[Any, list[str]] = {}
    for m in messages:
        if m["type"] == "log":
            logs.setdefault((m["step"], m["stream"]), []).extend(m["lines"])
    return events, logs


async def bench_fanout(url: str, ws: Any) -> dict[str, Any]:
    runs = [
        post(url, "runs", {"document": three_printing_steps(i), "regenerate_outputs": True})["run"]
        for i in range(CONCURRENT_RUNS)
    ]
    watched = runs[0]["id"]
    # One client on each other run too, so that five hubs poll at once.
    tasks = [follow(url, r["id"]) for r in runs[1:]]
    tasks += [follow(url, watched, delay=0.05 * i) for i in range(FOLLOWERS)]
    results = await asyncio.gather(*tasks)
    clients = [[m for _, m in got] for got in results[CONCURRENT_RUNS - 1 :]]
    reference = clients[0]
    bad = 0
    for messages in clients:
        ids = [m["id"] for m in messages]
        bad += len(ids) - len(set(ids))
        bad += int(delivered(messages) != delivered(reference))
        bad += int(not messages or messages[-1]["type"] != "end")
    events = {e["id"] for e in ws.run_store.events(watched)}
    seen = {m["event_id"] for m in reference if m["type"] == "status"}
    bad += len(events ^ seen)
    statuses = [get(url, f"runs/{r['id']}")["status"] for r in runs]
    return {
        "fanout_clients": len(clients),
        "fanout_messages_per_client": len(reference),
        "fanout_status_events": len(events),
        "fanout_log_messages": sum(1 for m in reference if m["type"] == "log"),
        "fanout_runs_finished": sum(1 for s in statuses if s == "Finished"),
        "missed_or_duplicated": bad,
    }


def main() -> dict[str, Any]:
    with temp_workspace("jp-bench-server-") as (ws, root):
        fill_s = fill_store(ws, root, N_RUNS)
        with jupyter_server(root) as url:
            list_times = bench_list(url)
            latencies = asyncio.run(bench_latency(url, ws))
            fanout = asyncio.run(bench_fanout(url, ws))
    figures = {
        "store_runs": N_RUNS,
        "store_fill_s": fill_s,
        "list_runs_median_ms": median(list_times) * 1000,
        "list_runs_p90_ms": percentile(list_times, 90) * 1000,
        "event_latency_median_ms": median(latencies) * 1000,
        "event_latency_p90_ms": percentile(latencies, 90) * 1000,
        "event_latency_max_ms": max(latencies) * 1000,
        **fanout,
    }
    print_figures("jupyter server: list 10,000 runs, event latency, 20 followers", figures)
    return figures


if __name__ == "__main__":
    main()
