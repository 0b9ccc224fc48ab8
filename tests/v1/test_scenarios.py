"""Real v1 code, run unchanged but for its imports: Microsoft's how-to and sample notebooks.

Each scenario under ``tests/v1/scenarios/`` is a v1 script ported from the seed how-to, a v1
how-to article or a sample notebook of Azure/MachineLearningNotebooks, with a header naming
its source and every change (imports, data URLs, set-up the article assumes). Each test copies
its folder to ``tmp_path``, runs the script there as ``python script.py`` (its workspace is
made by ``Workspace.from_config()``), then checks what v1 would show: step statuses, what the
steps printed and wrote, metrics, registered datasets, downloads; then runs the script again
to see every step reused, edits one file to see only that step rerun, and flips
``regenerate_outputs`` to see everything rerun.

Data URLs point at a real HTTP server started here (``_internet/``), since there is no
internet. Scenarios fail today where the SDK has a gap: that is their purpose.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_pipelines
from jupyter_pipelines import Dataset, PipelineRun
from tests.v1.scenario_support import (
    Internet,
    Scenario,
    ScriptResult,
    copy_scenario,
    describe,
    internet,
    step_runs,
    step_stdout,
)

pytestmark = pytest.mark.integration

WIDGET_MIMEBUNDLE = "application/vnd.jupyter.widget-view+json"


# -- fixtures and helpers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def net() -> Iterator[Internet]:
    """The stand-in for the internet: ``_internet/`` over real HTTP on 127.0.0.1."""
    with internet() as served:
        yield served


@pytest.fixture
def scenario(request: pytest.FixtureRequest, tmp_path: Path, net: Internet) -> Iterator[Scenario]:
    """The scenario the test is named after (``test_<name>``), copied into ``tmp_path``."""
    name = request.node.originalname.removeprefix("test_")
    copy = copy_scenario(name, tmp_path / name, net.url)
    yield copy
    copy.stop_everything()


def finished(sc: Scenario, experiment: str, count: int | None = None) -> list[PipelineRun]:
    """The runs of ``experiment``, oldest first, each waited for and checked ``Finished``."""
    runs = sc.runs(experiment)
    assert runs, f"no run of experiment {experiment!r}"
    if count is not None:
        assert len(runs) == count, [describe(r) for r in runs]
    for run in runs:
        status = run.wait_for_completion(
            show_output=False, timeout_seconds=120, raise_on_error=False
        )
        assert status == "Finished", describe(run) + "\n" + _logs(run)
    return runs


def _logs(run: PipelineRun) -> str:
    return "\n".join(
        f"--- {s.name}: {s.get_logs()['stderr'][-1500:]}"
        for s in run.get_steps()
        if s.status != "Finished"
    )


def reused(run: PipelineRun) -> dict[str, bool]:
    return {name: step.is_reused for name, step in step_runs(run).items()}


def assert_printed_workspace(result: ScriptResult, config: Path | None) -> None:
    """``print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep='\\n')``
    printed the workspace of the v1 ``config.json`` (location: a local default)."""
    lines = result.stdout.splitlines()
    if config is None:
        return
    cfg = json.loads(config.read_text())
    first = lines.index(cfg["workspace_name"]) if cfg["workspace_name"] in lines else -1
    assert first >= 0, f"workspace name {cfg['workspace_name']!r} not printed\n{result.tail()}"
    assert lines[first + 1] == cfg["resource_group"]
    assert lines[first + 2].strip(), "an empty ws.location"
    assert lines[first + 3] == cfg["subscription_id"]


def assert_no_mimebundle(result: ScriptResult) -> None:
    """``RunDetails(run).show()`` in a plain script prints text, not the widget's dict."""
    assert WIDGET_MIMEBUNDLE not in result.stdout, "RunDetails.show() printed a mimebundle"


def wait_all(sc: Scenario, *experiments: str) -> None:
    for name in experiments:
        finished(sc, name)


