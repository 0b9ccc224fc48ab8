"""The shared Run base (runtime/run.py) on runs kept in folders: children, filters, tags and
properties, chart metrics, files, secrets, snapshots, details and what v1 refuses; and the
step runtime working with the standard library only."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.errors import (
    ModelPathNotFoundException,
    NotSupportedError,
    RunFailedError,
    UnknownRunError,
)
from jupyter_pipelines.runtime import lookup
from jupyter_pipelines.runtime import run as run_module
from jupyter_pipelines.runtime.manifest import MANIFEST_ENV_VAR, StepManifest
from jupyter_pipelines.runtime.metrics import read_metrics
from jupyter_pipelines.runtime.run import Run
from jupyter_pipelines.runtime.run_files import run_file_index

REPO = Path(__file__).resolve().parents[2]
CONFUSION = {
    "schema_type": "confusion_matrix",
    "schema_version": "1.0.0",
    "data": {"class_labels": ["0", "1"], "matrix": [[3, 1], [0, 4]]},
}


def write_manifest(tmp_path: Path) -> StepManifest:
    workspace = tmp_path / ".pipelines"
    step_dir = workspace / "runs" / "run-1" / "prep"
    manifest = StepManifest(
        run_id="run-1",
        step_run_id="run-1_prep",
        step_name="prep",
        experiment_name="exp",
        workspace_dir=str(workspace),
        step_dir=str(step_dir),
        tags={"team": "a"},
    )
    manifest.write(tmp_path / "manifest.json")
    return manifest


@pytest.fixture
def step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    write_manifest(tmp_path)
    monkeypatch.setenv(MANIFEST_ENV_VAR, str(tmp_path / "manifest.json"))
    return Run.get_context()


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv(MANIFEST_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_module, "_offline_run", None)
    return Run.get_context()


def test_child_runs_have_their_own_status_metrics_tags_and_children(step: Run) -> None:
    with step.child_run(name="trial-1") as child:
        child.log("loss", 0.5)
        child.tag("lr", 0.1)
        assert child.get_status() == "Running"
    assert child.get_status() == "Completed" and child.parent is step
    with pytest.raises(ZeroDivisionError), step.child_run(name="trial-2") as failing:
        _ = 1 / 0
    assert failing.get_status() == "Failed"
    assert "ZeroDivisionError" in failing.get_details()["error"]
    grandchild = child.child_run(run_id=f"{child.id}_x")
    # The step's own metrics file is untouched: the run driver files it as the step's.
    assert step.get_metrics() == {}
    assert child.get_metrics() == {"loss": 0.5}
    names = [c.name for c in step.get_children()]
    assert names == ["trial-1", "trial-2"]
    assert [c.id for c in step.get_children(recursive=True)] == [
        child.id,
        grandchild.id,
        failing.id,
    ]
    assert step.get_children(tags={"lr": "0.1"}) == step.get_children(tags="lr")
    assert [c.name for c in step.get_children(tags={"lr": 0.1})] == ["trial-1"]
    assert [c.name for c in step.get_children(status="Failed")] == ["trial-2"]
    assert step.get_children(type="azureml.StepRun") == []
    assert step.get_metrics(recursive=True) == {
        step.id: {},
        child.id: {"loss": 0.5},
        grandchild.id: {},
        failing.id: {},
    }
    with pytest.raises(ValueError, match="already has a child run"):
        child.child_run(run_id=f"{child.id}_x")
    with pytest.raises(ValueError, match=r"must not contain '\.\.'"):
        step.child_run(run_id="../escape")


def test_create_children_checks_its_arguments_as_v1(step: Run) -> None:
    made = step.create_children(count=2)
    assert [c.get_status() for c in made] == ["NotStarted", "NotStarted"]
    assert [c.get_tags() for c in made] == [
        {"azureml.batch_child_number": 0},
        {"azureml.batch_child_number": 1},
    ]
    tagged = step.create_children(tag_key="fold", tag_values=["a", "b"])
    tagged[0].start()
    assert tagged[0].get_status() == "Running" and tagged[1].get_tags() == {"fold": "b"}
    with pytest.raises(ValueError, match="Either count or tag_key and tag_values"):
        step.create_children()
    with pytest.raises(ValueError, match="count can not be set"):
        step.create_children(count=1, tag_key="k", tag_values=[1])
    with pytest.raises(ValueError, match="more than 100"):
        step.create_children(count=101)


def test_properties_are_immutable_and_tags_change(step: Run) -> None:
    assert step.get_properties()["pipeline_run_id"] == "run-1"
    step.add_properties({"owner": "me"})
    step.add_properties({"owner": "me"})  # the same value again is fine
    step.add_properties({})
    with pytest.raises(ValueError, match=r"property 'owner' .* cannot be changed"):
        step.add_properties({"owner": "you"})
    assert step.properties["owner"] == "me"
    step.set_tags({"a": 1, "b": None})
    assert step.tags == {"team": "a", "a": 1, "b": None}
    assert step.remove_tags("a") == {"team": "a", "b": None}
    with pytest.raises(TypeError, match="dict of tags"):
        step.set_tags(["a"])  # type: ignore[arg-type]


def test_chart_metrics_take_v1_json(step: Run) -> None:
    step.log_confusion_matrix("cm", CONFUSION)
    step.log_accuracy_table("acc", json.dumps({**CONFUSION, "schema_type": "accuracy_table"}))
    step.log("x", 1, step=5)
    metrics = step.get_metrics()
    assert metrics["cm"] == CONFUSION and metrics["acc"]["schema_type"] == "accuracy_table"
    assert [r.get("index") for r in read_metrics(step._metrics_file)] == [None, None, 5]
    with pytest.raises(ValueError, match="got schema_type 'confusion_matrix'"):
        step.log_residuals("r", CONFUSION)
    with pytest.raises(TypeError, match=r"log_predictions\(\) needs a dict"):
        step.log_predictions("p", [1, 2])
    with pytest.raises(ValueError, match="not valid JSON"):
        step.log_residuals("r", "{nope")


def test_files_are_named_as_uploaded(step: Run, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    Path(step._step_dir, "code").mkdir(parents=True)
    Path(step._step_dir, "stdout.txt").write_text("out")
    Path(step._step_dir, "code", "train.py").write_text("")
    assert step.upload_folder("data", str(folder)) == ["data/a.txt", "data/sub/b.txt"]
    step.upload_files(["x.bin"], [io.BytesIO(b"x")])
    with pytest.raises(TypeError, match="equal lengths"):
        step.upload_files(["a", "b"], [str(folder / "a.txt")])
    assert step.get_file_names() == ["data/a.txt", "data/sub/b.txt", "stdout.txt", "x.bin"]
    out = tmp_path / "out"
    got = step.download_files(prefix="data/", output_directory=str(out), append_prefix=False)
    assert sorted(Path(p).relative_to(out).as_posix() for p in got) == ["a.txt", "sub/b.txt"]
    with pytest.raises(ValueError, match="one path per file"):
        step.download_files(prefix="data/", output_paths=["only-one"])
    assert Path(step.download_file("files/x.bin", str(out))).read_bytes() == b"x"
    with pytest.raises(UnknownRunError, match=r"no file 'data/c\.txt'.*did you mean"):
        step.download_file("data/c.txt")


def test_run_file_index_skips_code_inputs_outputs_and_partial_writes(tmp_path: Path) -> None:
    for rel in ("stdout.txt", "code/x.py", "inputs/i/f", "outputs/o/f", ".x.json.abc.tmp"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "files" / "stdout.txt").parent.mkdir()
    (tmp_path / "files" / "stdout.txt").write_text("uploaded")
    index = run_file_index(tmp_path)
    assert list(index) == ["stdout.txt"]
    assert Path(index["stdout.txt"]).read_text() == "uploaded"  # an upload wins


def test_outputs_and_logs_of_the_working_folder_are_run_files(tmp_path: Path) -> None:
    for rel in ("stdout.txt", "code/train.py", "code/outputs/model.pkl", "code/logs/a.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    assert run_file_index(tmp_path) == {"stdout.txt": str(tmp_path / "stdout.txt")}
    (tmp_path / "files" / "outputs").mkdir(parents=True)
    (tmp_path / "files" / "outputs" / "model.pkl").write_text("uploaded")
    index = run_file_index(tmp_path, working_dir=tmp_path / "code")
    assert list(index) == ["logs/a.log", "outputs/model.pkl", "stdout.txt"]
    assert Path(index["logs/a.log"]).read_text() == "code/logs/a.log"  # listed where it is
    assert Path(index["outputs/model.pkl"]).read_text() == "uploaded"  # an upload wins


def test_a_step_registers_a_model_from_its_outputs(step: Run, tmp_path: Path) -> None:
    outputs = Path(step._step_dir, "code", "outputs")
    (outputs / "net").mkdir(parents=True)
    (outputs / "net" / "w.npy").write_text("w")
    (outputs / "model.pkl").write_text("m")
    assert step.get_file_names() == ["outputs/model.pkl", "outputs/net/w.npy"]
    model = step.register_model("m", "outputs/model.pkl", tags={"t": "1"})
    assert (model.name, model.version, model.run_id, model.tags) == ("m", 1, step.id, {"t": "1"})
    assert model.experiment_name == "exp"
    folder = step.register_model("m", model_path="outputs/net/")
    got = tmp_path / "got"
    assert folder.version == 2 and Path(folder.download(str(got))).name == "net"
    assert (got / "net" / "w.npy").read_text() == "w"
    # a running step's files may still change: they are copied, not linked
    registered = Path(step.experiment.workspace.dir, "models", "m", "1", "model.pkl")
    assert registered.read_text() == "m"
    assert registered.stat().st_ino != (outputs / "model.pkl").stat().st_ino


def test_a_step_sees_its_datasets_in_v1_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = write_manifest(tmp_path)
    data = json.loads((tmp_path / "manifest.json").read_text())
    data["inputs"] = {"raw": "/data/raw", "plain": "/data/plain"}
    data["datasets"] = {
        "raw": {"definition": {"kind": "file", "paths": []}, "path": "/data/raw", "kind": "file",
                "mode": "download", "path_on_compute": "raw_here"},
    }  # fmt: skip
    data["outputs"] = {"model": "/out/model"}
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    monkeypatch.setenv(MANIFEST_ENV_VAR, str(tmp_path / "manifest.json"))
    details = Run.get_context().get_details()
    assert details["inputDatasets"] == [
        {
            "dataset": "/data/raw",
            "consumptionDetails": {
                "type": "RunInput",
                "inputName": "raw",
                "mechanism": "Download",
                "pathOnCompute": "raw_here",
            },
        },
        {
            "dataset": "/data/plain",
            "consumptionDetails": {
                "type": "RunInput",
                "inputName": "plain",
                "mechanism": "Mount",
                "pathOnCompute": "/data/plain",
            },
        },
    ]
    assert details["outputDatasets"] == [
        {
            "dataset": "/out/model",
            "outputType": "RunOutput",
            "outputDetails": {"outputName": "model", "mechanism": "Mount"},
        }
    ]
    assert manifest.step_run_id == details["runId"]


def test_secrets_are_environment_variables(step: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    assert step.get_secret("db-password") == "s3cret"
    assert step.get_secrets(["db-password", "nope"]) == {"db-password": "s3cret", "nope": None}
    with pytest.raises(LookupError, match="set NOPE in the step's environment"):
        step.get_secret("nope")


def test_what_v1_refuses_or_has_no_local_meaning(
    step: Run, offline: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "_factories", {})
    with pytest.raises(ModelPathNotFoundException, match=r"model_path 'outputs/m\.pkl'"):
        step.register_model("m", "outputs/m.pkl")
    with pytest.raises(NotSupportedError, match=r"Model\.register\(ws, path, name\)"):
        offline.upload_file("outputs/m.pkl", io.BytesIO(b"m"))
        offline.register_model("m", "outputs/m.pkl")
    with pytest.raises(NotSupportedError, match=r"Experiment\(ws, name\).submit"):
        step.submit_child(object())
    with pytest.raises(RuntimeError, match="cannot wait for its own run"):
        step.wait_for_completion()
    with pytest.raises(RuntimeError, match="cannot wait for the pipeline run"):
        step.parent.wait_for_completion()  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="needs an experiment and a run id"):
        Run()
    Run.add_type_provider("tests.custom", lambda e, r: r)
    with pytest.raises(ValueError, match=r"RunType tests\.custom already has a factory"):
        Run.add_type_provider("tests.custom", lambda e, r: r)
    step.complete()  # the run driver ends a step: nothing happens
    assert step.get_status() == "Running"
    assert offline.get_portal_url().startswith("file://")
    assert Run.get_docs_url().endswith("azureml.core.run.run")


def test_offline_children_and_waiting(offline: Run) -> None:
    child = offline.child_run()
    child.fail(error_details="bad", error_code="E1")
    with pytest.raises(RunFailedError, match="E1: bad"):
        child.wait_for_completion()
    assert child.wait_for_completion(raise_on_error=False)["status"] == "Failed"
    assert child.get_detailed_status() == {"status": "Failed", "details": None}


def test_details_logs_and_snapshots(step: Run, tmp_path: Path) -> None:
    Path(step._step_dir).mkdir(parents=True, exist_ok=True)
    Path(step._step_dir, "stdout.txt").write_text("hello\n")
    details = step.get_details_with_logs()
    assert details["logFiles"] == {"stdout.txt": "hello\n"}
    assert details["runId"] == "run-1_prep" and details["status"] == "Running"
    written = step.get_all_logs(str(tmp_path / "logs"))
    assert [Path(p).read_text() for p in written] == ["hello\n"]
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("print(1)\n")
    first = step.take_snapshot(str(code))
    second = step.take_snapshot(str(code / "train.py"))
    assert step.get_snapshot_id() == second
    archive = step.restore_snapshot(first, str(tmp_path))
    assert zipfile.ZipFile(archive).read("train.py") == b"print(1)\n"


def test_lookup_filters(step: Run) -> None:
    runs = [step, *step.create_children(tag_key="k", tag_values=["1", "2"])]
    assert lookup.filter_runs(runs, tags={"k": 2}) == [runs[2]]
    assert lookup.filter_runs(runs, tags=["k"], status="NotStarted") == runs[1:]
    assert lookup.filter_runs(runs, properties={"run_id": step.id}) == [step]
    with pytest.raises(ValueError, match="filter 5 is not understood"):
        lookup.filter_runs(runs, tags=5)


def test_the_runtime_needs_only_the_standard_library(tmp_path: Path) -> None:
    """A step in a container: the package's folder on the path of a Python that has none
    of its dependencies; logging, tags, files and child runs work."""
    manifest = write_manifest(tmp_path)
    script = """\
