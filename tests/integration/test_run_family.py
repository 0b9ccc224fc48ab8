"""The Run family on real runs: PipelineRun and StepRun are Runs (logging, files, tags,
properties, children, waiting, finding by id), and a step's outputs are StepRunOutputs and
PortDataReferences that download and feed a later pipeline; for a fresh run and for a
fully reused rerun."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from jupyter_pipelines import (
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
    PipelineRun,
    PortDataReference,
    PythonScriptStep,
    Run,
    StepRun,
    StepRunOutput,
)
from jupyter_pipelines.errors import EngineError, RunFailedError, UnknownRunError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

GEN = """\
    import os, sys
    from jupyter_pipelines import Run
    run = Run.get_context()
    out = sys.argv[1]
    open(os.path.join(out, "data.txt"), "w").write("a,b\\n")
    run.log("rows", 3)
    run.tag("stage", "gen")
    run.parent.tag("from_step", "yes")
    run.parent.log("pipeline_rows", 3)
    run.upload_file("outputs/model.txt", os.path.join(out, "data.txt"))
    with run.child_run(name="trial") as trial:
        trial.log("loss", 0.5)
        trial.tag("kind", "trial")
    print("gen wrote", out)
    print("siblings", [s.name for s in run.parent.get_children()])
    """

USE = """\
    import os, sys
    data, result = sys.argv[1], sys.argv[2]
    text = open(os.path.join(data, "data.txt")).read()
    open(os.path.join(result, "result.txt"), "w").write(text.upper())
    print("use read", text.strip())
    """

CONSUME = """\
    import os, sys
    print("consumed", sorted(os.listdir(sys.argv[1])))
    """


def two_steps(project: Project) -> Pipeline:
    project.script("src/gen.py", GEN)
    project.script("src/use.py", USE)
    data = PipelineData("data")
    store = project.ws.get_default_datastore()
    result = OutputFileDatasetConfig("result", destination=(store, "results/{run-id}"))
    gen = PythonScriptStep("gen.py", name="gen", source_directory="src", arguments=[data])
    use = PythonScriptStep(
        "use.py", name="use", source_directory="src", arguments=[data.as_input(), result]
    )
    return Pipeline(steps=[gen, use], name="family")


def submit(project: Project, pipeline: Pipeline, experiment: str = "family") -> PipelineRun:
    run = project.experiment(experiment).submit(pipeline, show_output=False)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def check_outputs(run: PipelineRun, origin: PipelineRun, tmp: Path) -> None:
    """gen's PipelineData is where v1 keeps it, on the default datastore at
    ``azureml/<gen's step run id in origin>/data``; use's was delivered to its destination."""
    gen, use = run.get_step_run("gen"), run.get_step_run("use")
    outputs = gen.get_outputs()
    assert list(outputs) == ["data"]
    assert isinstance(outputs["data"], StepRunOutput)
    ref = gen.get_output("data").get_port_data_reference()
    assert isinstance(ref, PortDataReference)
    assert ref.name == "data" and ref.pipeline_run_id == origin.id
    assert ref.datastore_name == "workspaceblobstore"
    assert ref.path_on_datastore == f"azureml/{origin.get_step_run('gen').id}/data"
    on_store = ref.datastore.local_path(ref.path_on_datastore) / "data.txt"
    in_run = gen.get_output_path("data") / "data.txt"
    assert os.path.samefile(on_store, in_run)  # the run folder's file itself: not a copy
    assert ref.download(str(tmp / "gen")) == 1
    assert (tmp / "gen" / ref.path_on_datastore / "data.txt").read_text() == "a,b\n"
    assert ref.download(str(tmp / "gen")) == 0  # kept, not overwritten
    assert ref.download(str(tmp / "gen"), overwrite=True) == 1
    delivered = use.get_output_data("result")
    origin_use = origin.get_step_run("use")
    assert delivered.datastore_name == "workspaceblobstore"
    assert delivered.path_on_datastore == f"results/{origin_use.id}"
    assert delivered.download(str(tmp / "use")) == 1
    assert (tmp / "use" / f"results/{origin_use.id}/result.txt").read_text() == "A,B\n"
    with pytest.raises(UnknownRunError, match=r"no output 'dta'.*did you mean \"data\""):
        gen.get_output("dta")


def check_logs(step: StepRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert "gen wrote" in step.get_stdout_log()
    assert "siblings ['gen', 'use']" in step.get_stdout_log()  # the run store, from the step
    assert isinstance(step.get_stderr_log(), str)
    job = step.get_job_log()
    assert "step 'gen'" in job and "Running" in job and "Finished" in job
    details = step.get_details_with_logs()
    assert "gen wrote" in details["logFiles"]["STDOUT"] == details["logFiles"]["stdout.txt"]
    assert details["logFiles"]["JOBLOG"] == job
    capsys.readouterr()
    assert step.wait_for_completion(show_output=True) == st.FINISHED
    shown = capsys.readouterr().out
    assert "StepRun( gen ) Status: Finished" in shown and "gen wrote" in shown


def test_a_fresh_run_and_its_reused_rerun_are_v1_runs(
    project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = submit(project, two_steps(project))
    gen, use = run.get_step_run("gen"), run.get_step_run("use")
    assert isinstance(run, Run) and isinstance(gen, Run)
    assert (run.type, gen.type, gen.parent.id, gen.pipeline_run_id) == (
        "azureml.PipelineRun",
        "azureml.StepRun",
        run.id,
        run.id,
    )

    # metrics: what the step logged, and what is logged from outside afterwards
    run.log("outer", 1)
    gen.log_row("table", a=1, b=2)
    assert run.get_metrics() == {"pipeline_rows": 3, "outer": 1}
    assert gen.get_metrics() == {"rows": 3, "table": {"a": [1], "b": [2]}}
    assert gen.get_metrics(name="rows") == {"rows": 3}

    # files: the step's upload by its name, logs by theirs
    names = gen.get_file_names()
    assert {"outputs/model.txt", "stdout.txt", "stderr.txt", "manifest.json"} <= set(names)
    assert not any(n.startswith(("code/", "inputs/", "children/")) for n in names)
    copied = gen.download_file("outputs/model.txt", str(tmp_path / "model.txt"))
    assert Path(copied).read_text() == "a,b\n"
    gen.upload_file("notes/review.txt", b"fine")
    assert "notes/review.txt" in gen.get_file_names()

    # tags and properties: set inside the step, changed from outside
    assert gen.get_tags()["stage"] == "gen"
    assert run.get_tags()["from_step"] == "yes"
    gen.tag("checked", "yes")
    assert gen.remove_tags(["stage"]) == {"checked": "yes"} | {
        k: v for k, v in gen.get_tags().items() if k != "checked"
    }
    assert "stage" not in gen.get_tags()
    run.remove_tags("from_step")
    assert "from_step" not in run.get_tags()
    run.add_properties({"reviewed_by": "me"})
    with pytest.raises(ValueError, match="cannot be changed"):
        run.add_properties({"reviewed_by": "you"})
    assert run.get_properties()["reviewed_by"] == "me"
    assert gen.get_properties()["azureml.nodeid"] == "gen"

    # children, filtered
    assert [s.name for s in run.get_children()] == ["gen", "use"]
    assert [s.name for s in run.get_children(tags={"checked": "yes"})] == ["gen"]
    assert len(run.get_children(status=st.FINISHED, type="azureml.StepRun")) == 2
    descendants = run.get_children(recursive=True)
    assert [r.name for r in descendants] == ["gen", "trial", "use"]
    trial = run.get_children(recursive=True, tags={"kind": "trial"})[0]
    assert trial.get_status() == "Completed" and trial.parent is not None
    assert trial.get_metrics() == {"loss": 0.5}
    assert run.get_metrics(recursive=True)[trial.id] == {"loss": 0.5}

    # finding runs by id
    experiment = project.experiment("family")
    assert type(Run(experiment, run.id)) is PipelineRun
    found = Run(experiment, gen.id)
    assert isinstance(found, StepRun) and found.name == "gen"
    assert Run.get(project.ws, trial.id).get_metrics() == {"loss": 0.5}
    assert [r.id for r in Run.list(experiment)] == [run.id]
    assert {
        r.name for r in Run.list(experiment, include_children=True, type="azureml.StepRun")
    } == {
        "gen",
        "use",
    }
    assert StepRun(experiment, gen.id, run.id, "gen").get_status() == st.FINISHED
    local = SimpleNamespace(workspace=project.ws, name=gen._record.target)
    assert {r.name for r in Run.list_by_compute(local, status=st.FINISHED)} == {"gen", "use"}

    check_outputs(run, run, tmp_path / "fresh")
    check_logs(gen, capsys)
    assert use.wait_for_completion(show_output=False) == st.FINISHED
    assert run.get_portal_url().startswith(("file://", "http"))
    graph = run.get_graph()
    assert list(graph.edges) == [("gen", "use")]
    assert run.get_pipeline_output("result").path_on_datastore == f"results/{use.id}"

    # the fully reused rerun: outputs, logs, files and children are those it reused
    again = submit(project, two_steps(project))
    gen2 = again.get_step_run("gen")
    assert all(s.is_reused for s in again.get_steps())
    check_outputs(again, run, tmp_path / "reused")
    check_logs(gen2, capsys)
    assert "outputs/model.txt" in gen2.get_file_names()
    assert gen2.get_metrics()["rows"] == 3
    gen2.log("later", 7)
    assert gen2.get_metrics()["later"] == 7 and "later" not in gen.get_metrics()
    assert gen2.get_properties()["azureml.reusedrunid"] == gen.id
    assert [r.name for r in again.get_children(recursive=True)] == ["gen", "trial", "use"]
    assert type(Run(experiment, gen2.id)) is StepRun
    assert Run(experiment, gen2.id).is_reused


def test_outputs_feed_a_later_pipeline_and_the_run_saves_its_pipeline(project: Project) -> None:
    run = submit(project, two_steps(project))
    project.script("src/consume.py", CONSUME)
    on_default_store = run.get_step_run("gen").get_output_data("data")
    delivered = run.get_step_run("use").get_output_data("result").as_download("delivered")
    later = Pipeline(
        steps=[
            PythonScriptStep(
                "consume.py",
                name="consume_mounted",
                source_directory="src",
                arguments=[on_default_store],
                inputs=[on_default_store],
            ),
            PythonScriptStep(
                "consume.py",
                name="consume_delivered",
                source_directory="src",
                arguments=[delivered],
            ),
        ]
    )
    done = submit(project, later, experiment="later")
    logs = {s.name: s.get_stdout_log() for s in done.get_steps()}
    assert "consumed ['data.txt']" in logs["consume_mounted"]
    assert "consumed ['result.txt']" in logs["consume_delivered"]

    saved = project.root / "saved"
    saved.mkdir()
    run.save(str(saved))
    loaded = Pipeline.load(saved / "pipeline.yml")
    assert [s.name for s in loaded.steps] == ["gen", "use"]
    assert [r.id for r in PipelineRun.get_pipeline_runs(project.ws, "family")] == [run.id]
    assert (run.number, done.number) == (1, 1)

    # the step's code snapshot, environment, and cleaning up after it
    gen = run.get_step_run("gen")
    archive = gen.restore_snapshot(path=str(project.root / "code.zip"))
    assert "gen.py" in zipfile.ZipFile(archive).namelist()
    assert gen.get_snapshot_id() == gen.get_properties()["ContentSnapshotId"]
    assert gen.get_environment().python.user_managed_dependencies is True
    with pytest.raises(EngineError, match="no environment of its own"):
        run.get_environment()
    removed = run.clean()
    assert removed and not any(Path(p).exists() for p in removed)
    assert (gen.get_output_path("data") / "data.txt").exists()  # outputs stay


def test_steps_refuse_what_v1_refuses(project: Project) -> None:
    project.script("src/fail.py", "import sys\nprint('bad')\nsys.exit(3)\n")
    run = project.experiment("family").submit(
        Pipeline(steps=[PythonScriptStep("fail.py", name="bad", source_directory="src")]),
        show_output=False,
    )
    step = run.get_step_run("bad")
    with pytest.raises(RunFailedError, match=r"step run .*'bad'.* ended Failed"):
        step.wait_for_completion(show_output=False, timeout_seconds=120)
    with pytest.raises(NotImplementedError, match="Child run is unsupported for Step run"):
        step.child_run()
    with pytest.raises(NotImplementedError, match="Complete is unsupported for Pipeline run"):
        run.complete()