# -- the seed how-to ------------------------------------------------------------------------
def test_seed_howto(scenario: Scenario, net: Internet) -> None:
    """Every snippet of the seed document, in order, submitted as the article does."""
    scenario.run()
    ws = scenario.ws
    (compare_run,) = finished(scenario, "Compare_Models_Exp", 1)
    steps = step_runs(compare_run)
    assert list(steps) == ["prepare.py", "train.py", "compare.py"]
    assert not any(reused(compare_run).values())
    assert "prepared 9 images" in step_stdout(steps["prepare.py"])
    assert steps["prepare.py"].get_metrics() == {"images": 9}
    assert "compared 3 labels" in step_stdout(steps["compare.py"])
    prepared = Dataset.get_by_name(ws, "prepared_output_data")
    assert prepared.to_path() == ["/images.csv"]

    (howto_run,) = finished(scenario, "Seed_Howto_Exp", 1)
    steps = step_runs(howto_run)
    assert set(steps) == {"iris_train.py", "Hello World", "train.py"}
    assert "rows: 150" in step_stdout(steps["iris_train.py"])
    assert f"workspace: {ws.name}" in step_stdout(steps["iris_train.py"])
    assert "param1: default_val" in step_stdout(steps["train.py"])
    assert "Hello World" in step_stdout(steps["Hello World"])
    assert net.fetched("/train-dataset/iris.csv")

    # Unchanged: every step reused, but Hello World (allow_reuse=False).
    scenario.run()
    assert all(reused(finished(scenario, "Compare_Models_Exp", 2)[-1]).values())
    assert reused(finished(scenario, "Seed_Howto_Exp", 2)[-1]) == {
        "iris_train.py": True,
        "Hello World": False,
        "train.py": True,
    }

    # One script edited: only its step runs again.
    scenario.edit("compare_src/compare.py", "import argparse", "import argparse  # edited")
    scenario.run()
    assert reused(finished(scenario, "Compare_Models_Exp", 3)[-1]) == {
        "prepare.py": True,
        "train.py": True,
        "compare.py": False,
    }

    # regenerate_outputs=True: every step runs again.
    scenario.edit("script.py", "regenerate_outputs=False", "regenerate_outputs=True")
    scenario.run()
    assert not any(reused(finished(scenario, "Seed_Howto_Exp", 4)[-1]).values())


# -- intro-to-pipelines notebooks -----------------------------------------------------------
def test_getting_started(scenario: Scenario, net: Internet) -> None:
    """aml-pipelines-getting-started.ipynb: parallel steps, validate, run_after, RunDetails."""
    result = scenario.run()
    assert result.stdout.startswith(f"SDK version: {jupyter_pipelines.VERSION}\n")
    assert_printed_workspace(result, scenario.folder / "config.json")
    assert "Blobstore's name: workspaceblobstore" in result.stdout
    assert "creating new compute target" in result.stdout
    assert_no_mimebundle(result)
    for name in ("train_step", "compare_step", "extract_step"):
        assert f"Script: {name} status: " in result.stdout
    assert net.fetched("/demo/Titanic.csv")
    uploaded = scenario.ws.get_default_datastore()
    assert "titanic/Titanic.csv" in uploaded.glob("titanic/*")

    (run1,) = finished(scenario, "Hello_World1", 1)
    steps = step_runs(run1)
    assert set(steps) == {"train_step", "compare_step", "extract_step"}
    assert "In train.py" in step_stdout(steps["train_step"])
    assert "In compare.py" in step_stdout(steps["compare_step"])
    assert "In extract.py" in step_stdout(steps["extract_step"])

    # pipeline2 = Pipeline(steps=[step3]) pulls in step2 and step1 through run_after, in order.
    (run2,) = finished(scenario, "Hello_World2", 1)
    chain = [step_runs(run2)[n] for n in ("train_step", "compare_step", "extract_step")]
    for before, after in itertools.pairwise(chain):
        if not before.is_reused and not after.is_reused:
            assert before.end_time <= after.start_time, describe(run2)

    # Unchanged: every step of both pipelines reused.
    result = scenario.run()
    assert "found existing compute target." in result.stdout
    wait_all(scenario, "Hello_World1", "Hello_World2")
    assert all(reused(scenario.runs("Hello_World1")[-1]).values())
    assert all(reused(scenario.runs("Hello_World2")[-1]).values())

    # compare/compare.py edited: only compare_step runs again.
    scenario.edit("compare/compare.py", 'print("In compare.py")', 'print("In compare.py (v2)")')
    scenario.run()
    wait_all(scenario, "Hello_World1", "Hello_World2")
    run = scenario.runs("Hello_World1")[-1]
    assert reused(run) == {"train_step": True, "compare_step": False, "extract_step": True}
    assert "In compare.py (v2)" in step_stdout(step_runs(run)["compare_step"])

    # regenerate_outputs=True: every step runs again.
    scenario.edit("script.py", "regenerate_outputs=False", "regenerate_outputs=True")
    scenario.run()
    wait_all(scenario, "Hello_World1", "Hello_World2")
    assert not any(reused(scenario.runs("Hello_World1")[-1]).values())


