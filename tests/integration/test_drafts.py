"""Pipeline drafts (v1 PipelineDraft): create, get, list, update, clone, save, submit, delete."""

from __future__ import annotations

import pytest

from jupyter_pipelines import (
    Experiment,
    Pipeline,
    PipelineData,
    PipelineDraft,
    PipelineParameter,
    PipelineValidationError,
    PythonScriptStep,
    Workspace,
)
from jupyter_pipelines.errors import EngineError, ParameterError, UnknownPipelineDraftError
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

PRODUCE = """\
    import os, sys
    os.makedirs(sys.argv[1], exist_ok=True)
    with open(os.path.join(sys.argv[1], "words.txt"), "w") as fh:
        fh.write(sys.argv[2])
"""
CONSUME = """\
    import os, sys
    print("got", open(os.path.join(sys.argv[1], "words.txt")).read())
"""


def two_steps(project: Project, default: str = "hello") -> Pipeline:
    """produce (writes the ``greeting`` parameter into its output) -> consume (prints it)."""
    project.script("produce.py", PRODUCE)
    project.script("consume.py", CONSUME)
    words = PipelineData("words")
    greeting = PipelineParameter("greeting", default_value=default)
    PythonScriptStep("produce.py", name="produce", arguments=[words, greeting], outputs=[words])
    consume = PythonScriptStep("consume.py", name="consume", arguments=[words], inputs=[words])
    # Only the last step is listed: its producer is pulled in, as in v1.
    return Pipeline(project.ws, steps=[consume])


def printed(run: object) -> str:
    return steps_by_name(run)["consume"].get_logs()["stdout"]  # type: ignore[arg-type]


def test_a_draft_is_saved_found_and_submitted(project: Project) -> None:
    draft = PipelineDraft.create(
        project.ws,
        pipeline=two_steps(project),
        name="greeter",
        description="says hello",
        experiment_name="drafts",
        pipeline_parameters={"greeting": "bonjour"},
        continue_on_step_failure=True,
        tags={"dev": "true"},
        properties={"train": "value"},
    )
    assert draft.pipeline_file.is_file()
    found = PipelineDraft.get(project.ws, draft.id)
    assert (found.name, found.description, found.experiment_name) == (
        "greeter",
        "says hello",
        "drafts",
    )
    assert found.tags == {"dev": "true"} and found.properties == {"train": "value"}
    assert found.pipeline_parameters == {"greeting": "bonjour"}
    assert found.continue_on_step_failure is True
    assert found.last_submitted_pipeline_run_id is None
    assert set(found.get_graph().edges) == {("produce", "consume")}

    run = found.submit_run()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "got bonjour" in printed(run)
    assert found.last_submitted_pipeline_run_id == run.id
    assert PipelineDraft.get(project.ws, draft.id).last_submitted_pipeline_run_id == run.id
    listed = Experiment(project.ws, "drafts").get_runs()
    assert [r.id for r in listed] == [run.id]
    assert run.get_details()["options"]["continue_on_step_failure"] is True

    # Experiment.submit(draft) submits it to that experiment, as in v1.
    other = Experiment(project.ws, "elsewhere").submit(draft, tags={"via": "experiment"})
    assert other.wait_for_completion(show_output=False) == st.FINISHED
    assert other.experiment.name == "elsewhere" and other.get_tags() == {"via": "experiment"}
    assert PipelineDraft.get(project.ws, draft.id).last_submitted_pipeline_run_id == other.id


def test_update_changes_what_the_next_run_uses(project: Project) -> None:
    draft = PipelineDraft.create(
        project.ws, two_steps(project), name="greeter", experiment_name="drafts"
    )
    draft.update(
        name="renamed",
        description="now in Polish",
        tags={"lang": "pl"},
        pipeline_parameters={"greeting": "dzien dobry"},
        experiment_name="drafts-pl",
    )
    again = PipelineDraft.get(project.ws, draft.id)
    assert (again.name, again.description, again.tags) == (
        "renamed",
        "now in Polish",
        {"lang": "pl"},
    )
    run = again.submit_run()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "got dzien dobry" in printed(run) and run.experiment.name == "drafts-pl"

    # A new pipeline: the values it still declares are kept.
    draft.update(pipeline=two_steps(project, default="ciao"))
    assert PipelineDraft.get(project.ws, draft.id).pipeline_parameters == {
        "greeting": "dzien dobry"
    }
    draft.update(pipeline_parameters={})
    run = draft.submit_run()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "got ciao" in printed(run)


