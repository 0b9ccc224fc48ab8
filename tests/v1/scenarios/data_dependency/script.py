# v1 scenario: "Azure Machine Learning Pipelines with Data Dependency"
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-with-data-dependency-steps.ipynb
#   Every code cell, in order ("# --- cell N" marks where each begins; markdown left out).
#   data_dependency_run_{train,extract,compare}/*.py: the sample's own step scripts, unchanged.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.compute_target,
#     azureml.core.runconfig, azureml.core.conda_dependencies, azureml.data.data_reference,
#     azureml.data.datapath, azureml.pipeline.core, azureml.pipeline.steps, azureml.widgets
#     -> jupyter_pipelines (`import azureml.core` -> `import jupyter_pipelines`).
#   - added first, marked "from aml-pipelines-getting-started.ipynb, cell 13": the notebook reads
#     titanic/Titanic.csv that the getting-started notebook uploaded to the same workspace.
#     Its URL https://dprepdata.blob.core.windows.net/demo/Titanic.csv
#     -> http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv
#   - .azureml/config.json stands for the one v1's configuration notebook writes.

# --- cell 4
import jupyter_pipelines
from jupyter_pipelines import Workspace, Experiment, Datastore
from jupyter_pipelines import AmlCompute
from jupyter_pipelines import ComputeTarget
from jupyter_pipelines import RunDetails

# Check core SDK version number
print("SDK version:", jupyter_pipelines.VERSION)

from jupyter_pipelines import DataReference
from jupyter_pipelines import Pipeline, PipelineData
from jupyter_pipelines import PythonScriptStep
print("Pipeline SDK-specific imports completed")

# --- cell 6
ws = Workspace.from_config()
print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep = '\n')

# Default datastore (Azure blob storage)
# def_blob_store = ws.get_default_datastore()
def_blob_store = Datastore(ws, "workspaceblobstore")
print("Blobstore's name: {}".format(def_blob_store.name))

# --- from aml-pipelines-getting-started.ipynb, cell 13 (the upload this notebook relies on)
import os
import requests
import tempfile
# download data file from remote
response = requests.get("http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv")
titanic_file = os.path.join(tempfile.mkdtemp(), "Titanic.csv")
with open(titanic_file, "w") as f:
    f.write(response.content.decode("utf-8"))
# get_default_datastore() gets the default Azure Blob Store associated with your workspace.
# Here we are reusing the def_blob_store object we obtained earlier
def_blob_store.upload_files([titanic_file], target_path="titanic", overwrite=True)
print("Upload call completed")

# --- cell 8
# source directory
source_directory = 'data_dependency_run_train'
    
print('Sample scripts will be created in {} directory.'.format(source_directory))

# --- cell 11
cts = ws.compute_targets
for ct in cts:
    print(ct)

# --- cell 13
from jupyter_pipelines import ComputeTargetException

aml_compute_target = "cpu-cluster"
try:
    aml_compute = AmlCompute(ws, aml_compute_target)
    print("found existing compute target.")
except ComputeTargetException:
    print("creating new compute target")
    
    provisioning_config = AmlCompute.provisioning_configuration(vm_size = "STANDARD_D2_V2",
                                                                min_nodes = 1, 
                                                                max_nodes = 4)    
    aml_compute = ComputeTarget.create(ws, aml_compute_target, provisioning_config)
    aml_compute.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)
    
print("Aml Compute attached")

# --- cell 14
# For a more detailed view of current Azure Machine Learning Compute status, use get_status()
# example: un-comment the following line.
# print(aml_compute.get_status().serialize())

# --- cell 17
# Reference the data uploaded to blob storage using DataReference
# Assign the datasource to blob_input_data variable

# DataReference(datastore, 
#               data_reference_name=None, 
#               path_on_datastore=None, 
#               mode='mount', 
#               path_on_compute=None, 
#               overwrite=False)

blob_input_data = DataReference(
    datastore=def_blob_store,
    data_reference_name="test_data",
    path_on_datastore="titanic/Titanic.csv")
print("DataReference object created")

# --- cell 19
# Define intermediate data using PipelineData
# Syntax

# PipelineData(name, 
#              datastore=None, 
#              output_name=None, 
#              output_mode='mount', 
#              output_path_on_compute=None, 
#              output_overwrite=None, 
#              data_type=None, 
#              is_directory=None)

