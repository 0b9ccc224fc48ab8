"""Events and logs survive server restarts and stay bounded, through real servers:

- a run-event stream resumed with ``after=<last id>`` on a *restarted* server (kill -9 in
  the middle of the run, twice) delivers every status event and every log line exactly once,
  in order; so does a resume from every message of the stream;
- ``jupyter-pipelines logs RUN STEP --tail 10`` of a 200 MB log reads from the end (its peak
  memory is measured);
- ``GET .../logs`` without a range answers at most 1 MiB and the range to ask for next, and
  paging through a 200 MB log rejoins it exactly;
- following a run that writes a large log leaves the server's memory near its baseline.

Each test prints its figures.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import CommandStep, Pipeline, PipelineRun
from jupyter_pipelines.stores import status as st
from tests.integration.event_support import StreamContent, content, truth
from tests.integration.server_process import ServerProcess
from tests.integration.support import CLI, VENV_BIN, Project, wait_until

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
#: A line with characters of 2 and 3 bytes in UTF-8, so that byte ranges cut inside them.
LINE = "zażółć gęślą jaźń — ∑ 0123456789 abcdefghijklmnopqrstuvwxyz\n"

TALK = """\
import pathlib, sys, time
gates = [pathlib.Path(p) for p in sys.argv[1:]]
def wait(gate):
    while not gate.exists():
        time.sleep(0.02)
for i in range(30):
    print(f"talk {i} zażółć", flush=True)
for i in range(10):
    print(f"talk err {i}", file=sys.stderr, flush=True)
wait(gates[0])
for i in range(30, 60):
    print(f"talk {i}", flush=True)
    time.sleep(0.005)
print("x" * 150_000 + "ł" * 1000, flush=True)  # a long line: it comes in pieces
wait(gates[1])
for i in range(60, 70):
    print(f"talk {i}", flush=True)
sys.stdout.write("an unterminated last line")
"""

CHAT = """\
import sys, time
for i in range(80):
    print(f"chat {i}", flush=True)
    if i % 10 == 0:
        print(f"chat err {i}", file=sys.stderr, flush=True)
    time.sleep(0.01)
"""


@pytest.fixture
def runtime(tmp_path: Path) -> Path:
    return tmp_path / "runtime"


@pytest.fixture
def servers(project: Project, runtime: Path) -> Iterator[list[ServerProcess]]:
    """Servers a test starts on the project (appended); all stopped at its end."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[ServerProcess], project: Project, runtime: Path) -> ServerProcess:
    servers.append(ServerProcess(project.root, runtime))
    return servers[-1]


def python(project: Project, name: str, body: str, *args: object) -> str:
    script = project.script(name, body)
    return " ".join([sys.executable, str(script), *(str(a) for a in args)])


def lost_and_repeated(got: StreamContent, expected: StreamContent) -> tuple[int, int, int, int]:
    """Status events lost and repeated, log lines lost and repeated."""
    events_got, events_expected = Counter(got.events), Counter(expected.events)
    lines_got: Counter[tuple[Any, ...]] = Counter()
    lines_expected: Counter[tuple[Any, ...]] = Counter()
    for found, counter in ((got, lines_got), (expected, lines_expected)):
        for key, lines in found.logs.items():
            counter.update((*key, i, line) for i, line in enumerate(lines))
    return (
        sum((events_expected - events_got).values()),
        sum((events_got - events_expected).values()),
        sum((lines_expected - lines_got).values()),
        sum((lines_got - lines_expected).values()),
    )


def lines_of(messages: list[dict[str, Any]], step: str, stream: str = "stdout") -> list[str]:
    return [
        line
        for m in messages
        if m["type"] == "log" and m["step"] == step and m["stream"] == stream
        for line in m["lines"]
    ]