def test_bad_updates_change_nothing(project: Project) -> None:
    draft = PipelineDraft.create(
        project.ws, two_steps(project), name="greeter", experiment_name="drafts"
    )
    before = draft.pipeline_file.read_text()
    with pytest.raises(ParameterError, match="unknown pipeline parameter 'greting'"):
        draft.update(name="changed", pipeline_parameters={"greting": "typo"})
    broken = Pipeline(steps=[PythonScriptStep("missing.py", name="m", source_directory=".")])
    with pytest.raises(PipelineValidationError, match=r"missing\.py"):
        draft.update(pipeline=broken)
    with pytest.raises(EngineError, match="experiment name 'bad name' is invalid"):
        draft.update(experiment_name="bad name")
    with pytest.raises(EngineError, match="tags 'x': a value of type object cannot be saved"):
        draft.update(tags={"x": object()})
    again = PipelineDraft.get(project.ws, draft.id)
    assert again.name == "greeter" and again.pipeline_parameters == {}
    assert draft.pipeline_file.read_text() == before


def test_list_clone_save_and_delete(project: Project) -> None:
    pipeline = two_steps(project)
    first = PipelineDraft.create(
        project.ws, pipeline, name="a", experiment_name="drafts", tags={"team": "x"}
    )
    second = PipelineDraft.create(project.ws, pipeline, name="b", experiment_name="drafts")
    assert [d.id for d in PipelineDraft.list(project.ws)] == [first.id, second.id]
    assert [d.id for d in PipelineDraft.list(project.ws, tags={"team": "x"})] == [first.id]
    assert PipelineDraft.list(project.ws, tags={"team": "y"}) == []

    copy = first.clone()
    also = PipelineDraft.create(project.ws, first)  # v1's way to copy a draft
    for made in (copy, also):
        assert made.id != first.id and made.parent_pipeline_draft_id == first.id
        assert made.name == "a" and made.tags == {"team": "x"}
        assert made.get_pipeline().topological_order() == ["produce", "consume"]

    saved = first.save(str(project.root))
    assert saved == str(project.root / "a.pipeline.yaml")
    loaded = Pipeline.load(saved)
    assert loaded.topological_order() == ["produce", "consume"]
    run = Experiment(project.ws, "from-file").submit(loaded, show_output=False)
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "got hello" in printed(run)

    copy.delete()
    assert not copy.pipeline_file.exists()
    with pytest.raises(UnknownPipelineDraftError, match=f"no pipeline draft '{copy.id}'"):
        PipelineDraft.get(project.ws, copy.id)
    with pytest.raises(UnknownPipelineDraftError, match="does not exist"):
        copy.submit_run()
    assert len(PipelineDraft.list(project.ws)) == 3


def test_a_draft_survives_reopening_the_workspace(project: Project) -> None:
    draft = PipelineDraft.create(
        project.ws,
        two_steps(project),
        name="kept",
        experiment_name="drafts",
        pipeline_parameters={"greeting": "still here"},
    )
    reopened = Workspace.from_config(str(project.root))
    found = PipelineDraft.get(reopened, draft.id)
    assert found.name == "kept" and found.workspace == reopened
    run = found.submit_run()
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert "got still here" in printed(run)


def test_a_draft_of_a_run_takes_its_pipeline_and_values(project: Project) -> None:
    run = Experiment(project.ws, "source").submit(
        two_steps(project), pipeline_parameters={"greeting": "from a run"}, show_output=False
    )
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    draft = PipelineDraft.create(project.ws, run)
    assert draft.parent_pipeline_run_id == run.id
    assert sorted(draft.parent_step_run_ids) == sorted(s.id for s in run.get_steps())
    assert draft.experiment_name == "source"
    assert draft.pipeline_parameters == {"greeting": "from a run"}
    again = draft.submit_run()
    assert again.wait_for_completion(show_output=False) == st.FINISHED
    assert "got from a run" in printed(again)


def test_bad_input_gets_a_clear_error(project: Project) -> None:
    with pytest.raises(
        UnknownPipelineDraftError, match=r"no pipeline draft 'nope'.*PipelineDraft\.list"
    ):
        PipelineDraft.get(project.ws, "nope")
    pipeline = two_steps(project)
    with pytest.raises(EngineError, match="name is required"):
        PipelineDraft.create(project.ws, pipeline, experiment_name="drafts")
    with pytest.raises(EngineError, match="experiment_name is required"):
        PipelineDraft.create(project.ws, pipeline, name="x")
    with pytest.raises(EngineError, match="must be a Pipeline, a PipelineDraft or a PipelineRun"):
        PipelineDraft.create(project.ws, "not a pipeline", name="x", experiment_name="e")
    with pytest.raises(ParameterError, match="unknown pipeline parameter"):
        PipelineDraft.create(
            project.ws, pipeline, name="x", experiment_name="e", pipeline_parameters={"no": 1}
        )
    assert PipelineDraft.list(project.ws) == []
    assert not (project.ws.dir / "drafts").exists() or not any(
        (project.ws.dir / "drafts").iterdir()
    )
