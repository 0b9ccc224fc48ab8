"""Curated environments: what each v1 ``AzureML-*`` environment holds, defined in code.

In v1 a curated environment is a prebuilt Docker image whose Python packages are already
installed, so its Python section is user-managed. Here too: on a target without containers
a curated environment runs with the workspace's own interpreter (nothing is installed,
nothing is downloaded); the package lists say what the image holds, and a container target
uses the image. A clone made non-user-managed installs those packages, so they are real pip
requirements on a Python version that has wheels for them.

Two sources of names: a few environments written out in full (``_DEFINITIONS``), and the
families of framework environments, whose names say what they hold
(``AzureML-TensorFlow-2.3-GPU``, ``AzureML-sklearn-0.24-ubuntu18.04-py37-cpu``,
``AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu``, ...). ``parse_curated_name`` reads such a
name and ``family_definition`` turns it into a definition, so any well-formed name of a
known framework resolves, not only the ones v1's documentation lists (``DOCUMENTED_NAMES``).

This module holds the definitions only; ``Environment`` objects are made from them in
environment.py (``curated_environment``), so that this module needs no ``Environment``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .environment_sections import CURATED_PREFIX, DEFAULT_CPU_IMAGE, DEFAULT_GPU_IMAGE

_CURATED_REGISTRY = "mcr.microsoft.com/azureml/curated/"
_SDK = ("azureml-core", "azureml-defaults")


@dataclass(frozen=True)
class CuratedDefinition:
    """A curated environment written out: base image, GPU or not, pip packages, Python."""

    image: str
    gpu: bool
    packages: tuple[str, ...]
    python: str | None = None


def _legacy(gpu: bool, *packages: str, python: str = "3.6") -> CuratedDefinition:
    """One of v1's first curated environments: v1's default image, Python 3.6."""
    return CuratedDefinition(
        DEFAULT_GPU_IMAGE if gpu else DEFAULT_CPU_IMAGE, gpu, _SDK + packages, python
    )


_AUTOML = ("numpy", "pandas", "scikit-learn", "xgboost", "psutil")
_DASK = ("dask[complete]", "distributed", "fsspec", "pyarrow", "joblib", "lz4")

#: name -> its definition, for the environments that are not a framework family.
_DEFINITIONS: dict[str, CuratedDefinition] = {
    "AzureML-Minimal": CuratedDefinition(DEFAULT_CPU_IMAGE, False, _SDK),
    "AzureML-Tutorial": CuratedDefinition(
        DEFAULT_CPU_IMAGE,
        False,
        (
            *_SDK,
            "azureml-pipeline",
            "azureml-widgets",
            "azureml-dataprep[fuse,pandas]",
            "numpy",
            "pandas",
            "scikit-learn",
            "matplotlib",
        ),
    ),
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu": CuratedDefinition(
        _CURATED_REGISTRY + "sklearn-1.0-ubuntu20.04-py38-cpu",
        False,
        (
            *_SDK,
            "azureml-mlflow",
            "scikit-learn==1.0.2",
            "numpy",
            "pandas",
            "scipy",
            "joblib",
            "mlflow",
        ),
    ),
    "AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu": CuratedDefinition(
        _CURATED_REGISTRY + "pytorch-1.10-ubuntu18.04-py38-cuda11-gpu",
        True,
        (*_SDK, "torch==1.10.0", "torchvision", "numpy", "pandas"),
    ),
    "AzureML-AutoML": _legacy(False, *_AUTOML),
    "AzureML-AutoML-GPU": _legacy(True, *_AUTOML),
    "AzureML-AutoML-DNN": _legacy(False, *_AUTOML, "torch"),
    "AzureML-AutoML-DNN-GPU": _legacy(True, *_AUTOML, "torch"),
    "AzureML-AutoML-DNN-Vision-GPU": _legacy(True, "torch", "torchvision", python="3.7"),
    "AzureML-Hyperdrive-ForecastDNN": _legacy(False, "numpy", "pandas", python="3.7"),
    "AzureML-Dask-CPU": _legacy(False, *_DASK),
    "AzureML-Dask-GPU": _legacy(True, *_DASK, "matplotlib"),
    "AzureML-Sidecar": _legacy(False),
    "AzureML-VowpalWabbit-8.8.0": _legacy(False, "vowpalwabbit==8.8.0"),
    "AzureML-PySpark-MmlSpark-0.15": _legacy(False, "pyspark"),
    **{
        f"AzureML-Designer{suffix}": _legacy(False)
        for suffix in (
            "",
            "-CV",
            "-CV-Transform",
            "-IO",
            "-NLP",
            "-PyTorch",
            "-PyTorch-Train",
            "-R",
            "-Recommender",
            "-Score",
            "-Transform",
        )
    },
}

#: Framework-family names found in v1's documentation and samples (listed by
#: ``Environment.list``); other well-formed names of these families resolve too.
DOCUMENTED_NAMES: tuple[str, ...] = (
    *(f"AzureML-TensorFlow-{v}-{d}" for v in ("1.10", "1.12", "1.13", "2.0", "2.1", "2.2", "2.3")
      for d in ("CPU", "GPU")),
    *(f"AzureML-PyTorch-{v}-{d}" for v in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6")
      for d in ("CPU", "GPU")),
    "AzureML-Chainer-5.1.0-CPU",
    "AzureML-Chainer-5.1.0-GPU",
    "AzureML-Scikit-learn-0.20.3",
    "AzureML-sklearn-0.24-ubuntu18.04-py37-cpu",
    "AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu",
    "AzureML-tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu",
    "AzureML-pytorch-1.7-ubuntu18.04-py37-cuda11-gpu",
    "AzureML-pytorch-1.8-ubuntu18.04-py37-cuda11-gpu",
    "AzureML-pytorch-1.9-ubuntu18.04-py37-cuda11-gpu",
    "AzureML-ACPT-pytorch-1.11-py38-cuda11.3-gpu",
    "AzureML-ACPT-pytorch-1.12-py39-cuda11.6-gpu",
    "AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu",
    "AzureML-TensorFlow2.4-Cuda11-OpenMpi4.1.0-py36",
    "AzureML-Scikit-learn0.24-Cuda11-OpenMpi4.1.0-py36",
    "AzureML-Pytorch1.7-Cuda11-OpenMpi4.1.0-py36",
)  # fmt: skip


# -- the families ---------------------------------------------------------------------------
#: What a name may call a framework -> the framework.
_FRAMEWORK_ALIASES = {
    "tensorflow": "tensorflow",
    "pytorch": "pytorch",
    "sklearn": "sklearn",
    "lightgbm": "lightgbm",
    "chainer": "chainer",
    "responsibleai": "responsibleai",
    "minimal": "minimal",
}
_FRAMEWORK = re.compile(rf"({'|'.join(_FRAMEWORK_ALIASES)})(\d+(?:\.\d+)*)?")
_VERSION = re.compile(r"\d+(?:\.\d+)*")
#: Tokens that describe the image but change nothing here.
_IGNORED = re.compile(r"(openmpi|intelmpi)[\d.]*|acpt")

#: Python versions with wheels, per framework: (up to this version, oldest, newest Python).
_PYTHONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "tensorflow": (
        ("2.1", "3.6", "3.7"),
        ("2.4", "3.6", "3.8"),
        ("2.6", "3.6", "3.9"),
        ("2.7", "3.7", "3.9"),
        ("2.11", "3.7", "3.10"),
        ("2.13", "3.8", "3.11"),
        ("2.15", "3.9", "3.11"),
        ("99", "3.9", "3.12"),
    ),
    "pytorch": (
        ("1.4", "3.6", "3.7"),
        ("1.6", "3.6", "3.8"),
        ("1.10", "3.6", "3.9"),
        ("1.12", "3.7", "3.10"),
        ("1.13", "3.7", "3.11"),
        ("2.1", "3.8", "3.11"),
        ("2.4", "3.8", "3.12"),
        ("99", "3.9", "3.13"),
    ),
    "sklearn": (
        ("0.22", "3.5", "3.8"),
        ("0.24", "3.6", "3.9"),
        ("1.0", "3.7", "3.10"),
        ("1.2", "3.8", "3.11"),
        ("1.3", "3.8", "3.12"),
        ("99", "3.9", "3.13"),
    ),
}


@dataclass(frozen=True)
class CuratedName:
    """What a curated environment's name says about it."""

    framework: str
    version: str | None
    python: str | None
    gpu: bool
    legacy: bool
    inference: bool


