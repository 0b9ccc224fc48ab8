"""Elyra ``.pipeline`` files run as they are: notebook and script nodes, links, env vars."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jupyter_pipelines import Pipeline
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "elyra"


@pytest.fixture
def elyra(project: Project) -> Path:
    """A copy of the Elyra fixtures inside the project."""
    target = project.root / "elyra"
    shutil.copytree(FIXTURES, target)
    return target


def notebook_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.ipynb")}


def check_three_nodes(run_steps: dict[str, object]) -> None:
    steps = run_steps
    assert set(steps) == {"Load data", "Train model", "Write report"}
    load, train, report = steps["Load data"], steps["Train model"], steps["Write report"]
    for step in (load, train, report):
        assert step.status == st.FINISHED, step.error
    # Links order the nodes: both others wait for "Load data".
    assert load.end_time <= train.start_time
    assert load.end_time <= report.start_time
    # Pipeline defaults and node env vars reach the steps (the node's value wins).
    assert "loading from data" in load.get_logs()["stdout"]
    assert "training for 3 epochs" in train.get_logs()["stdout"]
    assert "report format: md" in report.get_logs()["stdout"]
    assert load.get_notebook_path() is not None and train.get_notebook_path() is not None
    assert report.get_notebook_path() is None


def test_elyra_pipeline_runs_with_the_sdk(project: Project, elyra: Path) -> None:
    before = notebook_bytes(elyra)
    pipeline = Pipeline.load(elyra / "three_nodes.pipeline", workspace=project.ws)
    assert pipeline.name == "train-and-report"
    run = project.experiment("elyra").submit(pipeline)
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    check_three_nodes(steps_by_name(run))
    assert notebook_bytes(elyra) == before  # the source notebooks are never modified


def test_elyra_pipeline_runs_with_the_cli(project: Project, elyra: Path) -> None:
    # "Train model" asks for a GPU: on a machine without one, a warning says it runs without.
    checked = project.cli("validate", "elyra/three_nodes.pipeline", check=0).stdout
    assert "elyra/three_nodes.pipeline: valid (3 steps" in checked
    doc = project.cli_json("run", "elyra/three_nodes.pipeline")
    assert doc["status"] == st.FINISHED
    assert doc["experiment"] == "train-and-report"
    (run,) = project.runs()
    check_three_nodes(steps_by_name(run))


def test_broken_elyra_file_records_nothing(project: Project, elyra: Path) -> None:
    path = elyra / "three_nodes.pipeline"
    path.write_text(path.read_text().replace('"report.py"', '"reprot.py"'))
    proc = project.cli("run", "elyra/three_nodes.pipeline", check=2)
    assert "file 'reprot.py' not found" in proc.stderr
    (elyra / "cut.pipeline").write_text(path.read_text()[:200])
    proc = project.cli("run", "elyra/cut.pipeline", check=2)
    assert "is not valid JSON" in proc.stderr
    project.assert_nothing_recorded()


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "elyra"


def test_declared_outputs_reach_later_nodes_without_touching_the_sources(
    project: Project,
) -> None:
    folder = project.root / "numbers"
    shutil.copytree(EXAMPLE, folder)
    before = {p.name for p in folder.iterdir()}
    pipeline = Pipeline.load(folder / "numbers.pipeline")
    run = project.experiment("numbers").submit(pipeline, show_output=False)
    run.wait_for_completion(show_output=False)
    steps = steps_by_name(run)
    assert steps["summarize"].status == st.FINISHED, steps["summarize"].error
    # produce.ipynb wrote numbers.csv into its own working folder; Elyra's rule copied it
    # into an output, and from there into summarize's working folder.
    produced = steps["produce"].get_output_path("elyra_outputs") / "numbers.csv"
    assert produced.is_file()
    assert "12 numbers" in steps["summarize"].get_logs()["stdout"]
    assert {p.name for p in folder.iterdir()} == before  # nothing written next to the sources
    again = project.experiment("numbers").submit(
        Pipeline.load(folder / "numbers.pipeline"), show_output=False
    )
    again.wait_for_completion(show_output=False)
    assert all(s.is_reused for s in again.get_steps())
