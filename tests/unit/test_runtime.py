"""Tests of the step runtime: the manifest, Run.get_context() and its logging, metric files."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines.runtime import run as run_module
from jupyter_pipelines.runtime.manifest import MANIFEST_ENV_VAR, ManifestError, StepManifest
from jupyter_pipelines.runtime.metrics import (
    append_record,
    make_record,
    read_metrics,
    summarize_metrics,
)
from jupyter_pipelines.runtime.run import NotInStepError, Run

REPO = Path(__file__).resolve().parents[2]


def make_manifest(tmp_path: Path, **changes: Any) -> StepManifest:
    workspace = tmp_path / ".pipelines"
    step_dir = workspace / "runs" / "run-1" / "prep"
    values: dict[str, Any] = {
        "run_id": "run-1",
        "step_run_id": "run-1_prep",
        "step_name": "prep",
        "experiment_name": "exp",
        "workspace_dir": str(workspace),
        "step_dir": str(step_dir),
        "metrics_file": str(step_dir / "metrics.jsonl"),
        "files_dir": str(step_dir / "files"),
        "inputs": {"raw": str(tmp_path / "raw")},
        "outputs": {"clean": str(tmp_path / "clean")},
        "parameters": {"lr": 0.1},
        "tags": {"team": "a"},
    }
    values.update(changes)
    return StepManifest(**values)


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StepManifest:
    m = make_manifest(tmp_path)
    path = tmp_path / "manifest.json"
    m.write(path)
    monkeypatch.setenv(MANIFEST_ENV_VAR, str(path))
    return m


@pytest.fixture
def run(manifest: StepManifest) -> Run:
    return Run.get_context()


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv(MANIFEST_ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_module, "_offline_run", None)
    return Run.get_context()


def records(m: StepManifest) -> list[dict[str, Any]]:
    return read_metrics(m.metrics_file)


# --- manifest -----------------------------------------------------------------------------


def test_manifest_round_trip(tmp_path: Path) -> None:
    m = make_manifest(tmp_path)
    path = tmp_path / "sub" / "manifest.json"
    m.write(path)
    assert StepManifest.from_file(path) == m
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["step_name"] == "prep"
    assert set(data) == set(m.to_dict())
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp file left


def test_manifest_ignores_unknown_keys_and_derives_paths(tmp_path: Path) -> None:
    data = make_manifest(tmp_path).to_dict()
    data.update({"version": 2, "future_field": {"x": 1}})
    del data["metrics_file"], data["files_dir"], data["tags"]
    m = StepManifest.from_dict(data)
    assert m.metrics_file == os.path.join(m.step_dir, "metrics.jsonl")
    assert m.files_dir == os.path.join(m.step_dir, "files")
    assert m.tags == {} and m.version == 2


def test_manifest_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ManifestError, match=r"nope\.json.*file not found"):
        StepManifest.from_file(path)


def test_manifest_corrupt_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ManifestError, match=r"bad\.json.*not valid JSON"):
        StepManifest.from_file(path)
    path.write_text("[1, 2]")
    with pytest.raises(ManifestError, match="expected a JSON object"):
        StepManifest.from_file(path)


def test_manifest_shape_errors(tmp_path: Path) -> None:
    data = make_manifest(tmp_path).to_dict()
    with pytest.raises(ManifestError, match=r'missing required field.*"step_run_id"'):
        StepManifest.from_dict({k: v for k, v in data.items() if k != "step_run_id"}, "m.json")
    with pytest.raises(ManifestError, match='"step_name" must be a string'):
        StepManifest.from_dict({**data, "step_name": 3})
    with pytest.raises(ManifestError, match='"inputs" must be an object'):
        StepManifest.from_dict({**data, "inputs": ["a"]})
    with pytest.raises(ManifestError, match=r'"outputs\.o" must be a path string'):
        StepManifest.from_dict({**data, "outputs": {"o": 1}})
    with pytest.raises(ManifestError, match='"version" must be an integer'):
        StepManifest.from_dict({**data, "version": "one"})


def test_manifest_write_rejects_unserializable(tmp_path: Path) -> None:
    m = make_manifest(tmp_path, parameters={"f": object()})
    with pytest.raises(ManifestError, match="cannot be written as JSON"):
        m.write(tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


# --- get_context --------------------------------------------------------------------------


def test_get_context_reads_manifest(run: Run, manifest: StepManifest, tmp_path: Path) -> None:
    assert run.id == "run-1_prep"
    assert run.name == run.display_name == "prep"
    assert run.parent is not None and run.parent.id == "run-1"
    assert run.experiment.name == "exp"
    assert run.input_datasets == {"raw": str(tmp_path / "raw")}
    assert run.output_datasets == {"clean": str(tmp_path / "clean")}
    assert run.parameters == {"lr": 0.1}
    assert run.properties["pipeline_run_id"] == "run-1"
    assert run.get_status() == "Running"
    assert run.get_details()["runId"] == "run-1_prep"
    run.complete()
    run.fail()


def test_get_context_broken_manifest_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MANIFEST_ENV_VAR, str(tmp_path / "gone.json"))
    with pytest.raises(ManifestError, match=r"gone\.json"):
        Run.get_context()


def test_get_context_not_in_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MANIFEST_ENV_VAR, raising=False)
    with pytest.raises(NotInStepError, match="not running inside a pipeline step"):
        Run.get_context(allow_offline=False)


def test_experiment_workspace_is_imported_lazily(
    run: Run, manifest: StepManifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = types.ModuleType("jupyter_pipelines.engine.workspace")
    fake.Workspace = types.SimpleNamespace(at=lambda path: ("workspace", path))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jupyter_pipelines.engine.workspace", fake)
    assert run.experiment.workspace == ("workspace", manifest.workspace_dir)


def test_tags(run: Run, manifest: StepManifest) -> None:
    assert run.get_tags() == {"team": "a"}
    run.tag("stage", "train")
    run.tag("flag")
    assert run.get_tags() == {"team": "a", "stage": "train", "flag": None}  # v1: None
    assert Run.get_context().tags["stage"] == "train"  # visible to other Run objects
    stored = json.loads((Path(manifest.step_dir) / "tags.json").read_text())
    assert stored == {"stage": "train", "flag": None}
    assert run.remove_tags(["team", "flag"]) == {"stage": "train"}
    stored = json.loads((Path(manifest.step_dir) / "tags.json").read_text())
    assert stored == {"stage": "train", "__removed__": ["flag", "team"]}
    run.tag("team", "b")
    assert Run.get_context().get_tags() == {"stage": "train", "team": "b"}


# --- logging ------------------------------------------------------------------------------


def test_log_scalar_series(run: Run, manifest: StepManifest) -> None:
    run.log("acc", 0.5, description="accuracy")
    run.log("acc", 0.7)
    run.log("name", "x")
    recs = records(manifest)
    assert [(r["name"], r["kind"], r["value"]) for r in recs] == [
        ("acc", "scalar", 0.5),
        ("acc", "scalar", 0.7),
        ("name", "scalar", "x"),
    ]
    first = recs[0]
    assert first["description"] == "accuracy" and first["step"] == "prep"
    assert isinstance(first["ts"], float) and first["run_id"] == "run-1_prep"
    assert run.get_metrics() == {"acc": [0.5, 0.7], "name": "x"}
    assert run.get_metrics("name") == {"name": "x"}


def test_log_list_row_table(run: Run, manifest: StepManifest) -> None:
    run.log_list("losses", [3, 2, 1])
    run.log_row("roc", fpr=0.0, tpr=0.1)
    run.log_row("roc", description="curve", fpr=0.5, tpr=0.9)
    run.log_table("conf", {"a": [1, 2], "b": [3, 4]})
    kinds = {r["name"]: r["kind"] for r in records(manifest)}
    assert kinds == {"losses": "list", "roc": "row", "conf": "table"}
    assert records(manifest)[1]["value"] == {"fpr": 0.0, "tpr": 0.1}
    assert run.get_metrics() == {
        "losses": [3, 2, 1],
        "roc": {"fpr": [0.0, 0.5], "tpr": [0.1, 0.9]},
        "conf": {"a": [1, 2], "b": [3, 4]},
    }


def test_log_value_errors(run: Run, manifest: StepManifest) -> None:
    with pytest.raises(TypeError, match=r"metric 'obj'.*not JSON-serializable"):
        run.log("obj", object())
    with pytest.raises(TypeError, match=r"metric 'l': log\(\) takes a single value"):
        run.log("l", [1, 2])
    with pytest.raises(TypeError, match=r"metric 'x': log_list\(\) needs a list"):
        run.log_list("x", 3)
    with pytest.raises(ValueError, match="metric 't': table columns differ in length"):
        run.log_table("t", {"a": [1], "b": [1, 2]})
    with pytest.raises(TypeError, match=r"column 'a' of log_table\(\) must be a list"):
        run.log_table("t", {"a": 1})
    with pytest.raises(ValueError, match="needs at least one column"):
        run.log_row("r")
    with pytest.raises(ValueError, match="metric name must be a non-empty string"):
        run.log("", 1)
    assert records(manifest) == []


def test_log_image_from_path(run: Run, manifest: StepManifest, tmp_path: Path) -> None:
    src = tmp_path / "pic.JPG"
    src.write_bytes(b"\xff\xd8jpeg")
    run.log_image("sample", path=str(src), description="a picture")
    dest = Path(manifest.files_dir) / "images" / "sample.JPG"
    assert dest.read_bytes() == b"\xff\xd8jpeg"
    (rec,) = records(manifest)
    assert rec["kind"] == "image" and rec["value"] == "files/images/sample.JPG"
    assert run.get_metrics() == {"sample": "files/images/sample.JPG"}


class FakeFigure:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def savefig(self, fname: str, format: str | None = None) -> None:
        self.calls.append((fname, str(format)))
        Path(fname).write_bytes(b"\x89PNG fake")


def test_log_image_from_plot(run: Run, manifest: StepManifest) -> None:
    fig = FakeFigure()
    run.log_image("curves/roc", plot=fig)
    dest = Path(manifest.files_dir) / "images" / "curves" / "roc.png"
    assert dest.read_bytes() == b"\x89PNG fake"
    assert fig.calls[0][1] == "png"
    assert records(manifest)[0]["value"] == "files/images/curves/roc.png"


def test_log_image_errors(run: Run, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of path= or plot="):
        run.log_image("x")
    with pytest.raises(ValueError, match="exactly one of path= or plot="):
        run.log_image("x", path="a.png", plot=FakeFigure())
    with pytest.raises(TypeError, match="something with savefig"):
        run.log_image("x", plot=42)
    with pytest.raises(FileNotFoundError, match="no such file"):
        run.log_image("x", path=str(tmp_path / "missing.png"))
    with pytest.raises(ValueError, match=r"must not contain '\.\.'"):
        run.log_image("../x", plot=FakeFigure())


def test_upload_file(run: Run, manifest: StepManifest, tmp_path: Path) -> None:
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    dest = run.upload_file("outputs/model.bin", str(src))
    assert Path(dest) == Path(manifest.files_dir) / "outputs" / "model.bin"
    assert Path(dest).read_bytes() == b"weights"
    run.upload_file("notes.txt", io.StringIO("hello"))
    run.upload_file("raw.bin", io.BytesIO(b"\x00\x01"))
    assert (Path(manifest.files_dir) / "notes.txt").read_text() == "hello"
    assert (Path(manifest.files_dir) / "raw.bin").read_bytes() == b"\x00\x01"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../escape.txt", r"must not contain '\.\.'"),
        ("a/../../escape.txt", r"must not contain '\.\.'"),
        ("a\\..\\..\\escape.txt", r"must not contain '\.\.'"),
        ("/etc/passwd", "not an absolute path"),
        ("C:\\x.txt", "not an absolute path"),
        ("", "non-empty relative path"),
        ("./", "does not name a file"),
    ],
)
def test_upload_file_rejects_escapes(run: Run, tmp_path: Path, name: str, message: str) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    with pytest.raises(ValueError, match=message):
        run.upload_file(name, str(src))


def test_parent_logging(run: Run, manifest: StepManifest) -> None:
    assert run.parent is not None
    run.parent.log("pipeline_acc", 0.9)
    run.log("acc", 0.8)
    assert [r["run_id"] for r in records(manifest)] == ["run-1", "run-1_prep"]
    assert run.parent.get_metrics() == {"pipeline_acc": 0.9}
    assert run.get_metrics() == {"acc": 0.8}


# --- offline ------------------------------------------------------------------------------


def test_offline_run(offline: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert offline.id.startswith("OfflineRun_") and offline.parent is None
    assert Run.get_context() is offline
    assert not (tmp_path / ".jupyter_pipelines_offline").exists()  # created lazily
    offline.log("lr", 0.1)
    offline.log_list("l", [1, 2])
    offline.log_row("r", a=1)
    assert capsys.readouterr().out == (
        "Attempted to log scalar metric lr:\n0.1\n"
        "Attempted to log list metric l:\n[1, 2]\n"
        "Attempted to log row metric r:\n{'a': 1}\n"
    )
    metrics_file = tmp_path / ".jupyter_pipelines_offline" / offline.id / "metrics.jsonl"
    assert [r["name"] for r in read_metrics(metrics_file)] == ["lr", "l", "r"]
    assert offline.get_metrics() == {"lr": 0.1, "l": [1, 2], "r": {"a": [1]}}
    with pytest.raises(RuntimeError, match="an offline run has no workspace"):
        _ = offline.experiment.workspace


# --- metric files -------------------------------------------------------------------------


def _writer(path: str, worker: int, count: int) -> None:
    padding = "x" * 3000  # long lines make torn writes likely if appends were not atomic
    for i in range(count):
        append_record(path, make_record(f"m{worker}", "scalar", f"{i}{padding}", step="s"))


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    path = str(tmp_path / "metrics.jsonl")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, w, 200)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = Path(path).read_bytes().splitlines()
    assert len(lines) == 800
    parsed = [json.loads(line) for line in lines]
    for worker in range(4):
        values = [int(r["value"].rstrip("x")) for r in parsed if r["name"] == f"m{worker}"]
        assert values == list(range(200))


def test_read_metrics_skips_corrupt_lines(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "metrics.jsonl"
    append_record(path, make_record("a", "scalar", 1, step="s"))
    with open(path, "ab") as handle:
        handle.write(
            b'{"name": "b", "kind": "sca\n[1, 2]\n{"name": "c", "kind": "weird", "value": 1}\n'
        )
        handle.write(b"\xff\xfe\n\n")
    append_record(path, make_record("d", "scalar", 2, step="s"))
    with caplog.at_level(logging.WARNING, logger="jupyter_pipelines.runtime.metrics"):
        recs = read_metrics(path)
    assert [r["name"] for r in recs] == ["a", "d"]
    assert len(caplog.records) == 4
    assert "metrics.jsonl line 2" in caplog.records[0].getMessage()
    assert read_metrics(tmp_path / "none.jsonl") == []


def test_summarize_pads_rows_and_switches_kind() -> None:
    recs = [
        make_record("t", "row", {"a": 1}, step="s"),
        make_record("t", "row", {"b": 2}, step="s"),
        make_record("t", "table", {"a": [3, 4]}, step="s"),
        make_record("x", "scalar", 1, step="s"),
        make_record("x", "list", [5], step="s"),
    ]
    assert summarize_metrics(recs) == {
        "t": {"a": [1, None, 3, 4], "b": [None, 2, None, None]},
        "x": [5],
    }


def test_numpy_like_values_are_converted(run: Run, manifest: StepManifest) -> None:
    class Scalar:
        def item(self) -> float:
            return 0.25

    class Array:
        def tolist(self) -> list[int]:
            return [1, 2]

    run.log("s", Scalar())
    run.log_list("a", Array())
    assert run.get_metrics() == {"s": 0.25, "a": [1, 2]}


def test_real_subprocess_logs(manifest: StepManifest, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "from jupyter_pipelines import Run; r = Run.get_context(); r.log('acc', 0.9)"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, check=True, timeout=60)
    (rec,) = read_metrics(manifest.metrics_file)
    assert (rec["name"], rec["kind"], rec["value"], rec["step"]) == ("acc", "scalar", 0.9, "prep")
