"""ParallelRunStep through the engine, written as the v1 batch-scoring tutorial writes it
(tutorial-pipeline-batch-scoring-classification): a model trained in a step, file and
tabular inputs, side inputs and arguments, append_row checked row by row, summary_only,
failures within and beyond the thresholds, and incremental reruns from the mini-batch cache.

The model is a nearest-centroid classifier in numpy (the project has no scikit-learn):
"images" are small text files of four numbers, class "cat" near 0 and "dog" near 10.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    Dataset,
    Environment,
    OutputFileDatasetConfig,
    ParallelRunConfig,
    ParallelRunStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration

TRAIN = """\
import argparse, json, os
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--model_dir")
args = parser.parse_args()
rows = np.loadtxt(os.path.join(args.data, "train.csv"), delimiter=",")
centroids = [rows[rows[:, 4] == c, :4].mean(axis=0).tolist() for c in (0, 1)]
os.makedirs(args.model_dir, exist_ok=True)
with open(os.path.join(args.model_dir, "model.json"), "w") as fh:
    json.dump({"centroids": centroids}, fh)
"""

SCORE = """\
import argparse, os
import numpy as np
from jupyter_pipelines import Run

def init():
    global centroids, labels, calls
    parser = argparse.ArgumentParser()
    parser.add_argument("--model_dir", required=True)
    parser.add_argument("--labels_dir", required=True)
    args, _ = parser.parse_known_args()
    import json
    centroids = np.array(json.load(open(os.path.join(args.model_dir, "model.json")))["centroids"])
    run = Run.get_context(allow_offline=False)
    side = run.input_datasets["labels_input"]  # a side input: every worker reads it whole
    assert os.path.samefile(side, args.labels_dir), (side, args.labels_dir)
    labels = open(os.path.join(args.labels_dir, "labels.txt")).read().split()
    calls = os.environ.get("CALLS_DIR")

def run(mini_batch):
    if calls:
        open(os.path.join(calls, os.path.basename(mini_batch[0])), "a").write("x")
    rows = []
    for path in mini_batch:
        x = np.loadtxt(path)
        label = labels[int(np.argmin(((centroids - x) ** 2).sum(axis=1)))]
        rows.append(f"{os.path.basename(path)}: {label}")
    return rows
"""


def image(i: int) -> tuple[str, str]:
    """(text, class) of test image ``i``: a dog when ``i % 3 == 0``, else a cat."""
    base = 10.0 if i % 3 == 0 else 0.0
    values = [base + ((i * 7 + k) % 5) / 10 for k in range(4)]
    return " ".join(f"{v:.1f}" for v in values), "dog" if i % 3 == 0 else "cat"


def write_data(project: Project, images: int) -> None:
    data = project.root / "data"
    (data / "images").mkdir(parents=True, exist_ok=True)
    for i in range(images):
        (data / "images" / f"img_{i:04d}.txt").write_text(image(i)[0])
    (data / "labels").mkdir(exist_ok=True)
    (data / "labels" / "labels.txt").write_text("cat\ndog\n")
    (data / "train").mkdir(exist_ok=True)
    rows = [f"{0.1 * k},{0.2 * k},0.1,0.3,0" for k in range(5)]
    rows += [f"{10 + 0.1 * k},{10 - 0.2 * k},10.2,9.9,1" for k in range(5)]
    (data / "train" / "train.csv").write_text("\n".join(rows) + "\n")
    project.script("scripts/train.py", TRAIN)
    project.script("scripts/batch_scoring.py", SCORE)
    project.ws.get_default_datastore().upload(
        str(data), target_path="batchscoring", overwrite=True, show_progress=False
    )


def tutorial_pipeline(
    project: Project, name: str = "batchscoring", allow_reuse: bool = True, **config: Any
) -> tuple[Pipeline, PipelineData]:
    """The tutorial's pipeline: a training step, then ParallelRunStep over the images."""
    store = project.ws.get_default_datastore()
    input_images = Dataset.File.from_files((store, "batchscoring/images/"))
    label_ds = Dataset.File.from_files((store, "batchscoring/labels/*.txt"))
    train_ds = Dataset.File.from_files((store, "batchscoring/train/"))
    model_dir = PipelineData("model", datastore=store)
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory="scripts",
        arguments=["--data", train_ds.as_named_input("train").as_mount(), "--model_dir", model_dir],
        outputs=[model_dir],
    )
    label_config = label_ds.as_named_input("labels_input").as_mount("/tmp/labels-mount")
    output_dir = PipelineData(name="scores", datastore=store)
    settings: dict[str, Any] = {
        "environment": Environment(name="parallelenv"),
        "entry_script": "batch_scoring.py",
        "source_directory": "scripts",
        "output_action": "append_row",
        "mini_batch_size": PipelineParameter(name="batch_size_param", default_value="5"),
        "error_threshold": 1,
        "compute_target": None,
        "process_count_per_node": 2,
        "node_count": 1,
    }
    settings.update(config)
    step = ParallelRunStep(
        name=name,
        inputs=[input_images.as_named_input("input_images")],
        output=output_dir,
        arguments=["--model_dir", model_dir, "--labels_dir", label_config],
        side_inputs=[label_config, model_dir],
        parallel_run_config=ParallelRunConfig(**settings),
        allow_reuse=allow_reuse,
    )
    return Pipeline(workspace=project.ws, steps=[train, step]), output_dir