def test_a_stream_resumed_on_restarted_servers_is_complete_and_free_of_repeats(
    project: Project, runtime: Path, servers: list[ServerProcess]
) -> None:
    gates = [project.root / "gate1", project.root / "gate2"]
    talk = CommandStep(python(project, "talk.py", TALK, *gates), name="talk", allow_reuse=False)
    chat = CommandStep(python(project, "chat.py", CHAT), name="chat", allow_reuse=False)
    last = CommandStep("echo last", name="last", allow_reuse=False)
    last.run_after(talk)
    last.run_after(chat)
    run = project.experiment().submit(
        Pipeline(steps=[talk, chat, last], name="restarts"), show_output=False
    )

    # Server 1: read until talk waits at its first gate (its log half read), then kill -9.
    first = start(servers, project, runtime).events(
        run.id, stop=lambda got: len(lines_of(got, "talk")) >= 30
    )
    servers[-1].kill()
    gates[0].touch()  # the run goes on while no server runs

    # Server 2: resume after the last id seen; read until talk waits at its second gate.
    second = start(servers, project, runtime).events(
        run.id, after=first[-1]["id"], stop=lambda got: len(lines_of(first + got, "talk")) >= 63
    )
    servers[-1].kill()
    gates[1].touch()

    # Server 3: resume again, to the end of the run.
    third = start(servers, project, runtime).events(run.id, after=second[-1]["id"])
    assert PipelineRun(project.experiment(), run.id).get_status() == st.FINISHED

    stream = first + second + third
    expected = truth(project.ws.run_store, run.id)
    got = content(stream)
    figures = lost_and_repeated(got, expected)
    lines = sum(len(v) for v in expected.logs.values())
    print(
        f"\nrestarts: 2 kill -9 of the server mid-run; {len(expected.events)} status events, "
        f"{lines} log lines in {len(stream)} messages ({len(first)}/{len(second)}/"
        f"{len(third)} per server); events lost {figures[0]}, repeated {figures[1]}; "
        f"log lines lost {figures[2]}, repeated {figures[3]}"
    )
    assert figures == (0, 0, 0, 0)
    assert got == expected
    assert got.end == st.FINISHED
    assert len({m["id"] for m in stream}) == len(stream)
    assert expected.logs[("talk", "stdout")][-1] == "an unterminated last line"
    assert len(expected.logs[("talk", "stdout")]) == 30 + 30 + 3 + 10 + 1  # 3 pieces

    # A resume after any message of that stream, on the last server, is exactly the rest.
    server = servers[-1]
    bad = 0
    for i, message in enumerate(stream):
        rest = server.events(run.id, after=message["id"])
        bad += content(rest, stream[: i + 1]) != content(stream[i + 1 :], stream[: i + 1])
    print(f"restarts: resumes after each of the {len(stream)} messages: {bad} wrong")
    assert bad == 0


def test_a_malformed_after_is_refused(
    project: Project, runtime: Path, servers: list[ServerProcess]
) -> None:
    run = project.experiment().submit(
        Pipeline(steps=[CommandStep("echo hi", name="hi")], name="hi"), show_output=False
    )
    server = start(servers, project, runtime)
    for bad in ("x", "-1", "3.4q5", "3.end.9o1"):
        with pytest.raises(Exception, match="400") as info:
            server.events(run.id, after=bad)
        assert "400" in str(info.value)
    assert content(server.events(run.id, after="0")).end == st.FINISHED