def parse_curated_name(name: str) -> CuratedName | None:
    """Read a framework-family name (``AzureML-PyTorch-1.6-GPU``, ...); None if it is not one.

    The tokens after ``AzureML-`` may be: the framework (its version may be glued on, as in
    ``TensorFlow2.4``), its version, ``ubuntuNN.NN``, ``pyNN``, ``cpu``, ``gpu``,
    ``cudaNN`` (GPU), ``inference``, ``acpt``, ``openmpiN``; any other token, or no
    framework, or a framework without a version (but ``minimal``), is not a family name.
    """
    if not name.startswith(CURATED_PREFIX):
        return None
    rest = name[len(CURATED_PREFIX) :].lower().replace("scikit-learn", "sklearn")
    framework = version = python = None
    gpu = cpu = inference = has_os = False
    for token in rest.split("-"):
        found = _FRAMEWORK.fullmatch(token)
        if found and framework is None:
            framework, version = _FRAMEWORK_ALIASES[found.group(1)], found.group(2)
        elif framework and version is None and _VERSION.fullmatch(token):
            version = token
        elif re.fullmatch(r"ubuntu\d+(\.\d+)?", token):
            has_os = True
        elif py := re.fullmatch(r"py(\d)(\d+)", token):
            python = f"{py.group(1)}.{py.group(2)}"
        elif token == "gpu" or re.fullmatch(r"cuda[\d.]*", token):
            gpu = True
        elif token == "cpu":
            cpu = True
        elif token == "inference":
            inference = True
        elif not _IGNORED.fullmatch(token):
            return None
    if framework is None or (version is None and framework != "minimal") or (gpu and cpu):
        return None
    legacy = python is None and not has_os and "acpt" not in rest
    return CuratedName(framework, version, python, gpu, legacy, inference)


