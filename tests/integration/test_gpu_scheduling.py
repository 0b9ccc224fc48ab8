"""GPU scheduling on the local target, against a configured fake inventory of 3 GPUs.

Steps record the ``CUDA_VISIBLE_DEVICES`` they saw and when they ran; the tests check that
steps running at once never share a device, that a step waits (Queued, saying why) until
enough are free, that devices come back however a step ends, and that a request no target
can meet fails at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import NotebookStep, Pipeline, PipelineValidationError, PythonScriptStep
from jupyter_pipelines.engine.submit import start_driver, submit_pipeline
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name, wait_until

pytestmark = pytest.mark.integration

#: argv: FOLDER NAME SECONDS [PARTNER]. Records the devices it sees and when it ran into
#: FOLDER/NAME.json; with PARTNER, also waits (at most 20 s) until PARTNER has started.
RECORD = """\
import json, os, pathlib, sys, time
folder, name, seconds = pathlib.Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
start = time.time()
(folder / f"{name}.started").touch()
if len(sys.argv) > 4:
    deadline = time.time() + 20
    while not (folder / f"{sys.argv[4]}.started").exists():
        if time.time() > deadline:
            sys.exit(f"{sys.argv[4]} never started while {name} ran")
        time.sleep(0.02)
time.sleep(seconds)
record = {
    "devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "order": os.environ.get("CUDA_DEVICE_ORDER"),
    "start": start,
    "end": time.time(),
}
(folder / f"{name}.json").write_text(json.dumps(record))
if os.environ.get("FAIL_STEP") == name:
    sys.exit(3)
