"""Where a step's outputs are on the datastores, as v1 keeps them: an output without a
destination is on its datastore or the default one (``azureml/<step run id>/<name>``,
``dataset/<step run id>/<name>`` for an output dataset config), readable through that
datastore by any later code or pipeline; and local datastore folders inside a step's source
folder are not its code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    Datastore,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

WRITE = """\
    import os, sys
    for out in sys.argv[1:]:
        os.makedirs(os.path.join(out, "sub"), exist_ok=True)
        os.makedirs(os.path.join(out, "empty"), exist_ok=True)
        open(os.path.join(out, "part.csv"), "w").write("a,b\\n1,2\\n")
        open(os.path.join(out, "sub", "nested.txt"), "w").write("nested")
    print("wrote", len(sys.argv) - 1)
    """

CONSUME = """\
    import os, sys
    root = sys.argv[1]
    print("consumed", sorted(os.path.relpath(os.path.join(d, f), root)
                             for d, _, fs in os.walk(root) for f in fs))
    """


def run_ok(project: Project, pipeline: Pipeline, experiment: str = "places", **kw: Any) -> Any:
    run = project.experiment(experiment).submit(pipeline, show_output=False, **kw)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def writer(project: Project, *outputs: Any, name: str = "write") -> PythonScriptStep:
    project.script("src/write.py", WRITE)
    return PythonScriptStep("write.py", name=name, source_directory="src", arguments=list(outputs))


def test_outputs_without_a_destination_are_on_the_default_datastore(
    project: Project, tmp_path: Path
) -> None:
    data, dataset = PipelineData("data"), OutputFileDatasetConfig("table")
    run = run_ok(project, Pipeline(steps=[writer(project, data, dataset)]))
    step = run.get_step_run("write")
    blob = Datastore.get(project.ws, "workspaceblobstore")

    ref = step.get_output_data("data")
    assert ref.datastore_name == "workspaceblobstore"
    assert ref.path_on_datastore == f"azureml/{step.id}/data"
    table = step.get_output("table").get_port_data_reference()
    assert (table.datastore_name, table.path_on_datastore) == (
        "workspaceblobstore",
        f"dataset/{step.id}/table",
    )
    # On the datastore, the run folder's own files (hard links): nothing was copied.
    for rel in ("part.csv", "sub/nested.txt"):
        assert os.path.samefile(
            blob.local_path(f"azureml/{step.id}/data/{rel}"), step.get_output_path("data") / rel
        )
    assert blob.isdir(f"azureml/{step.id}/data/empty")
    # Listed, downloaded and read through the datastore, as v1 code does.
    assert blob.glob(f"azureml/{step.id}/**") == [
        f"azureml/{step.id}/data/part.csv",
        f"azureml/{step.id}/data/sub/nested.txt",
    ]
    assert blob.download(str(tmp_path / "got"), prefix="azureml/") == 2
    got = tmp_path / "got" / "azureml" / step.id / "data" / "sub" / "nested.txt"
    assert got.read_text() == "nested"

    # A later pipeline mounts the path on the datastore.
    project.script("consumer/consume.py", CONSUME)
    later = blob.path(ref.path_on_datastore).as_mount()
    consumer = PythonScriptStep(
        "consume.py", name="consume", source_directory="consumer", arguments=[later]
    )
    done = run_ok(project, Pipeline(steps=[consumer]), experiment="later")
    assert (
        "consumed ['part.csv', 'sub/nested.txt']" in done.get_step_run("consume").get_stdout_log()
    )

    # A reused step run reports the place of the run it reused.
    outputs = PipelineData("data"), OutputFileDatasetConfig("table")
    again = run_ok(project, Pipeline(steps=[writer(project, *outputs)]))
    reused = again.get_step_run("write")
    assert reused.is_reused
    assert reused.get_output_data("data").path_on_datastore == f"azureml/{step.id}/data"


def test_a_failed_step_puts_nothing_on_the_datastore(project: Project) -> None:
    project.script("src/fail.py", "import sys\nopen(sys.argv[1] + '/x', 'w')\nsys.exit(3)\n")
    step = PythonScriptStep(
        "fail.py", name="fail", source_directory="src", arguments=[PipelineData("data")]
    )
    run = project.experiment("places").submit(Pipeline(steps=[step]), show_output=False)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    blob = project.ws.get_default_datastore()
    assert not blob.exists(f"azureml/{run.get_step_run('fail').id}")


def test_the_pipeline_default_datastore_and_a_remote_default_hold_outputs(
    project: Project, tmp_path: Path
) -> None:
    elsewhere = Datastore.register(project.ws, "elsewhere", str(tmp_path / "elsewhere"))
    pipeline = Pipeline(steps=[writer(project, PipelineData("data"))], default_datastore=elsewhere)
    step = run_ok(project, pipeline).get_step_run("write")
    ref = step.get_output_data("data")
    assert (ref.datastore_name, ref.path_on_datastore) == ("elsewhere", f"azureml/{step.id}/data")
    assert (tmp_path / "elsewhere" / "azureml" / step.id / "data" / "part.csv").is_file()

    # A default datastore that is not a local folder (here fsspec's dir:// file system, as
    # an object store would be): the output is uploaded there, as v1 does.
    remote = Datastore.register(
        project.ws, "remote", "dir://", path=str(tmp_path / "remote"), target_protocol="file"
    )
    assert remote.local_path("") is None
    remote.set_as_default()
    pipeline = Pipeline(steps=[writer(project, PipelineData("data"))])
    step = run_ok(project, pipeline, regenerate_outputs=True).get_step_run("write")
    ref = step.get_output_data("data")
    assert (ref.datastore_name, ref.path_on_datastore) == ("remote", f"azureml/{step.id}/data")
    assert ref.download(str(tmp_path / "down")) == 2
    copied = tmp_path / "remote" / "azureml" / step.id / "data" / "part.csv"
    assert copied.read_text() == "a,b\n1,2\n"
    assert not os.path.samefile(copied, step.get_output_path("data") / "part.csv")


def test_a_datastore_folder_inside_the_source_folder_is_not_code(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # v1's move-data how-to: a datastore whose folder lies in the steps' source folder ".",
    # and an output delivered into it.
    project.script("lake/raw/input.csv", "x\n1\n")
    lake = Datastore.register(project.ws, "lake", str(project.root / "lake"))
    project.script("write.py", WRITE)

    def pipeline() -> Pipeline:
        out = OutputFileDatasetConfig("out", destination=(lake, "mypath/{run-id}"))
        step = PythonScriptStep("write.py", name="write", source_directory=".", arguments=[out])
        other = PythonScriptStep(
            "write.py", name="other", source_directory=".", arguments=[PipelineData("o")]
        )
        return Pipeline(steps=[step, other])

    first = project.experiment("lake").submit(pipeline())
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    printed = capsys.readouterr().out
    note = (
        "folder 'lake/' of the source directory is the folder of datastore 'lake': left out "
        "of the code snapshot and fingerprint"
    )
    assert f"    note: {note}" in printed
    assert printed.count("note:") == 1  # said once for the two steps of that folder
    assert any((project.root / "lake" / "mypath").rglob("part.csv"))

    second = project.experiment("lake").submit(pipeline())
    for name in ("write", "other"):
        step = second.get_step_run(name)
        assert step.is_reused  # the files delivered into lake/ changed no code
        assert step.get_reuse_info()["notes"][0].startswith(note)
    assert f"    note: {note}" in capsys.readouterr().out
    why = project.cli("why", second.id, "write", check=0).stdout
    assert f"  note: {note}" in why
