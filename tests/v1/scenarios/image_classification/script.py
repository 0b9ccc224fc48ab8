# v1 scenario: "Build a simple ML pipeline for image classification" (datasets in pipelines)
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/work-with-data/datasets-tutorial/pipeline-with-datasets/pipeline-for-image-classification.ipynb
#   (the "two-step pipeline" the seed how-to links to). Every code cell, in order
#   ("# --- cell N" marks where each begins; markdown left out).
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.compute_target, azureml.data,
#     azureml.pipeline.core, azureml.pipeline.steps -> jupyter_pipelines
#     (`import azureml.core` -> `import jupyter_pipelines`).
#   - data URL: https://azuremldownloads.blob.core.windows.net/demo/mnist-fashion (a folder)
#     -> http://127.0.0.1:8000/azuremldownloads.blob.core.windows.net/demo/mnist-fashion
#     (tests/v1/scenarios/_internet, served by the test on a port it writes here; its
#     Fashion-MNIST files are tiny synthetic ones: 60 training and 20 test images).
#   - cell 20 (%%writefile conda_dependencies.yml) is the file next to this script, listing
#     numpy and pandas instead of keras, tensorflow-gpu, scikit-learn, matplotlib and pins that
#     no Python 3.10+ can install.
#   - keras-mnist-fashion/prepare.py: the sample's, with 60000/10000 images -> 60/20;
#     keras-mnist-fashion/train.py: a numpy stand-in for the Keras CNN keeping every azureml
#     call (see their headers).
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 4
import os
import jupyter_pipelines
from jupyter_pipelines import Workspace, Dataset, Datastore, ComputeTarget, Experiment, ScriptRunConfig
from jupyter_pipelines import PythonScriptStep
from jupyter_pipelines import Pipeline
# check core SDK version number
print("Azure ML SDK Version: ", jupyter_pipelines.VERSION)

# --- cell 6
# load workspace
workspace = Workspace.from_config()
print('Workspace name: ' + workspace.name, 
      'Azure region: ' + workspace.location, 
      'Subscription id: ' + workspace.subscription_id, 
      'Resource group: ' + workspace.resource_group, sep='\n')

# --- cell 8
# create an ML experiment
exp = Experiment(workspace=workspace, name='keras-mnist-fashion')

# create a directory
script_folder = './keras-mnist-fashion'
os.makedirs(script_folder, exist_ok=True)

# --- cell 10
from jupyter_pipelines import ComputeTarget, AmlCompute
from jupyter_pipelines import ComputeTargetException

# choose a name for your cluster
cluster_name = "gpu-cluster"

try:
    compute_target = ComputeTarget(workspace=workspace, name=cluster_name)
    print('Found existing compute target')
except ComputeTargetException:
    print('Creating a new compute target...')
    compute_config = AmlCompute.provisioning_configuration(vm_size='Standard_NC6s_v3', 
                                                           max_nodes=4)

    # create the cluster
    compute_target = ComputeTarget.create(workspace, cluster_name, compute_config)

    # can poll for a minimum number of nodes and for a specific timeout. 
    # if no min node count is provided it uses the scale settings for the cluster
    compute_target.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)

# use get_status() to get a detailed status for the current cluster. 
print(compute_target.get_status().serialize())

# --- cell 12
data_urls = ['http://127.0.0.1:8000/azuremldownloads.blob.core.windows.net/demo/mnist-fashion']
fashion_ds = Dataset.File.from_files(data_urls)

# list the files referenced by fashion_ds
fashion_ds.to_path()

# --- cell 15
from jupyter_pipelines import OutputFileDatasetConfig

# learn more about the output config
help(OutputFileDatasetConfig)

# --- cell 16
# write output to datastore under folder `outputdataset` and register it as a dataset after the experiment completes
# make sure the service principal in your datastore has blob data contributor role in order to write data back
datastore=workspace.get_default_datastore()
prepared_fashion_ds = OutputFileDatasetConfig(destination=(datastore, 'outputdataset/{run-id}')).register_on_complete(name='prepared_fashion_ds')

# --- cell 18
prep_step = PythonScriptStep(name='prepare step',
                             script_name="prepare.py",
                             # mount fashion_ds dataset to the compute_target
                             arguments=[fashion_ds.as_named_input('fashion_ds').as_mount(), prepared_fashion_ds],
                             source_directory=script_folder,
                             compute_target=compute_target,
                             allow_reuse=True)

# --- cell 21
from jupyter_pipelines import Environment

keras_env = Environment.from_conda_specification(name = 'keras-env', file_path = './conda_dependencies.yml')

# --- cell 22
train_src = ScriptRunConfig(source_directory=script_folder,
                            script='train.py',
                            compute_target=compute_target,
                            environment=keras_env)

# --- cell 24
train_step = PythonScriptStep(name='train step',
                              arguments=[prepared_fashion_ds.read_delimited_files().as_input(name='prepared_fashion_ds')],
                              source_directory=train_src.source_directory,
                              script_name=train_src.script,
                              runconfig=train_src.run_config)

# --- cell 26
# build pipeline & run experiment
pipeline = Pipeline(workspace, steps=[prep_step, train_step])
run = exp.submit(pipeline)

# --- cell 28
run.wait_for_completion(show_output=True)

# --- cell 29
run.find_step_run('train step')[0].get_metrics()

# --- cell 32
# get input datasets
prep_step = run.find_step_run('prepare step')[0]
inputs = prep_step.get_details()['inputDatasets']
input_dataset = inputs[0]['dataset']

# list the files referenced by input_dataset
input_dataset.to_path()

# --- cell 34
fashion_ds = input_dataset.register(workspace = workspace,
                                    name = 'fashion_ds',
                                    description = 'image and label files from fashion mnist',
                                    create_new_version = True)
fashion_ds

# --- cell 36
run.find_step_run('train step')[0].register_model(model_name = 'keras-model', model_path = 'outputs/model/', 
                                                  datasets =[('train test data',fashion_ds)])
