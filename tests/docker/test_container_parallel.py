"""ParallelRunStep on a Docker target: the runner and its worker processes in the step's
container, reading a file dataset (links into the datastore), appending rows in order, and
taking unchanged mini-batches from the workspace's cache, mounted into the container.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    Dataset,
    Model,
    ParallelRunConfig,
    ParallelRunStep,
    Pipeline,
    PipelineData,
)
from jupyter_pipelines.engine.parallel_plan import CACHE_FOLDER
from jupyter_pipelines.errors import EngineError
from jupyter_pipelines.runtime.parallel.config import RunnerConfig
from jupyter_pipelines.stores import status as st
from tests.docker.conftest import PYTHON_IMAGE, TARGET, containers_of
from tests.integration.support import Project

pytestmark = pytest.mark.docker

FILES = 40
#: The entry script: init() says where it runs (host name, /.dockerenv, its run), run()
#: says which mini-batch it got; both go to the worker's log in the step folder.
SCORE = """\
import argparse, os, socket
from jupyter_pipelines import Run

def init():
    global scale
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    scale = parser.parse_known_args()[0].scale
    run = Run.get_context(allow_offline=False)
    run.log("init_pid", os.getpid())
    print(f"init host={socket.gethostname()} docker={os.path.exists('/.dockerenv')} "
          f"run={run.id} pid={os.getpid()}", flush=True)

def run(mini_batch):
    print(f"batch {os.path.basename(mini_batch[0])}", flush=True)
    return [f"{os.path.basename(p)} {int(open(p).read()) * scale}" for p in mini_batch]
"""


def write_numbers(project: Project, values: dict[int, int] | None = None) -> None:
    """``FILES`` files ``n_000.txt``... holding their number (or ``values[i]``), uploaded to
    the default datastore under ``parallel/numbers``."""
    values = values or {}
    folder = project.ws.get_default_datastore().local_path("parallel/numbers")
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(FILES):
        (folder / f"n_{i:03d}.txt").write_text(str(values.get(i, i)))


def expected(values: dict[int, int] | None = None) -> list[str]:
    values = values or {}
    return [f"n_{i:03d}.txt {values.get(i, i) * 3}" for i in range(FILES)]


def scoring(project: Project, allow_reuse: bool = True) -> Pipeline:
    """One ParallelRunStep on the Docker target: 40 files, 5 a mini-batch, 2 processes."""
    if not (project.root / "scripts" / "score.py").exists():
        project.script("scripts/score.py", SCORE)
    store = project.ws.get_default_datastore()
    numbers = Dataset.File.from_files((store, "parallel/numbers/"))
    config = ParallelRunConfig(
        environment=None, entry_script="score.py", source_directory="scripts",
        error_threshold=0, output_action="append_row", compute_target=TARGET, node_count=1,
        process_count_per_node=2, mini_batch_size="5",
    )  # fmt: skip
    step = ParallelRunStep(
        "score", config, [numbers.as_named_input("numbers")], output=PipelineData("scores"),
        arguments=["--scale", 3], allow_reuse=allow_reuse,
    )  # fmt: skip
    return Pipeline(workspace=project.ws, steps=[step])


def run_ok(project: Project, pipeline: Pipeline) -> Any:
    run = project.experiment("docker-batch").submit(pipeline, show_output=False)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error, s.get_logs()) for s in run.get_steps()]
    return run


def step_of(run: Any) -> Any:
    return run.find_step_run("score")[0]


def rows_of(run: Any) -> list[str]:
    path = step_of(run).get_output_path("scores") / "parallel_run_step.txt"
    return path.read_text().splitlines()


def logs_of(run: Any) -> Path:
    return Path(step_of(run).files_root()) / "logs"


def progress_of(run: Any) -> dict[str, Any]:
    return json.loads((logs_of(run) / "progress.json").read_text())


def batches_run(run: Any) -> list[str]:
    """The first file of each mini-batch that a worker's run() was called with."""
    found = []
    for log in sorted((logs_of(run) / "user").glob("worker_*.txt")):
        found += re.findall(r"^batch (\S+)$", log.read_text(), flags=re.MULTILINE)
    return sorted(found)


def from_cache(run: Any) -> dict[int, bool]:
    """Mini-batch index -> whether it came from the cache (processed_mini-batches.csv)."""
    with open(logs_of(run) / "processed_mini-batches.csv", newline="") as fh:
        return {int(r["index"]): r["from_cache"] == "1" for r in csv.DictReader(fh)}


