"""The Dask transport without Dask: a step staged into a file:// artifact store, run by a
worker in a plain subprocess that cannot see the driver's folders (they are moved away
while it runs), and its result collected. Shared with tests/azure (same steps on Azurite).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.executors.base import StepSpec
from jupyter_pipelines.executors.dask import archive
from jupyter_pipelines.executors.dask.transport import (
    ArtifactStore,
    collect_result,
    read_result,
    stage_step,
)
from jupyter_pipelines.runtime.manifest import StepManifest

pytestmark = pytest.mark.integration

SCRIPT = """\
import json, os, sys, time
from jupyter_pipelines.runtime.run import Run
src, out = sys.argv[1], sys.argv[2]
print("starting", flush=True)
run = Run.get_context()
run.log("rows", 3)
text = open(os.path.join(src, "data.txt")).read()
os.makedirs(os.path.join(out, "sub"), exist_ok=True)
open(os.path.join(out, "sub", "result.txt"), "w").write(text.upper())
time.sleep(float(os.environ.get("NAP", "0")))
print("done", os.environ["AML_PARAMETER_mode"], flush=True)
if os.environ.get("FAIL"):
    print("boom", file=sys.stderr)
    sys.exit(3)
"""


def make_step(base: Path, name: str = "upper", env: dict[str, str] | None = None) -> StepSpec:
    """A planned and prepared step, as the driver leaves it before launch: code snapshot,
    an input folder (another step's output), an empty output folder, its manifest."""
    ws = base / "project" / ".pipelines"
    run_dir = ws / "runs" / "r1"
    step_dir = run_dir / name
    code = step_dir / "code"
    code.mkdir(parents=True)
    (code / "step.py").write_text(SCRIPT)
    source = run_dir / "producer" / "outputs" / "raw"
    source.mkdir(parents=True)
    (source / "data.txt").write_text("hello dask\n")
    out = step_dir / "outputs" / "result"
    out.mkdir(parents=True)
    spec = StepSpec(
        run_id="r1",
        step_run_id=str(uuid.uuid4()),
        step_name=name,
        kind="command",
        working_dir=str(code),
        step_dir=str(step_dir),
        stdout_path=str(step_dir / "stdout.txt"),
        stderr_path=str(step_dir / "stderr.txt"),
        argv=[sys.executable, "step.py", str(source), f"--out={out}"[6:]],
        env={
            "JUPYTER_PIPELINES_STEP_MANIFEST": str(step_dir / "manifest.json"),
            "AML_PARAMETER_mode": f"fast;{out}",
            **(env or {}),
        },
        inputs={"raw": {"path": str(source), "mode": "mount"}},
        outputs={"result": {"path": str(out), "final": str(out), "mode": "mount"}},
    )
    StepManifest(
        run_id="r1",
        step_run_id=spec.step_run_id,
        step_name=name,
        workspace_dir=str(ws),
        step_dir=str(step_dir),
        inputs={"raw": str(source)},
        outputs={"result": str(out)},
    ).write(step_dir / "manifest.json")
    return spec


@contextmanager
def hidden(*paths: str) -> Iterator[None]:
    """The driver's folders moved away, so a worker that reads them fails."""
    moved = [(p, f"{p}.hidden") for p in paths]
    for p, away in moved:
        os.rename(p, away)
    try:
        yield
    finally:
        for p, away in moved:
            os.rename(away, p)


def run_worker(ticket: dict[str, Any], tmp: Path, env: dict[str, str] | None = None) -> Any:
    """The worker, in its own process: (result, log lines with their arrival times)."""
    path = tmp / f"ticket-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(ticket))
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_pipelines.executors.dask.worker_side", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines = []
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:
        try:
            lines.append((time.time(), json.loads(line)))
        except ValueError:
            lines.append((time.time(), {"stream": "worker", "text": line}))
    out = proc.stdout.read()
    proc.wait(60)
    assert out.strip(), f"the worker printed no result: {lines}"
    return json.loads(out.strip().splitlines()[-1]), lines, time.time()


def check_round_trip(base: Path, store: ArtifactStore) -> None:
    """Stage, run in another process with the driver's folders hidden, collect."""
    spec = make_step(base, env={"NAP": "1.0"})
    ticket = stage_step(spec, store)
    producer = str(Path(spec.inputs["raw"]["path"]).parents[1])
    with hidden(spec.step_dir, producer):
        result, lines, ended = run_worker(ticket, base)
    assert result["status"] == "Finished", result
    assert result["exit_code"] == 0
    # the first line arrived while the step still slept
    first = next(t for t, line in lines if "starting" in line.get("text", ""))
    assert ended - first > 0.7, lines
    collected = collect_result(spec, store, ticket)
    assert collected["status"] == "Finished"
    out = Path(spec.outputs["result"]["path"])
    assert (out / "sub" / "result.txt").read_text() == "HELLO DASK\n"
    stdout = Path(spec.stdout_path).read_text()
    # the worker saw the output's path under its own folder (the log is the worker's)
    assert "starting" in stdout, stdout
    assert re.search(rf"done fast;\S*jp-dask-\w+{re.escape(str(out))}\n", stdout), stdout
    metrics = Path(spec.step_dir, "metrics.jsonl").read_text()
    assert '"rows"' in metrics, metrics
    manifest = json.loads(Path(spec.step_dir, "manifest.json").read_text())
    assert manifest["step_dir"] == spec.step_dir  # the driver's own, not the worker's


def check_failure_leaves_no_output(base: Path, store: ArtifactStore) -> None:
    spec = make_step(base, name="broken", env={"FAIL": "1"})
    ticket = stage_step(spec, store)
    result, _, _ = run_worker(ticket, base)
    assert result["status"] == "Failed" and result["exit_code"] == 3, result
    assert "boom" in result["error"] and "jp-dask-" not in result["error"]
    assert result["outputs"] == {}
    collect_result(spec, store, ticket)
    out = Path(spec.outputs["result"]["path"])
    assert out.is_dir() and not any(out.iterdir())  # the empty place, never the worker's
    assert "boom" in Path(spec.stderr_path).read_text()


def test_round_trip_through_a_file_store(tmp_path: Path) -> None:
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    check_round_trip(tmp_path, store)


def test_a_failing_step_leaves_no_output(tmp_path: Path) -> None:
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    check_failure_leaves_no_output(tmp_path, store)


def test_unchanged_code_and_inputs_are_not_uploaded_again(tmp_path: Path) -> None:
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    first = stage_step(make_step(tmp_path / "a"), store)
    objects = tmp_path / "store" / "objects"
    stamps = {p: p.stat().st_mtime_ns for p in objects.rglob("*.tar*")}
    second = stage_step(make_step(tmp_path / "b"), store)  # same code and data, elsewhere
    assert (first["code"], first["inputs"]["raw"]["key"]) == (
        second["code"],
        second["inputs"]["raw"]["key"],
    )
    assert {p: p.stat().st_mtime_ns for p in objects.rglob("*.tar*")} == stamps
    assert len(stamps) == 2  # one code snapshot, one input


def test_a_worker_that_died_is_a_failed_step(tmp_path: Path) -> None:
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    spec = make_step(tmp_path)
    ticket = stage_step(spec, store)
    assert read_result(store, ticket) is None
    result = collect_result(spec, store, ticket)
    assert result["status"] == "Failed" and "left no result" in result["error"]
    assert not any(Path(spec.outputs["result"]["path"]).iterdir())


def test_cancel_stops_the_step(tmp_path: Path) -> None:
    from jupyter_pipelines.executors.dask.transport import run_ticket

    store = ArtifactStore("file://" + str(tmp_path / "store"))
    spec = make_step(tmp_path, env={"NAP": "30"})
    ticket = stage_step(spec, store)
    seen: list[str] = []
    started = time.monotonic()

    def should_stop() -> str | None:
        return "canceled by the test" if any("starting" in s for s in seen) else None

    result = run_ticket(ticket, lambda _s, text: seen.append(text), should_stop=should_stop)
    assert result["status"] == "Canceled" and result["error"] == "canceled by the test"
    assert time.monotonic() - started < 15


def test_tree_keys_follow_content_not_times(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "x.txt").write_text("1")
    key = archive.tree_key(str(folder))
    os.utime(folder / "a" / "x.txt", (1, 1))
    assert archive.tree_key(str(folder)) == key
    (folder / "a" / "x.txt").write_text("2")
    assert archive.tree_key(str(folder)) != key
    (folder / "empty").mkdir()
    assert archive.tree_key(str(folder)) not in (key, "")
    assert archive.tree_key(str(tmp_path / "missing")) == ""


def test_a_runner_gets_the_spec_with_worker_paths(tmp_path: Path) -> None:
    from jupyter_pipelines.executors.dask.transport import run_ticket

    store = ArtifactStore("file://" + str(tmp_path / "store"))
    spec = make_step(tmp_path)
    ticket = stage_step(spec, store)
    seen: list[StepSpec] = []

    def runner(here: StepSpec, sink: Any) -> dict[str, Any]:
        seen.append(here)
        assert Path(here.working_dir, "step.py").is_file()
        assert Path(here.inputs["raw"]["path"], "data.txt").read_text() == "hello dask\n"
        Path(here.outputs["result"]["path"], "made.txt").write_text("by the runner")
        return {"status": "Finished", "exit_code": 0, "error": None, "worker": "elsewhere"}

    result = run_ticket(ticket, runner=runner)
    (here,) = seen
    assert here.argv[0] == spec.argv[0]  # the runner chooses the interpreter
    assert here.step_dir.endswith(spec.step_dir) and here.step_dir != spec.step_dir
    assert here.env["JUPYTER_PIPELINES_STEP_MANIFEST"] == here.step_dir + "/manifest.json"
    assert result["status"] == "Finished" and result["worker"] != "elsewhere"
    collect_result(spec, store, ticket)
    assert Path(spec.outputs["result"]["path"], "made.txt").read_text() == "by the runner"


def test_a_notebook_step_round_trips(tmp_path: Path) -> None:
    from jupyter_pipelines.executors.dask.transport import run_ticket
    from tests.integration.support import write_notebook

    spec = make_step(tmp_path, name="nb")
    write_notebook(
        Path(spec.working_dir, "nb.ipynb"),
        parameters='raw = ""\nresult = ""\n',
        body="import os\nprint('rows', open(os.path.join(raw, 'data.txt')).read().strip())\n"
        "open(os.path.join(result, 'seen.txt'), 'w').write(raw)\n",
    )
    spec.kind, spec.argv = "notebook", []
    spec.notebook = str(Path(spec.working_dir, "nb.ipynb"))
    spec.output_notebook = str(Path(spec.step_dir, "nb.ipynb"))
    spec.notebook_parameters = {
        "raw": spec.inputs["raw"]["path"],
        "result": spec.outputs["result"]["path"],
    }
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    ticket = stage_step(spec, store)
    result = run_ticket(ticket)
    assert result["status"] == "Finished", result
    collect_result(spec, store, ticket)
    seen = Path(spec.outputs["result"]["path"], "seen.txt").read_text()
    assert seen.endswith(spec.inputs["raw"]["path"]) and "jp-dask-" in seen  # the worker's
    executed = Path(spec.output_notebook).read_text()
    assert "rows hello dask" in executed


def test_links_out_of_the_step_folder_stay_behind(tmp_path: Path) -> None:
    spec = make_step(tmp_path)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not shipped")
    Path(spec.step_dir, "files").mkdir()
    os.symlink(outside, Path(spec.step_dir, "files", "out-link"))
    os.symlink("../manifest.json", Path(spec.step_dir, "files", "in-link"))
    store = ArtifactStore("file://" + str(tmp_path / "store"))
    ticket = stage_step(spec, store)
    from jupyter_pipelines.executors.dask.transport import run_ticket

    result = run_ticket(ticket, keep=False)
    assert result["status"] == "Finished", result
    collect_result(spec, store, ticket)
    assert os.readlink(Path(spec.step_dir, "files", "in-link")) == "../manifest.json"
