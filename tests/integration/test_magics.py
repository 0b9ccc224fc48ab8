"""The notebook magics and tagged cells, run for real: papermill kernels, run drivers, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from jupyter_pipelines import Pipeline
from tests.integration.support import Project, steps_by_name

PREP = """\
%%step prep --outputs raw --params rows=3
import os
with open(os.path.join(raw, "data.txt"), "w") as f:
    f.write("x\\n" * rows)
"""
TRAIN = """\
%%step train --inputs raw --outputs model
import os
n = len(open(os.path.join(raw, "data.txt")).read().split())
with open(os.path.join(model, "model.txt"), "w") as f:
    f.write(str(n * {factor}))
"""
REPORT = """\
%%step report --inputs model
import os
print("model says", open(os.path.join(model, "model.txt")).read())
"""
SIDE = """\
%%step side --outputs other
open(other + "/side.txt", "w").write("side")
"""
RUN_AND_WAIT = "%pipeline run\n%pipeline wait\nruns.append(_pipeline_run.id)\n"


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        parts += [str(v) for v in out.get("data", {}).values()]
    return "".join(parts)


def test_magic_notebook_builds_the_dag_runs_it_and_reuses_unchanged_cells(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = project.root / "analysis.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", str(source))
    cells = [
        "%load_ext jupyter_pipelines\nruns = []",
        PREP,
        TRAIN.format(factor=1),
        REPORT,
        SIDE,
        "%pipeline validate\n%pipeline show",
        RUN_AND_WAIT,
        RUN_AND_WAIT,
        TRAIN.format(factor=10),
        RUN_AND_WAIT,
        "%pipeline save saved.pipeline.yaml\n%pipeline status",
        "%%step report --inputs model --run\n"
        "print('iterating on', model, open(model + '/model.txt').read())",
        "import json; json.dump(runs, open('runs.json', 'w'))",
    ]
    _notebook(source, cells)
    executed = project.root / "executed.ipynb"
    papermill.execute_notebook(
        str(source), str(executed), cwd=str(project.root), kernel_name="python3", progress_bar=False
    )
    out = nbformat.read(str(executed), as_version=4).cells

    # The DAG: registered cells, connected by their data names.
    assert "step 'train' registered" in _text(out[2])
    assert "inputs:  raw" in _text(out[2]) and "outputs: model" in _text(out[2])
    assert "pipeline 'analysis' is valid (4 steps)" in _text(out[5])
    svg = _text(out[5])
    assert svg.count('class="node"') == 4 and svg.count('class="edge"') == 2
    saved = Pipeline.load(project.root / "saved.pipeline.yaml")
    assert sorted(saved.graph.edges) == [("prep", "train"), ("train", "report")]
    assert saved.parameters["rows"].default_value == 3

    first, second, third = (project.experiment("analysis").get_runs()[::-1][i] for i in range(3))
    assert [first.id, second.id, third.id] == json.loads((project.root / "runs.json").read_text())
    one, two, three = (steps_by_name(r) for r in (first, second, third))
    assert all(s.status == "Finished" and not s.is_reused for s in one.values())
    # Second run: nothing changed, every cell reused from the first.
    assert {n: s.reused_from for n, s in two.items()} == {n: s.id for n, s in one.items()}
    # Third run: 'train' changed: it and its downstream 'report' rerun, the rest is reused.
    assert three["prep"].reused_from == one["prep"].id
    assert three["side"].reused_from == one["side"].id
    assert not three["train"].is_reused and not three["report"].is_reused
    assert "model says 30" in three["report"].get_logs()["stdout"]
    assert "model says 3" in one["report"].get_logs()["stdout"]

    status = _text(out[10])
    assert f"run {third.id}" in status and f"reused from {one['prep'].id}" in status
    # --run binds the input to the latest run's output, in the kernel itself.
    iterate = _text(out[11])
    assert f"iterating on {three['train'].get_output_path('model')} 30" in iterate


def _tagged_notebook(path: Path, extra: list[tuple[str, list[str]]] = ()) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [
        ("raise RuntimeError('untagged cells are not steps')", []),
        (
            "open(numbers + '/n.txt', 'w').write(' '.join(map(str, range(n))))",
            ["step:make", "outputs:numbers", "params:n=4"],
        ),
        (
            "%%step double --inputs numbers --outputs doubled\n"
            "values = [2 * int(v) for v in open(numbers + '/n.txt').read().split()]\n"
            "open(doubled + '/d.txt', 'w').write(str(sum(values)))",
            [],
        ),
        ("print('total', open(doubled + '/d.txt').read())", ["step:total", "inputs:doubled"]),
        *extra,
    ]
    nb.cells = [nbformat.v4.new_code_cell(src, metadata={"tags": tags}) for src, tags in cells]
    nbformat.write(nb, str(path))
    return path


def test_cli_runs_a_notebooks_tagged_cells_as_a_pipeline(project: Project) -> None:
    path = _tagged_notebook(project.root / "numbers.ipynb")
    pipeline = Pipeline.from_notebook(path)
    assert sorted(pipeline.graph.edges) == [("double", "total"), ("make", "double")]

    doc = project.cli_json("run", "numbers.ipynb", "--cells", "-p", "n=5")
    assert doc["status"] == "Finished", doc
    run = project.runs()[0]
    assert run.experiment.name == "numbers"
    steps = steps_by_name(run)
    assert sorted(steps) == ["double", "make", "total"]
    assert "total 20" in steps["total"].get_logs()["stdout"]  # 2 * (0+1+2+3+4)
    # The cells' notebooks live next to the notebook, one folder per cell.
    cells = project.root / ".pipeline_cells" / "numbers"
    assert sorted(p.name for p in cells.iterdir()) == ["double", "make", "total"]


def test_cli_cells_reports_bad_notebooks_without_running(project: Project) -> None:
    path = _tagged_notebook(
        project.root / "loop.ipynb",
        extra=[("pass", ["step:back", "inputs:doubled", "outputs:numbers"])],
    )
    proc = project.cli("run", path.name, "--cells", check=2)
    assert "output 'numbers' is produced by both 'make' and 'back'" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = project.cli("run", "loop.ipynb", check=2)  # without --cells: not a pipeline file
    project.assert_nothing_recorded()
