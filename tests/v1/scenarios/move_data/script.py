# v1 scenario: "Moving data into and between ML pipeline steps (Python)"
#
# Source: the v1 how-to https://learn.microsoft.com/azure/machine-learning/v1/how-to-move-data-in-out-of-pipelines
#   (MicrosoftDocs/azure-ai-docs, articles/machine-learning/v1/how-to-move-data-in-out-of-pipelines.md),
#   its snippets in the article's order ("# --- how-to: <section>" marks each), and the example of
#   the v1 reference page of azureml.data.output_dataset_config.OutputFileDatasetConfig
#   ("# --- reference: OutputFileDatasetConfig"). The how-to's snippets show "the form of the
#   calls"; the step scripts they name (train.py, dataprep.py, step1.py, step2.py) are written
#   next to this script from the article's own script snippets.
#   Copyright (c) Microsoft Corporation. Documentation code, MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.data, azureml.data.datapath, azureml.pipeline.core,
#     azureml.pipeline.steps -> jupyter_pipelines.
#   - added "# --- set-up" (what the how-to says must already exist): the datastores
#     'training_data' (holding iris.csv and animals/) and 'my_adlsgen2', registered with the
#     local registration call (the how-to does not show how they were registered); a
#     'cpu-cluster' compute target named `cluster` and `compute`; `aml_run_config`; the dataset
#     'raw_data' that Dataset.get_by_name reads; `workspace = ws` (the article uses both names).
#   - left out: the "demonstration only" snippet passing a TabularDataset `.as_download()`
#     (v1 itself refuses an access mode on a TabularDataset, as the article says).
#   - the reference example submits a ScriptRunConfig; here its output goes to a
#     PythonScriptStep of a pipeline, the same call otherwise.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- how-to: Prerequisites
import jupyter_pipelines
from jupyter_pipelines import Workspace, Datastore

ws = Workspace.from_config()

# --- set-up
from jupyter_pipelines import AmlCompute, ComputeTarget, Dataset, DataPath, Experiment, RunConfiguration
from jupyter_pipelines import Pipeline, PythonScriptStep

workspace = ws
Datastore.register(ws, 'training_data', 'training_data', overwrite=True)
Datastore.register(ws, 'my_adlsgen2', 'adlsgen2', overwrite=True)
if 'cpu-cluster' not in ws.compute_targets:
    ComputeTarget.create(ws, 'cpu-cluster', AmlCompute.provisioning_configuration(vm_size='STANDARD_D2_V2', max_nodes=4))
cluster = ws.compute_targets['cpu-cluster']
compute = cluster
aml_run_config = RunConfiguration()
aml_run_config.target = cluster

# --- how-to: Use Dataset objects for pre-existing data
datastore = Datastore.get(workspace, 'training_data')
iris_dataset = Dataset.Tabular.from_delimited_files(DataPath(datastore, 'iris.csv'))

datastore_path = [
    DataPath(datastore, 'animals/dog/1.jpg'),
    DataPath(datastore, 'animals/dog/2.jpg'),
    DataPath(datastore, 'animals/cat/*.jpg')
]
cats_dogs_dataset = Dataset.File.from_files(path=datastore_path)

# --- set-up: the registered dataset the how-to's dataprep step reads by name
cats_dogs_dataset.register(ws, 'raw_data', create_new_version=True)

# --- how-to: Pass datasets to your script
train_step = PythonScriptStep(
    name="train_data",
    script_name="train.py",
    compute_target=cluster,
    inputs=[iris_dataset.as_named_input('iris')]
)

seed = 42 # PRNG seed
smaller_dataset = iris_dataset.take_sample(0.1, seed=seed) # 10%
train, test = smaller_dataset.random_split(percentage=0.8, seed=seed)

train_step = PythonScriptStep(
    name="train_data",
    script_name="train.py",
    compute_target=cluster,
    inputs=[train.as_named_input('train'), test.as_named_input('test')]
)

# --- how-to: Use OutputFileDatasetConfig for intermediate data
from jupyter_pipelines import OutputFileDatasetConfig
dataprep_output = OutputFileDatasetConfig()
input_dataset = Dataset.get_by_name(workspace, 'raw_data')

dataprep_step = PythonScriptStep(
    name="prep_data",
    script_name="dataprep.py",
    compute_target=cluster,
    arguments=[input_dataset.as_named_input('raw_data').as_mount(), dataprep_output]
    )

# --- how-to: Read OutputFileDatasetConfig as inputs to non-initial steps
# get adls gen 2 datastore already registered with the workspace
datastore = workspace.datastores['my_adlsgen2']
step1_output_data = OutputFileDatasetConfig(name="processed_data", destination=(datastore, "mypath/{run-id}/{output-name}")).as_upload()

step1 = PythonScriptStep(
    name="generate_data",
    script_name="step1.py",
    runconfig = aml_run_config,
    arguments = ["--output_path", step1_output_data]
)

step2 = PythonScriptStep(
    name="read_pipeline_data",
    script_name="step2.py",
    compute_target=compute,
    runconfig = aml_run_config,
    arguments = ["--pd", step1_output_data.as_input()]

)

pipeline = Pipeline(workspace=ws, steps=[step1, step2])

# --- how-to: Register OutputFileDatasetConfig objects for reuse
step1_output_ds = step1_output_data.register_on_complete(
    name='processed_data', 
    description = 'files from step1'
)

# --- reference: OutputFileDatasetConfig (promote the output to a tabular dataset named foo)
output = OutputFileDatasetConfig().read_delimited_files().register_on_complete('foo')
write_step = PythonScriptStep(name="write_table", script_name="write_table.py", arguments=[output], compute_target=cluster)

# --- submit, as the seed how-to does ("Submit the pipeline")
pipeline_run = Experiment(ws, 'move-data').submit(Pipeline(workspace=ws, steps=[train_step, dataprep_step, write_step]))
pipeline_run.wait_for_completion(show_output=True)

pipeline_run2 = Experiment(ws, 'move-data').submit(pipeline)
pipeline_run2.wait_for_completion(show_output=True)

for step_run in pipeline_run.get_steps():
    print(step_run.name, step_run.get_status(), step_run.get_metrics())

print(Dataset.get_by_name(ws, 'processed_data').to_path())
print(Dataset.get_by_name(ws, 'foo').to_pandas_dataframe())
