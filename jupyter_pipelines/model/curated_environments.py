"""Curated environments: a few of the v1 ``AzureML-*`` environments, defined in code.

In v1 a curated environment is a prebuilt Docker image whose Python packages are already
installed, so its Python section is user-managed. Here too: on a target without containers
a curated environment runs with the workspace's own interpreter (nothing is installed);
the package lists say what the image holds, and a container target uses the image.
"""

from __future__ import annotations

from .conda_dependencies import CondaDependencies
from .environment import DEFAULT_CPU_IMAGE, Environment

_CURATED_REGISTRY = "mcr.microsoft.com/azureml/curated/"

#: name -> (base image, GPU, pip packages the image holds)
_DEFINITIONS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "AzureML-Minimal": (DEFAULT_CPU_IMAGE, False, ("azureml-core", "azureml-defaults")),
    "AzureML-Tutorial": (
        DEFAULT_CPU_IMAGE,
        False,
        (
            "azureml-core",
            "azureml-defaults",
            "azureml-pipeline",
            "azureml-widgets",
            "azureml-dataprep[fuse,pandas]",
            "numpy",
            "pandas",
            "scikit-learn",
            "matplotlib",
        ),
    ),
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu": (
        _CURATED_REGISTRY + "sklearn-1.0-ubuntu20.04-py38-cpu",
        False,
        (
            "azureml-core",
            "azureml-defaults",
            "azureml-mlflow",
            "scikit-learn==1.0.2",
            "numpy",
            "pandas",
            "scipy",
            "joblib",
            "mlflow",
        ),
    ),
    "AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu": (
        _CURATED_REGISTRY + "pytorch-1.10-ubuntu18.04-py38-cuda11-gpu",
        True,
        ("azureml-core", "azureml-defaults", "torch==1.10.0", "torchvision", "numpy", "pandas"),
    ),
}


def curated_names() -> list[str]:
    """Names of the curated environments."""
    return sorted(_DEFINITIONS)


def curated_environment(name: str) -> Environment | None:
    """A fresh copy of the curated environment ``name`` (version ``"1"``), or None."""
    definition = _DEFINITIONS.get(name)
    if definition is None:
        return None
    image, gpu, packages = definition
    env = Environment(name)
    env.version = "1"
    env.python.user_managed_dependencies = True
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=list(packages))
    env.docker.base_image = image
    env.docker.gpu_support = gpu
    return env