# -- logs of any size -------------------------------------------------------------------
def write_big_log(path: Path, size: int) -> bytes:
    """Fill ``path`` with about ``size`` bytes of numbered-block lines; its last 10 lines
    are unique. Returns the file's SHA-256."""
    block = (LINE * (MIB // len(LINE.encode()))).encode()
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for _ in range(size // len(block)):
            fh.write(block)
            digest.update(block)
        end = "".join(f"the end {i} ∑\n" for i in range(12)).encode()
        fh.write(end)
        digest.update(end)
    return digest.digest()


def big_and_small_steps(project: Project, size: int) -> tuple[PipelineRun, Path, bytes]:
    """A finished run with steps ``small`` and ``big``; big's stdout replaced by ``size``
    bytes of lines (written directly: a step would take longer)."""
    steps = [CommandStep("echo small", name="small"), CommandStep("echo big", name="big")]
    run: PipelineRun = project.experiment().submit(
        Pipeline(steps=steps, name="logs"), show_output=False
    )
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    path = Path(run.get_step_run("big").origin_record().spec["stdout_path"])
    return run, path, write_big_log(path, size)


MEASURE = """\
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, code)
"""


def peak_memory(project: Project, out: Path, *args: str) -> int:
    """Run ``jupyter-pipelines ARGS`` with stdout to ``out``; its peak resident memory."""
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PIPELINES_WORKSPACE"}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(out), CLI, *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    peak, code = (int(word) for word in proc.stdout.split())
    assert code == 0, proc.stderr
    return peak


def test_logs_tail_reads_a_200_mb_log_from_its_end(project: Project, tmp_path: Path) -> None:
    run, path, digest = big_and_small_steps(project, 200 * MIB)
    out = tmp_path / "out.txt"
    try:
        baseline = peak_memory(project, out, "logs", run.id, "small", "--stdout", "--tail", "10")
        started = time.perf_counter()
        tail = peak_memory(project, out, "logs", run.id, "big", "--stdout", "--tail", "10")
        took = time.perf_counter() - started
        assert out.read_text() == "".join(f"the end {i} ∑\n" for i in range(2, 12))
        whole = peak_memory(project, out, "logs", run.id, "big", "--stdout")
        assert out.stat().st_size == path.stat().st_size
        assert hashlib.sha256(out.read_bytes()).digest() == digest
    finally:
        out.unlink(missing_ok=True)
        path.unlink()
    print(
        f"\nlogs of a {path.name} of 200 MB: peak memory of the CLI with --tail 10 "
        f"{tail / MIB:.0f} MiB ({(tail - baseline) / MIB:+.1f} MiB over the same command on "
        f"a one-line log, {baseline / MIB:.0f} MiB), {took:.2f} s; printing it whole "
        f"{whole / MIB:.0f} MiB ({(whole - baseline) / MIB:+.1f} MiB)"
    )
    assert tail - baseline < 60 * MIB
    assert whole - baseline < 60 * MIB


def test_log_answers_are_capped_and_paging_rejoins_a_200_mb_log(
    project: Project, runtime: Path, servers: list[ServerProcess]
) -> None:
    run, path, digest = big_and_small_steps(project, 200 * MIB)
    size = path.stat().st_size
    server = start(servers, project, runtime)
    logs = f"runs/{run.id}/steps/big/logs"
    try:
        first = server.call(logs)
        assert first["truncated"] is True and first["offset"] == 0 and first["size"] == size
        assert 0 < first["next_offset"] <= MIB and len(first["text"].encode()) <= MIB
        assert first["next_offset"] == len(first["text"].encode())

        joined = hashlib.sha256(first["text"].encode())
        offset, pages = first["next_offset"], 1
        started = time.perf_counter()
        while True:
            page = server.call(f"{logs}?offset={offset}&max_bytes={16 * MIB}")
            assert page["offset"] == offset and len(page["text"].encode()) <= 16 * MIB
            joined.update(page["text"].encode())
            offset, pages = page["next_offset"], pages + 1
            if not page["truncated"]:
                break
        took = time.perf_counter() - started
        assert offset == size and joined.digest() == digest
        rss, peak = server.memory()

        tail = server.call(f"{logs}?tail=30")
        assert tail["text"].endswith("the end 11 ∑\n") and tail["truncated"] is False
        small = server.call(f"runs/{run.id}/steps/small/logs")
        assert small == {
            "stream": "stdout",
            "offset": 0,
            "next_offset": 6,
            "size": 6,
            "truncated": False,
            "text": "small\n",
        }
        for bad in ("offset=-1", "tail=-5", "max_bytes=0", f"max_bytes={32 * MIB}"):
            with pytest.raises(urllib.error.HTTPError) as info:
                server.call(f"{logs}?{bad}")
            assert info.value.code == 400, bad
    finally:
        path.unlink()
    print(
        f"\nGET logs of a 200 MB log: the first answer {first['next_offset'] / MIB:.2f} MiB "
        f"(truncated, next_offset given); {pages} pages rejoin it exactly in {took:.1f} s; "
        f"server memory {rss / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB"
    )


BIG_WRITER = """\
import sys
line = {line!r}
block = line * (1024 * 1024 // len(line.encode()))
for i in range({blocks}):
    sys.stdout.write(block)
    sys.stderr.write(f"err {{i}}\\n")
sys.stdout.write("the end\\n")
"""


def test_following_a_run_with_a_large_log_keeps_the_server_memory_bounded(
    project: Project, runtime: Path, servers: list[ServerProcess]
) -> None:
    server = start(servers, project, runtime)

    def follow(run: PipelineRun) -> tuple[Counter[str], str | None]:
        counts: Counter[str] = Counter()
        ends: list[str] = []

        def count(message: dict[str, Any]) -> None:
            if message["type"] == "log":
                counts[message["stream"]] += len(message["lines"])
            elif message["type"] == "end":
                ends.append(message["status"])

        server.events(run.id, on_message=count, keep=False)
        return counts, ends[0] if ends else None

    def submit(blocks: int) -> PipelineRun:
        command = python(project, f"w{blocks}.py", BIG_WRITER.format(line=LINE, blocks=blocks))
        step = CommandStep(command, name="write", allow_reuse=False)
        return project.experiment().submit(Pipeline(steps=[step], name="big"), show_output=False)

    # The baseline: after following a small run (every code path loaded once).
    follow(submit(1))
    time.sleep(1)
    baseline, _ = server.memory()

    blocks = 200
    started = time.perf_counter()
    counts, end = follow(submit(blocks))
    took = time.perf_counter() - started
    per_block = MIB // len(LINE.encode())
    assert end == st.FINISHED
    assert counts == {"stdout": blocks * per_block + 1, "stderr": blocks}
    wait_until(lambda: server.memory()[0] - baseline < 40 * MIB, timeout=15, what="memory")
    after, peak = server.memory()
    print(
        f"\nfollowing a run that logs {blocks} MiB ({counts['stdout']} lines) in {took:.1f} s: "
        f"server memory {baseline / MIB:.0f} MiB before, {after / MIB:.0f} MiB after "
        f"({(after - baseline) / MIB:+.1f} MiB), peak {peak / MIB:.0f} MiB "
        f"({(peak - baseline) / MIB:+.1f} MiB over the baseline)"
    )
    assert peak - baseline < 100 * MIB
