"""Run files and models on real runs: what a step writes to ./outputs and ./logs are its run
files (also when its run is reused, and after clean()); a step registers a model from them
that a later step and the notebook find (Model.list, get_model_path, download); a finished
step run registers one from outside; step details list their datasets in v1's shape; the
environment build's log is among a step's logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import Dataset, Model, Pipeline, PipelineRun, PythonScriptStep
from jupyter_pipelines.errors import ModelPathNotFoundException
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = pytest.mark.integration

TRAIN = """\
    import json, os, sys
    from jupyter_pipelines import Run
    run = Run.get_context()
    os.makedirs("outputs/net", exist_ok=True)
    os.makedirs("logs", exist_ok=True)
    with open("outputs/model.pkl", "w") as f:
        f.write("weights " + sys.argv[1])
    open("outputs/net/w.npy", "w").write("w")
    open("logs/train.log", "w").write("epoch 1\\n")
    model = run.register_model(model_name="clf", model_path="outputs/model.pkl",
                               tags={"area": "iris"}, properties={"acc": "0.9"})
    print("registered", model.id, model.run_id == run.id)
    inputs = run.get_details()["inputDatasets"]
    print("inside", [(d["consumptionDetails"]["inputName"], d["consumptionDetails"]["type"],
                      os.path.exists(d["dataset"])) for d in inputs])
    """

SCORE = """\
    from jupyter_pipelines import Model
    path = Model.get_model_path("clf")
    print("scored with", open(path).read())
    """


def pipeline(project: Project, iris: Dataset, value: str = "1") -> Pipeline:
    project.script("src/train.py", TRAIN)
    project.script("src/score.py", SCORE)
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory="src",
        arguments=[value, iris.as_named_input("iris").as_download()],
    )
    score = PythonScriptStep("score.py", name="score", source_directory="src")
    score.run_after(train)
    return Pipeline(steps=[train, score])


def submit(project: Project, pipe: Pipeline) -> PipelineRun:
    run = project.experiment("models").submit(pipe)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


@pytest.fixture
def iris(project: Project) -> Dataset:
    data = project.root / "data"
    data.mkdir()
    (data / "iris.csv").write_text("a,b\n1,2\n")
    store = project.ws.get_default_datastore()
    store.upload(str(data), "iris", overwrite=True)
    dataset: Dataset = Dataset.File.from_files((store, "iris/iris.csv"))
    return dataset.register(project.ws, "iris")


def test_a_step_registers_a_model_and_its_outputs_are_run_files(
    project: Project, iris: Dataset, tmp_path: Path
) -> None:
    run = submit(project, pipeline(project, iris))
    train = run.get_step_run("train")
    out = train.get_stdout_log()
    assert "registered clf:1 True" in out
    assert "inside [('iris', 'RunInput', True)]" in out  # v1's shape inside the step
    assert "scored with weights 1" in run.get_step_run("score").get_stdout_log()

    # ./outputs and ./logs are run files, listed where the step left them
    names = train.get_file_names()
    assert {"outputs/model.pkl", "outputs/net/w.npy", "logs/train.log"} <= set(names)
    got = train.download_file("outputs/model.pkl", str(tmp_path / "m.pkl"))
    assert Path(got).read_text() == "weights 1"
    assert train.download_files(prefix="outputs/", output_directory=str(tmp_path / "all")) == [
        str(tmp_path / "all/outputs/model.pkl"),
        str(tmp_path / "all/outputs/net/w.npy"),
    ]

    # the model the step registered, found from the notebook
    (model,) = Model.list(project.ws)
    assert (model.name, model.version, model.run_id) == ("clf", 1, train.id)
    assert model.tags == {"area": "iris"} and model.properties == {"acc": "0.9"}
    assert model.experiment_name == "models" and model.run == train
    assert Path(Model.get_model_path("clf", _workspace=project.ws)).read_text() == "weights 1"
    assert Path(model.download(str(tmp_path / "dl"))).read_text() == "weights 1"

    # a finished step run registers a folder of its files from outside, linking them
    folder = train.register_model(
        "net", model_path="outputs/net/", datasets=[("training data", iris)]
    )
    assert folder.id == "net:1" and folder.datasets == {"training data": [iris]}
    assert sorted(m.id for m in Model.list(project.ws, run_id=train.id)) == ["clf:1", "net:1"]
    with pytest.raises(ModelPathNotFoundException, match=r"'outputs/missing\.pkl'.*model\.pkl"):
        train.register_model("nope", "outputs/missing.pkl")

    # v1's details of the step: its dataset inputs and its outputs
    (used,) = train.get_details()["inputDatasets"]
    assert used["dataset"] == iris
    assert used["consumptionDetails"]["mechanism"] == "Download"
    assert used["consumptionDetails"]["inputName"] == "iris"


def test_a_reused_step_serves_the_files_of_the_run_it_reused(
    project: Project, iris: Dataset, tmp_path: Path
) -> None:
    first = submit(project, pipeline(project, iris))
    again = submit(project, pipeline(project, iris))
    train = again.get_step_run("train")
    assert train.is_reused
    assert "outputs/model.pkl" in train.get_file_names()
    copied = train.download_file("outputs/model.pkl", str(tmp_path / "reused.pkl"))
    assert Path(copied).read_text() == "weights 1"
    # cleaning up the step that ran keeps its run files
    origin = first.get_step_run("train")
    removed = origin.clean()
    assert any(p.endswith("train.py") for p in removed)
    assert "outputs/model.pkl" in origin.get_file_names()
    assert not (origin.step_dir / "code" / "train.py").exists()


def test_the_environment_build_log_is_among_the_step_logs(project: Project, iris: Dataset) -> None:
    run = submit(project, pipeline(project, iris))
    train = run.get_step_run("train")
    assert "environment_build" not in train.get_logs()
    (train.step_dir / "environment_build.txt").write_text("installed numpy\n")
    assert train.get_logs()["environment_build"] == "installed numpy\n"
    assert "--- environment_build.txt ---\ninstalled numpy" in train.get_job_log()
    assert "environment_build.txt" in train.get_details()["logFiles"]
