"""Pure rules of the environment builders: pip options in uv's spelling, the user's pip
configuration carried over to uv, ages for collection, conda-only package names."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_pipelines.executors import env_build, env_cache
from jupyter_pipelines.executors.environments import conda_to_pip, is_conda_only


def test_pip_options_in_uv_spelling() -> None:
    assert env_build.uv_options(["--index-url https://x/simple", "--pre"]) == [
        "--index-url",
        "https://x/simple",
        "--prerelease=allow",
    ]
    assert env_build.uv_options(["-f /wheels", "--extra-index-url=https://y"]) == [
        "--find-links",
        "/wheels",
        "--extra-index-url",
        "https://y",
    ]
    assert env_build.uv_options(["--trusted-host h"]) == ["--allow-insecure-host", "h"]
    assert env_build.uv_options(["--use-feature=truststore"]) is None  # pip only: use pip
    assert env_build.uv_options(["--index-url"]) is None  # no value


def test_the_users_pip_configuration_reaches_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(
        "[global]\nindex-url = https://mirror/simple\nextra-index-url = https://a https://b\n"
        "[install]\nfind-links = /opt/w\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_TRUSTED_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_FIND_LINKS", "/env/w")  # the environment wins over files
    options = env_build.pip_config_options()
    pairs = list(zip(options[::2], options[1::2], strict=True))
    assert ("--index-url", "https://mirror/simple") in pairs
    assert ("--extra-index-url", "https://a") in pairs and (
        "--extra-index-url",
        "https://b",
    ) in pairs
    assert ("--find-links", "/env/w") in pairs and ("--find-links", "/opt/w") not in pairs
    assert options[-2:] == ["--index-strategy", "unsafe-best-match"]  # as pip chooses
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.delenv("PIP_FIND_LINKS")
    assert env_build.pip_config_options() == []


def test_ages() -> None:
    assert env_cache.parse_age("30d") == 30 * 86400
    assert env_cache.parse_age("12h") == 12 * 3600
    assert env_cache.parse_age("90m") == 90 * 60
    assert env_cache.parse_age("2w") == 14 * 86400
    assert env_cache.parse_age("7") == 7 * 86400
    assert env_cache.parse_age("never") is None
    with pytest.raises(ValueError, match="not a duration: '3 months'"):
        env_cache.parse_age("3 months")


def test_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(env_cache.CACHE_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert env_cache.cache_dir() == tmp_path / "jupyter-pipelines" / "envs"
    monkeypatch.setenv(env_cache.CACHE_ENV_VAR, str(tmp_path / "mine"))
    assert env_cache.cache_dir() == tmp_path / "mine"


def test_conda_names() -> None:
    assert conda_to_pip("pytorch=2.1") == "torch==2.1.*"
    assert conda_to_pip("py-opencv") == "opencv-python"
    for spec in ("cudatoolkit=11.8", "conda-forge::libgcc-ng", "r-base", "mkl-include", "cudnn"):
        assert is_conda_only(spec), spec
    for spec in ("numpy", "scikit-learn", "cuda-python", "mkl"):
        assert not is_conda_only(spec), spec
