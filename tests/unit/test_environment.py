"""Environments, CondaDependencies and RunConfiguration (the v1 names), the environment
registry, and the build plan that decides what a step's environment installs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from jupyter_pipelines import (
    DEFAULT_CPU_IMAGE,
    CondaDependencies,
    DockerConfiguration,
    Environment,
    PythonScriptStep,
    RunConfiguration,
    UnknownEnvironmentError,
    Workspace,
)
from jupyter_pipelines.errors import EnvironmentBuildError, ModelError
from jupyter_pipelines.executors.env_cache import CACHE_ENV_VAR, cache_dir
from jupyter_pipelines.executors.environments import (
    build_key,
    build_plan,
    conda_to_pip,
    docker_warning,
    python_for,
)
from jupyter_pipelines.model.conda_dependencies import package_name


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


def sklearn_env(name: str = "sk") -> Environment:
    env = Environment(name)
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["scikit-learn==1.3.2", "six"], conda_packages=["numpy"]
    )
    env.environment_variables = {"MODE": "train"}
    return env


# -- CondaDependencies -------------------------------------------------------------------
def test_create_adds_azureml_defaults_only_when_no_pip_packages_are_given() -> None:
    assert CondaDependencies.create().pip_packages == ["azureml-defaults"]
    deps = CondaDependencies.create(pip_packages=["six"], conda_packages=["numpy"])
    assert deps.pip_packages == ["six"]
    assert deps.conda_packages == ["numpy"]
    assert deps.get_python_version() is None


def test_adding_a_package_again_replaces_it() -> None:
    deps = CondaDependencies()
    deps.add_pip_package("six==1.15")
    deps.add_pip_package("Six>=1.16")
    deps.add_conda_package("numpy=1.21")
    deps.add_conda_package("conda-forge::numpy")
    deps.set_python_version("3.10")
    deps.set_python_version("3.11")
    assert deps.pip_packages == ["Six>=1.16"]
    assert deps.conda_packages == ["python=3.11", "conda-forge::numpy"]
    assert deps.get_python_version() == "3.11"
    deps.remove_pip_package("six")
    assert deps.pip_packages == []


def test_pip_options_are_kept_apart_from_packages() -> None:
    deps = CondaDependencies.create(pip_packages=["six"], pip_indexurl="https://example/simple")
    deps.set_pip_option("--index-url https://other/simple")
    assert deps.pip_options == ["--index-url https://other/simple"]
    assert deps.pip_packages == ["six"]
    with pytest.raises(ModelError, match="must start with '-'"):
        deps.set_pip_option("six")


def test_serialize_to_string_is_conda_yaml_that_loads_back(tmp_path: Path) -> None:
    deps = CondaDependencies.create(
        conda_packages=["pandas", "scikit-learn"],
        pip_packages=["azureml-sdk", "azureml-dataprep[fuse,pandas]"],
        python_version="3.10",
        channels=["conda-forge"],
    )
    text = deps.serialize_to_string()
    assert "- pandas" in text and "azureml-dataprep[fuse,pandas]" in text
    path = Path(deps.save_to_file(tmp_path, "env.yml"))
    assert path.read_text() == text
    assert CondaDependencies(path) == deps
    assert CondaDependencies.from_dict(deps.to_dict()) == deps


def test_a_conda_file_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "env.yml"
    path.write_text("name: x\ndependecies:\n  - numpy\n")
    with pytest.raises(ModelError, match=r"unknown key 'dependecies' \(did you mean .dependencies"):
        CondaDependencies(path)


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("conda-forge::NumPy=1.21", "numpy"),
        ("azureml_dataprep[fuse]>=1", "azureml-dataprep"),
        ("ruamel.yaml", "ruamel-yaml"),
        ("python=3.8.13", "python"),
    ],
)
def test_package_name_normalizes_like_pip(spec: str, name: str) -> None:
    assert package_name(spec) == name


# -- Environment -------------------------------------------------------------------------
def test_a_new_environment_has_the_v1_defaults() -> None:
    env = Environment("e")
    assert env.version is None
    assert env.python.user_managed_dependencies is False
    assert env.python.interpreter_path == "python"
    assert env.docker.enabled is False
    assert env.docker.base_image == DEFAULT_CPU_IMAGE
    assert env.environment_variables == {}
    with pytest.raises(ModelError, match="non-empty 'name'"):
        Environment("")


def test_from_pip_requirements_reads_requirements_includes_and_options(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("six>=1.16  # pinned for py2 compat\n")
    req = tmp_path / "requirements.txt"
    req.write_text("# tools\n--index-url https://example/simple\n-r base.txt\n\nrequests==2.31\n")
    env = Environment.from_pip_requirements("req", req)
    deps = env.python.conda_dependencies
    assert deps.pip_packages == ["six>=1.16", "requests==2.31"]
    assert deps.pip_options == ["--index-url https://example/simple"]
    with pytest.raises(ModelError, match="cannot read pip requirements"):
        Environment.from_pip_requirements("x", tmp_path / "missing.txt")


def test_from_conda_specification_reads_dependencies_and_the_pip_list(tmp_path: Path) -> None:
    spec = tmp_path / "environment.yml"
    spec.write_text(
        "name: train\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.10\n"
        "  - numpy=1.26\n  - pip\n  - pip:\n    - six\n    - azureml-defaults\n"
        "variables:\n  OMP_NUM_THREADS: 1\n"
    )
    env = Environment.from_conda_specification("train", spec)
    deps = env.python.conda_dependencies
    assert deps.conda_packages == ["python=3.10", "numpy=1.26", "pip"]
    assert deps.pip_packages == ["six", "azureml-defaults"]
    assert deps.conda_channels == ["conda-forge"]
    assert deps.variables == {"OMP_NUM_THREADS": "1"}
    assert deps.get_python_version() == "3.10"


def test_to_dict_round_trips_through_json() -> None:
    env = sklearn_env()
    env.docker.enabled = True
    env.docker.arguments = ["--ipc=host"]
    env.python.interpreter_path = "/usr/bin/python3"
    again = Environment.from_dict(json.loads(json.dumps(env.to_dict())))
    assert again == env
    assert again.to_dict() == env.to_dict()


#: Pinned: an accidental change to the canonical document would change every hash made from it.
GOLDEN_SPEC_HASH = "b881fb86fe55bf8395f495cb34a95c67c78a742af9879d05c4b5ac2f77631f0b"


def test_spec_hash_is_pinned_stable_and_sensitive_to_content_only() -> None:
    env = sklearn_env()
    assert env.spec_hash() == GOLDEN_SPEC_HASH
    assert sklearn_env("other-name").spec_hash() == env.spec_hash()
    env.version = "7"
    assert env.spec_hash() == GOLDEN_SPEC_HASH
    changes = [
        lambda e: e.python.conda_dependencies.add_pip_package("requests"),
        lambda e: e.python.conda_dependencies.add_conda_package("numpy=1.26"),
        lambda e: e.environment_variables.update(MODE="score"),
        lambda e: setattr(e.docker, "base_image", "python:3.11"),
        lambda e: setattr(e.python, "user_managed_dependencies", True),
    ]
    for change in changes:
        changed = sklearn_env()
        change(changed)
        assert changed.spec_hash() != GOLDEN_SPEC_HASH


def test_clone_copies_the_definition_under_a_new_name() -> None:
    env = sklearn_env()
    env.version = "3"
    clone = env.clone("mine")
    assert (clone.name, clone.version) == ("mine", None)
    assert clone.spec_hash() == env.spec_hash()
    clone.python.conda_dependencies.add_pip_package("requests")
    assert "requests" not in env.python.conda_dependencies.pip_packages


# -- curated environments and the registry -----------------------------------------------
def test_curated_environment_is_found_without_registration(ws: Workspace) -> None:
    env = Environment.get(workspace=ws, name="AzureML-Tutorial")
    assert env.name == "AzureML-Tutorial" and env.version == "1"
    assert env.python.user_managed_dependencies is True
    env.python.conda_dependencies.add_pip_package("requests")
    fresh = Environment.get(ws, "AzureML-Tutorial")
    assert "requests" not in fresh.python.conda_dependencies.pip_packages
    assert "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu" in ws.environments


def test_unknown_environment_names_the_close_match(ws: Workspace) -> None:
    with pytest.raises(UnknownEnvironmentError, match='did you mean "AzureML-Tutorial"'):
        Environment.get(ws, "AzureML-Tutorail")
    with pytest.raises(UnknownEnvironmentError, match="no environment 'nope'"):
        Environment.get(ws, "nope")


def test_register_numbers_versions_and_keeps_unchanged_ones(ws: Workspace) -> None:
    env = sklearn_env("train-env")
    first = env.register(ws)
    assert first.version == "1"
    assert env.register(ws).version == "1"
    env.python.conda_dependencies.add_pip_package("requests")
    assert env.register(ws).version == "2"
    again = Workspace.at(ws.root)  # a new Workspace object reads the same registry
    assert Environment.get(again, "train-env").version == "2"
    old = Environment.get(again, "train-env", version="1")
    assert "requests" not in old.python.conda_dependencies.pip_packages
    assert old.spec_hash() == first.spec_hash()
    assert again.environments["train-env"].version == "2"
    assert Environment.list(again)["train-env"].version == "2"
    with pytest.raises(UnknownEnvironmentError, match="registered versions: 1, 2"):
        Environment.get(again, "train-env", version="3")


def test_curated_names_cannot_be_registered(ws: Workspace) -> None:
    env = Environment.get(ws, "AzureML-Minimal")
    with pytest.raises(ModelError, match="reserved for curated environments"):
        env.register(ws)
    assert env.clone("minimal").register(ws).version == "1"


def test_a_bare_environment_naming_a_registered_version_resolves_to_it(ws: Workspace) -> None:
    sklearn_env("MyEnvironment").register(ws)
    aml_run_config = RunConfiguration()
    aml_run_config.environment.name = "MyEnvironment"
    aml_run_config.environment.version = "1"
    resolved = ws.environments_registry.resolve(aml_run_config.environment)
    assert resolved.spec_hash() == sklearn_env().spec_hash()
    aml_run_config.environment.version = "1.0"
    with pytest.raises(UnknownEnvironmentError, match="registered versions: 1"):
        ws.environments_registry.resolve(aml_run_config.environment)
    own = sklearn_env("MyEnvironment")
    own.version = "9"  # a full definition is used as it is
    assert ws.environments_registry.resolve(own) is own


# -- RunConfiguration and the seed snippet -----------------------------------------------
@pytest.mark.parametrize("USE_CURATED_ENV", [True, False])
def test_the_v1_runconfig_snippet_runs_unchanged(ws: Workspace, USE_CURATED_ENV: bool) -> None:
    compute_target = "local"
    # -- from the how-to, imports changed from azureml.* --
    from jupyter_pipelines import CondaDependencies, Environment, RunConfiguration

    aml_run_config = RunConfiguration()
    # `compute_target` as defined in "Azure Machine Learning compute" section above
    aml_run_config.target = compute_target

    if USE_CURATED_ENV:
        curated_environment = Environment.get(workspace=ws, name="AzureML-Tutorial")
        aml_run_config.environment = curated_environment
    else:
        aml_run_config.environment.python.user_managed_dependencies = False

        # Add some packages relied on by data prep step
        aml_run_config.environment.python.conda_dependencies = CondaDependencies.create(
            conda_packages=["pandas", "scikit-learn"],
            pip_packages=["azureml-sdk", "azureml-dataprep[fuse,pandas]"],
            pin_sdk_version=False,
        )
    # -- end of the how-to code --
    step = PythonScriptStep(script_name="prep.py", runconfig=aml_run_config)
    assert step.compute_target == "local"
    plan = build_plan(aml_run_config.environment)
    if USE_CURATED_ENV:
        assert python_for(aml_run_config.environment, ws.dir) == sys.executable
    else:
        assert plan.conda == ["pandas", "scikit-learn"]
        assert plan.pip == []
        assert plan.left_out == ["azureml-sdk", "azureml-dataprep[fuse,pandas]"]


def test_runconfig_defaults_and_target_objects() -> None:
    config = RunConfiguration()
    assert config.target == "local"
    assert config.environment.name == "default-environment"
    assert config.environment.python.user_managed_dependencies is False
    assert (config.node_count, config.max_run_duration_seconds) == (1, None)

    class Target:
        name = "aml-compute"

    config.target = Target()
    assert config.target == "aml-compute"
    assert PythonScriptStep(script_name="t.py", runconfig=config).compute_target == "aml-compute"
    with pytest.raises(ModelError, match="target must be a compute target or its name"):
        config.target = 42
    with pytest.raises(ModelError, match="must be an Environment"):
        config.environment = "AzureML-Tutorial"  # type: ignore[assignment]


def test_runconfig_round_trips() -> None:
    config = RunConfiguration(conda_dependencies=CondaDependencies.create(pip_packages=["six"]))
    config.target = "gpu"
    config.environment_variables = {"A": "1"}
    config.docker = DockerConfiguration(use_docker=True)
    again = RunConfiguration.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again.to_dict() == config.to_dict()
    assert again.environment.python.conda_dependencies.pip_packages == ["six"]


# -- what building would do (no build here) ----------------------------------------------
def test_build_plan_leaves_out_azureml_packages_and_conda_tooling() -> None:
    env = Environment("e")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["azureml-sdk", "azureml_core==1.50", "azureml-pipeline-steps", "six"],
        conda_packages=["pip=23", "numpy"],
        python_version="3.11",
    )
    plan = build_plan(env)
    assert plan.pip == ["six"]
    assert plan.conda == ["numpy"]
    assert plan.left_out == ["azureml-sdk", "azureml_core==1.50", "azureml-pipeline-steps"]
    assert plan.python_version == "3.11"


def test_environments_that_install_nothing_use_this_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "env-cache"))
    bare = Environment("bare")
    sdk_only = Environment("sdk")
    sdk_only.python.conda_dependencies = CondaDependencies.create()  # azureml-defaults
    managed = sklearn_env()
    managed.python.user_managed_dependencies = True
    for env in (None, bare, sdk_only, managed):
        assert python_for(env, tmp_path, for_notebooks=True) == sys.executable
    assert not cache_dir().exists() or not any(cache_dir().iterdir())


def test_a_user_managed_interpreter_path_must_exist(tmp_path: Path) -> None:
    env = Environment("own")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    assert python_for(env, tmp_path) == sys.executable
    env.python.interpreter_path = str(tmp_path / "no-python")
    with pytest.raises(EnvironmentBuildError, match=r"interpreter_path .* does not exist"):
        python_for(env, tmp_path)


def test_build_key_depends_on_what_is_installed_not_on_variables() -> None:
    env = sklearn_env()
    key = build_key(build_plan(env), "uv")
    env.environment_variables["MODE"] = "score"
    env.docker.base_image = "python:3.11"
    env.name = "renamed"
    assert build_key(build_plan(env), "uv") == key
    assert build_key(build_plan(env, for_notebooks=True), "uv") != key
    assert build_key(build_plan(env), "conda") != key
    assert build_key(build_plan(env), "pip") != key
    env.python.conda_dependencies.add_pip_package("requests")
    assert build_key(build_plan(env), "uv") != key


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("numpy", "numpy"),
        ("numpy=1.21", "numpy==1.21.*"),
        ("numpy=1.21.2=py38h_0", "numpy==1.21.2.*"),
        ("numpy 1.21", "numpy==1.21.*"),
        ("numpy>=1.21", "numpy>=1.21"),
        ("conda-forge::pytorch=2.1", "torch==2.1.*"),
        ("py-xgboost", "xgboost"),
    ],
)
def test_conda_specs_become_pip_requirements(conda: str, pip: str) -> None:
    assert conda_to_pip(conda) == pip


def test_docker_warning_only_when_docker_is_asked_for() -> None:
    env = Environment("e")
    assert docker_warning(env) is None
    assert "asks for Docker" in (docker_warning(env, docker=DockerConfiguration(True)) or "")
    env.docker.enabled = True
    warning = docker_warning(env, target="aml-compute")
    assert warning is not None
    assert "compute target 'aml-compute'" in warning and DEFAULT_CPU_IMAGE in warning