"""


@pytest.fixture
def gpus(project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Project:
    """A project on a machine with 3 (fake) GPUs and room for 4 steps at once."""
    monkeypatch.setenv("JUPYTER_PIPELINES_GPUS", "0,1,2")
    monkeypatch.setenv("JUPYTER_PIPELINES_GPU_LOCK_DIR", str(tmp_path / "gpu-locks"))
    monkeypatch.setenv("JUPYTER_PIPELINES_LOCAL_SLOTS", "4")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    project.script("record.py", RECORD)
    (project.root / "seen").mkdir()
    return project


def step(
    project: Project, name: str, gpu: int | None, seconds: float = 0.5, partner: str | None = None
) -> PythonScriptStep:
    args: list[Any] = [str(project.root / "seen"), name, seconds]
    resources = {} if gpu is None else {"gpu": gpu}
    return PythonScriptStep(
        "record.py",
        name=name,
        arguments=[*args, *([partner] if partner else [])],
        resources=resources,
        allow_reuse=False,
    )


def seen(project: Project, name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((project.root / "seen" / f"{name}.json").read_text())
    return record


def devices(record: dict[str, Any]) -> set[str]:
    return set(filter(None, record["devices"].split(",")))


def at_once(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["start"] < b["end"] and b["start"] < a["end"])


def messages(project: Project, run_id: str, step_name: str) -> list[str]:
    events = project.ws.run_store.events(run_id)
    return [e["message"] or "" for e in events if e["step"] == step_name]


def test_steps_asking_for_two_of_three_gpus_run_one_at_a_time(gpus: Project) -> None:
    names = ["a", "b", "c"]
    run = gpus.experiment().submit(Pipeline(steps=[step(gpus, n, 2) for n in names]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    records = {n: seen(gpus, n) for n in names}
    for name, record in records.items():
        assert len(devices(record)) == 2 and devices(record) <= {"0", "1", "2"}, name
        assert record["order"] == "PCI_BUS_ID"
    for x, y in [("a", "b"), ("a", "c"), ("b", "c")]:
        assert not at_once(records[x], records[y]), (x, y, records)
    assert devices(records["a"]) == {"0", "1"}  # lowest first
    waits = [m for n in ("b", "c") for m in messages(gpus, run.id, n)]
    assert "waiting for 2 GPUs (1 free of 3)" in waits
    assert "on GPUs 0, 1" in messages(gpus, run.id, "a")


def test_a_one_gpu_step_runs_alongside_a_two_gpu_step(gpus: Project) -> None:
    steps = [
        step(gpus, "pair", 2, partner="single"),
        step(gpus, "single", 1, partner="pair"),
        step(gpus, "cpu", None),
    ]
    run = gpus.experiment().submit(Pipeline(steps=steps))
    # Each waits until the other started: they can only finish by running at once.
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    pair, single = seen(gpus, "pair"), seen(gpus, "single")
    assert at_once(pair, single)
    assert devices(pair) == {"0", "1"} and devices(single) == {"2"}
    assert seen(gpus, "cpu")["devices"] == ""  # asked for none: sees none


def test_a_notebook_kernel_sees_its_devices(gpus: Project) -> None:
    gpus.notebook(
        "nb.ipynb",
        "out = ''\n",
        "import os, pathlib\n"
        "pathlib.Path(out).write_text(os.environ.get('CUDA_VISIBLE_DEVICES', 'unset'))\n",
    )
    out = gpus.root / "seen" / "nb.txt"
    nb = NotebookStep(
        "nb.ipynb", name="nb", parameters={"out": str(out)}, resources={"gpu": 2}, allow_reuse=False
    )
    run = gpus.experiment().submit(Pipeline(steps=[nb]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert out.read_text() == "0,1"


def test_asking_for_more_gpus_than_the_target_has_fails_at_submit(gpus: Project) -> None:
    gpus.pipeline_file(
        "big.pipeline.yaml",
        {
            "version": 1,
            "name": "big",
            "steps": {
                "huge": {
                    "type": "python_script",
                    "script": "record.py",
                    "arguments": ["seen", "huge", "0"],
                    "resources": {"gpu": 4},
                }
            },
        },
    )
    pipeline = Pipeline.load(gpus.root / "big.pipeline.yaml")
    with pytest.raises(PipelineValidationError) as info:
        gpus.experiment().submit(pipeline)
    text = str(info.value)
    assert "step 'huge'" in text and "'resources.gpu'" in text
    assert "asks for 4 GPUs but compute target 'local' has 3 GPUs [0, 1, 2]" in text
    gpus.assert_nothing_recorded()


def test_a_step_the_driver_cannot_place_fails_instead_of_waiting(
    gpus: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Submitted on a machine with 3 GPUs; by the time the driver starts it has 1.
    after = step(gpus, "after", None)
    big = step(gpus, "big", 2)
    after.run_after(big)
    run_id = submit_pipeline(gpus.ws, "it", Pipeline(steps=[big, after]), start=False)
    monkeypatch.setenv("JUPYTER_PIPELINES_GPUS", "0")
    start_driver(gpus.ws, run_id)
    record = wait_until(
        lambda: (r := gpus.ws.run_store.get_run(run_id)).status in st.TERMINAL and r,
        what="the run to end",
    )
    assert record.status == st.FAILED
    big_step = gpus.ws.run_store.get_step(run_id, "big")
    assert big_step.status == st.FAILED
    assert "asks for 2 GPUs but compute target 'local' has 1 GPU [0]" in (big_step.error or "")
    assert gpus.ws.run_store.get_step(run_id, "after").status == st.FAILED


def test_failed_and_timed_out_steps_give_their_devices_back(
    gpus: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_STEP", "bad")
    slow = step(gpus, "slow", 3, seconds=30)
    slow.timeout = 1.5
    steps = [step(gpus, "bad", 3), slow, step(gpus, "last", 3)]
    run = gpus.experiment().submit(Pipeline(steps=steps), continue_on_step_failure=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    s = steps_by_name(run)
    assert (s["bad"].status, s["slow"].status, s["last"].status) == (
        st.FAILED,
        st.FAILED,
        st.FINISHED,
    )
    assert "timed out" in s["slow"].error
    assert devices(seen(gpus, "last")) == {"0", "1", "2"}


def test_runs_at_once_share_the_devices_and_a_cancel_frees_them(gpus: Project) -> None:
    first = gpus.experiment("first").submit(Pipeline(steps=[step(gpus, "hog", 3, seconds=60)]))
    wait_until(lambda: (gpus.root / "seen" / "hog.started").exists(), what="hog to start")
    second = gpus.experiment("second").submit(Pipeline(steps=[step(gpus, "next", 1)]))
    wait_until(
        lambda: "waiting for 1 GPU (0 free of 3)" in messages(gpus, second.id, "next"),
        what="the second run to wait for a GPU",
    )
    assert second.get_status() == st.RUNNING
    assert not (gpus.root / "seen" / "next.started").exists()
    first.cancel()
    wait_until(lambda: first.get_status() == st.CANCELED, timeout=15, what="Canceled")
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    assert devices(seen(gpus, "next")) == {"0"}
