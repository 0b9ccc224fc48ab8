# v1 scenario: "Showcasing Dataset and PipelineParameter" (datasets from URLs as pipeline parameters)
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-showcasing-dataset-and-pipelineparameter.ipynb
#   Code cells 4 to 29, in order ("# --- cell N" marks where each begins; markdown left out).
#   train_with_dataset.py is the notebook's %%writefile cell 14.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.environment,
#     azureml.data.dataset_consumption_config, azureml.widgets, azureml.pipeline.core,
#     azureml.pipeline.steps -> jupyter_pipelines (`import azureml.core` -> `import jupyter_pipelines`).
#   - data URLs: https://dprepdata.blob.core.windows.net/... and
#     https://raw.githubusercontent.com/... -> http://127.0.0.1:8000/<same host>/<same path>
#     (tests/v1/scenarios/_internet, served by the test on a port it writes here).
#   - cell 14 (%%writefile train_with_dataset.py) is the file next to this script.
#   - left out: cells 32 to 38 (publish, PublishedPipeline.submit, the REST endpoint):
#     publishing is the next issue's.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 4
import jupyter_pipelines
from jupyter_pipelines import Workspace, Experiment, Dataset, RunConfiguration
from jupyter_pipelines import ComputeTarget, AmlCompute
from jupyter_pipelines import CondaDependencies
from jupyter_pipelines import DatasetConsumptionConfig
from jupyter_pipelines import RunDetails

from jupyter_pipelines import PipelineParameter
from jupyter_pipelines import Pipeline, PipelineRun
from jupyter_pipelines import PythonScriptStep

# Check core SDK version number
print("SDK version:", jupyter_pipelines.VERSION)

# --- cell 6
ws = Workspace.from_config()
print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep = '\n')

# --- cell 8
# Choose a name for the run history container in the workspace.
experiment_name = 'showcasing-dataset'
source_directory  = '.'

experiment = Experiment(ws, experiment_name)
experiment

# --- cell 10
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
    compute_target.wait_for_completion(show_output = True, timeout_in_minutes = 10)
    
     # For a more detailed view of current AmlCompute status, use get_status().

# --- cell 12
file_dataset = Dataset.File.from_files('http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv')
file_pipeline_param = PipelineParameter(name="file_ds_param", default_value=file_dataset)
file_ds_consumption = DatasetConsumptionConfig("file_dataset", file_pipeline_param).as_mount()

tabular_dataset = Dataset.Tabular.from_delimited_files('http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv')
tabular_pipeline_param = PipelineParameter(name="tabular_ds_param", default_value=tabular_dataset)
tabular_ds_consumption = DatasetConsumptionConfig("tabular_dataset", tabular_pipeline_param)

# --- cell 17
conda_dep = CondaDependencies()
conda_dep.add_pip_package("pandas")

run_config = RunConfiguration(conda_dependencies=conda_dep)

# --- cell 18
train_step = PythonScriptStep(
    name="train_step",
    script_name="train_with_dataset.py",
    arguments=["--param1", file_ds_consumption, "--param2", tabular_ds_consumption],
    inputs=[file_ds_consumption, tabular_ds_consumption],
    compute_target=compute_target,
    source_directory=source_directory,
    runconfig=run_config)

print("train_step created")

pipeline = Pipeline(workspace=ws, steps=[train_step])
print("pipeline with the train_step created")

# --- cell 21
# Pipeline will run with default file_ds and tabular_ds
pipeline_run = experiment.submit(pipeline)
print("Pipeline is submitted for execution")

# --- cell 22
RunDetails(pipeline_run).show()

# --- cell 23
pipeline_run.wait_for_completion()

# --- cell 26
iris_file_ds = Dataset.File.from_files('http://127.0.0.1:8000/raw.githubusercontent.com/Azure/MachineLearningNotebooks/'
                                        '4e7b3784d50e81c313c62bcdf9a330194153d9cd/how-to-use-azureml/work-with-data/'
                                        'datasets-tutorial/train-with-datasets/train-dataset/iris.csv')

iris_tabular_ds = Dataset.Tabular.from_delimited_files('http://127.0.0.1:8000/raw.githubusercontent.com/Azure/MachineLearningNotebooks/'
                                                       '4e7b3784d50e81c313c62bcdf9a330194153d9cd/how-to-use-azureml/work-with-data/'
                                                       'datasets-tutorial/train-with-datasets/train-dataset/iris.csv')

# --- cell 27
pipeline_run_with_params = experiment.submit(pipeline, pipeline_parameters={'file_ds_param': iris_file_ds, 'tabular_ds_param': iris_tabular_ds}) 

# --- cell 28
RunDetails(pipeline_run_with_params).show()

# --- cell 29
pipeline_run_with_params.wait_for_completion()
