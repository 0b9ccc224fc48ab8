# v1 scenario: the seed document, "Create and run machine learning pipelines with Azure Machine
# Learning SDK" (its Polish translation, "Tworzenie i uruchamianie potoków uczenia maszynowego
# za pomocą zestawu SDK Azure Machine Learning", ms.date 03/02/2021)
#
# Source: /work/shared/seed/000_9504abb4b96fdcbe.txt (learn.microsoft.com, pl-pl,
#   how-to-create-machine-learning-pipelines): every code snippet, in the article's order
#   ("# --- how-to: <section>" marks each). The step scripts the snippets name (prepare.py,
#   train.py, compare.py, iris_train.py, hello_world.py) are not shown by the article and are
#   written next to this script; iris_train.py holds the article's own lines.
#   Copyright (c) Microsoft Corporation. Documentation code, MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.runconfig,
#     azureml.core.conda_dependencies, azureml.data, azureml.pipeline.core,
#     azureml.pipeline.steps -> jupyter_pipelines (`import azureml.core` -> `import jupyter_pipelines`).
#   - added "# --- set-up" lines for the names the article uses without defining them:
#     the upload of train-images/ it reads, `datastore`, `compare_step` ("definition not
#     shown"), `iris_tabular_dataset` (from the iris CSV URL, served by the test at
#     http://127.0.0.1:8000/raw.githubusercontent.com/..., port rewritten), `project_folder`,
#     `aml_compute`, `source_directory`, and the `exp` and `pipeline` of its
#     `exp.submit(pipeline, regenerate_outputs=False)`.
#   - left out: `aml_run_config.environment.name = 'MyEnvironment'; .version = '1.0'`, which
#     names a registered environment the article never registers.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- how-to: Prerequisites
import jupyter_pipelines
from jupyter_pipelines import Workspace, Datastore

ws = Workspace.from_config()

# --- how-to: Set up a datastore
# Default datastore 
def_data_store = ws.get_default_datastore()

# Get the blob storage associated with the workspace
def_blob_store = Datastore(ws, "workspaceblobstore")

# Get file storage associated with the workspace
def_file_store = Datastore(ws, "workspacefilestore")

# --- set-up: the images the article reads from the blob store
def_blob_store.upload(src_dir='train-images', target_path='train-images', overwrite=True)

# --- how-to: Configure data with Dataset and OutputFileDatasetConfig objects
from jupyter_pipelines import Dataset

my_dataset = Dataset.File.from_files([(def_blob_store, 'train-images/')])

# --- set-up: the article's `datastore`
datastore = def_blob_store

from jupyter_pipelines import OutputFileDatasetConfig

output_data1 = OutputFileDatasetConfig(destination = (datastore, 'outputdataset/{run-id}'))
output_data_dataset = output_data1.register_on_complete(name = 'prepared_output_data')

# --- how-to: Azure Machine Learning compute
from jupyter_pipelines import ComputeTarget, AmlCompute

compute_name = "aml-compute"
vm_size = "STANDARD_NC6"
if compute_name in ws.compute_targets:
    compute_target = ws.compute_targets[compute_name]
    if compute_target and type(compute_target) is AmlCompute:
        print('Found compute target: ' + compute_name)
else:
    print('Creating a new compute target...')
    provisioning_config = AmlCompute.provisioning_configuration(vm_size=vm_size,  # STANDARD_NC6 is GPU-enabled
                                                                min_nodes=0,
                                                                max_nodes=4)
    # create the compute target
    compute_target = ComputeTarget.create(
        ws, compute_name, provisioning_config)

    # Can poll for a minimum number of nodes and for a specific timeout.
    # If no min node count is provided it will use the scale settings for the cluster
    compute_target.wait_for_completion(
        show_output=True, min_node_count=None, timeout_in_minutes=20)

    # For a more detailed view of current cluster status, use the 'status' property
    print(compute_target.status.serialize())

# --- how-to: Configure the training run's environment
from jupyter_pipelines import RunConfiguration
from jupyter_pipelines import CondaDependencies
from jupyter_pipelines import Environment 

aml_run_config = RunConfiguration()
# `compute_target` as defined in "Azure Machine Learning compute" section above
aml_run_config.target = compute_target

USE_CURATED_ENV = True
if USE_CURATED_ENV :
    curated_environment = Environment.get(workspace=ws, name="AzureML-Tutorial")
    aml_run_config.environment = curated_environment