def test_a_parallel_run_step_runs_its_workers_in_the_container(
    project: Project, engine: Any
) -> None:
    write_numbers(project)
    run = run_ok(project, scoring(project))
    assert rows_of(run) == expected()
    progress = progress_of(run)
    assert (progress["total"], progress["done"], progress["workers"]) == (8, 8, 2)
    assert (progress["rows"], progress["failed"], progress["state"]) == (40, 0, "finished")
    step = step_of(run)
    assert "mini-batches 8/8" in step.get_logs()["stdout"]
    # One log per worker in the step folder; both workers ran init() in the container.
    names = step.get_file_names()
    assert {"logs/user/worker_0.txt", "logs/user/worker_1.txt"} <= set(names)
    inits = []
    for number in (0, 1):
        text = (logs_of(run) / "user" / f"worker_{number}.txt").read_text()
        inits += re.findall(r"^init host=(\S+) docker=(\S+) run=(\S+) pid=(\d+)$", text, re.M)
    assert len(inits) == 2, inits
    assert {(host, docker) for host, docker, _, _ in inits} == {(inits[0][0], "True")}
    assert inits[0][0] != socket.gethostname()  # the container's name, not this machine's
    assert {run_id for _, _, run_id, _ in inits} == {step.id}  # Run.get_context() inside
    assert len({pid for _, _, _, pid in inits}) == 2
    assert len(step.get_metrics()["init_pid"]) == 2  # logged through that context
    assert step.get_metrics()["mini_batches_done"] == 8
    assert batches_run(run) == [f"n_{i:03d}.txt" for i in range(0, FILES, 5)]
    assert containers_of(engine, run.id) == []
    # The cache (rw) and the model registry (ro) were the step's shared paths; its keys hold
    # the target's kind and image (a result made in one image is not another's).
    spec = step._record.spec
    cache = project.ws.dir.joinpath(*CACHE_FOLDER)
    assert spec["shared_paths"] == {str(cache): "rw", str(project.ws.dir / "models"): "ro"}
    config = RunnerConfig.from_json(spec["argv"][-1])
    assert config.key["target"] == {"kind": "docker", "image": PYTHON_IMAGE}
    # Results written by the container, in the workspace's cache, belonging to this user.
    entries = list(cache.glob("*/*.json"))
    assert len(entries) == 8
    assert {e.stat().st_uid for e in entries} == {os.getuid()}


def test_a_rerun_in_the_container_runs_only_the_changed_mini_batches(
    project: Project, engine: Any
) -> None:
    write_numbers(project)
    first = run_ok(project, scoring(project))
    assert rows_of(first) == expected()
    assert progress_of(first)["from_cache"] == 0
    changed = {7: 700, 31: 3100}  # in mini-batches 1 (n_005..n_009) and 6 (n_030..n_034)
    write_numbers(project, changed)
    second = run_ok(project, scoring(project))
    assert not step_of(second).is_reused  # its input changed: the step runs again
    assert batches_run(second) == ["n_005.txt", "n_030.txt"]
    assert progress_of(second)["from_cache"] == 6
    assert from_cache(second) == {i: i not in (1, 6) for i in range(8)}
    assert rows_of(second) == expected(changed)
    full = run_ok(project, scoring(project, allow_reuse=False))
    assert progress_of(full)["from_cache"] == 0
    assert len(batches_run(full)) == 8
    assert rows_of(full) == rows_of(second)  # the same output as a full recomputation


def test_a_new_model_version_reruns_every_mini_batch_in_the_container(
    project: Project, engine: Any
) -> None:
    """The model registry is mounted read-only: its versions are part of every key (the
    step's own fingerprint holds no model, so a file changes too, to make the step run)."""
    write_numbers(project)
    run_ok(project, scoring(project))
    (project.root / "model.txt").write_text("weights")
    Model.register(project.ws, str(project.root / "model.txt"), "scaler")
    write_numbers(project, {0: 1000})
    again = run_ok(project, scoring(project))
    assert progress_of(again)["from_cache"] == 0 and len(batches_run(again)) == 8
    assert rows_of(again) == expected({0: 1000})


def test_a_tabular_input_on_the_docker_target_is_refused_at_submit(
    project: Project, engine: Any
) -> None:
    """A table is read through the workspace, which the container does not have."""
    store = project.ws.get_default_datastore()
    project.script("data/table.csv", "x,y\n1,2\n3,4\n")
    store.upload(str(project.root / "data"), target_path="tab", overwrite=True, show_progress=False)
    table = Dataset.Tabular.from_delimited_files([(store, "tab/table.csv")])
    project.script("scripts/tab.py", "def init():\n    pass\n\ndef run(frame):\n    return frame\n")
    config = ParallelRunConfig(
        environment=None, entry_script="tab.py", source_directory="scripts",
        error_threshold=0, output_action="append_row", compute_target=TARGET,
        node_count=1, process_count_per_node=2, mini_batch_size="1KB",
    )  # fmt: skip
    step = ParallelRunStep("tab", config, [table.as_named_input("rows")], output=PipelineData("o"))
    with pytest.raises(EngineError, match="tabular input\\(s\\) 'rows' cannot be read on Docker"):
        project.experiment("docker-batch").submit(Pipeline(steps=[step]), show_output=False)
    project.assert_nothing_recorded()
