"""jupyter_pipelines: Azure ML v1-style pipelines of notebooks, scripts and commands, local-first.

Every public name is importable from here; modules are imported on first use so
that ``import jupyter_pipelines`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
#: v1 code prints ``azureml.core.VERSION``; the same name here.
VERSION = __version__

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # model
    "PipelineParameter": "jupyter_pipelines.model.parameters",
    "PipelineData": "jupyter_pipelines.model.data",
    "OutputFileDatasetConfig": "jupyter_pipelines.model.data",
    "InputPortBinding": "jupyter_pipelines.model.data",
    "StepInput": "jupyter_pipelines.model.data",
    "InputBinding": "jupyter_pipelines.model.data",
    "DatasetConsumptionConfig": "jupyter_pipelines.model.data",
    "DataReference": "jupyter_pipelines.model.data",
    "DataPath": "jupyter_pipelines.model.data",
    "DataPathComputeBinding": "jupyter_pipelines.model.data",
    "OutputTabularDatasetConfig": "jupyter_pipelines.model.data",
    "OutputDatasetConfig": "jupyter_pipelines.model.data",
    "PortDataReference": "jupyter_pipelines.engine.port_data",
    "StepRunOutput": "jupyter_pipelines.engine.port_data",
    "PipelineStep": "jupyter_pipelines.model.steps",
    "PythonScriptStep": "jupyter_pipelines.model.steps",
    "NotebookStep": "jupyter_pipelines.model.steps",
    "CommandStep": "jupyter_pipelines.model.steps",
    "StepSequence": "jupyter_pipelines.model.steps",
    "ParallelRunStep": "jupyter_pipelines.model.parallel_run",
    "ParallelRunConfig": "jupyter_pipelines.model.parallel_run_config",
    "DataTransferStep": "jupyter_pipelines.model.data_transfer",
    "NotebookRunnerStep": "jupyter_pipelines.model.notebook_runner",
    "NotebookRunConfig": "jupyter_pipelines.model.notebook_runner",
    "AzureMLNotebookHandler": "jupyter_pipelines.model.notebook_runner",
    "Pipeline": "jupyter_pipelines.engine.pipeline",
    "TrainingOutput": "jupyter_pipelines.model.training_output",
    "ScriptRunConfig": "jupyter_pipelines.model.script_run_config",
    "MpiConfiguration": "jupyter_pipelines.model.script_run_config",
    "PyTorchConfiguration": "jupyter_pipelines.model.script_run_config",
    "ValidationIssue": "jupyter_pipelines.model.validation",
    "Environment": "jupyter_pipelines.model.environment",
    "PythonSection": "jupyter_pipelines.model.environment",
    "DockerSection": "jupyter_pipelines.model.environment",
    "DEFAULT_CPU_IMAGE": "jupyter_pipelines.model.environment",
    "DEFAULT_GPU_IMAGE": "jupyter_pipelines.model.environment",
    "CondaDependencies": "jupyter_pipelines.model.conda_dependencies",
    "RunConfiguration": "jupyter_pipelines.model.runconfig",
    "DockerConfiguration": "jupyter_pipelines.model.runconfig",
    # stores
    "InteractiveLoginAuthentication": "jupyter_pipelines.stores.authentication",
    "ServicePrincipalAuthentication": "jupyter_pipelines.stores.authentication",
    "MsiAuthentication": "jupyter_pipelines.stores.authentication",
    "Keyvault": "jupyter_pipelines.stores.keyvault",
    "Datastore": "jupyter_pipelines.stores.datastores",
    "AzureBlobDatastore": "jupyter_pipelines.stores.datastore_azure",
    "AzureDataLakeGen2Datastore": "jupyter_pipelines.stores.datastore_azure",
    "ComputeTarget": "jupyter_pipelines.stores.compute",
    "AmlCompute": "jupyter_pipelines.stores.compute",
    "AmlComputeProvisioningConfiguration": "jupyter_pipelines.stores.compute",
    "DaskCompute": "jupyter_pipelines.stores.compute",
    "DaskComputeProvisioningConfiguration": "jupyter_pipelines.stores.compute",
    "DockerCompute": "jupyter_pipelines.stores.compute",
    "DockerComputeProvisioningConfiguration": "jupyter_pipelines.stores.compute",
    "LocalCompute": "jupyter_pipelines.stores.compute",
    "Dataset": "jupyter_pipelines.stores.datasets",
    "FileDataset": "jupyter_pipelines.stores.datasets",
    "TabularDataset": "jupyter_pipelines.stores.datasets",
    "DataType": "jupyter_pipelines.stores.datasets",
    "FileDatasetFactory": "jupyter_pipelines.stores.datasets",
    "TabularDatasetFactory": "jupyter_pipelines.stores.datasets",
    # engine
    "Workspace": "jupyter_pipelines.engine.workspace",
    "Experiment": "jupyter_pipelines.engine.experiment",
    "PipelineDraft": "jupyter_pipelines.engine.drafts",
    "PublishedPipeline": "jupyter_pipelines.engine.publishing",
    "PipelineEndpoint": "jupyter_pipelines.engine.endpoints",
    "Schedule": "jupyter_pipelines.engine.schedules",
    "ScheduleRecurrence": "jupyter_pipelines.model.recurrence",
    "TimeZone": "jupyter_pipelines.model.time_zones",
    "PipelineRun": "jupyter_pipelines.engine.runs",
    "StepRun": "jupyter_pipelines.engine.runs",
    "Model": "jupyter_pipelines.engine.models",
    "WebserviceException": "jupyter_pipelines.errors",
    "ModelNotFoundException": "jupyter_pipelines.errors",
    "ModelPathNotFoundException": "jupyter_pipelines.errors",
    # widgets
    "RunDetails": "jupyter_pipelines.widgets",
    # runtime (inside a step)
    "Run": "jupyter_pipelines.runtime.run",
    # errors
    "PipelinesError": "jupyter_pipelines.errors",
    "AuthenticationException": "jupyter_pipelines.errors",
    "PipelineValidationError": "jupyter_pipelines.errors",
    "ParameterError": "jupyter_pipelines.errors",
    "RunFailedError": "jupyter_pipelines.errors",
    "ComputeTargetException": "jupyter_pipelines.errors",
    "EnvironmentBuildError": "jupyter_pipelines.errors",
    "UnknownEnvironmentError": "jupyter_pipelines.errors",
    "DatastoreError": "jupyter_pipelines.errors",
    "UnknownDatastoreError": "jupyter_pipelines.errors",
    "DatasetError": "jupyter_pipelines.errors",
    "UnknownDatasetError": "jupyter_pipelines.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_pipelines' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension; its module is imported only when the server loads it."""
    return [{"module": "jupyter_pipelines.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """The prebuilt JupyterLab extension in the package (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-pipelines"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_pipelines``: register the ``%%step`` and ``%pipeline`` magics, and
    the run widget as the display of a ``PipelineRun``."""
    from .magics import load_ipython_extension as load
    from .widgets import register

    load(ipython)
    register(ipython)
