"""Cell steps without a kernel: the %%step line, tags, problems, generated notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_pipelines import NotebookStep, Pipeline
from jupyter_pipelines.errors import ModelError
from jupyter_pipelines.model.notebook_cells import (
    CellStep,
    build_cell_pipeline,
    cell_from_source,
    cell_problems,
    parse_step_line,
    pipeline_name,
    step_notebook_text,
)


def test_step_line_gives_names_typed_params_and_flags() -> None:
    cell, run = parse_step_line(
        "train --inputs raw extra --outputs model --params lr=0.1 epochs=3 on=True "
        "label=abc quoted='x y' --compute cpu --no-reuse --run",
        "code",
    )
    assert run is True
    assert cell == CellStep(
        name="train",
        code="code",
        inputs=["raw", "extra"],
        outputs=["model"],
        params={"lr": 0.1, "epochs": 3, "on": True, "label": "abc", "quoted": "x y"},
        compute="cpu",
        allow_reuse=False,
    )
    assert parse_step_line("prep")[1] is False


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "needs a step name"),
        ("prep --bogus", "unrecognized arguments: --bogus"),
        ("prep --params rows", "param 'rows' must be written NAME=VALUE"),
        ("prep --params =3", "must be written NAME=VALUE"),
        ("prep --params rows=[1,2]", "param 'rows': value '[1,2]' must be a number"),
        ("prep --params class=1", "param name 'class' is not a valid Python variable name"),
        ("prep --outputs my-data", "output name 'my-data' is not a valid Python variable"),
        ("bad/name", "step name 'bad/name' is invalid"),
        ("prep --inputs raw --outputs raw", "'raw' is both an input and a output"),
        ("prep 'unclosed", "cannot parse"),
    ],
)
def test_bad_step_lines_name_the_problem(line: str, message: str) -> None:
    with pytest.raises(ModelError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_step_line(line)


def _cells(*lines: str) -> list[CellStep]:
    return [parse_step_line(line, "pass")[0] for line in lines]


def test_problems_name_orphan_inputs_cycles_shared_outputs_and_param_clashes() -> None:
    assert cell_problems(_cells("a --outputs x", "b --inputs x")) == []
    assert cell_problems(_cells("a --outputs x", "b --inputs y")) == [
        "step 'b': input 'y' is not an output of any step"
    ]
    cycle = cell_problems(_cells("a --inputs y --outputs x", "b --inputs x --outputs y"))
    assert len(cycle) == 1 and cycle[0].startswith("steps form a cycle: ")
    assert "a" in cycle[0] and "b" in cycle[0]
    assert cell_problems(_cells("a --outputs x", "b --outputs x")) == [
        "output 'x' is produced by both 'a' and 'b'"
    ]
    clash = cell_problems(_cells("a --params n=1", "b --params n=2", "c --params n=1.0"))
    assert len(clash) == 2 and "param 'n' has default 1 in step 'a' but 2 in step 'b'" in clash[0]


def test_building_refuses_a_cycle_and_names_it(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="steps form a cycle"):
        build_cell_pipeline(
            _cells("a --inputs y --outputs x", "b --inputs x --outputs y"), tmp_path, "p"
        )
    assert not list(tmp_path.iterdir())  # nothing written
    with pytest.raises(ModelError, match="no steps yet"):
        build_cell_pipeline([], tmp_path, "p")


def test_each_cell_gets_its_own_folder_and_unchanged_cells_keep_their_bytes(
    tmp_path: Path,
) -> None:
    cells = _cells("prep --outputs raw --params rows=3", "train --inputs raw --outputs model")
    pipeline = build_cell_pipeline(cells, tmp_path, "demo")
    assert pipeline.name == "demo"
    assert sorted(pipeline.graph.edges) == [("prep", "train")]
    assert pipeline.parameters["rows"].default_value == 3
    prep, train = pipeline.steps
    assert isinstance(prep, NotebookStep) and prep.source_path == tmp_path / "prep"
    assert train.source_path == tmp_path / "train"
    assert [b.name for b in train.inputs] == ["raw"]
    first = (tmp_path / "train" / "step.ipynb").stat().st_mtime_ns
    text = (tmp_path / "prep" / "step.ipynb").read_bytes()
    build_cell_pipeline(cells, tmp_path, "demo")
    assert (tmp_path / "train" / "step.ipynb").stat().st_mtime_ns == first  # not rewritten
    cells[0].code = "changed = True"
    build_cell_pipeline(cells, tmp_path, "demo")
    assert (tmp_path / "prep" / "step.ipynb").read_bytes() != text


def test_generated_notebook_has_a_parameters_cell_then_the_code() -> None:
    cell = parse_step_line("train --inputs raw --outputs model --params lr=0.5", "fit()")[0]
    nb = nbformat.reads(step_notebook_text(cell), as_version=4)
    nbformat.validate(nb)
    params, code = nb.cells
    assert params.metadata.tags == ["parameters"]
    assert "lr = 0.5" in params.source and "raw = None" in params.source
    assert "model = None" in params.source
    assert code.source == "fit()"
    assert step_notebook_text(cell) == step_notebook_text(cell)


def test_tags_declare_steps_and_a_step_line_wins() -> None:
    cell = cell_from_source(
        "work()",
        ["step:fit", "inputs:a", "inputs:b", "outputs:c", "params:k=2", "params:s=x", "no-reuse"],
    )
    assert cell == CellStep(
        "fit", "work()", ["a", "b"], ["c"], {"k": 2, "s": "x"}, None, allow_reuse=False
    )
    assert cell_from_source("work()", ["parameters"]) is None
    magic = cell_from_source("%%step fit --outputs c\nwork()", ["step:fit", "inputs:zzz"])
    assert magic is not None and magic.inputs == [] and magic.code == "work()"
    with pytest.raises(ModelError, match="tagged 'step:one' declares '%%step two'"):
        cell_from_source("%%step two\nwork()", ["step:one"])
    with pytest.raises(ModelError, match="input name '1a'"):
        cell_from_source("work()", ["step:fit", "inputs:1a"])


def _write(path: Path, cells: list[tuple[str, list[str]]]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s, metadata={"tags": t}) for s, t in cells]
    nb.cells.append(nbformat.v4.new_markdown_cell("%%step not_code"))
    nbformat.write(nb, str(path))
    return path


def test_from_notebook_builds_the_pipeline_of_tagged_cells(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "My Analysis.v2.ipynb",
        [
            ("import os", []),
            ("load()", ["step:load", "outputs:raw"]),
            ("%%step clean --inputs raw --outputs tidy\nclean()", []),
            ("report()", ["step:report", "inputs:tidy", "inputs:raw"]),
        ],
    )
    pipeline = Pipeline.from_notebook(path)
    assert pipeline.name == "My_Analysis"
    assert [s.name for s in pipeline.steps] == ["load", "clean", "report"]
    assert sorted(pipeline.graph.edges) == [
        ("clean", "report"),
        ("load", "clean"),
        ("load", "report"),
    ]
    assert pipeline.validate() == []
    folder = tmp_path / ".pipeline_cells" / "My_Analysis"
    assert sorted(p.name for p in folder.iterdir()) == ["clean", "load", "report"]
    saved = tmp_path / "a.pipeline.yaml"
    pipeline.save(saved)
    assert sorted(Pipeline.load(saved).graph.edges) == sorted(pipeline.graph.edges)


def test_from_notebook_names_the_cell_and_the_problem(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.ipynb", [("x", ["step:a"]), ("%%step b --nope\nx", [])])
    with pytest.raises(ModelError, match=r"bad.ipynb, cell 2: %%step: unrecognized.*--nope"):
        Pipeline.from_notebook(bad)
    empty = _write(tmp_path / "empty.ipynb", [("x", [])])
    with pytest.raises(ModelError, match="has no step cells"):
        Pipeline.from_notebook(empty)
    with pytest.raises(ModelError, match="cannot read notebook"):
        Pipeline.from_notebook(tmp_path / "missing.ipynb")


def test_pipeline_names_come_from_file_names() -> None:
    assert pipeline_name("/x/train model.ipynb") == "train_model"
    assert pipeline_name("---.ipynb") == "notebook"
