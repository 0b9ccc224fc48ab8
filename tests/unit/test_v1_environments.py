"""v1's signatures and the members added to Environment, RunConfiguration,
DockerConfiguration and CondaDependencies: positional calls, files, labels, builds."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from jupyter_pipelines import (
    CondaDependencies,
    DockerConfiguration,
    Environment,
    RunConfiguration,
    UnknownEnvironmentError,
    Workspace,
)
from jupyter_pipelines.compat import V1CompatibilityWarning
from jupyter_pipelines.errors import ModelError
from jupyter_pipelines.stores import workspace as stores_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace.at(tmp_path / "project")


# -- DockerConfiguration and RunConfiguration ----------------------------------------------
def test_docker_configuration_takes_v1s_positional_order_and_defaults() -> None:
    config = DockerConfiguration(True, False, ["--ipc=host"], "8g")
    assert (config.use_docker, config.shared_volumes, config.arguments, config.shm_size) == (
        True,
        False,
        ["--ipc=host"],
        "8g",
    )
    first, second = DockerConfiguration(), DockerConfiguration()
    assert (first.use_docker, first.shared_volumes, first.shm_size) == (False, True, "2g")
    first.arguments.append("--x")
    assert second.arguments == [] and DockerConfiguration().arguments == []


def test_run_configuration_takes_v1s_positional_order() -> None:
    deps = CondaDependencies.create(pip_packages=["six"])
    config = RunConfiguration("train.py", ["--a", 1], None, None, deps, None, None, None, "run")
    assert config.script == "train.py" and config.arguments == ["--a", 1]
    assert config.command == "run"
    assert config.environment.python.conda_dependencies.pip_packages == ["six"]
    assert isinstance(config.docker, DockerConfiguration) and not config.docker.use_docker
    assert config.auto_prepare_environment is True
    config.auto_prepare_environment = False  # deprecated in v1: no effect
    assert config.auto_prepare_environment is True
    config.environment_variables = {"MODE": "fast"}
    assert config.to_dict()["environment_variables"] == {"MODE": "fast"}


def configured() -> RunConfiguration:
    config = RunConfiguration(script="train.py", arguments=["--epochs", 3])
    config.target = "cpu-cluster"
    config.environment = Environment("train-env")
    config.environment.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["scikit-learn"], conda_packages=["numpy"], python_version="3.10"
    )
    config.environment.environment_variables = {"ENV_LEVEL": "1"}
    config.environment.docker.base_image_registry = "myregistry.azurecr.io"
    config.environment_variables = {"RUN_LEVEL": "2"}
    config.docker = DockerConfiguration(use_docker=True, shm_size="4g")
    config.max_run_duration_seconds = 600
    return config


def test_a_saved_run_configuration_is_a_v1_file_and_loads_back(tmp_path: Path) -> None:
    config = configured()
    config.save(tmp_path, name="train")
    written = tmp_path / ".azureml" / "train"
    doc = yaml.safe_load(written.read_text())
    assert doc["target"] == "cpu-cluster" and doc["maxRunDurationSeconds"] == 600
    assert doc["docker"] == {
        "useDocker": True,
        "shmSize": "4g",
        "sharedVolumes": True,
        "arguments": [],
    }
    python = doc["environment"]["python"]
    assert python["condaDependenciesFile"] == ".azureml/conda_dependencies.yml"
    assert "condaDependencies" not in python
    assert doc["environment"]["environmentVariables"] == {"ENV_LEVEL": "1"}  # user keys kept
    assert doc["environment"]["docker"]["baseImageRegistry"] == {"address": "myregistry.azurecr.io"}
    assert (tmp_path / ".azureml" / "conda_dependencies.yml").is_file()

    loaded = RunConfiguration.load(tmp_path, "train")
    assert loaded.to_dict() == config.to_dict()
    assert RunConfiguration.load(str(written)).to_dict() == config.to_dict()


def test_a_run_configuration_written_by_v1_loads(tmp_path: Path) -> None:
    folder = tmp_path / "aml_config"
    folder.mkdir()
    (folder / "conda_dependencies.yml").write_text(
        "name: project_environment\ndependencies:\n- python=3.8\n- pip:\n  - pandas\n"
    )
    (folder / "remote.runconfig").write_text(
        yaml.safe_dump(
            {
                "script": "score.py",
                "arguments": [],
                "target": "gpu-cluster",
                "framework": "Python",
                "communicator": "None",
                "nodeCount": 1,
                "environmentVariables": {"MY_VAR": "x"},
                "history": {"outputCollection": True},
                "environment": {
                    "name": "my-env",
                    "version": None,
                    "python": {
                        "userManagedDependencies": False,
                        "interpreterPath": "python",
                        "condaDependenciesFile": "aml_config/conda_dependencies.yml",
                    },
                    "docker": {"enabled": True, "baseImage": "my/image:1", "gpuSupport": True},
                    "spark": {"repositories": []},
                },
            }
        )
    )
    config = RunConfiguration.load(tmp_path, "remote")  # the .runconfig suffix is optional
    assert (config.script, config.target) == ("score.py", "gpu-cluster")
    assert config.environment_variables == {"MY_VAR": "x"}
    assert config.environment.name == "my-env"
    assert config.environment.docker.base_image == "my/image:1"
    assert config.environment.python.conda_dependencies.pip_packages == ["pandas"]
    RunConfiguration.delete(tmp_path, "remote")
    assert not (folder / "remote.runconfig").exists()
    with pytest.raises(ModelError, match=r"no run configuration 'remote'"):
        RunConfiguration.delete(tmp_path, "remote")
    with pytest.raises(
        ModelError, match=r"no run configuration 'remote' in .*RunConfiguration\.save"
    ):
        RunConfiguration.load(tmp_path, "remote")


def test_save_to_a_file_with_a_separate_environment_and_without_a_name(tmp_path: Path) -> None:
    config = configured()
    target = tmp_path / "my.runconfig"
    config.save(str(target), separate_environment_yaml=True)
    assert yaml.safe_load(target.read_text())["environment"] == "environment.yml"
    assert (tmp_path / "environment.yml").is_file()
    assert RunConfiguration.load(target).to_dict() == config.to_dict()
    with pytest.raises(ModelError, match=r"needs a name: runconfig\.save\(path, name='train'\)"):
        config.save(tmp_path)


# -- Environment ---------------------------------------------------------------------------
def test_environment_constructors_take_v1s_arguments(tmp_path: Path) -> None:
    env = Environment("plain", _skip_defaults=True)
    env.environment_variables = {"A": "1"}
    assert env.to_dict()["environment_variables"] == {"A": "1"}

    class Registry:
        address = "myacr.azurecr.io"
        username = "user"
        password = "secret"

    spec = tmp_path / "env.yml"
    spec.write_text("dependencies:\n- numpy\n")
    image = Environment.from_docker_image("img", "my/image:2", Registry(), str(spec))
    assert image.docker.base_image == "my/image:2"
    assert image.docker.base_image_registry == "myacr.azurecr.io"
    assert "secret" not in json.dumps(image.to_dict())
    assert image.python.conda_dependencies.conda_packages == ["numpy"]
    assert isinstance(vars(Environment)["from_pip_requirements"], staticmethod)


def test_an_environment_directory_round_trips_with_v1s_files(tmp_path: Path) -> None:
    env = Environment.from_dockerfile("df", "FROM python:3.11-slim\nRUN echo hi\n")
    env.python.conda_dependencies.add_pip_package("requests")
    env.environment_variables = {"Mixed_Case": "kept"}
    folder = tmp_path / "env"
    env.save_to_directory(folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        "BaseDockerfile",
        "azureml_environment.json",
        "conda_dependencies.yml",
    ]
    definition = json.loads((folder / "azureml_environment.json").read_text())
    assert definition["environmentVariables"] == {"Mixed_Case": "kept"}
    assert "baseDockerfile" not in definition["docker"]
    assert Environment.load_from_directory(folder) == env
    with pytest.raises(ModelError, match=r"exists; pass overwrite=True"):
        env.save_to_directory(folder)
    env.save_to_directory(folder, overwrite=True)


def test_labels_name_a_version_for_get(ws: Workspace) -> None:
    env = Environment("labelled")
    env.register(ws)
    env.environment_variables = {"V": "2"}
    env.register(ws)
    Environment.label(ws, "labelled", "1", ["stable"])
    Environment.label(ws, "labelled", "2", ["latest-good"])
    assert Environment.get(ws, "labelled", label="stable").version == "1"
    assert Environment.get(ws, "labelled", label="latest-good").version == "2"
    Environment.label(ws, "labelled", "2", ["stable"])  # a label moves
    assert Environment.get(ws, "labelled", label="stable").version == "2"
    with pytest.raises(UnknownEnvironmentError, match=r"no label 'stabel' \(did you mean"):
        Environment.get(ws, "labelled", label="stabel")
    with pytest.raises(ModelError, match=r"a version or a label, not both"):
        Environment.get(ws, "labelled", "1", "stable")
    with pytest.raises(UnknownEnvironmentError, match=r"no registered version '7'"):
        Environment.label(ws, "labelled", "7", ["x"])


def test_private_wheels_are_kept_in_the_workspace(ws: Workspace, tmp_path: Path) -> None:
    wheel = tmp_path / "mypkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel one")
    path = Environment.add_private_pip_wheel(ws, wheel)
    assert Path(path) == ws.dir / "private_wheels" / wheel.name
    assert Path(path).read_bytes() == b"wheel one"
    assert Environment.add_private_pip_wheel(ws, wheel) == path  # the same file again
    wheel.write_bytes(b"wheel two")
    with pytest.raises(ModelError, match=r"different wheel .* exist_ok=True"):
        Environment.add_private_pip_wheel(ws, wheel)
    assert Environment.add_private_pip_wheel(ws, wheel, exist_ok=True) == path
    with pytest.raises(ModelError, match=r"no wheel file"):
        Environment.add_private_pip_wheel(ws, tmp_path / "missing.whl")


def test_build_registers_and_builds_for_the_local_target(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    env = Environment("nothing-to-install")
    details = env.build(ws)
    assert details.status == "Succeeded" and details.built == sys.executable
    assert Environment.get(ws, "nothing-to-install").version == "1"
    assert details.wait_for_completion(show_output=True) is details
    assert "Image Build Status: Succeeded" in capsys.readouterr().out
    env.build_local(ws, platform="Linux")
    assert f"is ready: {sys.executable}" in capsys.readouterr().out
    plain = stores_workspace.Workspace.at(ws.root)  # not the exported class
    with pytest.raises(ModelError, match=r"pass a jupyter_pipelines\.Workspace"):
        env.build(plain)


def test_existing_conda_environments_need_conda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert Environment.from_existing_conda_environment("env", "base") is None


def test_cloud_only_environment_members(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", V1CompatibilityWarning)
        env = Environment.from_docker_build_context("ctx", str(tmp_path))
        details = env.get_image_details(None)
    assert env.docker.base_dockerfile == "FROM busybox\n"
    assert details["imageExistsInRegistry"] is False
    assert details["ingredients"]["dockerfile"] == "FROM busybox\n"
    not_local = r"not a local folder; use Environment\.from_dockerfile"
    with pytest.raises(ModelError, match=not_local), warnings.catch_warnings():
        warnings.simplefilter("ignore", V1CompatibilityWarning)
        Environment.from_docker_build_context("ctx", "https://github.com/x/y.git")
    assert all(issubclass(w.category, V1CompatibilityWarning) for w in caught)


# -- CondaDependencies -----------------------------------------------------------------------
def test_conda_dependencies_v1_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deps = CondaDependencies.create(pip_packages=["six"], pip_indexurl="https://a.example/simple")
    deps.set_pip_index_url("https://b.example/simple")
    assert deps.pip_options == ["--index-url https://b.example/simple"]
    deps.remove_pip_option("--index-url")
    assert deps.pip_options == []
    deps.set_pip_requirements(["--extra-index-url https://c.example", "pandas==2.0"])
    assert deps.pip_packages == ["pandas==2.0"] and deps.pip_options == [
        "--extra-index-url https://c.example"
    ]
    assert deps.as_dict()["dependencies"][-1] == {
        "pip": ["--extra-index-url https://c.example", "pandas==2.0"]
    }
    deps.add_tensorflow_pip_package(core_type="gpu", version="2.4")
    deps.add_tensorflow_pip_package()
    deps.add_cntk_package("gpu")
    assert deps.pip_packages == ["pandas==2.0", "tensorflow", "cntk-gpu"]
    deps.add_tensorflow_conda_package(version="2.4")
    assert "tensorflow=2.4" in deps.conda_packages
    with pytest.raises(ModelError, match=r"core_type 'tpu' is not 'cpu' or 'gpu'"):
        deps.add_cntk_package("tpu")
    assert deps.get_default_number_of_packages() == (0, 0)
    assert CondaDependencies.merge_requirements(["numpy>=1.20", "pandas", "NumPy<2"]) == [
        "numpy>=1.20,<2",
        "pandas",
    ]
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    assert CondaDependencies.sdk_origin_url() == "https://mirror.example/simple"

    saved = deps.save(str(tmp_path / "env.yml"))
    assert CondaDependencies(saved) == deps
    with pytest.raises(ModelError, match=r"is a folder; give the path of a \.yml file"):
        deps.save(tmp_path)
    with pytest.raises(ModelError, match=r"its folder does not exist"):
        deps.save(tmp_path / "no" / "env.yml")
    with pytest.raises(TypeError):
        CondaDependencies.create(None, None, None, None, True, ["conda-forge"])  # type: ignore[misc]
    assert CondaDependencies.create(channels=["conda-forge"]).conda_channels == ["conda-forge"]
