# v1 scenario: "How to create, update and submit a PipelineDraft"
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-how-to-use-pipeline-drafts.ipynb
#   Code cells 4 to 18, in order ("# --- cell N" marks where each begins; markdown left out).
#   publish_run_train/train.py: the sample's own step script, unchanged.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.compute_target, azureml.widgets,
#     azureml.pipeline.core, azureml.pipeline.steps -> jupyter_pipelines
#     (`import azureml.core` -> `import jupyter_pipelines`).
#   - left out: cell 20 (pipeline_draft.publish()): publishing is the next issue's.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 4
import jupyter_pipelines
from jupyter_pipelines import Workspace
from jupyter_pipelines import RunDetails

# Check core SDK version number
print("SDK version:", jupyter_pipelines.VERSION)

ws = Workspace.from_config()
print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep = '\n')

# --- cell 6
from jupyter_pipelines import AmlCompute, ComputeTarget
from jupyter_pipelines import ComputeTargetException
aml_compute_target = "cpu-cluster"
try:
    aml_compute = AmlCompute(ws, aml_compute_target)
    print("Found existing compute target: {}".format(aml_compute_target))
except ComputeTargetException:
    print("Creating new compute target: {}".format(aml_compute_target))
    
    provisioning_config = AmlCompute.provisioning_configuration(vm_size = "STANDARD_D2_V2",
                                                                min_nodes = 1, 
                                                                max_nodes = 4)    
    aml_compute = ComputeTarget.create(ws, aml_compute_target, provisioning_config)
    aml_compute.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)

# --- cell 8
from jupyter_pipelines import Pipeline
from jupyter_pipelines import PythonScriptStep

source_directory = "publish_run_train"

train_step = PythonScriptStep(
    name="Training_Step",
    script_name="train.py", 
    compute_target=aml_compute_target, 
    source_directory=source_directory)
print("train step created")

pipeline = Pipeline(workspace=ws, steps=[train_step])
print ("Pipeline is built")

# --- cell 10
from jupyter_pipelines import PipelineDraft

pipeline_draft = PipelineDraft.create(ws, name="TestPipelineDraft",
                                      description="draft description",
                                      experiment_name="pipeline_draft_sample",
                                      pipeline=pipeline,
                                      continue_on_step_failure=True,
                                      tags={'dev': 'true'},
                                      properties={'train': 'value'})

created_pipeline_draft_id = pipeline_draft.id

# --- cell 12
pipeline_drafts = PipelineDraft.list(ws, tags={'dev': 'true'})

for pipeline_draft in pipeline_drafts:
    print(pipeline_draft)

# --- cell 14
pipeline_draft = PipelineDraft.get(ws, id=created_pipeline_draft_id)

# --- cell 16
new_train_step = PythonScriptStep(
    name="New_Training_Step",
    script_name="train.py", 
    compute_target=aml_compute_target, 
    source_directory=source_directory)

new_pipeline = Pipeline(workspace=ws, steps=[new_train_step])

pipeline_draft.update(name="UpdatedPipelineDraft", description="has updated train step", pipeline=new_pipeline)

# --- cell 18
pipeline_run = pipeline_draft.submit_run()
pipeline_run
