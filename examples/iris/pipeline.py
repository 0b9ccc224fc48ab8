"""Tabular datasets in a pipeline: the v1 "Use a dataset" section, with iris.

    iris (registered TabularDataset, as_named_input) -> split.py
        -> train_data (read_delimited_files, registered on completion as 'iris_train')
        -> test_data  (read_delimited_files)
    train_data -> iris_train.py -> model
    test_data + model -> evaluate.py (logs the test accuracy on the pipeline run)

Steps read tables with ``Run.get_context().input_datasets[name].to_pandas_dataframe()``.
The model is a Gaussian naive Bayes written by hand with pandas. The pipeline parameter
``test_fraction`` sets the share of each species held out for the test set.

Run it with ``python examples/iris/pipeline.py``: the workspace is ``.pipelines/`` next to
this file.
"""

from __future__ import annotations

import os
from typing import Any

# v1: from azureml.core import Dataset, Experiment, Workspace
#     from azureml.data import OutputFileDatasetConfig
#     from azureml.pipeline.core import Pipeline, PipelineParameter
#     from azureml.pipeline.steps import PythonScriptStep
from jupyter_pipelines import (
    Dataset,
    Experiment,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
    Workspace,
)

project_folder = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT_NAME = "iris"


def build(ws: Workspace) -> tuple[Pipeline, dict[str, Any]]:
    """Upload and register the iris table, then build the three-step pipeline."""
    def_blob_store = ws.get_default_datastore()
    def_blob_store.upload_files(
        [os.path.join(project_folder, "data", "iris.csv")],
        target_path="iris",
        overwrite=True,
        show_progress=False,
    )
    iris_tabular_dataset = Dataset.Tabular.from_delimited_files([(def_blob_store, "iris/iris.csv")])
    iris_tabular_dataset = iris_tabular_dataset.register(
        workspace=ws,
        name="iris",
        description="Fisher's iris, ten flowers of each species",
        create_new_version=True,
    )

    source_directory = os.path.join(project_folder, "iris_src")
    test_fraction = PipelineParameter(name="test_fraction", default_value=0.3)

    train_data = (
        OutputFileDatasetConfig(name="train_data")
        .read_delimited_files()
        .register_on_complete(name="iris_train", description="training rows of iris")
    )
    test_data = OutputFileDatasetConfig(name="test_data").read_delimited_files()
    model = OutputFileDatasetConfig(name="model")

    split_step = PythonScriptStep(
        name="split",
        script_name="split.py",
        source_directory=source_directory,
        inputs=[iris_tabular_dataset.as_named_input("iris_data")],
        arguments=["--test_fraction", test_fraction, "--train", train_data, "--test", test_data],
        allow_reuse=True,
    )
    train_step = PythonScriptStep(
        name="train",
        script_name="iris_train.py",
        source_directory=source_directory,
        inputs=[train_data.as_input(name="iris_train")],
        arguments=["--model", model],
        allow_reuse=True,
    )
    evaluate_step = PythonScriptStep(
        name="evaluate",
        script_name="evaluate.py",
        source_directory=source_directory,
        inputs=[test_data.as_input(name="iris_test")],
        arguments=["--model", model.as_input()],
        allow_reuse=True,
    )

    pipeline = Pipeline(workspace=ws, steps=[split_step, train_step, evaluate_step])
    return pipeline, {"experiment": EXPERIMENT_NAME, "registered_dataset": "iris_train"}


def main(**pipeline_parameters: Any) -> PipelineRun:
    """Build, submit and follow the pipeline in the workspace next to this file."""
    ws = Workspace.at(project_folder)  # v1: ws = Workspace.from_config()
    pipeline, info = build(ws)
    pipeline_run = Experiment(ws, info["experiment"]).submit(
        pipeline, pipeline_parameters=pipeline_parameters
    )
    pipeline_run.wait_for_completion()
    print(f"pipeline metrics: {pipeline_run.get_metrics()}")
    iris_train = Dataset.get_by_name(ws, info["registered_dataset"])
    print(f"{iris_train.name!r} version {iris_train.version}:")
    print(iris_train.to_pandas_dataframe())
    return pipeline_run


if __name__ == "__main__":
    main()