# Naming the intermediate data as processed_data1 and assigning it to the variable processed_data1.
processed_data1 = PipelineData("processed_data1",datastore=def_blob_store, is_directory=True)
print("PipelineData object created")

# --- cell 23
from jupyter_pipelines import RunConfiguration
from jupyter_pipelines import CondaDependencies
from jupyter_pipelines import DEFAULT_CPU_IMAGE

# create a new runconfig object
run_config = RunConfiguration()

# enable Docker 
run_config.environment.docker.enabled = True

# set Docker base image to the default CPU-based image
run_config.environment.docker.base_image = DEFAULT_CPU_IMAGE

# use conda_dependencies.yml to create a conda environment in the Docker image for execution
run_config.environment.python.user_managed_dependencies = False

# specify CondaDependencies obj
run_config.environment.python.conda_dependencies = CondaDependencies.create(conda_packages=['scikit-learn'])

# --- cell 24
# step4 consumes the datasource (Datareference) in the previous step
# and produces processed_data1
trainStep = PythonScriptStep(
    script_name="train.py", 
    arguments=["--input_data", blob_input_data, "--output_train", processed_data1],
    inputs=[blob_input_data],
    outputs=[processed_data1],
    compute_target=aml_compute, 
    source_directory=source_directory,
    runconfig=run_config
)
print("trainStep created")

# --- cell 26
# step5 to use the intermediate data produced by step4
# This step also produces an output processed_data2
processed_data2 = PipelineData("processed_data2", datastore=def_blob_store, is_directory=True)
source_directory = "data_dependency_run_extract"

extractStep = PythonScriptStep(
    script_name="extract.py",
    arguments=["--input_extract", processed_data1, "--output_extract", processed_data2],
    inputs=[processed_data1],
    outputs=[processed_data2],
    compute_target=aml_compute, 
    source_directory=source_directory)
print("extractStep created")

# --- cell 28
# Reference the data uploaded to blob storage using a PipelineParameter and a DataPath
from jupyter_pipelines import PipelineParameter
from jupyter_pipelines import DataPath, DataPathComputeBinding

datapath = DataPath(datastore=def_blob_store, path_on_datastore='titanic/Titanic.csv')
datapath_param = PipelineParameter(name="compare_data", default_value=datapath)
data_parameter1 = (datapath_param, DataPathComputeBinding(mode='mount'))

# --- cell 29
# Now define the compare step which takes two inputs and produces an output
processed_data3 = PipelineData("processed_data3", datastore=def_blob_store, is_directory=True)
source_directory = "data_dependency_run_compare"

compareStep = PythonScriptStep(
    script_name="compare.py",
    arguments=["--compare_data1", data_parameter1, "--compare_data2", processed_data2, "--output_compare", processed_data3],
    inputs=[data_parameter1, processed_data2],
    outputs=[processed_data3],    
    compute_target=aml_compute, 
    source_directory=source_directory)
print("compareStep created")

# --- cell 31
pipeline1 = Pipeline(workspace=ws, steps=[compareStep])
print ("Pipeline is built")

# --- cell 32
pipeline_run1 = Experiment(ws, 'Data_dependency_sample').submit(pipeline1)
print("Pipeline is submitted for execution")

# --- cell 33
RunDetails(pipeline_run1).show()

# --- cell 35
pipeline_run1.wait_for_completion(show_output=True)

# --- cell 37
# Get Steps
for step in pipeline_run1.get_steps():
    print("Outputs of step " + step.name)
    
    # Get a dictionary of StepRunOutputs with the output name as the key 
    output_dict = step.get_outputs()
    
    for name, output in output_dict.items():
        
        output_reference = output.get_port_data_reference() # Get output port data reference
        print("\tname: " + name)
        print("\tdatastore: " + output_reference.datastore_name)
        print("\tpath on datastore: " + output_reference.path_on_datastore)

# --- cell 39
# Retrieve the step runs by name 'train.py'
train_step = pipeline_run1.find_step_run('train.py')

if train_step:
    train_step_obj = train_step[0] # since we have only one step by name 'train.py'
    train_step_obj.get_output_data('processed_data1').download("./outputs") # download the output to current directory