else:
    aml_run_config.environment.python.user_managed_dependencies = False
    
    # Add some packages relied on by data prep step
    aml_run_config.environment.python.conda_dependencies = CondaDependencies.create(
        conda_packages=['pandas','scikit-learn'], 
        pip_packages=['azureml-sdk', 'azureml-dataprep[fuse,pandas]'], 
        pin_sdk_version=False)

# --- how-to: Construct your pipeline steps
from jupyter_pipelines import PythonScriptStep
dataprep_source_dir = "./dataprep_src"
entry_point = "prepare.py"
# `my_dataset` as defined above
ds_input = my_dataset.as_named_input('input1')

# `output_data1`, `compute_target`, `aml_run_config` as defined above
data_prep_step = PythonScriptStep(
    script_name=entry_point,
    source_directory=dataprep_source_dir,
    arguments=["--input", ds_input.as_download(), "--output", output_data1],
    compute_target=compute_target,
    runconfig=aml_run_config,
    allow_reuse=True
)

train_source_dir = "./train_src"
train_entry_point = "train.py"

training_results = OutputFileDatasetConfig(name = "training_results",
    destination = def_blob_store)

    
train_step = PythonScriptStep(
    script_name=train_entry_point,
    source_directory=train_source_dir,
    arguments=["--prepped_data", output_data1.as_input(), "--training_results", training_results],
    compute_target=compute_target,
    runconfig=aml_run_config,
    allow_reuse=True
)

# --- set-up: the article's `compare_step` ("definition not shown")
compare_step = PythonScriptStep(
    script_name="compare.py",
    source_directory="./compare_src",
    arguments=["--training_results", training_results.as_input()],
    compute_target=compute_target,
    runconfig=aml_run_config,
    allow_reuse=True
)

# list of steps to run (`compare_step` definition not shown)
compare_models = [data_prep_step, train_step, compare_step]

from jupyter_pipelines import Pipeline

# Build the pipeline
pipeline1 = Pipeline(workspace=ws, steps=[compare_models])

# --- set-up: the article's `iris_tabular_dataset` and `project_folder`
iris_tabular_dataset = Dataset.Tabular.from_delimited_files('http://127.0.0.1:8000/raw.githubusercontent.com/Azure/MachineLearningNotebooks/'
                                                            '4e7b3784d50e81c313c62bcdf9a330194153d9cd/how-to-use-azureml/work-with-data/'
                                                            'datasets-tutorial/train-with-datasets/train-dataset/iris.csv')
project_folder = './iris_src'

# --- how-to: Use a dataset
dataset_consuming_step = PythonScriptStep(
    script_name="iris_train.py",
    inputs=[iris_tabular_dataset.as_named_input("iris_data")],
    compute_target=compute_target,
    source_directory=project_folder
)

# --- set-up: the article's `aml_compute` and `source_directory`
aml_compute = compute_target
source_directory = './hello_src'

# --- how-to: Caching & reuse
step = PythonScriptStep(name="Hello World",
                        script_name="hello_world.py",
                        compute_target=aml_compute,
                        source_directory=source_directory,
                        allow_reuse=False,
                        hash_paths=['hello_world.ipynb'])

# --- how-to: Submit the pipeline
from jupyter_pipelines import Experiment

# Submit the pipeline to be run
pipeline_run1 = Experiment(ws, 'Compare_Models_Exp').submit(pipeline1)
pipeline_run1.wait_for_completion()

# --- how-to: Use pipeline parameters for arguments that change at inference time
from jupyter_pipelines import PipelineParameter

pipeline_param = PipelineParameter(name="pipeline_arg", default_value="default_val")
train_step = PythonScriptStep(script_name="train.py",
                            arguments=["--param1", pipeline_param],
                            target=compute_target,
                            source_directory=project_folder)

# --- set-up: the article's `exp` and `pipeline` (the steps of its later sections)
exp = Experiment(ws, 'Seed_Howto_Exp')
pipeline = Pipeline(workspace=ws, steps=[dataset_consuming_step, step, train_step])

# --- how-to: Caching & reuse ("Force output regeneration for all steps in a run")
pipeline_run = exp.submit(pipeline, regenerate_outputs=False)
pipeline_run.wait_for_completion()
