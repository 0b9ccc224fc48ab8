"""Outputs read as tables by later steps (columns kept or dropped, random splits), delivered
through ``as_upload(source_globs=...)`` and registered with their transformations."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_pipelines import Dataset, OutputFileDatasetConfig, Pipeline, PythonScriptStep
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

WRITE = """\
    import os, sys
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "rows.csv"), "w") as f:
        f.write("n,square,note\\n" + "".join(f"{n},{n * n},x\\n" for n in range(20)))
    with open(os.path.join(out, "log.txt"), "w") as f:
        f.write("not a table")
    """

READ = """\
    from jupyter_pipelines import Run
    for name, table in sorted(Run.get_context().input_datasets.items()):
        rows = table.to_records()
        print(name, len(rows), sorted(rows[0]) if rows else [])
    """


def run_ok(project: Project, pipeline: Pipeline) -> Any:
    run = project.experiment("outputs").submit(pipeline)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def test_tabular_outputs_with_columns_splits_globs_and_registration(project: Project) -> None:
    store = project.ws.get_default_datastore()
    project.script("src/write.py", WRITE)
    project.script("src/read.py", READ)
    out = OutputFileDatasetConfig("rows", destination=(store, "rows/{run-id}"))
    out.as_upload(source_globs=["*.csv"])
    table = (
        out.read_delimited_files(path_glob="*.csv")
        .drop_columns("note")
        .register_on_complete("squares")
    )
    write = PythonScriptStep("write.py", name="write", source_directory="src", arguments=[out])
    train, test = table.random_split(0.5, seed=11)
    # one step per half: a step keeps one binding per output (model/steps.py)
    readers = [
        PythonScriptStep("read.py", name=name, source_directory="src", inputs=[binding])
        for name, binding in (("whole", table.as_input("whole")), ("train", train), ("test", test))
    ]
    run = run_ok(project, Pipeline(steps=[write, *readers]))
    found = {r.name: run.get_step_run(r.name).get_logs()["stdout"].strip() for r in readers}
    assert found["whole"] == "whole 20 ['n', 'square']"
    assert found["train"].startswith("rows_1 ") and found["test"].startswith("rows_2 ")
    n_train, n_test = int(found["train"].split()[1]), int(found["test"].split()[1])
    assert n_train + n_test == 20 and 0 < n_train < 20
    delivered = [p for p in store.glob("rows/**")]
    assert delivered and all(p.endswith("rows.csv") for p in delivered)  # log.txt left out
    squares = Dataset.get_by_name(project.ws, "squares")
    assert squares.columns == ["n", "square"] and len(squares.to_records()) == 20
