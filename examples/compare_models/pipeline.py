"""Compute targets, environments and model comparison: the rest of the v1 how-to.

    points/ (FileDataset, as_mount) -> prepare.py -> output_data1
        -> train.py --degree 1 | 2 | 3   (three steps, run side by side on 'aml-compute')
        -> compare.py                    (picks the best by the 'metric' pipeline parameter)

As in the how-to, the compute target is created when missing with
``ComputeTarget.create(ws, "aml-compute", AmlCompute.provisioning_configuration(...))`` and
the steps get a ``RunConfiguration`` holding the curated ``AzureML-Tutorial`` environment.
Here an AmlCompute target runs its steps on this machine, ``max_nodes`` at a time, and a
curated environment runs with the workspace's own interpreter (nothing is installed).

Run it with ``python examples/compare_models/pipeline.py``: the workspace is ``.pipelines/``
next to this file.
"""

from __future__ import annotations

import os
from typing import Any

# v1: from azureml.core import Dataset, Environment, Experiment, Workspace
#     from azureml.core.compute import AmlCompute, ComputeTarget
#     from azureml.core.conda_dependencies import CondaDependencies
#     from azureml.core.runconfig import RunConfiguration
#     from azureml.data import OutputFileDatasetConfig
#     from azureml.pipeline.core import Pipeline, PipelineParameter
#     from azureml.pipeline.steps import PythonScriptStep
from jupyter_pipelines import (
    AmlCompute,
    ComputeTarget,
    CondaDependencies,
    Dataset,
    Environment,
    Experiment,
    OutputFileDatasetConfig,
    Pipeline,
    PipelineParameter,
    PipelineRun,
    PythonScriptStep,
    RunConfiguration,
    Workspace,
)

project_folder = os.path.dirname(os.path.abspath(__file__))
EXPERIMENT_NAME = "Compare_Models_Exp"
DEGREES = (1, 2, 3)


def get_compute_target(ws: Workspace, compute_name: str = "aml-compute") -> ComputeTarget:
    """The how-to's create-if-missing pattern, unchanged."""
    vm_size = "STANDARD_NC6"
    if compute_name in ws.compute_targets:
        compute_target = ws.compute_targets[compute_name]
        if compute_target and type(compute_target) is AmlCompute:
            print("Found compute target: " + compute_name)
    else:
        print("Creating a new compute target...")
        provisioning_config = AmlCompute.provisioning_configuration(
            vm_size=vm_size,  # STANDARD_NC6 is GPU-enabled
            min_nodes=0,
            max_nodes=4,
        )
        # create the compute target
        compute_target = ComputeTarget.create(ws, compute_name, provisioning_config)

        # Can poll for a minimum number of nodes and for a specific timeout.
        # If no min node count is provided it will use the scale settings for the cluster
        compute_target.wait_for_completion(
            show_output=True, min_node_count=None, timeout_in_minutes=20
        )

        # For a more detailed view of current cluster status, use the 'status' property
        print(compute_target.status.serialize())
    return compute_target


def get_run_config(ws: Workspace, compute_target: ComputeTarget) -> RunConfiguration:
    """The how-to's RunConfiguration, with the curated environment."""
    aml_run_config = RunConfiguration()
    # `compute_target` as defined in "Azure Machine Learning compute" section above
    aml_run_config.target = compute_target

    USE_CURATED_ENV = True
    if USE_CURATED_ENV:
        curated_environment = Environment.get(workspace=ws, name="AzureML-Tutorial")
        aml_run_config.environment = curated_environment
    else:
        aml_run_config.environment.python.user_managed_dependencies = False

        # Add some packages relied on by data prep step
        aml_run_config.environment.python.conda_dependencies = CondaDependencies.create(
            conda_packages=["pandas", "scikit-learn"],
            pip_packages=["azureml-sdk", "azureml-dataprep[fuse,pandas]"],
            pin_sdk_version=False,
        )
    return aml_run_config


def build(ws: Workspace) -> tuple[Pipeline, dict[str, Any]]:
    """Upload the points, set up compute and environment, and build the pipeline."""
    compute_target = get_compute_target(ws)
    aml_run_config = get_run_config(ws, compute_target)

    def_blob_store = ws.get_default_datastore()
    def_blob_store.upload(
        src_dir=os.path.join(project_folder, "data"),
        target_path="points",
        overwrite=True,
        show_progress=False,
    )
    my_dataset = Dataset.File.from_files([(def_blob_store, "points/")])

    output_data1 = OutputFileDatasetConfig(name="prepared_points")
    data_prep_step = PythonScriptStep(
        name="prepare",
        script_name="prepare.py",
        source_directory=os.path.join(project_folder, "dataprep_src"),
        arguments=[
            "--input",
            my_dataset.as_named_input("points").as_mount(),
            "--output",
            output_data1,
        ],
        compute_target=compute_target,
        runconfig=aml_run_config,
        allow_reuse=True,
    )

    train_steps, training_results = [], []
    for degree in DEGREES:
        results = OutputFileDatasetConfig(name=f"training_results_{degree}")
        training_results.append(results)
        train_steps.append(
            PythonScriptStep(
                name=f"train_degree_{degree}",
                script_name="train.py",
                source_directory=os.path.join(project_folder, "train_src"),
                arguments=[
                    "--prepped_data",
                    output_data1.as_input(),
                    "--degree",
                    degree,
                    "--training_results",
                    results,
                ],
                compute_target=compute_target,
                runconfig=aml_run_config,
                allow_reuse=True,
            )
        )

    metric = PipelineParameter(name="metric", default_value="rmse")
    best_model = OutputFileDatasetConfig(name="best_model")
    compare_step = PythonScriptStep(
        name="compare",
        script_name="compare.py",
        arguments=[
            "--metric",
            metric,
            "--best_model",
            best_model,
            "--results",
            *(r.as_input() for r in training_results),
        ],
        target=compute_target,  # the how-to's spelling of compute_target
        runconfig=aml_run_config,
        source_directory=os.path.join(project_folder, "compare_src"),
    )

    # list of steps to run
    compare_models = [data_prep_step, *train_steps, compare_step]
    # Build the pipeline
    pipeline1 = Pipeline(workspace=ws, steps=[compare_models])
    return pipeline1, {
        "experiment": EXPERIMENT_NAME,
        "compute_target": compute_target.name,
        "degrees": DEGREES,
    }


def main(**pipeline_parameters: Any) -> PipelineRun:
    """Build, submit and follow the pipeline in the workspace next to this file."""
    ws = Workspace.at(project_folder)  # v1: ws = Workspace.from_config()
    pipeline1, info = build(ws)
    # Submit the pipeline to be run
    pipeline_run1 = Experiment(ws, info["experiment"]).submit(
        pipeline1, pipeline_parameters=pipeline_parameters
    )
    pipeline_run1.wait_for_completion()
    print(f"pipeline metrics: {pipeline_run1.get_metrics()}")
    return pipeline_run1


if __name__ == "__main__":
    main()