import sys
from jupyter_pipelines.runtime.run import Run
run = Run.get_context()
run.log("acc", 0.9)
run.tag("where", "container")
run.upload_file("notes.txt", b"x")
with run.child_run(name="t") as child:
    child.log("loss", 1)
run.parent.log("best", 0.9)
print(run.get_metrics(), run.get_tags()["where"], run.get_file_names(), len(run.get_children()))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("fsspec", "yaml", "networkx", "blake3")))
"""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        MANIFEST_ENV_VAR: str(tmp_path / "manifest.json"),
    }
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    done = subprocess.run(
        [python, "-S", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "{'acc': 0.9} container ['metrics.jsonl', 'notes.txt'] 1"
    assert second == "[]"
    records: list[dict[str, Any]] = read_metrics(manifest.metrics_file)
    assert [r["run_id"] for r in records] == ["run-1_prep", "run-1"]


def test_portal_url_is_the_serving_jupyter_server_else_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_pipelines.engine.run_base import run_url
    from jupyter_pipelines.stores.workspace import Workspace

    project = tmp_path / "project"
    workspace = Workspace.at(project)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    folder = workspace.runs_dir / "r1"
    assert run_url(workspace, folder, "r1") == folder.resolve().as_uri()
    server = {"url": "http://127.0.0.1:8899/base/", "token": "t", "pid": os.getpid()}
    elsewhere = {**server, "root_dir": str(tmp_path / "other")}
    (runtime / "jpserver-1.json").write_text(json.dumps(elsewhere))
    assert run_url(workspace, folder, "r1").startswith("file://")  # serves another folder
    (runtime / "jpserver-2.json").write_text(json.dumps({**server, "root_dir": str(project)}))
    assert run_url(workspace, folder, "r1", "steps", "prep") == (
        "http://127.0.0.1:8899/base/jupyter-pipelines/api/runs/r1/steps/prep"
    )