def run_ok(project: Project, pipeline: Pipeline, **kwargs: Any) -> Any:
    run = project.experiment("batch").submit(pipeline, show_output=False, **kwargs)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def rows_of(run: Any, step: str = "batchscoring", output: str = "scores") -> list[str]:
    path = run.find_step_run(step)[0].get_output_path(output) / "parallel_run_step.txt"
    return path.read_text().splitlines()


def progress_of(run: Any, step: str = "batchscoring") -> dict[str, Any]:
    folder = Path(run.find_step_run(step)[0].files_root())
    return json.loads((folder / "logs" / "progress.json").read_text())


def test_the_tutorial_pipeline_scores_every_image_in_order(project: Project) -> None:
    write_data(project, 23)
    pipeline, _ = tutorial_pipeline(project)
    run = run_ok(project, pipeline, pipeline_parameters={"batch_size_param": "4"})
    assert rows_of(run) == [f"img_{i:04d}.txt: {image(i)[1]}" for i in range(23)]
    progress = progress_of(run)
    assert (progress["total"], progress["done"], progress["workers"]) == (6, 6, 2)  # 23 / 4
    step_run = run.find_step_run("batchscoring")[0]
    assert "mini-batches 6/6" in step_run.get_logs()["stdout"]
    assert step_run.get_metrics()["mini_batches_done"] == 6
    names = step_run.get_file_names()
    assert "logs/progress.json" in names and "logs/user/worker_0.txt" in names
    # The pipeline file carries the step: saved and loaded, it runs the same (reused).
    pipeline.save(project.root / "batch.pipeline.yaml")
    again = run_ok(
        project,
        Pipeline.load(project.root / "batch.pipeline.yaml"),
        pipeline_parameters={"batch_size_param": "4"},
    )
    assert all(s.is_reused for s in again.get_steps())


def test_tabular_inputs_in_sized_mini_batches_and_by_partition_keys(project: Project) -> None:
    store = project.ws.get_default_datastore()
    lines = ["group,x,y"] + [f"g{i % 3},{i},{i * i}" for i in range(60)]
    project.script("data/table.csv", "\n".join(lines) + "\n")
    store.upload(str(project.root / "data"), target_path="tab", overwrite=True, show_progress=False)
    table = Dataset.Tabular.from_delimited_files([(store, "tab/table.csv")])
    project.script(
        "scripts/tab.py",
        """\
        def init():
            pass

        def run(frame):
            frame = frame.copy()
            frame["sum"] = frame["x"] + frame["y"]
            return frame[["group", "x", "sum"]]
        """,
    )

    def step(name: str, **batching: Any) -> ParallelRunStep:
        config = ParallelRunConfig(
            environment=None, entry_script="tab.py", source_directory="scripts",
            error_threshold=0, output_action="append_row", compute_target=None,
            node_count=1, process_count_per_node=2, **batching,
        )  # fmt: skip
        return ParallelRunStep(
            name, config, [table.as_named_input("rows")], output=PipelineData(f"{name}_out")
        )

    run = run_ok(
        project,
        Pipeline(
            steps=[step("sized", mini_batch_size="100"), step("keyed", partition_keys=["group"])]
        ),
    )
    sized = rows_of(run, "sized", "sized_out")
    assert sized == [f"g{i % 3} {i} {i + i * i}" for i in range(60)]
    assert progress_of(run, "sized")["total"] > 3  # 100 bytes of ~10-byte rows a batch
    keyed = rows_of(run, "keyed", "keyed_out")
    assert keyed == [f"g{g} {i} {i + i * i}" for g in range(3) for i in range(g, 60, 3)]
    assert progress_of(run, "keyed")["total"] == 3


