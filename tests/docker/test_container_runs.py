"""Steps in containers of a real engine: data, metrics, ownership, reuse, GPU requests."""

from __future__ import annotations

import os
from typing import Any

import pytest

from jupyter_pipelines import (
    ComputeTarget,
    DockerCompute,
    NotebookStep,
    Pipeline,
    PipelineData,
    PythonScriptStep,
)
from jupyter_pipelines.stores import status as st
from tests.docker.conftest import PYTHON_IMAGE, TARGET, containers_of
from tests.integration.support import Project, steps_by_name

pytestmark = pytest.mark.docker

PREP = """\
    import argparse, os
    from jupyter_pipelines import Run

    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "data.txt"), "w") as fh:
        fh.write("1,2,3")
    Run.get_context().log("rows", 3)
    print("prep ran as", os.getuid(), "in", os.environ.get("HOSTNAME"))
"""

TRAIN = """\
    import os
    from jupyter_pipelines import Run
    rows = open(os.path.join(prepared, "data.txt")).read().split(",")
    os.makedirs(model, exist_ok=True)
    with open(os.path.join(model, "model.txt"), "w") as fh:
        fh.write(f"alpha={alpha} rows={len(rows)}")
    Run.get_context().log("alpha_seen", alpha)
    print("trained with alpha", alpha)
"""


def chain(project: Project) -> Pipeline:
    """prep (script) -> train (notebook), both on the docker target, passing data."""
    if not (project.root / "train.ipynb").exists():  # new cell ids would change the code
        project.script("prep.py", PREP)
        project.notebook("train.ipynb", 'alpha = 0.1\nprepared = ""\nmodel = ""\n', TRAIN)
    prepared = PipelineData("prepared")
    model = PipelineData("model")
    prep = PythonScriptStep(
        "prep.py",
        name="prep",
        arguments=["--out", prepared],
        outputs=[prepared],
        compute_target=TARGET,
        source_directory=".",
    )
    train = NotebookStep(
        "train.ipynb",
        name="train",
        parameters={"alpha": 0.5, "prepared": prepared, "model": model},
        inputs=[prepared.as_input()],
        outputs=[model],
        compute_target=TARGET,
    )
    return Pipeline(steps=[prep, train], name="chain")


def test_script_and_notebook_steps_exchange_data_in_containers(
    project: Project, engine: Any
) -> None:
    run = project.experiment("docker").submit(chain(project))
    assert run.wait_for_completion(show_output=False) == st.FINISHED
    steps = steps_by_name(run)
    for step in steps.values():
        assert step.status == st.FINISHED, step.error
    assert f"prep ran as {os.getuid()}" in steps["prep"].get_logs()["stdout"]
    # A container's hostname is its id: the step did not run on this machine.
    assert os.uname().nodename not in steps["prep"].get_logs()["stdout"]
    assert "trained with alpha 0.5" in steps["train"].get_logs()["stdout"]
    model_file = steps["train"].get_output_path("model") / "model.txt"
    assert model_file.read_text() == "alpha=0.5 rows=3"
    # Files written in the container belong to the host user, not root.
    assert model_file.stat().st_uid == os.getuid()
    assert model_file.stat().st_gid == os.getgid()
    # Run.get_context() worked inside: the metrics were recorded.
    assert steps["prep"].get_metrics()["rows"] == 3
    assert steps["train"].get_metrics()["alpha_seen"] == 0.5
    assert containers_of(engine, run.id) == []


def test_container_steps_are_reused_across_runs(project: Project, engine: Any) -> None:
    first = project.experiment("docker").submit(chain(project))
    assert first.wait_for_completion(show_output=False) == st.FINISHED
    second = project.experiment("docker").submit(chain(project))
    assert second.wait_for_completion(show_output=False) == st.FINISHED
    steps = steps_by_name(second)
    for step in steps.values():
        assert step.status == st.FINISHED, step.error
        assert step.is_reused, step.name
    assert containers_of(engine, second.id) == []


def test_a_gpu_request_without_gpu_support_fails_clearly(project: Project, engine: Any) -> None:
    # The target says it has a GPU (so the scheduler assigns device "0"); the engine has none.
    ComputeTarget.create(
        project.ws,
        "gpubox",
        DockerCompute.provisioning_configuration(image=PYTHON_IMAGE, gpus=["0"]),
    )
    project.script("noop.py", "print('never')\n")
    step = PythonScriptStep(
        "noop.py",
        name="wants_gpu",
        compute_target="gpubox",
        source_directory=".",
        resources={"gpu": 1},
    )
    run = project.experiment("docker").submit(Pipeline(steps=[step]))
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FAILED
    error = steps_by_name(run)["wants_gpu"].error or ""
    assert "'wants_gpu' asks for GPUs" in error
    assert "no GPU support" in error and "NVIDIA container toolkit" in error
    assert containers_of(engine, run.id) == []
