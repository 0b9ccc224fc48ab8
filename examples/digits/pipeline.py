"""The datasets half of the v1 how-to ("Create and run machine learning pipelines"), end to end.

    train-images/ (FileDataset, as_download) -> prepare.py -> OutputFileDatasetConfig
        (registered on completion as 'prepared_output_data') -> train.py -> training_results

The data are twelve 5x5 greyscale images of the digits 0, 1 and 7 (plain-text PGM files in
``data/train-images/<label>/``), uploaded to the default datastore. ``prepare.py`` turns them
into feature rows; ``train.py`` fits a softmax regression by hand (standard library only) with
the learning rate given by the pipeline parameter ``learning_rate``.

Run it with ``python examples/digits/pipeline.py``: the workspace is ``.pipelines/`` next to
this file.
"""

from __future__ import annotations

import os
from typing import Any

# v1: from azureml.core import Dataset, Datastore, Experiment, Workspace
#     from azureml.data import OutputFileDatasetConfig
#     from azureml.pipeline.core import Pipeline, PipelineParameter
#     from azureml.pipeline.steps import PythonScriptStep
from jupyter_pipelines import (
    Dataset,
    Datastore,
    Experiment,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
    Workspace,
)

project_folder = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT_NAME = "digits"


def build(ws: Workspace) -> tuple[Pipeline, dict[str, Any]]:
    """Upload the images, then build the two-step pipeline; return it and facts for callers."""
    # Default datastore
    def_data_store = ws.get_default_datastore()
    # Get the blob storage associated with the workspace
    def_blob_store = Datastore(ws, "workspaceblobstore")

    def_blob_store.upload(
        src_dir=os.path.join(project_folder, "data", "train-images"),
        target_path="train-images",
        overwrite=True,
        show_progress=False,
    )
    my_dataset = Dataset.File.from_files([(def_blob_store, "train-images/")])

    # Intermediate data: written by the prep step to the datastore, registered on completion.
    output_data1 = OutputFileDatasetConfig(destination=(def_data_store, "outputdataset/{run-id}"))
    output_data_dataset = output_data1.register_on_complete(name="prepared_output_data")

    dataprep_source_dir = os.path.join(project_folder, "dataprep_src")
    entry_point = "prepare.py"
    ds_input = my_dataset.as_named_input("input1")

    data_prep_step = PythonScriptStep(
        name="prepare",
        script_name=entry_point,
        source_directory=dataprep_source_dir,
        arguments=["--input", ds_input.as_download(), "--output", output_data1],
        allow_reuse=True,
    )

    train_source_dir = os.path.join(project_folder, "train_src")
    train_entry_point = "train.py"
    training_results = OutputFileDatasetConfig(name="training_results", destination=def_blob_store)
    learning_rate = PipelineParameter(name="learning_rate", default_value=0.5)
    epochs = PipelineParameter(name="epochs", default_value=60)

    train_step = PythonScriptStep(
        name="train",
        script_name=train_entry_point,
        source_directory=train_source_dir,
        arguments=[
            "--prepped_data",
            output_data_dataset.as_input(),
            "--training_results",
            training_results,
            "--learning_rate",
            learning_rate,
            "--epochs",
            epochs,
        ],
        allow_reuse=True,
    )

    pipeline1 = Pipeline(workspace=ws, steps=[data_prep_step, train_step])
    return pipeline1, {
        "experiment": EXPERIMENT_NAME,
        "registered_dataset": "prepared_output_data",
        "datastore": def_blob_store.name,
    }


def main(**pipeline_parameters: Any) -> PipelineRun:
    """Build, submit and follow the pipeline in the workspace next to this file."""
    ws = Workspace.at(project_folder)  # v1: ws = Workspace.from_config()
    pipeline1, info = build(ws)
    pipeline_run1 = Experiment(ws, info["experiment"]).submit(
        pipeline1, pipeline_parameters=pipeline_parameters
    )
    pipeline_run1.wait_for_completion()

    train = pipeline_run1.get_step_run("train")
    print(f"train metrics: {train.get_metrics()}")
    registered = Dataset.get_by_name(ws, info["registered_dataset"])
    print(f"registered dataset {registered.name!r}, version {registered.version}")
    return pipeline_run1


if __name__ == "__main__":
    main()
