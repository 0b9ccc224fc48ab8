"""DataTransferStep through the engine: folders and files copied between two local
datastores and from a local one to an fsspec ``dir://`` one, unchanged files skipped, the
copy readable by later steps through ``get_output()``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    DataPath,
    DataReference,
    Datastore,
    DataTransferStep,
    Pipeline,
    PipelineData,
    PythonScriptStep,
    compat,
)
from jupyter_pipelines.errors import ModelError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _warn_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """V1 warnings are given once per process; these tests expect to see them."""
    monkeypatch.setattr(compat, "_warned", set())


LIST = """\
import os, sys
root, out = sys.argv[1], sys.argv[2]
found = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
open(os.path.join(out, "listing.txt"), "w").write("\\n".join(found))
"""


def folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_ok(project: Project, pipeline: Pipeline) -> Any:
    run = project.experiment("transfer").submit(pipeline, show_output=False)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def copied(run: Any, step: str = "copy") -> dict[str, int]:
    """What the copier did, from the JSON line ending its stdout."""
    return json.loads(run.find_step_run(step)[0].get_logs()["stdout"].strip().splitlines()[-1])


def test_a_folder_between_two_local_datastores_skips_unchanged_files(project: Project) -> None:
    source = folder(project.root / "src_store", {"batch/a.csv": "1\n", "batch/sub/b.csv": "2\n"})
    Datastore.register(project.ws, "src", str(source))
    target = Datastore.register(project.ws, "dst", str(project.root / "dst_store"))
    project.script("scripts/ls.py", LIST)

    def pipeline(allow_reuse: bool = True) -> Pipeline:
        copy = DataTransferStep(
            name="copy",
            source_data_reference=DataReference(datastore="src", path_on_datastore="batch"),
            destination_data_reference=DataPath("dst", "landing"),
            compute_target="adf-compute",
            allow_reuse=allow_reuse,
        )
        listing = PipelineData("listing")
        ls = PythonScriptStep(
            "ls.py", name="ls", source_directory="scripts",
            arguments=[copy.get_output(), listing], inputs=[copy.get_output()], outputs=[listing],
        )  # fmt: skip
        return Pipeline(steps=[copy, ls])

    with pytest.warns(UserWarning, match="without Azure Data Factory"):
        first_pipeline = pipeline()
    run = run_ok(project, first_pipeline)
    landing = target.local_path("landing")
    assert (landing / "a.csv").read_text() == "1\n" and (landing / "sub/b.csv").read_text() == "2\n"
    assert copied(run) | {"seconds": 0} == {
        "copied": 2, "skipped": 0, "bytes": 4, "files": 2, "seconds": 0,
    }  # fmt: skip
    listing = run.find_step_run("ls")[0].get_output_path("listing") / "listing.txt"
    assert listing.read_text().splitlines() == ["a.csv", "sub/b.csv"]

    assert all(s.is_reused for s in run_ok(project, pipeline()).get_steps())  # same source
    (source / "batch/a.csv").write_text("changed\n")
    again = run_ok(project, pipeline(allow_reuse=False))
    assert (copied(again)["copied"], copied(again)["skipped"]) == (1, 1)
    assert (landing / "a.csv").read_text() == "changed\n"


def test_a_file_from_a_local_datastore_to_a_dir_datastore(project: Project) -> None:
    store = project.ws.get_default_datastore()
    folder(project.root / "data", {"scores.csv": "a,1\nb,2\n"})
    store.upload(str(project.root / "data"), target_path="results", show_progress=False)
    remote_root = project.root / "remote"
    remote_root.mkdir()
    remote = Datastore.register(
        project.ws, "remote", "dir://", path=str(remote_root), target_protocol="file"
    )
    assert remote.local_path("") is None  # not a local folder: written through fsspec
    copy = DataTransferStep(
        name="copy",
        source_data_reference=DataReference(store, "scores", "results/scores.csv"),
        destination_data_reference=DataReference(remote, "dest", "exports/final.csv"),
        source_reference_type="file",
        destination_reference_type="file",
    )
    run = run_ok(project, Pipeline(steps=[copy]))
    assert (remote_root / "exports" / "final.csv").read_text() == "a,1\nb,2\n"
    output = run.find_step_run("copy")[0].get_output_path("_data_transfer_output")
    assert (output / "scores.csv").read_text() == "a,1\nb,2\n"
    into_folder = DataTransferStep(
        name="copy",
        source_data_reference=DataReference(store, "scores", "results/scores.csv"),
        destination_data_reference=DataReference(remote, "dest", "exports/folder"),
        destination_reference_type="directory",
        allow_reuse=False,
    )
    run_ok(project, Pipeline(steps=[into_folder]))
    assert (remote_root / "exports" / "folder" / "scores.csv").is_file()


def test_a_pipeline_file_keeps_a_data_transfer_step(project: Project) -> None:
    Datastore.register(project.ws, "dst", str(project.root / "dst_store"))
    copy = DataTransferStep(
        name="copy",
        source_data_reference=DataReference("workspaceblobstore", "raw", "raw"),
        destination_data_reference=DataPath("dst", "landing"),
        destination_reference_type="directory",
    )
    path = project.root / "copy.pipeline.yaml"
    Pipeline(steps=[copy]).save(path)
    loaded = Pipeline.load(path).step("copy")
    assert isinstance(loaded, DataTransferStep)
    assert loaded.destination is not None and loaded.destination.datastore_name == "dst"
    assert loaded.destination.path_on_datastore == "landing"
    assert loaded.destination_reference_type == "directory"
    assert loaded.get_output().name == "_data_transfer_output"


def test_a_transfer_needs_a_source_and_a_destination() -> None:
    with pytest.raises(ModelError, match="source_data_reference is required"):
        DataTransferStep("copy", destination_data_reference=DataPath("dst", "x"))
    with pytest.raises(ModelError, match="source_reference_type must be one of file, directory"):
        DataTransferStep(
            "copy", DataPath("a", "x"), DataPath("b", "y"), source_reference_type="blob"
        )
