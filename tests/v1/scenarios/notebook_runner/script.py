# v1 scenario: "Azure Machine Learning Pipeline with NotebookRunnerStep"
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-with-notebook-runner-step.ipynb
#   Every code cell, in order ("# --- cell N" marks where each begins; markdown left out).
#   notebook_runner/training_notebook.ipynb (kernelspec "python38-azureml") and train/train.py:
#   the sample's own files, unchanged.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.runconfig,
#     azureml.core.datastore, azureml.core.conda_dependencies, azureml.data.data_reference,
#     azureml.pipeline.core, azureml.pipeline.steps, azureml.contrib.notebook, azureml.widgets
#     -> jupyter_pipelines (`import azureml.core` -> `import jupyter_pipelines`, so
#     `azureml.core.VERSION` is `jupyter_pipelines.VERSION` and
#     `azureml.core.runconfig.DEFAULT_CPU_IMAGE` is `jupyter_pipelines.DEFAULT_CPU_IMAGE`).
#   - data URL: https://dprepdata.blob.core.windows.net/demo/Titanic.csv
#     -> http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv
#     (tests/v1/scenarios/_internet, served by the test on a port it writes here).
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 5
import os
import requests
import tempfile

import jupyter_pipelines

from jupyter_pipelines import AmlCompute, ComputeTarget
from jupyter_pipelines import RunConfiguration
from jupyter_pipelines import DataReference
from jupyter_pipelines import PipelineData
from jupyter_pipelines import Datastore

from jupyter_pipelines import Workspace, Experiment
from jupyter_pipelines import NotebookRunConfig, AzureMLNotebookHandler

from jupyter_pipelines import Pipeline
from jupyter_pipelines import PythonScriptStep
from jupyter_pipelines import NotebookRunnerStep

# Check core SDK version number
print("SDK version:", jupyter_pipelines.VERSION)

# --- cell 7
ws = Workspace.from_config()
print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep = '\n')
ws.set_default_datastore("workspaceblobstore")

# --- cell 9
# download data file from remote
response = requests.get("http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv")
titanic_file = os.path.join(tempfile.mkdtemp(), "Titanic.csv")
with open(titanic_file, "w") as f:
    f.write(response.content.decode("utf-8"))
Datastore.get(ws, "workspaceblobstore").upload_files([titanic_file], target_path="titanic", overwrite=True)
print("Upload call completed")

# --- cell 11
# Choose a name for the run history container in the workspace.
experiment_name = 'notebook-step-run-example'
source_directory = 'notebook_runner'

experiment = Experiment(ws, experiment_name)
experiment

# --- cell 13
# Choose a name for your cluster.
amlcompute_cluster_name = "cpu-cluster"

found = False
# Check if this compute target already exists in the workspace.
cts = ws.compute_targets
if amlcompute_cluster_name in cts and cts[amlcompute_cluster_name].type == 'AmlCompute':
    found = True
    print('Found existing compute target.')
    compute_target = cts[amlcompute_cluster_name]
    
if not found:
    print('Creating a new compute target...')
    provisioning_config = AmlCompute.provisioning_configuration(vm_size = "STANDARD_D2_V2", # for GPU, use "Standard_NC6s_v3"
                                                                #vm_priority = 'lowpriority', # optional
                                                                max_nodes = 4)

    # Create the cluster.
    compute_target = ComputeTarget.create(ws, amlcompute_cluster_name, provisioning_config)
    
    # Can poll for a minimum number of nodes and for a specific timeout.
    # If no min_node_count is provided, it will use the scale settings for the cluster.
    compute_target.wait_for_completion(show_output = True, min_node_count = 1, timeout_in_minutes = 10)
    
     # For a more detailed view of current AmlCompute status, use get_status().

# --- cell 15
from jupyter_pipelines import CondaDependencies

conda_run_config = RunConfiguration(framework="python")

conda_run_config.environment.docker.enabled = True
conda_run_config.environment.docker.base_image = jupyter_pipelines.DEFAULT_CPU_IMAGE

cd = CondaDependencies.create(pip_packages=['azureml-sdk'])
conda_run_config.environment.python.conda_dependencies = cd

print('run config is ready')

# --- cell 17
input_data = DataReference(
    datastore=Datastore.get(ws, "workspaceblobstore"),
    data_reference_name="blob_test_data",
    path_on_datastore="titanic/Titanic.csv")

output_data = PipelineData(name="processed_data",
                           datastore=Datastore.get(ws, "workspaceblobstore"),
                           is_directory=True)

# --- cell 19
handler = AzureMLNotebookHandler(timeout=600, progress_bar=False, log_output=True)

cfg = NotebookRunConfig(source_directory=source_directory, notebook="training_notebook.ipynb",
                        handler = handler,
                        parameters={"arg1": "Machine Learning"},
                        run_config=conda_run_config)

print("Notebook Run Config is created.")

# --- cell 21
print('Source directory for the step is {}.'.format(os.path.realpath('./train')))
python_script_step = PythonScriptStep(
                         script_name="train.py",
                         arguments=["--input_data", input_data],
                         inputs=[input_data],
                         outputs=[output_data],
                         compute_target=compute_target, 
                         source_directory="./train",
                         allow_reuse=True)
print("python_script_step created")

# --- cell 23
from jupyter_pipelines import PipelineParameter

output_from_notebook = PipelineData(name="notebook_processed_data",
                                    datastore=Datastore.get(ws, "workspaceblobstore"),
                                    is_directory=True)

my_pipeline_param = PipelineParameter(name="pipeline_param", default_value="my_param")

print('Source directory for the step is {}.'.format(os.path.realpath(source_directory)))
notebook_runner_step = NotebookRunnerStep(name="training_notebook_step",
                                          notebook_run_config=cfg,
                                          params={"my_pipeline_param": my_pipeline_param},
                                          inputs=[output_data],
                                          outputs=[output_from_notebook],
                                          allow_reuse=True,
                                          compute_target=compute_target,
                                          output_notebook_pipeline_data_name="notebook_result")

print("Notebook Runner Step is Created.")

# --- cell 25
pipeline1 = Pipeline(workspace=ws, steps=[notebook_runner_step])
print("Pipeline creation complete")

# --- cell 26
pipeline_run1 = experiment.submit(pipeline1)

# --- cell 27
from jupyter_pipelines import RunDetails
RunDetails(pipeline_run1).show()

# --- cell 29
pipeline_run1.wait_for_completion()
train_step = pipeline_run1.find_step_run('training_notebook_step') # Retrieve the step runs by name `train.py`

if train_step:
    train_step_obj = train_step[0] # since we have only one step by name `training_notebook_step`
    train_step_obj.get_output_data('notebook_result').download(source_directory) # download the output to source_directory