def test_data_dependency(scenario: Scenario) -> None:
    """aml-pipelines-with-data-dependency-steps.ipynb: DataReference, PipelineData chain,
    DataPath parameter, get_outputs / get_port_data_reference, get_output_data().download()."""
    result = scenario.run()
    assert_printed_workspace(result, scenario.folder / ".azureml" / "config.json")
    assert_no_mimebundle(result)
    (run,) = finished(scenario, "Data_dependency_sample", 1)
    steps = step_runs(run)
    assert list(steps) == ["train.py", "extract.py", "compare.py"]
    train_out = step_stdout(steps["train.py"])
    assert "Argument 1: " in train_out
    assert train_out.split("Argument 1: ")[1].split("\n")[0].endswith("titanic/Titanic.csv")
    compare_out = step_stdout(steps["compare.py"])
    compared = compare_out.split("Argument 1: ")[1].split("\n")[0]
    assert compared.endswith("Titanic.csv"), compare_out
    assert "Argument 4: None" in compare_out

    # wait_for_completion(show_output=True) printed each step; cell 37 printed each output.
    assert "In extract.py" in result.stdout
    for step, output in (
        ("train.py", "processed_data1"),
        ("extract.py", "processed_data2"),
        ("compare.py", "processed_data3"),
    ):
        block = result.stdout.split(f"Outputs of step {step}\n")[1]
        assert block.startswith(f"\tname: {output}\n\tdatastore: workspaceblobstore\n"), block
        # v1 keeps a PipelineData at azureml/<step run id>/<name> on its datastore; v1 code
        # relies on it (the nyc-taxi sample reads download_path + '/azureml/' + ... + name).
        path = block.split("\tpath on datastore: ")[1].split("\n")[0]
        assert path.startswith("azureml/") and path.endswith(f"/{output}"), path

    # Unchanged: every step reused.
    scenario.run()
    assert all(reused(finished(scenario, "Data_dependency_sample", 2)[-1]).values())

    # The extract script edited: only extract.py runs again (its output is unchanged, so
    # compare.py, whose inputs are the same, stays reused).
    scenario.edit(
        "data_dependency_run_extract/extract.py",
        'print("In extract.py")',
        'print("In extract.py (v2)")',
    )
    scenario.run()
    assert reused(finished(scenario, "Data_dependency_sample", 3)[-1]) == {
        "train.py": True,
        "extract.py": False,
        "compare.py": True,
    }


def test_datapath_parameter(scenario: Scenario) -> None:
    """aml-pipelines-showcasing-datapath-and-pipelineparameter.ipynb: a DataPath
    PipelineParameter with DataPathComputeBinding(mode='mount'), swapped at submit."""
    result = scenario.run()
    assert_no_mimebundle(result)
    default, swapped = finished(scenario, "showcasing-datapath", 2)
    out = step_stdout(step_runs(default)["train_step"])
    assert "Sample string argument  : sample_string1" in out
    assert out.split("Sample datapath argument: ")[1].split("\n")[0].endswith("sample_datapath1")
    out = step_stdout(step_runs(swapped)["train_step"])
    assert "Sample string argument  : sample_string2" in out
    assert out.split("Sample datapath argument: ")[1].split("\n")[0].endswith("sample_datapath2")
    assert not any(reused(swapped).values())

    # Unchanged (source_directory='.', the folder that also holds the workspace): reused.
    scenario.run()
    runs = finished(scenario, "showcasing-datapath", 4)
    assert all(reused(runs[2]).values()) and all(reused(runs[3]).values())


