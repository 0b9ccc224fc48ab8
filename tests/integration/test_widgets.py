"""The run widget against real runs: live statuses, the DAG, reuse, logs, metrics, papermill."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import papermill
import pytest

from jupyter_pipelines import Pipeline, PipelineData, PythonScriptStep
from jupyter_pipelines.stores import status as st
from jupyter_pipelines.widgets import RunDetails
from jupyter_pipelines.widgets.render import COLOURS, css_class
from tests.integration.support import Project, wait_until

pytestmark = pytest.mark.integration

#: Prints a line, waits (at most 30 s) for the file argv[1], prints another, logs metrics.
GATED = """\
    import pathlib, sys, time
    from jupyter_pipelines import Run
    print("waiting for the gate", flush=True)
    gate = pathlib.Path(sys.argv[1])
    deadline = time.time() + 30
    while not gate.exists():
        if time.time() > deadline:
            sys.exit("the gate never opened")
        time.sleep(0.05)
    print("through the gate", flush=True)
    run = Run.get_context()
    run.log("accuracy", 0.875)
    run.log_list("loss", [1.0, 0.5, 0.25])
"""

#: Writes its output folder's file; its only argument is the output.
PRODUCE = """\
    import os, sys
    os.makedirs(sys.argv[1], exist_ok=True)
    open(os.path.join(sys.argv[1], "x.txt"), "w").write("x")
    print("produced")
"""


def gated_pipeline(project: Project, gate: Path) -> Pipeline:
    """produce -> gated: ``gated`` runs until ``gate`` exists."""
    project.script("produce.py", PRODUCE)
    project.script("gated.py", GATED)
    data = PipelineData("data")
    produce = PythonScriptStep("produce.py", name="produce", arguments=[data])
    gated = PythonScriptStep(
        "gated.py", name="gated", arguments=[str(gate)], inputs=[data.as_input()], allow_reuse=False
    )
    return Pipeline(steps=[produce, gated], name="gates")


def step_state(html: str, step: str) -> str:
    """The ``data-status`` of step ``step`` in the DAG SVG."""
    marker = f'data-step="{step}" data-status="'
    assert marker in html, f"step {step} not in the DAG"
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_the_widget_follows_a_live_run(project: Project) -> None:
    gate = project.root / "gate"
    run = project.experiment().submit(gated_pipeline(project, gate), show_output=False)
    view = RunDetails(run, poll_seconds=0.1)
    view.start()
    assert view.following

    # The gated step runs: the DAG, the table and the log panel say so.
    wait_until(
        lambda: step_state(view.dag.value, "gated") == st.RUNNING, what="gated shown Running"
    )
    assert step_state(view.dag.value, "produce") == st.FINISHED
    assert f'class="jp-run-step {css_class(st.RUNNING)}"' in view.dag.value
    assert COLOURS[st.RUNNING] in view.dag.value
    assert 'data-step="gated"' in view.table.value
    assert view.selected_step == "gated"  # the panel follows the running step
    wait_until(lambda: "waiting for the gate" in view.log.value, what="the first log line")
    assert "through the gate" not in view.log_text
    assert view.snapshot.status == st.RUNNING

    gate.touch()
    # New lines of the selected step arrive, then everything ends Finished and polling stops.
    wait_until(lambda: "through the gate" in view.log.value, what="the new log line")
    view.wait(timeout=30)
    assert not view.following
    assert view.snapshot.status == st.FINISHED
    assert step_state(view.dag.value, "gated") == st.FINISHED
    assert view.log_text.count("waiting for the gate") == 1  # appended, not re-read
    assert f"jp-run-row {css_class(st.FINISHED)}" in view.table.value
    assert "Finished" in view.header.value

    # Metrics: the scalar in the table, the list as a chart.
    assert 'data-metric="accuracy"' in view.metrics.value and "0.875" in view.metrics.value
    assert 'class="jp-run-chart" data-metric="gated.loss"' in view.metrics.value

    # Picking another step shows its log instead.
    view.select_step("produce")
    assert "produced" in view.log.value and "gate" not in view.log_text

    # The display bundle: the widget view and a static HTML render of the final state.
    bundle = view.mimebundle()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    assert step_state(bundle["text/html"], "gated") == st.FINISHED


def test_reused_steps_show_where_they_come_from(project: Project) -> None:
    gate = project.root / "gate"
    gate.touch()
    pipeline = gated_pipeline(project, gate)
    first = project.experiment().submit(pipeline, show_output=False)
    first.wait_for_completion(show_output=False)
    second = project.experiment().submit(pipeline, show_output=False)
    second.wait_for_completion(show_output=False)

    view = RunDetails(second)  # a finished run: the first read is the final state
    source = first.get_step_run("produce").id
    assert step_state(view.dag.value, "produce") == "Reused"
    assert COLOURS["Reused"] in view.dag.value
    assert step_state(view.dag.value, "gated") == st.FINISHED  # allow_reuse=False: it ran
    row = view.table.value.split('data-step="produce"', 1)[1].split("</tr>", 1)[0]
    assert source in row
    assert "Reused from" in view.table.value
    # The reused step's log and metrics are those of the run it reuses.
    view.select_step("produce")
    assert "produced" in view.log_text
    view.show()  # outside IPython: prints, and starts no thread for a finished run
    assert not view.following


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]
    nbformat.write(nb, str(path))
    return path


def test_a_papermill_notebook_keeps_the_final_widget_state(project: Project) -> None:
    gate = project.root / "gate"
    gated_pipeline(project, gate)
    repo = str(Path(__file__).resolve().parents[2])
    nb = _notebook(
        project.root / "watch.ipynb",
        [
            f"""\
            import sys
            sys.path.insert(0, {repo!r})
            from IPython.display import display
            from jupyter_pipelines import Experiment, Pipeline, PipelineData, PythonScriptStep
            from jupyter_pipelines import Workspace
            data = PipelineData("data")
            pipeline = Pipeline(steps=[
                PythonScriptStep("produce.py", name="produce", arguments=[data]),
                PythonScriptStep("gated.py", name="gated", arguments=[{str(gate)!r}],
                                 inputs=[data.as_input()], allow_reuse=False),
            ], name="gates")
            run = Experiment(Workspace.at({str(project.root)!r}), "nb").submit(
                pipeline, show_output=False)
            """,
            "display(run)",
            f"open({str(gate)!r}, 'w').close()\nrun.wait_for_completion(show_output=False)",
        ],
    )
    out = project.root / "watched.ipynb"
    papermill.execute_notebook(
        str(nb), str(out), kernel_name="python3", cwd=str(project.root), progress_bar=False
    )
    executed = json.loads(out.read_text())
    outputs = executed["cells"][1]["outputs"]
    assert len(outputs) == 1, outputs
    data = outputs[0]["data"]
    view = data["application/vnd.jupyter.widget-view+json"]
    html = "".join(data["text/html"])
    # The snapshot was replaced by the final state when the run ended (in the later cell).
    assert step_state(html, "produce") == st.FINISHED
    assert step_state(html, "gated") == st.FINISHED
    assert "jp-run-finished" in html.split('class="jp-run-header', 1)[1][:40]
    # The widget state is saved with the notebook, with the final values.
    state = executed["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert view["model_id"] in state
    dag_values = [
        m["state"].get("value", "")
        for m in state.values()
        if 'class="jp-run-dag"' in str(m["state"].get("value", ""))
    ]
    assert dag_values and step_state(dag_values[0], "gated") == st.FINISHED