def test_summary_only_leaves_the_output_to_the_script(project: Project) -> None:
    write_data(project, 7)
    project.script(
        "scripts/summary.py",
        """\
        import argparse, os

        def init():
            global out
            parser = argparse.ArgumentParser()
            parser.add_argument("--out")
            out = parser.parse_known_args()[0].out

        def run(mini_batch):
            for path in mini_batch:
                name = os.path.basename(path)
                open(os.path.join(out, name + ".done"), "w").write(open(path).read())
            return mini_batch
        """,
    )
    store = project.ws.get_default_datastore()
    images = Dataset.File.from_files((store, "batchscoring/images/"))
    out = OutputFileDatasetConfig("written")
    config = ParallelRunConfig(
        environment=None, entry_script="summary.py", source_directory="scripts",
        error_threshold=0, output_action="summary_only", compute_target=None, node_count=1,
        mini_batch_size="3",
    )  # fmt: skip
    step = ParallelRunStep(
        "summary", config, [images.as_named_input("images")], output=out, arguments=["--out", out]
    )
    run = run_ok(project, Pipeline(steps=[step]))
    folder = run.find_step_run("summary")[0].get_output_path("written")
    assert sorted(p.name for p in folder.iterdir()) == [f"img_{i:04d}.txt.done" for i in range(7)]
    assert progress_of(run, "summary")["rows"] == 7


FLAKY = """\
import os, signal

def init():
    global ctl
    ctl = os.environ["CTL_DIR"]

def _once(flag):
    path = os.path.join(ctl, flag)
    if os.path.exists(path):
        os.unlink(path)
        return True
    return False

def run(mini_batch):
    names = [os.path.basename(p) for p in mini_batch]
    if "img_0001.txt" in names and _once("fail_once"):
        raise ValueError("transient")
    if "img_0004.txt" in names and _once("kill_once"):
        os.kill(os.getpid(), signal.SIGKILL)
    if "img_0007.txt" in names:
        raise ValueError("img_0007 is broken")
    return names
"""


@pytest.mark.parametrize(("threshold", "status"), [(2, st.FINISHED), (1, st.FAILED)])
def test_retries_a_killed_worker_and_the_error_threshold(
    project: Project, threshold: int, status: str
) -> None:
    write_data(project, 9)
    project.script("scripts/flaky.py", FLAKY)
    ctl = project.root / "ctl"
    ctl.mkdir()
    (ctl / "fail_once").write_text("")
    (ctl / "kill_once").write_text("")
    store = project.ws.get_default_datastore()
    images = Dataset.File.from_files((store, "batchscoring/images/"))
    config = ParallelRunConfig(
        environment=None, entry_script="flaky.py", source_directory="scripts",
        error_threshold=threshold, output_action="append_row", compute_target=None,
        node_count=1, process_count_per_node=2, mini_batch_size="2", run_max_try=2,
        environment_variables={"CTL_DIR": str(ctl)},
    )  # fmt: skip
    step = ParallelRunStep(
        "flaky", config, [images.as_named_input("images")], output=PipelineData("rows")
    )
    run = project.experiment("batch").submit(Pipeline(steps=[step]), show_output=False)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == status
    progress = progress_of(run, "flaky")
    # img_0006 and img_0007 share the mini-batch that always fails: 2 items, 1 mini-batch
    assert (progress["failed"], progress["failed_items"]) == (1, 2)
    assert progress["workers_replaced"] >= 1 and progress["retried"] >= 3
    if status == st.FINISHED:
        expected = [f"img_{i:04d}.txt" for i in range(9) if i not in (6, 7)]
        assert rows_of(run, "flaky", "rows") == expected
    else:
        error = run.find_step_run("flaky")[0].error
        assert "error_threshold 1 exceeded: 2 item(s) failed" in error