def test_dataset_parameter(scenario: Scenario, net: Internet) -> None:
    """aml-pipelines-showcasing-dataset-and-pipelineparameter.ipynb: datasets from URLs as
    pipeline parameters; a one-file FileDataset reaches the step as that file."""
    result = scenario.run()
    assert_no_mimebundle(result)
    titanic, iris = finished(scenario, "showcasing-dataset", 2)
    out = step_stdout(step_runs(titanic)["train_step"])
    assert "Braund, Mr. Owen Harris" in out  # the file, opened as input_datasets['file_dataset']
    assert "[891 rows x 12 columns]" in out  # the table, to_pandas_dataframe()
    out = step_stdout(step_runs(iris)["train_step"])
    assert "Iris-setosa" in out
    assert "[150 rows x 5 columns]" in out
    assert net.fetched("/demo/Titanic.csv") and net.fetched("/train-dataset/iris.csv")

    # Unchanged URLs and code: both runs reused.
    scenario.run()
    runs = finished(scenario, "showcasing-dataset", 4)
    assert all(reused(runs[2]).values()) and all(reused(runs[3]).values())


def test_notebook_runner(scenario: Scenario) -> None:
    """aml-pipelines-with-notebook-runner-step.ipynb: NotebookRunnerStep of a notebook whose
    kernel (python38-azureml) is not installed, its executed notebook as an output, downloaded."""
    result = scenario.run()
    assert_no_mimebundle(result)
    (run,) = finished(scenario, "notebook-step-run-example", 1)
    steps = step_runs(run)
    assert set(steps) == {"train.py", "training_notebook_step"}
    notebook = steps["training_notebook_step"]
    out = step_stdout(notebook)
    assert "In training_notebook.ipynb" in out
    assert "arg1: Machine Learning" in out
    assert "pipeline_parameter: my_param" in out
    assert "input from previous step: None" not in out
    logs = notebook.get_logs()
    assert "python38-azureml" in logs["stdout"] + logs["stderr"]

    # get_output_data('notebook_result').download(source_directory): the executed notebook.
    port = notebook.get_output_data("notebook_result")
    downloaded = scenario.folder / "notebook_runner" / port.path_on_datastore
    executed = list(downloaded.rglob("*.ipynb"))
    assert len(executed) == 1, list(downloaded.rglob("*"))
    text = executed[0].read_text()
    assert "In training_notebook.ipynb" in text and "Machine Learning" in text

    # The same through StepRun.get_outputs / get_output / get_port_data_reference().download().
    assert set(notebook.get_outputs()) == {"notebook_processed_data", "notebook_result"}
    ref = notebook.get_output("notebook_result").get_port_data_reference()
    assert ref.datastore_name == "workspaceblobstore"
    ref.download(str(scenario.folder / "again"))
    assert len(list((scenario.folder / "again" / ref.path_on_datastore).rglob("*.ipynb"))) == 1

    # The script unchanged: train.py reused. The notebook step runs again, as in v1: cell 29
    # downloaded the executed notebook into its source_directory, so its snapshot changed.
    scenario.run()
    rerun = finished(scenario, "notebook-step-run-example", 2)[-1]
    assert reused(rerun) == {"train.py": True, "training_notebook_step": False}


def test_commandstep(scenario: Scenario) -> None:
    """aml-pipelines-with-commandstep.ipynb: CommandStep(runconfig=ScriptRunConfig(command=...))
    with a curated environment and an MPI configuration; ./outputs kept with the step run."""
    result = scenario.run()
    assert "Workspace name: " in result.stdout and "Azure region: " in result.stdout
    assert_no_mimebundle(result)
    (run,) = finished(scenario, "train-commandstep-pipeline", 1)
    step = step_runs(run)["train-mnist"]
    assert "Epoch 30/30" in step_stdout(step)
    assert "outputs/checkpoint-30.h5" in step.get_file_names()

    scenario.run()
    assert all(reused(finished(scenario, "train-commandstep-pipeline", 2)[-1]).values())