def family_definition(name: str) -> CuratedDefinition | None:
    """The definition a well-formed framework-family name stands for, or None."""
    parsed = parse_curated_name(name)
    if parsed is None:
        return None
    packages = list(_SDK)
    if parsed.inference:
        packages.append("azureml-inference-server-http")
    packages += _framework_packages(parsed)
    if parsed.legacy:
        image = DEFAULT_GPU_IMAGE if parsed.gpu else DEFAULT_CPU_IMAGE
    else:
        image = _CURATED_REGISTRY + name[len(CURATED_PREFIX) :].lower()
    python = parsed.python or _default_python(parsed)
    return CuratedDefinition(image, parsed.gpu, tuple(packages), python)


def _framework_packages(parsed: CuratedName) -> list[str]:
    """The pip requirements of a family: its framework at the version the name gives."""
    version = parsed.version or ""
    pin = _pin(version)
    major_minor = _as_tuple(version)[:2]
    if parsed.framework == "tensorflow":
        # TensorFlow's GPU build was its own package until 2.1 (2.1 on include both).
        gpu_package = parsed.gpu and major_minor < (2, 1)
        return [f"{'tensorflow-gpu' if gpu_package else 'tensorflow'}{pin}", "numpy", "pandas"]
    if parsed.framework == "pytorch":
        return [f"torch{pin}", f"torchvision{_torchvision_pin(major_minor)}", "numpy", "pandas"]
    if parsed.framework == "sklearn":
        return [f"scikit-learn{pin}", "numpy", "pandas", "scipy", "joblib"]
    if parsed.framework == "lightgbm":
        return [f"lightgbm{pin}", "scikit-learn", "numpy", "pandas"]
    if parsed.framework == "chainer":
        return [f"chainer{pin}", "numpy"]
    if parsed.framework == "responsibleai":
        return [f"responsibleai{pin}", "numpy", "pandas"]
    return []  # minimal


def _pin(version: str) -> str:
    """``==1.2.3`` for a full version, ``==2.3.*`` for a major.minor one (any patch)."""
    return f"=={version}" if version.count(".") >= 2 else f"=={version}.*"


def _torchvision_pin(torch: tuple[int, ...]) -> str:
    """The torchvision release series made for a torch release."""
    early = {(1, 0): 2, (1, 1): 3, (1, 2): 4, (1, 3): 4, (1, 4): 5}
    if torch in early:
        minor = early[torch]
    elif torch[:1] == (1,) and len(torch) > 1:
        minor = torch[1] + 1
    elif torch[:1] == (2,) and len(torch) > 1:
        minor = torch[1] + 15
    else:
        return ""
    return f"==0.{minor}.*"


def _default_python(parsed: CuratedName) -> str:
    """The Python of a name that gives none: v1's first curated environments had 3.6, later
    ones 3.8; moved into the range the framework version has wheels for."""
    wanted = "3.6" if parsed.legacy else "3.8"
    for up_to, oldest, newest in _PYTHONS.get(parsed.framework, ()):
        if _as_tuple(parsed.version or "0") <= _as_tuple(up_to):
            return min(max(wanted, oldest, key=_as_tuple), newest, key=_as_tuple)
    return wanted


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


# -- the registry's view ----------------------------------------------------------------------
def curated_names() -> list[str]:
    """Names of the curated environments v1 documents (the ones ``Environment.list`` shows)."""
    return sorted(set(_DEFINITIONS) | set(DOCUMENTED_NAMES))


def curated_definition(name: str) -> CuratedDefinition | None:
    """The definition of the curated environment ``name``, or None."""
    return _DEFINITIONS.get(name) or family_definition(name)