def test_a_rerun_after_ten_changed_files_scores_only_their_mini_batches(project: Project) -> None:
    write_data(project, 1000)
    calls = project.root / "calls"
    calls.mkdir()
    settings = {"mini_batch_size": "10", "environment_variables": {"CALLS_DIR": str(calls)}}
    pipeline, _ = tutorial_pipeline(project, **settings)
    first = run_ok(project, pipeline)
    assert len(list(calls.iterdir())) == 100
    changed = [5, 6, 105, 333, 334, 335, 500, 777, 901, 999]
    folder = project.ws.get_default_datastore().local_path("batchscoring/images")
    for i in changed:  # a cat becomes a dog
        (folder / f"img_{i:04d}.txt").write_text("10.0 10.1 10.2 10.3" if i % 3 else "0 0 0 0")
    for call in calls.iterdir():
        call.unlink()
    second = run_ok(project, tutorial_pipeline(project, **settings)[0])
    holding = sorted({f"img_{i - i % 10:04d}.txt" for i in changed})
    assert sorted(p.name for p in calls.iterdir()) == holding  # 7 mini-batches ran
    assert progress_of(second)["from_cache"] == 100 - len(holding)
    rows = rows_of(second)
    assert rows != rows_of(first)
    assert rows[5] == f"img_0005.txt: {'dog' if 5 % 3 else 'cat'}"
    full = run_ok(project, tutorial_pipeline(project, allow_reuse=False, **settings)[0])
    assert progress_of(full)["from_cache"] == 0
    assert rows_of(full) == rows  # the same output as a full recomputation


SLOW = """\
import os, time

def init():
    with open(os.environ["PID_FILE"], "a") as fh:
        fh.write(f"{os.getpid()}\\n")

def run(mini_batch):
    if "img_0000.txt" not in [os.path.basename(p) for p in mini_batch]:
        time.sleep(60)
    return mini_batch
"""


def test_progress_is_readable_while_it_runs_and_cancel_stops_every_worker(
    project: Project,
) -> None:
    write_data(project, 8)
    project.script("scripts/slow.py", SLOW)
    pids = project.pid_file("pids.txt")
    store = project.ws.get_default_datastore()
    images = Dataset.File.from_files((store, "batchscoring/images/"))
    config = ParallelRunConfig(
        environment=None, entry_script="slow.py", source_directory="scripts",
        error_threshold=0, output_action="append_row", compute_target=None, node_count=1,
        process_count_per_node=2, mini_batch_size="2", run_invocation_timeout=120,
        environment_variables={"PID_FILE": str(pids)},
    )  # fmt: skip
    step = ParallelRunStep(
        "slow", config, [images.as_named_input("images")], output=PipelineData("o")
    )
    run = project.experiment("batch").submit(Pipeline(steps=[step]), show_output=False)
    progress_file = project.ws.runs_dir / run.id / "slow" / "logs" / "progress.json"

    def live() -> dict[str, Any] | None:
        try:
            found = json.loads(progress_file.read_text())
        except (OSError, ValueError):
            return None
        return found if found["done"] == 1 and found["running"] == 2 else None

    progress = wait_until(live, timeout=30, what="a mini-batch done, two running")
    assert (progress["total"], progress["state"]) == (4, "running")
    workers = [int(p) for p in pids.read_text().split()]
    assert len(workers) == 2
    run.cancel()
    wait_until(lambda: run.get_status() == st.CANCELED, timeout=20, what="Canceled")
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=10, what="workers gone")


def test_node_count_beyond_the_amlcompute_targets_nodes_is_refused_at_submit(
    project: Project,
) -> None:
    from jupyter_pipelines import AmlCompute, ComputeTarget
    from jupyter_pipelines.errors import EngineError

    write_data(project, 12)
    ComputeTarget.create(
        project.ws, "gpu-cluster", AmlCompute.provisioning_configuration(max_nodes=1)
    )
    pipeline, _ = tutorial_pipeline(project, compute_target="gpu-cluster", node_count=2)
    with pytest.raises(EngineError, match="node_count 2 is more than max_nodes 1 of compute"):
        project.experiment("batch").submit(pipeline, show_output=False)
    project.assert_nothing_recorded()
    fits, _ = tutorial_pipeline(project, compute_target="gpu-cluster", node_count=1)
    run = run_ok(project, fits)
    assert progress_of(run)["workers"] == 2  # two processes on its one node
