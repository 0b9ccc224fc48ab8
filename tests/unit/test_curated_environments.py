"""Curated environments: the v1 ``AzureML-*`` names v1 code asks for, and what each gives
here (Python version, framework packages, base image, GPU), without building anything."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from jupyter_pipelines import (
    DEFAULT_CPU_IMAGE,
    DEFAULT_GPU_IMAGE,
    Environment,
    UnknownEnvironmentError,
    Workspace,
)
from jupyter_pipelines.executors.env_cache import CACHE_ENV_VAR, cache_dir
from jupyter_pipelines.executors.environments import build_plan, python_for
from jupyter_pipelines.model.curated_environments import (
    DOCUMENTED_NAMES,
    curated_environment,
    parse_curated_name,
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


def spec(name: str) -> tuple[str | None, list[str], str, bool]:
    """(Python version, pip packages, base image, GPU) of a curated environment."""
    env = curated_environment(name)
    assert env is not None, name
    deps = env.python.conda_dependencies
    return (
        deps.get_python_version(),
        deps.pip_packages,
        env.docker.base_image,
        env.docker.gpu_support,
    )


SDK = ["azureml-core", "azureml-defaults"]
CURATED = "mcr.microsoft.com/azureml/curated/"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # v1's first generation: Python 3.6, v1's default images, GPU builds where they were
        # their own package (TensorFlow before 2.1).
        (
            "AzureML-TensorFlow-2.3-GPU",
            ("3.6", [*SDK, "tensorflow==2.3.*", "numpy", "pandas"], DEFAULT_GPU_IMAGE, True),
        ),
        (
            "AzureML-TensorFlow-2.3-CPU",
            ("3.6", [*SDK, "tensorflow==2.3.*", "numpy", "pandas"], DEFAULT_CPU_IMAGE, False),
        ),
        (
            "AzureML-TensorFlow-1.13-GPU",
            ("3.6", [*SDK, "tensorflow-gpu==1.13.*", "numpy", "pandas"], DEFAULT_GPU_IMAGE, True),
        ),
        (
            "AzureML-PyTorch-1.6-GPU",
            (
                "3.6",
                [*SDK, "torch==1.6.*", "torchvision==0.7.*", "numpy", "pandas"],
                DEFAULT_GPU_IMAGE,
                True,
            ),
        ),
        (
            "AzureML-Scikit-learn-0.20.3",
            (
                "3.6",
                [*SDK, "scikit-learn==0.20.3", "numpy", "pandas", "scipy", "joblib"],
                DEFAULT_CPU_IMAGE,
                False,
            ),
        ),
        (
            "AzureML-Chainer-5.1.0-CPU",
            ("3.6", [*SDK, "chainer==5.1.0", "numpy"], DEFAULT_CPU_IMAGE, False),
        ),
        # Names that give OS, Python and device: the curated image of that name.
        (
            "AzureML-sklearn-0.24-ubuntu18.04-py37-cpu",
            (
                "3.7",
                [*SDK, "scikit-learn==0.24.*", "numpy", "pandas", "scipy", "joblib"],
                CURATED + "sklearn-0.24-ubuntu18.04-py37-cpu",
                False,
            ),
        ),
        (
            "AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu",
            (
                "3.7",
                [*SDK, "lightgbm==3.2.*", "scikit-learn", "numpy", "pandas"],
                CURATED + "lightgbm-3.2-ubuntu18.04-py37-cpu",
                False,
            ),
        ),
        (
            "AzureML-tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu",
            (
                "3.7",
                [*SDK, "tensorflow==2.4.*", "numpy", "pandas"],
                CURATED + "tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu",
                True,
            ),
        ),
        (
            "AzureML-pytorch-1.9-ubuntu18.04-py37-cuda11-gpu",
            (
                "3.7",
                [*SDK, "torch==1.9.*", "torchvision==0.10.*", "numpy", "pandas"],
                CURATED + "pytorch-1.9-ubuntu18.04-py37-cuda11-gpu",
                True,
            ),
        ),
        (
            "AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu",
            (
                "3.8",
                [*SDK, "torch==1.13.*", "torchvision==0.14.*", "numpy", "pandas"],
                CURATED + "acpt-pytorch-1.13-py38-cuda11.7-gpu",
                True,
            ),
        ),
        (
            "AzureML-TensorFlow2.4-Cuda11-OpenMpi4.1.0-py36",
            (
                "3.6",
                [*SDK, "tensorflow==2.4.*", "numpy", "pandas"],
                CURATED + "tensorflow2.4-cuda11-openmpi4.1.0-py36",
                True,
            ),
        ),
        (
            "AzureML-minimal-ubuntu18.04-py37-cpu-inference",
            (
                "3.7",
                [*SDK, "azureml-inference-server-http"],
                CURATED + "minimal-ubuntu18.04-py37-cpu-inference",
                False,
            ),
        ),
    ],
)
def test_curated_names_give_their_framework_python_and_image(
    name: str, expected: tuple[str | None, list[str], str, bool]
) -> None:
    assert spec(name) == expected


@pytest.mark.parametrize(
    ("name", "python"),
    [
        # Not in v1's lists, but well formed: the Python is moved into the range the
        # framework version has wheels for.
        ("AzureML-TensorFlow-2.8-GPU", "3.7"),  # TensorFlow 2.8 has no Python 3.6 wheels
        ("AzureML-PyTorch-2.1-CPU", "3.8"),
        ("AzureML-acpt-pytorch-2.2-cuda12.1", "3.8"),
        ("AzureML-sklearn-1.5-ubuntu22.04-py311-cpu", "3.11"),  # the name says which
    ],
)
def test_well_formed_names_outside_the_lists_resolve(name: str, python: str) -> None:
    assert spec(name)[0] == python


def test_names_that_are_not_well_formed_are_not_curated() -> None:
    for name in (
        "AzureML-Tutorail",  # no framework
        "AzureML-TensorFlow-GPU",  # no version
        "AzureML-PyTorch-1.6-1.7-GPU",  # two versions
        "AzureML-pytorch-2.0-cpu-gpu",  # both devices
        "AzureML-TensorFlow-2.3-GPU-extra",
        "TensorFlow-2.3-GPU",  # not AzureML-
        "azureml-TensorFlow-2.3-GPU",
    ):
        assert parse_curated_name(name) is None, name
        assert curated_environment(name) is None, name


def test_the_commandstep_sample_gets_its_environment_without_building_it(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "env-cache"))
    tf_env = Environment.get(ws, name="AzureML-TensorFlow-2.3-GPU")
    assert (tf_env.name, tf_env.version) == ("AzureML-TensorFlow-2.3-GPU", "1")
    # As in v1 a curated environment is a prebuilt image: nothing to install locally, and
    # the step runs with the workspace's interpreter.
    assert tf_env.python.user_managed_dependencies is True
    assert python_for(tf_env, ws.dir, lambda line: None) == sys.executable
    assert not cache_dir().exists() or not any(cache_dir().iterdir())
    # Cloned and made package-managed, it installs TensorFlow 2.3 on a Python that has it.
    own = tf_env.clone("my-tf")
    own.python.user_managed_dependencies = False
    plan = build_plan(own)
    assert plan.pip == ["tensorflow==2.3.*", "numpy", "pandas"]
    assert plan.python_version == "3.6"
    assert plan.left_out == SDK


def test_list_shows_the_documented_curated_names(ws: Workspace) -> None:
    listed = Environment.list(ws)
    for name in (*DOCUMENTED_NAMES, "AzureML-Minimal", "AzureML-Tutorial", "AzureML-AutoML"):
        assert name in listed, name
        assert listed[name].name == name
    assert "AzureML-TensorFlow-2.3-GPU" in ws.environments
    # A documented name of a family resolves through the same rule as any other.
    assert listed["AzureML-PyTorch-1.6-GPU"] == curated_environment("AzureML-PyTorch-1.6-GPU")


def test_an_unknown_curated_name_says_how_curated_names_are_written(ws: Workspace) -> None:
    with pytest.raises(
        UnknownEnvironmentError, match=re.escape('did you mean "AzureML-TensorFlow-2.3-GPU"')
    ):
        Environment.get(ws, "AzureML-TensorFlw-2.3-GPU")
    with pytest.raises(UnknownEnvironmentError, match="framework names such as"):
        Environment.get(ws, "AzureML-Whatever")
