# v1 scenario: "Azure Machine Learning Pipelines: Getting Started"
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-getting-started.ipynb
#   Every code cell, in order ("# --- cell N" marks where each begins; markdown left out).
#   train/train.py, compare/compare.py, extract/extract.py: the sample's own step scripts, unchanged.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.compute_target,
#     azureml.core.runconfig, azureml.core.conda_dependencies, azureml.pipeline.core,
#     azureml.pipeline.steps, azureml.widgets -> jupyter_pipelines
#     (`import azureml.core` -> `import jupyter_pipelines`, so `azureml.core.VERSION` is
#     `jupyter_pipelines.VERSION`).
#   - data URL: https://dprepdata.blob.core.windows.net/demo/Titanic.csv
#     -> http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv
#     (tests/v1/scenarios/_internet, served by the test on a port it writes here).
#   - config.json next to this script stands for the one v1's configuration notebook writes.

# --- cell 5
import os
import requests
import tempfile
import jupyter_pipelines
from jupyter_pipelines import Workspace, Experiment, Datastore
from jupyter_pipelines import RunDetails

# Check core SDK version number
print("SDK version:", jupyter_pipelines.VERSION)

# --- cell 7
from jupyter_pipelines import Pipeline
from jupyter_pipelines import PythonScriptStep

print("Pipeline SDK-specific imports completed")

# --- cell 9
ws = Workspace.from_config()
print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep = '\n')

# Default datastore
def_blob_store = ws.get_default_datastore() 
# The following call GETS the Azure Blob Store associated with your workspace.
# Note that workspaceblobstore is **the name of this store and CANNOT BE CHANGED and must be used as is** 
def_blob_store = Datastore(ws, "workspaceblobstore")
print("Blobstore's name: {}".format(def_blob_store.name))

# --- cell 13
# download data file from remote
response = requests.get("http://127.0.0.1:8000/dprepdata.blob.core.windows.net/demo/Titanic.csv")
titanic_file = os.path.join(tempfile.mkdtemp(), "Titanic.csv")
with open(titanic_file, "w") as f:
    f.write(response.content.decode("utf-8"))
# get_default_datastore() gets the default Azure Blob Store associated with your workspace.
# Here we are reusing the def_blob_store object we obtained earlier
def_blob_store.upload_files([titanic_file], target_path="titanic", overwrite=True)
print("Upload call completed")

# --- cell 17
cts = ws.compute_targets
for ct in cts:
    print(ct)

# --- cell 19
from jupyter_pipelines import ComputeTarget, AmlCompute
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
    
print("Azure Machine Learning Compute attached")

# --- cell 20
# For a more detailed view of current Azure Machine Learning Compute status, use get_status()
# example: un-comment the following line.
# print(aml_compute.get_status().serialize())

# --- cell 24
# Uses default values for PythonScriptStep construct.

source_directory = './train'
print('Source directory for the step is {}.'.format(os.path.realpath(source_directory)))

# Syntax
# PythonScriptStep(
#     script_name, 
#     name=None, 
#     arguments=None, 
#     compute_target=None, 
#     runconfig=None, 
#     inputs=None, 
#     outputs=None, 
#     params=None, 
#     source_directory=None, 
#     allow_reuse=True, 
#     version=None, 
#     hash_paths=None)
# This returns a Step
step1 = PythonScriptStep(name="train_step",
                         script_name="train.py", 
                         compute_target=aml_compute, 
                         source_directory=source_directory,
                         allow_reuse=True)
print("Step1 created")

# --- cell 27
# For this step, we use a different source_directory
source_directory = './compare'
print('Source directory for the step is {}.'.format(os.path.realpath(source_directory)))

# All steps use the same Azure Machine Learning compute target as well
step2 = PythonScriptStep(name="compare_step",
                         script_name="compare.py", 
                         compute_target=aml_compute, 
                         source_directory=source_directory)

# Use a RunConfiguration to specify some additional requirements for this step.
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

# For this step, we use yet another source_directory
source_directory = './extract'
print('Source directory for the step is {}.'.format(os.path.realpath(source_directory)))

step3 = PythonScriptStep(name="extract_step",
                         script_name="extract.py", 
                         compute_target=aml_compute, 
                         source_directory=source_directory,
                         runconfig=run_config)

# list of steps to run
steps = [step1, step2, step3]
print("Step lists created")

# --- cell 29
# Syntax
# Pipeline(workspace, 
#          steps, 
#          description=None, 
#          default_datastore_name=None, 
#          default_source_directory=None, 
#          resolve_closure=True, 
#          _workflow_provider=None, 
#          _service_endpoint=None)

pipeline1 = Pipeline(workspace=ws, steps=steps)
print ("Pipeline is built")

# --- cell 31
pipeline1.validate()
print("Pipeline validation complete")

# --- cell 33
# Submit syntax
# submit(experiment_name, 
#        pipeline_parameters=None, 
#        continue_on_step_failure=False, 
#        regenerate_outputs=False)

pipeline_run1 = Experiment(ws, 'Hello_World1').submit(pipeline1, regenerate_outputs=False)
print("Pipeline is submitted for execution")

# --- cell 36
RunDetails(pipeline_run1).show()

# --- cell 38
step_runs = pipeline_run1.get_children()
for step_run in step_runs:
    status = step_run.get_status()
    print('Script:', step_run.name, 'status:', status)
    
    # Change this if you want to see details even if the Step has succeeded.
    if status == "Failed":
        joblog = step_run.get_job_log()
        print('job log:', joblog)

# --- cell 40
#pipeline_run1.wait_for_completion()
#for step_run in pipeline_run1.get_children():
#    print("{}: {}".format(step_run.name, step_run.get_metrics()))

# --- cell 42
step2.run_after(step1)
step3.run_after(step2)

# Try a loop
#step2.run_after(step3)

# Now, construct the pipeline using the steps.

# We can specify the "final step" in the chain, 
# Pipeline will take care of "transitive closure" and 
# figure out the implicit or explicit dependencies
# https://www.geeksforgeeks.org/transitive-closure-of-a-graph/
pipeline2 = Pipeline(workspace=ws, steps=[step3])
print ("Pipeline is built")

pipeline2.validate()
print("Simple validation complete")

# --- cell 43
pipeline_run2 = Experiment(ws, 'Hello_World2').submit(pipeline2)
print("Pipeline is submitted for execution")

# --- cell 44
RunDetails(pipeline_run2).show()
