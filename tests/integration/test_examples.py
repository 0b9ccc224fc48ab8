"""The v1-style example pipelines under ``examples/``, run for real.

Each example is copied into the test's project folder (so its workspace and uploads stay in
``tmp_path``), imported from there, built with its ``build(ws)`` and submitted three times:
once from scratch (outputs, metrics, registered datasets), once unchanged (every step
reused, nothing registered again), and once with a pipeline parameter overridden (only the
steps that read it run again). Each example also runs as a script, as a user would run it.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest

from jupyter_pipelines import (
    AmlCompute,
    DataPath,
    Dataset,
    Datastore,
    Experiment,
    PipelineRun,
    TabularDataset,
    UnknownDatasetError,
    Workspace,
)
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IGNORED = shutil.ignore_patterns(".pipelines", "__pycache__", ".ipynb_checkpoints")

# Temporary: v1 passes a (PipelineParameter, DataPathComputeBinding) pair in ``arguments``
# as well as in ``inputs``; validation refuses the pair in ``arguments`` (model/steps.py does
# not turn it into the input binding yet). Remove both marks once it does.


# -- helpers ------------------------------------------------------------------------------
def load_example(name: str, project: Project) -> ModuleType:
    """Copy ``examples/<name>`` into the project folder and import its ``pipeline.py``."""
    shutil.copytree(EXAMPLES / name, project.root, ignore=IGNORED, dirs_exist_ok=True)
    spec = importlib.util.spec_from_file_location(f"example_{name}", project.root / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert Path(module.project_folder) == project.root
    return module


def submit(example: ModuleType, ws: Workspace, **parameters: Any) -> PipelineRun:
    """Build the example afresh (uploads included), submit it and wait until it ends."""
    pipeline, info = example.build(ws)
    run = Experiment(ws, info["experiment"]).submit(
        pipeline, pipeline_parameters=parameters, show_output=False
    )
    status = run.wait_for_completion(show_output=False, timeout_seconds=60, raise_on_error=False)
    if status != "Finished":
        logs = "\n".join(
            f"--- {s.name} ({s.status}): {s.error or ''}\n{s.get_logs()['stderr'][-2000:]}"
            for s in run.get_steps()
        )
        pytest.fail(f"run {run.id} ended {status}: {run.error}\n{logs}")
    return run


def reused(run: PipelineRun) -> dict[str, bool]:
    return {name: step.is_reused for name, step in steps_by_name(run).items()}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def assert_no_version(ws: Workspace, name: str, version: int) -> None:
    with pytest.raises(UnknownDatasetError):
        Dataset.get_by_name(ws, name, version=version)


# -- digits: file dataset, as_download, OutputFileDatasetConfig, register_on_complete ------
def test_digits(project: Project) -> None:
    example = load_example("digits", project)
    ws = project.ws

    run = submit(example, ws)
    steps = steps_by_name(run)
    assert list(steps) == ["prepare", "train"]
    assert not any(reused(run).values())

    # The prep output: in the step run and delivered to outputdataset/{run-id} on the store.
    prepared = steps["prepare"].get_output_path("output")
    assert sorted(p.name for p in prepared.iterdir()) == ["labels.txt", "test.csv", "train.csv"]
    assert (prepared / "labels.txt").read_text().split() == ["0", "1", "7"]
    train_rows, test_rows = read_csv(prepared / "train.csv"), read_csv(prepared / "test.csv")
    assert len(train_rows) == 9 and len(test_rows) == 3
    assert {r["name"] for r in test_rows} == {"0_3.pgm", "1_3.pgm", "7_3.pgm"}
    assert len(train_rows[0]) == 2 + 25  # label, name, 5x5 pixels
    store = Datastore(ws, "workspaceblobstore")
    delivered = steps["prepare"].get_details()["outputs"]["output"]["delivered"]
    assert delivered["path"] == f"outputdataset/{steps['prepare'].id}"
    assert store.glob(delivered["path"]) == [
        f"{delivered['path']}/{n}" for n in ("labels.txt", "test.csv", "train.csv")
    ]
    assert steps["prepare"].get_metrics() == {"train_images": 9, "test_images": 3}

    # register_on_complete: version 1 holds the files the prep step wrote.
    registered = Dataset.get_by_name(ws, "prepared_output_data")
    assert registered.version == 1
    assert registered.to_path() == ["/labels.txt", "/test.csv", "/train.csv"]
    assert delivered["registered"] == {"name": "prepared_output_data", "version": 1}

    # Training: the results, the loss curve and the accuracies.
    results = steps["train"].get_output_path("training_results")
    model = read_json(results / "model.json")
    assert model["labels"] == ["0", "1", "7"] and model["learning_rate"] == 0.5
    assert [r["label"] for r in read_csv(results / "predictions.csv")] == ["0", "1", "7"]
    metrics = steps["train"].get_metrics()
    assert len(metrics["loss"]) == 60 and metrics["loss"][-1] < metrics["loss"][0]
    assert metrics["learning_rate"] == 0.5
    assert metrics["train_accuracy"] == 1.0 and metrics["test_accuracy"] == 1.0
    training_path = steps["train"].get_details()["outputs"]["training_results"]["delivered"]
    assert store.exists(f"{training_path['path']}/model.json")

    # Unchanged: every step reused, nothing registered again.
    again = submit(example, ws)
    assert reused(again) == {"prepare": True, "train": True}
    assert Dataset.get_by_name(ws, "prepared_output_data").version == 1
    assert_no_version(ws, "prepared_output_data", 2)

    # A smaller learning rate and fewer epochs: only 'train' runs again.
    slow = submit(example, ws, learning_rate=0.05, epochs=5)
    assert reused(slow) == {"prepare": True, "train": False}
    assert slow.parameters["learning_rate"] == 0.05
    metrics = slow.get_step_run("train").get_metrics()
    assert metrics["learning_rate"] == 0.05 and len(metrics["loss"]) == 5
    slow_model = read_json(
        slow.get_step_run("train").get_output_path("training_results") / "model.json"
    )
    assert slow_model["learning_rate"] == 0.05 and slow_model["epochs"] == 5
    assert Dataset.get_by_name(ws, "prepared_output_data").version == 1


# -- iris: tabular datasets, read_delimited_files, register_on_complete versions ----------
def test_iris(project: Project) -> None:
    example = load_example("iris", project)
    ws = project.ws

    run = submit(example, ws)
    steps = steps_by_name(run)
    assert list(steps) == ["split", "train", "evaluate"]
    assert steps["split"].get_metrics() == {"train_rows": 21, "test_rows": 9}
    assert steps["train"].get_metrics() == {"train_rows": 21}
    assert steps["evaluate"].get_metrics()["test_rows"] == 9
    accuracy = run.get_metrics()["accuracy"]  # logged on the pipeline run by 'evaluate'
    assert accuracy == steps["evaluate"].get_metrics()["accuracy"] and accuracy >= 0.8

    model = read_json(steps["train"].get_output_path("model") / "model.json")
    assert sorted(model["classes"]) == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    assert all(c["prior"] == pytest.approx(1 / 3) for c in model["classes"].values())
    assert len(read_csv(steps["split"].get_output_path("test_data") / "test.csv")) == 9

    # The source table is registered by build(); the training rows on completion.
    assert Dataset.get_by_name(ws, "iris").version == 1
    iris_train = Dataset.get_by_name(ws, "iris_train")
    assert isinstance(iris_train, TabularDataset) and iris_train.version == 1
    frame = iris_train.to_pandas_dataframe()
    assert len(frame) == 21
    assert list(frame.columns) == [
        "sepal_length", "sepal_width", "petal_length", "petal_width", "species",
    ]  # fmt: skip
    assert frame["species"].value_counts().to_dict() == {
        "Iris-setosa": 7, "Iris-versicolor": 7, "Iris-virginica": 7,
    }  # fmt: skip

    again = submit(example, ws)
    assert reused(again) == {"split": True, "train": True, "evaluate": True}
    assert Dataset.get_by_name(ws, "iris").version == 1  # same definition and data
    assert Dataset.get_by_name(ws, "iris_train").version == 1
    assert_no_version(ws, "iris_train", 2)

    half = submit(example, ws, test_fraction=0.5)
    assert reused(half) == {"split": False, "train": False, "evaluate": False}
    assert half.get_step_run("split").get_metrics() == {"train_rows": 15, "test_rows": 15}
    assert half.get_step_run("evaluate").get_metrics()["test_rows"] == 15
    assert Dataset.get_by_name(ws, "iris_train").version == 2
    assert len(Dataset.get_by_name(ws, "iris_train").to_pandas_dataframe()) == 15
    assert len(Dataset.get_by_name(ws, "iris_train", version=1).to_pandas_dataframe()) == 21


# -- batch scoring: DataPath parameter, datastore path, PipelineData, notebook step --------
def test_batch_scoring(project: Project) -> None:
    example = load_example("batch_scoring", project)
    ws = project.ws

    run = submit(example, ws)
    steps = steps_by_name(run)
    assert list(steps) == ["score", "report"]
    scores = read_csv(steps["score"].get_output_path("scores") / "scores.csv")
    assert [(r["id"], float(r["price"])) for r in scores] == [
        ("a101", 123.0), ("a102", 166.0), ("a103", 231.5), ("a104", 327.0),
    ]  # fmt: skip
    assert steps["score"].get_metrics() == {"scored": 4}

    report = steps["report"]
    summary = read_json(report.get_output_path("report") / "summary.json")
    assert summary == {
        "apartments": 4,
        "mean_price": 211.88,
        "max_price": 327.0,
        "price_threshold": 300.0,
        "above_threshold": ["a104"],
    }
    assert (report.get_output_path("report") / "report.md").read_text().startswith("# 4 apart")
    assert report.get_metrics() == {"apartments": 4, "mean_price": 211.88, "above_threshold": 1}
    executed = nbformat.read(str(report.get_notebook_path()), as_version=4)
    injected = "".join(
        c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])
    )
    assert "price_threshold = 300.0" in injected

    again = submit(example, ws)
    assert reused(again) == {"score": True, "report": True}

    # Another month through the DataPath parameter, and a lower threshold.
    store = Datastore(ws, "workspaceblobstore")
    february = submit(
        example,
        ws,
        input_datapath=DataPath(datastore=store, path_on_datastore="batches/2021-02"),
        price_threshold=250.0,
    )
    assert reused(february) == {"score": False, "report": False}
    scored = read_csv(february.get_step_run("score").get_output_path("scores") / "scores.csv")
    assert [r["id"] for r in scored] == ["b201", "b202", "b203", "b204", "b205", "b206"]
    summary = read_json(february.get_step_run("report").get_output_path("report") / "summary.json")
    assert summary["apartments"] == 6 and summary["above_threshold"] == ["b203", "b205", "b206"]

    # Only the threshold changes: scoring is reused, the report runs again.
    threshold_only = submit(example, ws, price_threshold=200.0)
    assert reused(threshold_only) == {"score": True, "report": False}
    summary = read_json(
        threshold_only.get_step_run("report").get_output_path("report") / "summary.json"
    )
    assert summary["above_threshold"] == ["a103", "a104"]


# -- compare models: compute target, RunConfiguration, parallel steps ---------------------
def test_compare_models(project: Project) -> None:
    example = load_example("compare_models", project)
    ws = project.ws

    run = submit(example, ws)
    target = ws.compute_targets["aml-compute"]
    assert type(target) is AmlCompute and target.slots == 4
    steps = steps_by_name(run)
    assert list(steps) == [
        "prepare",
        "train_degree_1",
        "train_degree_2",
        "train_degree_3",
        "compare",
    ]
    assert {s.get_details()["target"] for s in steps.values()} == {"aml-compute"}

    rmse = {d: steps[f"train_degree_{d}"].get_metrics()["rmse"] for d in (1, 2, 3)}
    assert min(rmse, key=rmse.__getitem__) == 2  # the points lie on a parabola
    assert run.get_metrics() == {"best_degree": 2, "best_rmse": rmse[2]}
    best = steps["compare"].get_output_path("best_model")
    assert read_json(best / "model.json")["degree"] == 2
    ranking = read_json(best / "comparison.json")["ranking"]
    assert [m["degree"] for m in ranking] == sorted(rmse, key=rmse.__getitem__)

    again = submit(example, ws)
    assert all(reused(again).values())

    by_mae = submit(example, ws, metric="mae")
    assert reused(by_mae) == {
        "prepare": True,
        "train_degree_1": True,
        "train_degree_2": True,
        "train_degree_3": True,
        "compare": False,
    }
    mae = {d: steps[f"train_degree_{d}"].get_metrics()["mae"] for d in (1, 2, 3)}
    best_by_mae = min(mae, key=mae.__getitem__)
    assert by_mae.get_metrics() == {"best_degree": best_by_mae, "best_mae": mae[best_by_mae]}


# -- every example as a script ------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "digits",
        "iris",
        "batch_scoring",
        "compare_models",
    ],
)
def test_runs_as_a_script(name: str, tmp_path: Path) -> None:
    """``python examples/NAME/pipeline.py`` from elsewhere uses the workspace next to it."""
    folder = tmp_path / name
    shutil.copytree(EXAMPLES / name, folder, ignore=IGNORED)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, str(folder / "pipeline.py")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    ws = Workspace.at(folder)
    runs = [r for r in ws.run_store.list_runs() if r.status == "Finished"]
    assert len(runs) == 1
    assert not (elsewhere / ".pipelines").exists()
