"""Unit-test fixtures: a tiny project on disk and the named graphs chain, diamond, fan_out_fan_in.

The graphs are real Pipelines over real script and notebook files, so validation and the
file format see what a user's pipeline would give them. Nothing here starts a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from jupyter_pipelines.model.data import OutputFileDatasetConfig, PipelineData
from jupyter_pipelines.model.parameters import PipelineParameter
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import CommandStep, NotebookStep, PythonScriptStep

SCRIPTS = ("prep.py", "train.py", "score.py", "merge.py", "shard.py")
NOTEBOOKS = ("train.ipynb", "features.ipynb")


def write_notebook(
    path: Path, parameters: str = "alpha = 0.1\n", body: str = "print(alpha)\n"
) -> Path:
    """Write a minimal valid notebook whose first cell is tagged ``parameters``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@dataclass
class Project:
    """A project folder holding step code under ``src/``."""

    root: Path
    src: Path

    def script(self, name: str, body: str = "print('ok')\n") -> Path:
        path = self.src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        return path

    def notebook(self, name: str, parameters: str = "alpha = 0.1\n") -> Path:
        return write_notebook(self.src / name, parameters)


def make_project(root: Path) -> Project:
    """Create ``root/src`` with the scripts and notebooks the graph fixtures use."""
    project = Project(root=root, src=root / "src")
    project.src.mkdir(parents=True)
    for name in SCRIPTS:
        project.script(name, f"print({name!r})\n")
    for name in NOTEBOOKS:
        project.notebook(name)
    return project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project, made the current directory (steps resolve paths against it)."""
    result = make_project(tmp_path / "project")
    monkeypatch.chdir(result.root)
    return result


@pytest.fixture
def chain(project: Project) -> Pipeline:
    """prep (script) -> train (notebook) -> report (command list)."""
    lr = PipelineParameter("learning_rate", 0.01, description="step size")
    prepared = PipelineData("prepared")
    prep = PythonScriptStep(
        "prep.py",
        name="prep",
        arguments=["--out", prepared],
        source_directory="src",
        compute_target="local",
        hash_paths=["prep.py"],
    )
    model = OutputFileDatasetConfig(name="model")
    executed = PipelineData("executed_notebook")
    train = NotebookStep(
        "src/train.ipynb",
        name="train",
        parameters={"learning_rate": lr, "epochs": 3},
        inputs=[prepared.as_input()],
        outputs=[model],
        output_notebook=executed,
        kernel_name="python3",
        timeout=600,
    )
    report = CommandStep(
        ["python", "score.py", "--model", model.as_input().as_download(), "--lr", lr],
        name="report",
        source_directory="src",
        allow_reuse=False,
        environment_variables={"MODE": "report"},
    )
    return Pipeline(steps=[prep, train, report], name="chain", description="prep, train, report")


@pytest.fixture
def diamond(project: Project) -> Pipeline:
    """split -> (left script, right notebook) -> merge (command string with placeholders)."""
    raw = PipelineData("raw")
    split = PythonScriptStep("prep.py", name="split", outputs=[raw], source_directory="src")
    features = PipelineData("features")
    left = PythonScriptStep(
        "train.py",
        name="left",
        arguments=["--in", raw.as_input(), "--out", features],
        source_directory="src",
        resources={"cpu": 2, "memory": "1Gi"},
    )
    unnamed = OutputFileDatasetConfig().as_upload()
    right = NotebookStep(
        "features.ipynb",
        source_directory="src",
        name="right",
        inputs=[raw],
        outputs=[unnamed],
        parameters={"mode": "fast"},
    )
    merge = CommandStep(
        "python merge.py ${{inputs.left}} ${{inputs.right}} ${{outputs.merged}}",
        name="merge",
        source_directory="src",
        inputs=[features.as_input("left"), unnamed.as_input("right")],
        outputs=[PipelineData("merged")],
    )
    return Pipeline(steps=[split, left, right, merge], name="diamond")


@pytest.fixture
def fan_out_fan_in(project: Project) -> Pipeline:
    """source -> shard_0, shard_1, shard_2 -> gather; steps given as a nested list."""
    seed = PipelineParameter("seed", 7)
    shards = PipelineData("shards")
    source = PythonScriptStep(
        "prep.py", name="source", arguments=["--out", shards], source_directory="src"
    )
    workers = [
        PythonScriptStep(
            "shard.py",
            name=f"shard_{i}",
            arguments=[
                "--index",
                i,
                "--seed",
                seed,
                "--in",
                shards.as_input(),
                "--out",
                PipelineData("result"),
            ],
            source_directory="src",
        )
        for i in range(3)
    ]
    gather = PythonScriptStep(
        "merge.py",
        name="gather",
        inputs=[w.outputs[0].as_input(f"result_{i}") for i, w in enumerate(workers)],
        params={"seed": seed},
        source_directory="src",
    )
    return Pipeline(steps=[source, workers, gather], name="fan_out_fan_in")
