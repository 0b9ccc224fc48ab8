"""Experiments as in v1: ids, tags, archive and reactivate, listing with view types, runs
filtered by type, tags and properties, interactive runs (start_logging), delete,
from_directory and links."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_pipelines import (
    Experiment,
    Pipeline,
    PipelineRun,
    PythonScriptStep,
    Run,
    RunFailedError,
    Workspace,
)
from jupyter_pipelines.engine.experiment import ViewType
from jupyter_pipelines.errors import EngineError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, alive, wait_until

pytestmark = pytest.mark.integration


def quick_pipeline(project: Project) -> Pipeline:
    """Two script steps, the second after the first."""
    project.script("one.py", "print('one')\n")
    project.script("two.py", "print('two')\n")
    one = PythonScriptStep("one.py", name="one", source_directory=".")
    two = PythonScriptStep("two.py", name="two", source_directory=".")
    two.run_after(one)
    return Pipeline(steps=[one, two])


def test_an_experiment_keeps_its_id_and_tags_across_workspace_objects(project: Project) -> None:
    exp = Experiment(project.ws, "tagged")
    exp.tag("candidate")
    exp.tag("owner", "me")
    exp.set_tags({"stage": "dev", "n": 3})
    exp.remove_tags(["n"])
    assert exp.tags == {"candidate": None, "owner": "me", "stage": "dev"}
    again = Experiment(Workspace.at(project.root), "tagged")
    assert again.id == exp.id and again.name == "tagged"
    assert again.tags == exp.tags
    exp.set_tags({"stage": "prod"})
    assert again.tags["stage"] == "dev"  # as last read ...
    again.refresh()
    assert again.tags["stage"] == "prod"  # ... until refreshed
    assert again.workspace == project.ws
    with pytest.warns(DeprecationWarning, match="workspace_object is deprecated"):
        assert again.workspace_object == project.ws


def test_archive_hides_an_experiment_from_the_default_listing(project: Project) -> None:
    active, old = Experiment(project.ws, "active"), Experiment(project.ws, "old")
    old.set_tags({"kind": "legacy"})
    assert old.archived_time is None
    old.archive()
    assert old.archived_time is not None and old.archived_time.endswith("+00:00")

    def names(**kwargs: object) -> list[str]:
        return [e.name for e in Experiment.list(project.ws, **kwargs)]  # type: ignore[arg-type]

    assert names() == ["active"]
    assert names(view_type=ViewType.ArchivedOnly) == ["old"]
    assert names(view_type="All") == ["active", "old"]
    assert names(view_type="All", experiment_name="old") == ["old"]
    assert names(view_type="All", tags="kind") == ["old"]
    assert names(view_type="All", tags={"kind": "other"}) == []
    assert Experiment.list(project.ws, view_type="All")[1].archived_time == old.archived_time
    with pytest.raises(EngineError, match="view_type 'Everything' is not one of"):
        Experiment.list(project.ws, view_type="Everything")

    with pytest.raises(EngineError, match="cannot rename experiment 'old' to 'new'"):
        old.reactivate(new_name="new")
    old.reactivate()
    assert old.archived_time is None
    assert names() == ["active", "old"]
    assert active.id != old.id


def test_submitting_to_an_archived_experiment_makes_it_active(project: Project) -> None:
    exp = project.experiment("comeback")
    exp.archive()
    run = exp.submit(quick_pipeline(project), show_output=False)
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert exp.archived_time is None
    assert [e.name for e in Experiment.list(project.ws)] == ["comeback"]


def test_get_runs_filters_by_tags_type_and_children(project: Project) -> None:
    exp = project.experiment("filtered")
    pipeline = quick_pipeline(project)
    first = exp.submit(pipeline, tags={"stage": "a", "team": "x"}, show_output=False)
    second = exp.submit(pipeline, tags={"stage": "b"}, show_output=False)
    for run in (first, second):
        assert run.wait_for_completion(show_output=False) == st.FINISHED

    assert [r.id for r in exp.get_runs()] == [second.id, first.id]
    assert next(exp.get_runs()).id == second.id  # v1 code takes the newest with next()
    assert [r.id for r in exp.get_runs(tags="stage")] == [second.id, first.id]
    assert [r.id for r in exp.get_runs(tags="team")] == [first.id]
    assert [r.id for r in exp.get_runs(tags={"stage": "a"})] == [first.id]
    assert [r.id for r in exp.get_runs(tags={"stage": "a", "team": "y"})] == []
    assert len(exp.get_runs(type="azureml.PipelineRun")) == 2
    assert exp.get_runs(type="azureml.StepRun") == []  # steps are children

    everything = exp.get_runs(include_children=True)
    assert [type(r).__name__ for r in everything] == ["PipelineRun", "StepRun", "StepRun"] * 2
    steps = exp.get_runs(type="azureml.StepRun", include_children=True)
    assert [s.name for s in steps] == ["one", "two", "one", "two"]
    with pytest.raises(ValueError, match="tags filter 7 is not understood"):
        exp.get_runs(tags=7)  # type: ignore[arg-type]


def test_start_logging_records_a_run_to_log_to_and_complete(project: Project) -> None:
    exp = project.experiment("interactive")
    (project.root / "outputs").mkdir()
    (project.root / "outputs" / "model.txt").write_text("weights")
    run = exp.start_logging(display_name="notebook session", tags={"who": "me"})
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log_list("sizes", [1, 2])
    run.log_row("table", a=1, b="x")
    run.add_properties({"dataset": "iris"})
    run.upload_file("notes/readme.txt", b"hello")
    assert run.get_status() == st.RUNNING
    with pytest.raises(RuntimeError, match="is logged to from this process"):
        run.wait_for_completion()

    # Another reader (a new workspace object) sees what was logged while it runs.
    seen = Experiment(Workspace.at(project.root), "interactive").get_runs()[0]
    assert seen.id == run.id and seen.type == "interactive"
    assert seen.get_metrics() == {
        "loss": [0.5, 0.25],
        "sizes": [1, 2],
        "table": {"a": [1], "b": ["x"]},
    }
    run.complete()
    assert seen.get_status() == st.FINISHED
    assert seen.get_file_names() == ["notes/readme.txt", "outputs/model.txt"]
    assert seen.get_details()["logFiles"].keys() == {"watcher.log"}
    assert seen.get_details()["properties"]["dataset"] == "iris"
    assert seen.get_snapshot_id() is not None  # the current folder was snapshotted
    with pytest.raises(EngineError, match="already ended Finished"):
        run.log("late", 1)
    with pytest.raises(EngineError, match="already ended Finished; it cannot be Failed"):
        run.fail("too late")

    # It is one of v1's Runs: found by Run.get, with its files to download.
    found = Run.get(project.ws, run.id)
    assert type(found).__name__ == "InteractiveRun" and found.get_status() == st.FINISHED
    target = found.download_file("outputs/model.txt", str(project.root / "copy.txt"))
    assert Path(target).read_text() == "weights"

    assert [r.id for r in exp.get_runs(properties="dataset")] == [run.id]
    assert [r.id for r in exp.get_runs(properties={"dataset": "iris"})] == [run.id]
    assert exp.get_runs(properties={"dataset": "mnist"}) == []
    assert [r.id for r in exp.get_runs(type="interactive", tags={"who": "me"})] == [run.id]
    with pytest.raises(ValueError, match=r"property 'dataset' of run .* is already 'iris'"):
        run.add_properties({"dataset": "mnist"})


def test_an_interactive_run_fails_when_its_block_raises(project: Project) -> None:
    exp = project.experiment("interactive")
    with (
        pytest.raises(ZeroDivisionError),
        exp.start_logging(snapshot_directory=None, outputs=False) as run,
    ):
        run.log("before", 1)
        1 / 0  # noqa: B018
    assert run.get_status() == st.FAILED
    assert "ZeroDivisionError: division by zero" in run.get_details()["error"]
    with pytest.raises(RunFailedError, match="ended Failed"):
        run.wait_for_completion()
    with exp.start_logging(snapshot_directory=None) as ok:
        ok.log("fine", 1)
    assert ok.get_status() == st.FINISHED and ok.get_snapshot_id() is None


def test_canceling_an_interactive_run_stops_its_watcher_not_the_logging_process(
    project: Project,
) -> None:
    exp = project.experiment("interactive")
    run = exp.start_logging(snapshot_directory=None)
    watcher = project.ws.run_store.get_run(run.id).driver_pid
    assert watcher is not None and watcher != os.getpid() and alive(watcher)
    PipelineRun(exp, run.id).cancel()  # what the CLI and the sidebar's Cancel do
    wait_until(lambda: run.get_status() == st.CANCELED, what="the run canceled")
    wait_until(lambda: not alive(watcher), what="the watcher gone")
    with pytest.raises(EngineError, match="already ended Canceled"):
        run.log("after", 1)

    done = exp.start_logging(snapshot_directory=None)
    watcher = project.ws.run_store.get_run(done.id).driver_pid
    done.complete()
    wait_until(lambda: not alive(watcher), what="the watcher of a completed run gone")
    assert done.get_status() == st.FINISHED


def test_an_interactive_run_fails_when_its_process_exits_first(project: Project) -> None:
    project.script(
        "session.py",
        """\
        from jupyter_pipelines import Experiment, Workspace
        run = Experiment(Workspace.at("."), "sessions").start_logging(snapshot_directory=None)
        run.log("seen", 1)
        print(run.id)
        """,
    )
    proc = subprocess.run(
        [sys.executable, "session.py"], cwd=project.root, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    run = Experiment(project.ws, "sessions").get_runs()[0]
    assert run.id == proc.stdout.strip()
    wait_until(lambda: run.get_status() == st.FAILED, what="the orphaned run failed")
    assert "exited before completing it" in run.get_details()["error"]
    assert run.get_metrics() == {"seen": 1}


def test_delete_forgets_an_empty_experiment_and_refuses_one_with_runs(project: Project) -> None:
    empty = Experiment(project.ws, "empty")
    Experiment.delete(project.ws, empty.id)
    assert [e.name for e in Experiment.list(project.ws, view_type="All")] == []
    used = project.experiment("used")
    run = used.submit(quick_pipeline(project), show_output=False)
    run.wait_for_completion(show_output=False)
    with pytest.raises(EngineError, match=r"'used' has 1 run\(s\) and cannot be deleted"):
        Experiment.delete(project.ws, used.id)
    assert [r.id for r in used.get_runs()] == [run.id]
    with pytest.raises(EngineError, match="no experiment with id 'nope'"):
        Experiment.delete(project.ws, "nope")


def test_from_directory_reads_a_v1_project_file_or_names_it_after_the_folder(
    project: Project,
) -> None:
    sub = project.root / "analysis"
    (sub / "deep").mkdir(parents=True)
    exp = Experiment.from_directory(str(sub / "deep"))
    assert exp.name == "deep" and exp.workspace == project.ws
    scope = (
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices"
        "/workspaces/ws/projects/churn-model"
    )
    (sub / ".azureml").mkdir()
    (sub / ".azureml" / "project.json").write_text(json.dumps({"Id": "x", "Scope": scope}))
    assert Experiment.from_directory(str(sub / "deep"), auth=None).name == "churn-model"
    with pytest.raises(EngineError, match="is not a folder"):
        Experiment.from_directory(str(project.root / "missing"))


def test_links_point_at_local_places(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(project.root / "runtime"))
    exp = project.experiment("linked-one")
    assert exp.portal_url == Path(project.ws.dir).as_uri()
    assert exp.get_portal_url() == f"{exp.portal_url}#experiment=linked-one"
    assert Experiment.get_docs_url().startswith("https://")
    # A Jupyter server serving the workspace (as its runtime file says): the links are its.
    (project.root / "runtime").mkdir()
    server = {"pid": os.getpid(), "url": "http://127.0.0.1:8899/lab-base/", "token": "t"}
    server["root_dir"] = str(project.root)
    (project.root / "runtime" / "jpserver-1.json").write_text(json.dumps(server))
    assert exp.portal_url == "http://127.0.0.1:8899/lab-base/"
    assert exp.get_portal_url() == (
        "http://127.0.0.1:8899/lab-base/jupyter-pipelines/api/runs?experiment=linked-one"
    )
