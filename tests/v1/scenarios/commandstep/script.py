# v1 scenario: "Azure Machine Learning Pipeline with CommandStep"
#
# Source: github.com/Azure/MachineLearningNotebooks (commit f1aff553c475be391acb2e5d4e4094867b5963c0)
#   how-to-use-azureml/machine-learning-pipelines/intro-to-pipelines/aml-pipelines-with-commandstep.ipynb
#   Every code cell, in order ("# --- cell N" marks where each begins; markdown left out).
#   commandstep_train/conda_dependencies.yml: the sample's own file, unchanged.
#   Copyright (c) Microsoft Corporation. Licensed under the MIT License.
#
# Changed, and nothing else:
#   - imports: azureml.core, azureml.core.compute, azureml.core.compute_target,
#     azureml.core.runconfig, azureml.pipeline.core, azureml.pipeline.steps, azureml.widgets
#     -> jupyter_pipelines (`import azureml.core` -> `import jupyter_pipelines`).
#   - commandstep_train/train.py is a stand-in for the sample's Horovod + TensorFlow training
#     script (no TensorFlow, Horovod or GPU here): same arguments, one line per epoch, a
#     checkpoint per epoch in ./outputs.
#   - no config.json: Workspace.from_config() finds none and makes a local workspace here.

# --- cell 4
import jupyter_pipelines
# check core SDK version number
print("Azure ML SDK Version: ", jupyter_pipelines.VERSION)

# --- cell 6
from jupyter_pipelines import Workspace
ws = Workspace.from_config()
print('Workspace name: ' + ws.name, 
      'Azure region: ' + ws.location, 
      'Subscription id: ' + ws.subscription_id, 
      'Resource group: ' + ws.resource_group, sep = '\n')

# --- cell 9
from jupyter_pipelines import ComputeTarget, AmlCompute
from jupyter_pipelines import ComputeTargetException

# choose a name for your cluster
cluster_name = "gpu-cluster"

try:
    gpu_cluster = ComputeTarget(workspace=ws, name=cluster_name)
    print('Found existing compute target')
except ComputeTargetException:
    print('Creating a new compute target...')
    compute_config = AmlCompute.provisioning_configuration(vm_size='Standard_NC6s_v3', max_nodes=4)

    # create the cluster
    gpu_cluster = ComputeTarget.create(ws, cluster_name, compute_config)

    # can poll for a minimum number of nodes and for a specific timeout. 
    # if no min node count is provided it uses the scale settings for the cluster
    gpu_cluster.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)

# use get_status() to get a detailed status for the current cluster. 
print(gpu_cluster.get_status().serialize())

# --- cell 13
from jupyter_pipelines import Environment

tf_env = Environment.get(ws, name='AzureML-TensorFlow-2.3-GPU')

# --- cell 15
from jupyter_pipelines import ScriptRunConfig
from jupyter_pipelines import MpiConfiguration

src_dir = 'commandstep_train'
distr_config = MpiConfiguration(node_count=2) # you can also specify the process_count_per_node parameter for multi-process-per-node training

src = ScriptRunConfig(source_directory=src_dir,
                      command=['python train.py --epochs 30'],
                      compute_target=gpu_cluster,
                      environment=tf_env,
                      distributed_job_config=distr_config)

# --- cell 17
from jupyter_pipelines import CommandStep

train = CommandStep(name='train-mnist', runconfig=src)

# --- cell 19
from jupyter_pipelines import Pipeline
from jupyter_pipelines import Experiment

pipeline = Pipeline(workspace=ws, steps=[train])
pipeline_run = Experiment(ws, 'train-commandstep-pipeline').submit(pipeline)

# --- cell 21
from jupyter_pipelines import RunDetails
RunDetails(pipeline_run).show()
