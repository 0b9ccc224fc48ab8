"""Batch scoring with a DataPath pipeline parameter, as in the v1 sample
"aml-pipelines-showcasing-datapath-and-pipelineparameter".

    batches/<month>/ (DataPath parameter 'input_datapath', mounted)  \
                                                                      score.py -> scores
    models/price/ (datastore path, downloaded to ./model)            /
    scores -> report.ipynb (notebook step) -> report

The folder to score is a pipeline parameter whose default is a ``DataPath``: submit with
``pipeline_parameters={"input_datapath": DataPath(datastore, "batches/2021-02")}`` to score
another month without changing the pipeline. ``price_threshold`` is a plain parameter
injected into the notebook's ``parameters`` cell.

Run it with ``python examples/batch_scoring/pipeline.py``: the workspace is ``.pipelines/``
next to this file.
"""

from __future__ import annotations

import os
from typing import Any

# v1: from azureml.core import Datastore, Experiment, Workspace
#     from azureml.data import OutputFileDatasetConfig
#     from azureml.data.datapath import DataPath, DataPathComputeBinding
#     from azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
#     from azureml.pipeline.steps import PythonScriptStep
#     (NotebookStep stands for v1's contrib NotebookRunnerStep)
from jupyter_pipelines import (
    DataPath,
    DataPathComputeBinding,
    Datastore,
    Experiment,
    NotebookStep,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
    Workspace,
)

project_folder = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT_NAME = "batch-scoring"


def build(ws: Workspace) -> tuple[Pipeline, dict[str, Any]]:
    """Upload the batches and the model, then build the scoring and report steps."""
    def_blob_store = Datastore(ws, "workspaceblobstore")
    data_folder = os.path.join(project_folder, "data")
    def_blob_store.upload(
        src_dir=os.path.join(data_folder, "batches"),
        target_path="batches",
        overwrite=True,
        show_progress=False,
    )
    def_blob_store.upload(
        src_dir=os.path.join(data_folder, "model"),
        target_path="models/price",
        overwrite=True,
        show_progress=False,
    )

    data_path = DataPath(datastore=def_blob_store, path_on_datastore="batches/2021-01")
    datapath_pipeline_param = PipelineParameter(name="input_datapath", default_value=data_path)
    datapath_input = (datapath_pipeline_param, DataPathComputeBinding(mode="mount"))

    model_input = def_blob_store.path("models/price", data_reference_name="model").as_download(
        path_on_compute="model"
    )
    price_threshold = PipelineParameter(name="price_threshold", default_value=300.0)

    scores = PipelineData("scores", datastore=def_blob_store)
    score_step = PythonScriptStep(
        name="score",
        script_name="score.py",
        source_directory=os.path.join(project_folder, "score_src"),
        arguments=["--input_data", datapath_input, "--model", model_input, "--output", scores],
        inputs=[datapath_input, model_input],
        outputs=[scores],
        allow_reuse=True,
    )

    report = OutputFileDatasetConfig(name="report")
    # The notebook's parameters cell receives 'scores' and 'report' (folder paths) and
    # 'price_threshold'.
    report_step = NotebookStep(
        name="report",
        notebook="report.ipynb",
        source_directory=os.path.join(project_folder, "report_src"),
        parameters={"price_threshold": price_threshold},
        inputs=[scores.as_input()],
        outputs=[report],
    )

    pipeline = Pipeline(workspace=ws, steps=[score_step, report_step])
    return pipeline, {"experiment": EXPERIMENT_NAME, "datastore": def_blob_store}


def main(**pipeline_parameters: Any) -> PipelineRun:
    """Build, submit and follow the pipeline in the workspace next to this file."""
    ws = Workspace.at(project_folder)  # v1: ws = Workspace.from_config()
    pipeline, info = build(ws)
    pipeline_run = Experiment(ws, info["experiment"]).submit(
        pipeline, pipeline_parameters=pipeline_parameters
    )
    pipeline_run.wait_for_completion()
    report = pipeline_run.get_step_run("report")
    print(f"report metrics: {report.get_metrics()}")
    print(f"executed notebook: {report.get_notebook_path()}")
    print((report.get_output_path("report") / "report.md").read_text())
    return pipeline_run


if __name__ == "__main__":
    main()
