# v1 scenario: "Showcasing DataPath and PipelineParameter" (v1's pipeline parameters for data)
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-showcasing-datapath-and-pipelineparameter.ipynb
#   Code cells 4 to 27, in order ("# --- cell N" marks where each begins; markdown left out).
#   train_with_datapath.py is the notebook's %%writefile cell 12. The same code is the example
#   of the v1 reference page of azureml.data.datapath.DataPath.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.data.datapath, azureml.widgets,
#     azureml.pipeline.core, azureml.pipeline.steps -> jupyter_pipelines
#     (`import azureml.core` -> `import jupyter_pipelines`).
#   - cell 12 (%%writefile train_with_datapath.py) is the file next to this script.
#   - left out: cells 30 to 39 (publish, the REST endpoint, a datastore-triggered Schedule):
#     publishing is the next issue's.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 4
import jupyter_pipelines
from jupyter_pipelines import Workspace, Experiment
from jupyter_pipelines import ComputeTarget, AmlCompute
from jupyter_pipelines import DataPath, DataPathComputeBinding
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
experiment_name = 'showcasing-datapath'
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

# --- cell 14
def_blob_store = ws.get_default_datastore()
print("Default datastore's name: {}".format(def_blob_store.name))

data_path = DataPath(datastore=def_blob_store, path_on_datastore='sample_datapath1')
datapath1_pipeline_param = PipelineParameter(name="input_datapath", default_value=data_path)
datapath_input = (datapath1_pipeline_param, DataPathComputeBinding(mode='mount'))

string_pipeline_param = PipelineParameter(name="input_string", default_value='sample_string1')

# --- cell 17
train_step = PythonScriptStep(
    name='train_step',
    script_name="train_with_datapath.py",
    arguments=["--arg1", string_pipeline_param, "--arg2", datapath_input],
    inputs=[datapath_input],
    compute_target=compute_target, 
    source_directory=source_directory)
print("train_step created")

pipeline = Pipeline(workspace=ws, steps=[train_step])
print("pipeline with the train_step created")

# --- cell 20
pipeline_run = experiment.submit(pipeline)
print("Pipeline is submitted for execution")

# --- cell 21
RunDetails(pipeline_run).show()

# --- cell 22
pipeline_run.wait_for_completion()

# --- cell 25
pipeline_run_with_params = experiment.submit(pipeline, \
        pipeline_parameters={'input_datapath': DataPath(datastore=def_blob_store, path_on_datastore='sample_datapath2'),
                         'input_string': 'sample_string2'}) 

# --- cell 26
RunDetails(pipeline_run_with_params).show()

# --- cell 27
pipeline_run_with_params.wait_for_completion()
