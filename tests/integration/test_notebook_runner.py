"""v1's NotebookRunnerStep run for real: its executed-notebook output and the kernel fallback."""

from __future__ import annotations

import nbformat
import pytest

from jupyter_pipelines import (
    AzureMLNotebookHandler,
    CommandStep,
    NotebookRunConfig,
    NotebookRunnerStep,
    Pipeline,
    PipelineData,
)
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.integration

V1_KERNEL = "python38-azureml"


def v1_notebook(project: Project, name: str) -> None:
    """A notebook as v1's compute instances save them: its kernel is not installed here."""
    path = project.notebook(
        name,
        'alpha = 0.1\nmodel = ""\n',
        [
            """\
            import os, sys
            os.makedirs(model, exist_ok=True)
            open(os.path.join(model, "alpha.txt"), "w").write(str(alpha))
            print("ran on", sys.executable, "alpha", alpha)
            """
        ],
    )
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["kernelspec"] = {
        "name": V1_KERNEL,
        "display_name": "Python 3.8 - AzureML",
        "language": "python",
    }
    nbformat.write(nb, str(path))


def test_a_v1_notebook_runs_and_its_executed_copy_feeds_the_next_step(project: Project) -> None:
    v1_notebook(project, "nbs/train.ipynb")
    model = PipelineData("model")
    config = NotebookRunConfig(
        "nbs", "train.ipynb", None, {"alpha": 0.1}, AzureMLNotebookHandler(timeout=120)
    )
    # v1's positional order: name, notebook_run_config, runconfig_pipeline_params,
    # compute_target, params, inputs, outputs, allow_reuse, version, output notebook name.
    train = NotebookRunnerStep(
        "train", config, None, "local", {"alpha": 0.5}, None, [model], True, "1", "executed"
    )
    executed = train.output_notebook
    assert executed is not None and executed.name == "executed"
    listing = CommandStep(
        "ls ${{inputs.executed}} && grep -q 'alpha 0.5' ${{inputs.executed}}/train.output.ipynb"
        " && echo has-output",
        "listing",
        inputs=[executed.as_input()],
    )
    run = project.experiment("v1nb").submit(Pipeline(project.ws, [listing, train]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED, run.get_details()
    steps = steps_by_name(run)

    logs = steps["train"].get_logs()
    notes = [line for line in logs["stderr"].splitlines() if V1_KERNEL in line]
    assert notes == [
        f"jupyter_pipelines: kernel {V1_KERNEL!r} (named by the notebook's kernelspec) is not "
        "installed; the notebook runs on the step's Python kernel 'python3'"
    ]
    assert "alpha 0.5" in logs["stdout"]
    assert (steps["train"].get_output_path("model") / "alpha.txt").read_text() == "0.5"

    folder = steps["train"].get_output_path("executed")
    assert sorted(p.name for p in folder.iterdir()) == ["train.output.ipynb"]
    nb = nbformat.read(str(folder / "train.output.ipynb"), as_version=4)
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "alpha 0.5" in outputs
    assert steps["listing"].get_logs()["stdout"].split() == ["train.output.ipynb", "has-output"]


def test_a_kernel_the_step_names_falls_back_too_and_a_known_one_says_nothing(
    project: Project,
) -> None:
    v1_notebook(project, "a.ipynb")
    missing = NotebookRunnerStep(
        "missing",
        NotebookRunConfig(
            ".", "a.ipynb", handler=AzureMLNotebookHandler(kernel_name="nope-kernel")
        ),
        outputs=[PipelineData("model")],
    )
    known = NotebookRunnerStep(
        "known",
        NotebookRunConfig(".", "a.ipynb", handler=AzureMLNotebookHandler(kernel_name="python3")),
        outputs=[PipelineData("model")],
    )
    run = project.experiment("kernels").submit(Pipeline(project.ws, [missing, known]))
    assert run.wait_for_completion(show_output=False) == st.FINISHED, run.get_details()
    steps = steps_by_name(run)
    assert (
        "kernel 'nope-kernel' (named by the step) is not installed"
        in (steps["missing"].get_logs()["stderr"])
    )
    assert "is not installed" not in steps["known"].get_logs()["stderr"]