# -- datasets in pipelines ------------------------------------------------------------------
def test_image_classification(scenario: Scenario, net: Internet) -> None:
    """pipeline-for-image-classification.ipynb: a FileDataset of a URL folder mounted,
    OutputFileDatasetConfig registered on completion and read as a TabularDataset."""
    result = scenario.run()
    assert "class OutputFileDatasetConfig" in result.stdout  # help(OutputFileDatasetConfig)
    ws = scenario.ws
    (run,) = finished(scenario, "keras-mnist-fashion", 1)
    steps = step_runs(run)
    assert list(steps) == ["prepare step", "train step"]
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert net.fetched(f"/mnist-fashion/{name}")
    metrics = steps["train step"].get_metrics()
    assert len(metrics["Loss"]) == 3 and len(metrics["Accuracy"]) == 3
    assert metrics["Final test accuracy"] >= 0.9, metrics
    prepared = Dataset.get_by_name(ws, "prepared_fashion_ds")
    assert sorted(prepared.to_path()) == ["/mnist_test.csv", "/mnist_train.csv"]
    fashion = Dataset.get_by_name(ws, "fashion_ds")
    assert len(fashion.to_path()) == 4
    assert "outputs/model/model.json" in steps["train step"].get_file_names()

    scenario.run()
    assert all(reused(finished(scenario, "keras-mnist-fashion", 2)[-1]).values())


def test_move_data(scenario: Scenario) -> None:
    """v1 how-to "Moving data into and between ML pipeline steps": DataPath datasets,
    take_sample / random_split, as_mount, OutputFileDatasetConfig as_upload to another
    datastore with {run-id}/{output-name}, register_on_complete, read_delimited_files."""
    result = scenario.run()
    first, second = finished(scenario, "move-data", 2)
    steps = step_runs(first)
    assert set(steps) == {"train_data", "prep_data", "write_table"}
    out = step_stdout(steps["train_data"])
    rows = out.split("train rows: ")[1].split("\n")[0]
    train_rows, test_rows = int(rows.split()[0]), int(rows.split()[-1])
    assert 5 <= train_rows + test_rows <= 30 and train_rows > test_rows, out
    assert steps["train_data"].get_metrics() == {"train_rows": train_rows, "test_rows": test_rows}
    assert "raw_data files:" in out
    prep = step_stdout(steps["prep_data"])
    assert "['cat/a.jpg', 'cat/b.jpg', 'dog/1.jpg', 'dog/2.jpg']" in prep, prep

    steps = step_runs(second)
    assert "step2 read: Step 1's output" in step_stdout(steps["read_pipeline_data"])
    # destination=(my_adlsgen2, "mypath/{run-id}/{output-name}"), uploaded when the step ended.
    written = [p for p in (scenario.folder / "adlsgen2" / "mypath").rglob("*") if p.is_file()]
    assert [p.read_text() for p in written] == ["Step 1's output"], written
    assert steps["generate_data"].id in str(written[0]), written
    assert Dataset.get_by_name(scenario.ws, "processed_data").to_path()
    assert "gamma" in result.stdout and "4.0" in result.stdout  # the table 'foo', printed

    scenario.run()
    runs = finished(scenario, "move-data", 4)
    assert all(reused(runs[2]).values()) and all(reused(runs[3]).values())


def test_pipeline_drafts(scenario: Scenario) -> None:
    """aml-pipelines-how-to-use-pipeline-drafts.ipynb: create, list, get, update, submit_run."""
    from jupyter_pipelines import PipelineDraft

    result = scenario.run()
    assert "TestPipelineDraft" in result.stdout  # the drafts listed with tags={'dev': 'true'}
    (run,) = scenario.runs("pipeline_draft_sample")
    run.wait_for_completion(show_output=False, timeout_seconds=120, raise_on_error=False)
    # The updated draft ran its new step. The sample's train.py opens --input_data, which this
    # step does not pass: it fails as it does in v1, with the script's own error.
    (step,) = run.get_steps()
    assert step.name == "New_Training_Step"
    assert step.get_status() == "Failed"
    assert "TypeError" in step.get_stderr_log()
    assert "In train.py" in step.get_stdout_log()
    (draft,) = PipelineDraft.list(scenario.ws, tags={"dev": "true"})
    assert draft.name == "UpdatedPipelineDraft"
