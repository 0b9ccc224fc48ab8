"""Image recipes, build contexts, the CA bundle and fingerprints: no Docker engine needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines import Environment
from jupyter_pipelines.engine.reuse import environment_of
from jupyter_pipelines.errors import ExecutorError
from jupyter_pipelines.executors.docker import cabundle
from jupyter_pipelines.executors.docker.images import write_context
from jupyter_pipelines.executors.docker.recipe import ImageRecipe, choose_image, is_v1_default
from jupyter_pipelines.model.environment import DEFAULT_CPU_IMAGE
from jupyter_pipelines.reuse.fingerprint import base_document, fingerprint


def pip_env(*packages: str, image: str | None = None) -> Environment:
    env = Environment("e")
    for package in packages:
        env.python.conda_dependencies.add_pip_package(package)
    if image:
        env.docker.base_image = image
    return env


def test_no_environment_runs_the_target_image() -> None:
    assert choose_image(None, "py:1", "s") == "py:1"


def test_no_image_at_all_is_a_clear_error() -> None:
    with pytest.raises(ExecutorError, match=r"step 's' has no image.*provisioning_configuration"):
        choose_image(None, None, "s")


def test_the_v1_default_image_means_the_targets_image() -> None:
    assert is_v1_default(DEFAULT_CPU_IMAGE + ":20230101.v1")
    assert not is_v1_default("python:3.11")
    env = Environment("e")  # v1 default base image, user-managed: nothing to install
    env.python.user_managed_dependencies = True
    assert choose_image(env.to_dict(), "py:1", "s") == "py:1"


def test_an_environment_image_overrides_the_targets() -> None:
    env = pip_env(image="mine:2")
    env.python.user_managed_dependencies = True
    assert choose_image(env.to_dict(), "py:1", "s") == "mine:2"


def test_packages_make_a_recipe_on_the_chosen_base() -> None:
    recipe = choose_image(pip_env("six==1.16", "azureml-core").to_dict(), "py:1", "s")
    assert isinstance(recipe, ImageRecipe)
    assert recipe.base_image == "py:1"
    assert recipe.pip == ["six==1.16"]  # azureml-* is provided by jupyter_pipelines
    assert recipe.tag.startswith("jupyter-pipelines-env:")


def test_conda_only_packages_stay_out_of_the_image_recipe() -> None:
    env = pip_env("six==1.16")
    env.python.conda_dependencies.add_conda_package("cudatoolkit=11.8")
    env.python.conda_dependencies.add_conda_package("numpy=1.26")
    recipe = choose_image(env.to_dict(), "py:1", "s")
    assert isinstance(recipe, ImageRecipe)
    assert recipe.pip == ["six==1.16", "numpy==1.26.*"]


def test_the_recipe_hash_follows_the_content_only() -> None:
    one = choose_image(pip_env("six").to_dict(), "py:1", "s")
    same = choose_image({**pip_env("six").to_dict(), "name": "other"}, "py:1", "s")
    changed = choose_image(pip_env("six", "tomli").to_dict(), "py:1", "s")
    other_base = choose_image(pip_env("six").to_dict(), "py:2", "s")
    assert isinstance(one, ImageRecipe) and isinstance(same, ImageRecipe)
    assert isinstance(changed, ImageRecipe) and isinstance(other_base, ImageRecipe)
    assert one.tag == same.tag
    assert len({one.tag, changed.tag, other_base.tag}) == 3


def test_apt_packages_are_installed_before_pip_packages() -> None:
    env = pip_env("six")
    env.docker.apt_packages = ["curl", "libgomp1"]
    recipe = choose_image(env.to_dict(), "py:1", "s")
    assert isinstance(recipe, ImageRecipe) and recipe.apt == ["curl", "libgomp1"]
    text = recipe.dockerfile_text(with_ca_bundle=False)
    apt = text.index("apt-get install -y -q --no-install-recommends curl libgomp1")
    assert apt < text.index("pip install")
    # apt packages alone make a recipe too, and change the image
    only_apt = Environment("e")
    only_apt.python.user_managed_dependencies = True
    only_apt.docker.apt_packages = ["curl"]
    built = choose_image(only_apt.to_dict(), "py:1", "s")
    assert isinstance(built, ImageRecipe) and built.tag != recipe.tag
    # ... and round-trip through the environment's dict, which stays as before without them
    assert Environment.from_dict(env.to_dict()).docker.apt_packages == ["curl", "libgomp1"]
    assert "apt_packages" not in pip_env("six").to_dict()["docker"]


def test_a_dockerfile_environment_is_built_from_its_text() -> None:
    env = Environment.from_dockerfile("d", "FROM base:1\nRUN echo hi\n")
    recipe = choose_image(env.to_dict(), None, "s")
    assert isinstance(recipe, ImageRecipe)
    assert recipe.dockerfile_text(False).startswith("FROM base:1\nRUN echo hi\n")


def test_the_build_context_carries_the_ca_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.crt"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    recipe = ImageRecipe(base_image="py:1", pip=["six"])
    context = write_context(recipe, tmp_path / "ctx", bundle)
    dockerfile = (context / "Dockerfile").read_text()
    assert (context / "host-ca.crt").read_text() == bundle.read_text()
    assert f"COPY host-ca.crt {cabundle.IMAGE_PATH}" in dockerfile
    assert f"ARG PIP_CERT={cabundle.IMAGE_PATH}" in dockerfile
    assert "Acquire::https::CAInfo" in dockerfile
    assert dockerfile.index("COPY host-ca.crt") < dockerfile.index("pip install")
    plain = write_context(recipe, tmp_path / "plain", None)
    assert not (plain / "host-ca.crt").exists()
    assert "host-ca" not in (plain / "Dockerfile").read_text()


def test_the_ca_bundle_comes_from_the_environment_or_pips_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in cabundle.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    conf = tmp_path / "pip.conf"
    pip_cert = tmp_path / "pip.crt"
    pip_cert.write_text("x")
    conf.write_text(f"[global]\ncert = {pip_cert}\n")
    monkeypatch.setattr(cabundle, "pip_config_files", lambda: [conf])
    assert cabundle.host_ca_bundle() == pip_cert
    env_cert = tmp_path / "env.crt"
    env_cert.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(env_cert))
    assert cabundle.host_ca_bundle() == env_cert
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.crt"))
    assert cabundle.host_ca_bundle() == env_cert  # a missing file is passed over
    monkeypatch.setattr(cabundle, "pip_config_files", lambda: [])
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert cabundle.host_ca_bundle() is None


def test_a_changed_environment_changes_the_step_fingerprint() -> None:
    def fp(env: Environment) -> str:
        doc = base_document({"name": "s"}, "code", {}, environment_of(env.to_dict()), {})
        return fingerprint(doc)

    assert fp(pip_env("six")) == fp(pip_env("six"))
    assert fp(pip_env("six")) != fp(pip_env("six", "tomli"))
    assert fp(pip_env("six")) != fp(pip_env("six", image="other:1"))
