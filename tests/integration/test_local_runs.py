"""Whole local runs: scripts, notebooks, commands, data, parameters, metrics and logs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from jupyter_pipelines import (
    CommandStep,
    NotebookStep,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    StepSequence,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

PREP = """\
    import argparse, os
    from jupyter_pipelines import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    run = Run.get_context()
    assert not run.offline
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "data.txt"), "w") as fh:
        fh.write(",".join(str(i) for i in range(args.rows)))
    run.log("rows", args.rows)
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log_list("sizes", [1, 2, 3])
    run.log_row("table", a=1, b="x")
    run.log_row("table", a=2, b="y")
    print("prep wrote", args.rows, "rows; mode", os.environ["AML_PARAMETER_mode"])
"""

TRAIN_BODY = [
    """\
    import os
    from jupyter_pipelines import Run
    rows = open(os.path.join(prepared, "data.txt")).read().split(",")
    os.makedirs(model, exist_ok=True)
    with open(os.path.join(model, "model.txt"), "w") as fh:
        fh.write(f"alpha={alpha} rows={len(rows)} epochs={epochs}")
    Run.get_context().log("alpha_seen", alpha)
    print("trained with alpha", alpha)
    """,
]


def chain(project: Project) -> tuple[Pipeline, bytes]:
    """prep (script) -> train (notebook) -> report (command), passing data along."""
    project.script("prep.py", PREP)
    nb = project.notebook(
        "nb/train.ipynb", 'alpha = 0.1\nepochs = 1\nprepared = ""\nmodel = ""\n', TRAIN_BODY
    )
    alpha = PipelineParameter("alpha", 0.1)
    rows = PipelineParameter("rows", 3)
    prepared = PipelineData("prepared")
    prep = PythonScriptStep(
        "prep.py",
        name="prep",
        arguments=["--out", prepared, "--rows", rows],
        params={"mode": "fast"},
        source_directory=".",
    )
    model = OutputFileDatasetConfig(name="model")
    train = NotebookStep(
        "nb/train.ipynb",
        name="train",
        parameters={"alpha": alpha, "epochs": 2},
        inputs=[prepared.as_input()],
        outputs=[model],
    )
    report = CommandStep(
        "cat ${{inputs.model}}/model.txt && echo && echo rows=${{parameters.rows}}",
        name="report",
        inputs=[model.as_input()],
    )
    return Pipeline(steps=[report, train, prep], name="chain"), nb.read_bytes()


def test_script_notebook_and_command_pass_data_and_parameters(project: Project) -> None:
    pipeline, nb_bytes = chain(project)
    run = project.experiment("chain").submit(
        pipeline, pipeline_parameters={"alpha": 0.5}, tags={"team": "it"}
    )
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert run.get_status() == st.FINISHED
    assert run.parameters == {"alpha": 0.5, "rows": 3}
    steps = steps_by_name(run)
    assert set(steps) == {"prep", "train", "report"}
    for step in steps.values():
        assert step.status == st.FINISHED, step.error
        assert step.exit_code == 0
        assert step.start_time is not None and step.end_time >= step.start_time
    # Data dependencies order the steps, whatever order they were listed in.
    assert steps["prep"].end_time <= steps["train"].start_time
    assert steps["train"].end_time <= steps["report"].start_time

    assert "prep wrote 3 rows; mode fast" in steps["prep"].get_logs()["stdout"]
    assert "trained with alpha 0.5" in steps["train"].get_logs()["stdout"]
    report_out = steps["report"].get_logs()["stdout"]
    assert "alpha=0.5 rows=3 epochs=2" in report_out
    assert "rows=3" in report_out.splitlines()[-1]
    model_file = steps["train"].get_output_path("model") / "model.txt"
    assert model_file.read_text() == "alpha=0.5 rows=3 epochs=2"

    # The executed notebook is kept, with the injected parameters; the source is untouched.
    executed = steps["train"].get_notebook_path()
    assert executed is not None and executed.exists()
    assert executed.resolve() != (project.root / "nb/train.ipynb").resolve()
    nb = nbformat.read(str(executed), as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "alpha = 0.5" in injected[0].source
    assert "epochs = 2" in injected[0].source
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "trained with alpha 0.5" in outputs
    assert (project.root / "nb/train.ipynb").read_bytes() == nb_bytes
    assert steps["prep"].get_notebook_path() is None

    # Metrics logged with Run.get_context() are in the store.
    assert steps["prep"].get_metrics() == {
        "rows": 3,
        "loss": [0.5, 0.25],
        "sizes": [1, 2, 3],
        "table": {"a": [1, 2], "b": ["x", "y"]},
    }
    assert steps["train"].get_metrics() == {"alpha_seen": 0.5}
    assert steps["report"].get_metrics() == {}

    details = run.get_details()
    assert details["status"] == st.FINISHED
    assert details["parameters"] == {"alpha": 0.5, "rows": 3}
    assert details["tags"] == {"team": "it"}
    assert details["steps"] == {"prep": st.FINISHED, "train": st.FINISHED, "report": st.FINISHED}
    assert details["startTimeUtc"] and details["endTimeUtc"]
    step_details = steps["train"].get_details()
    assert step_details["status"] == st.FINISHED
    assert step_details["dependsOn"] == ["prep"]
    assert step_details["exitCode"] == 0


def test_defaults_apply_without_overrides_and_strings_are_coerced(project: Project) -> None:
    project.script("show.py", "import sys; print('args', sys.argv[1:])\n")
    count = PipelineParameter("count", 2)
    flag = PipelineParameter("flag", False)
    name = PipelineParameter("who", "world")
    step = PythonScriptStep("show.py", name="show", arguments=[count, flag, name])
    exp = project.experiment()
    first = exp.submit(Pipeline(steps=[step]))
    second = exp.submit(
        Pipeline(steps=[step]), pipeline_parameters={"count": "7", "flag": "yes", "who": "you"}
    )
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    assert "args ['2', 'False', 'world']" in first.find_step_run("show")[0].get_logs()["stdout"]
    assert "args ['7', 'True', 'you']" in second.find_step_run("show")[0].get_logs()["stdout"]
    assert second.parameters == {"count": 7, "flag": True, "who": "you"}
    assert [r.id for r in exp.get_runs()] == [second.id, first.id]


def test_step_sequence_and_run_after_order_steps_without_data(project: Project) -> None:
    log = project.root / "order.log"
    stamp = "import sys, time; time.sleep(0.3); open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"
    project.script("stamp.py", stamp)
    steps = {
        n: PythonScriptStep("stamp.py", name=n, arguments=[str(log), n])
        for n in ("a", "b", "c", "d")
    }
    # a -> b -> c by StepSequence; d after c by run_after; listed in reverse.
    StepSequence([steps["a"], steps["b"], steps["c"]])
    steps["d"].run_after(steps["c"])
    run = project.experiment().submit(Pipeline(steps=[steps["d"], steps["c"]]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    assert log.read_text().split() == ["a", "b", "c", "d"]
    recorded = steps_by_name(run)
    assert set(recorded) == {"a", "b", "c", "d"}  # upstream steps are pulled in
    for before, after in (("a", "b"), ("b", "c"), ("c", "d")):
        assert recorded[before].end_time <= recorded[after].start_time


def test_find_step_run_tags_and_outputs(project: Project) -> None:
    project.script(
        "w.py",
        "import sys, pathlib; print(sys.argv[1]); pathlib.Path(sys.argv[1], 'f').write_text('x')\n",
    )
    out = PipelineData("result")
    step = PythonScriptStep("w.py", name="writer", arguments=[out])
    run = project.experiment().submit(Pipeline(steps=[step]), tags={"a": "1"})
    run.tag("b", "2")
    assert run.get_tags() == {"a": "1", "b": "2"}
    assert run.wait_for_completion(show_output=True) == st.FINISHED
    found = run.find_step_run("writer")
    assert len(found) == 1 and found[0].status == st.FINISHED
    assert run.find_step_run("nope") == []
    assert (found[0].get_output_path("result") / "f").read_text() == "x"
    # The path the step was given (and printed) is where its output stays.
    printed = Path(found[0].get_logs()["stdout"].strip())
    assert printed == found[0].get_output_path("result") and (printed / "f").read_text() == "x"
    assert not (found[0].step_dir / "outputs.partial").exists()
    run.tag("c")
    assert run.get_tags() == {"a": "1", "b": "2", "c": None}
    manifest = json.loads((found[0].step_dir / "manifest.json").read_text())
    assert manifest["step_name"] == "writer"
    assert manifest["run_id"] == run.id


def test_wait_for_completion_shows_progress_and_log_tail(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    step = CommandStep("echo hello-from-step", name="hello")
    run = project.experiment().submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=True) == st.FINISHED
    # v1 prints it: stdout, where a notebook cell or a script's output shows it.
    printed = capsys.readouterr()
    assert "hello: Finished" in printed.out
    assert "hello-from-step" in printed.out
    assert f"Run {run.id} Finished" in printed.out
    assert "hello: Finished" not in printed.err
