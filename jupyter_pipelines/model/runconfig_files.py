"""v1's files for run configurations and environments, read and written.

- A run configuration is a YAML ``.runconfig`` document with camelCase keys, kept as
  ``<project>/.azureml/<name>`` (or in ``aml_config/``), its conda dependencies in a
  ``conda_dependencies.yml`` that ``environment.python.condaDependenciesFile`` names.
- An environment saved to a directory is ``azureml_environment.json`` (camelCase), plus
  ``conda_dependencies.yml`` and ``BaseDockerfile`` when it has them.

These functions read and write documents (the ``to_dict``/``from_dict`` shapes of
``RunConfiguration`` and ``Environment``), so that this module needs neither class.
Reading accepts camelCase and snake_case keys, as v1 does; keys under environment variables
and tags are the user's own and are kept as they are.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ModelError
from .conda_dependencies import CondaDependencies

RUNCONFIG_SUFFIX = ".runconfig"
CONDA_FILE = "conda_dependencies.yml"
DOCKERFILE = "BaseDockerfile"
DEFINITION_FILE = "azureml_environment.json"
#: Mappings whose keys are the user's (environment variable names, tag names).
_USER_KEYED = {"environment_variables", "tags", "variables", "properties"}


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_keys(value: Any, user_keyed: bool = False) -> Any:
    """``value`` with every structural mapping key in snake_case."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = str(key) if user_keyed else _snake(str(key))
            out[name] = snake_keys(item, not user_keyed and name in _USER_KEYED)
        return out
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def camel_keys(value: Any, user_keyed: bool = False) -> Any:
    """``value`` with every structural mapping key in camelCase (v1's file spelling)."""
    if isinstance(value, dict):
        return {
            (str(k) if user_keyed else _camel(str(k))): camel_keys(
                v, not user_keyed and k in _USER_KEYED
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _config_dir(project: Path) -> Path:
    return project / ("aml_config" if (project / "aml_config").is_dir() else ".azureml")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# -- run configurations ------------------------------------------------------------------
def save_runconfig(
    config: dict[str, Any],
    conda_dependencies: CondaDependencies,
    path: str | os.PathLike[str],
    name: str | None,
    separate_environment_yaml: bool = False,
) -> Path:
    """Write the run configuration document ``config`` (``RunConfiguration.to_dict()``) and
    its environment's ``conda_dependencies`` (see the module docstring); returns the
    ``.runconfig`` file's path."""
    where = Path(path)
    if where.is_dir():
        if not name:
            raise ModelError(
                f"a run configuration saved in the project folder {str(where)!r} needs a name: "
                "runconfig.save(path, name='train')"
            )
        target, base = _config_dir(where) / name, where
        prefix = f"{target.parent.name}/"
    elif where.parent.is_dir():
        target, base, prefix = where, where.parent, ""
    else:
        raise ModelError(f"cannot save a run configuration to {str(where)!r}: no such folder")
    doc = camel_keys(config)
    environment = doc["environment"]
    environment["python"].pop("condaDependencies", None)
    environment["python"]["condaDependenciesFile"] = prefix + CONDA_FILE
    registry = environment["docker"].get("baseImageRegistry")
    environment["docker"]["baseImageRegistry"] = {"address": registry}
    conda_dependencies.save_to_file(base, prefix + CONDA_FILE)
    if separate_environment_yaml:
        _write(base / (prefix + "environment.yml"), yaml.safe_dump(environment, sort_keys=False))
        doc["environment"] = prefix + "environment.yml"
    _write(target, yaml.safe_dump(doc, sort_keys=False))
    return target


def _runconfig_candidates(path: Path, name: str | None) -> list[Path]:
    if path.is_file():
        return [path]
    if not name:
        return []
    names = [name] if name.endswith(RUNCONFIG_SUFFIX) else [name, name + RUNCONFIG_SUFFIX]
    folders = [path / "aml_config", path / ".azureml", path]
    return [folder / n for folder in folders for n in names]


def load_runconfig(path: str | os.PathLike[str], name: str | None) -> tuple[dict[str, Any], Path]:
    """The run configuration document (for ``RunConfiguration.from_dict``) of a
    ``.runconfig`` file (see the module docstring), and the file it was read from."""
    where = Path(path)
    candidates = _runconfig_candidates(where, name)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        tried = ", ".join(repr(str(c)) for c in candidates) or repr(str(where))
        raise ModelError(
            f"no run configuration {name!r} in {str(where)!r} (looked for {tried}); "
            "write one with RunConfiguration.save(path, name)"
        )
    bases = [found.parent, found.parent.parent] if not where.is_dir() else [where, found.parent]
    doc = snake_keys(_read_yaml(found))
    environment = doc.get("environment")
    if isinstance(environment, str):
        environment = snake_keys(_read_yaml(_relative(environment, bases, found)))
    doc["environment"] = _environment_document(environment or {}, bases, found)
    return doc, found


def _environment_document(doc: dict[str, Any], bases: list[Path], source: Path) -> dict[str, Any]:
    doc = dict(doc)
    doc.setdefault("name", "default-environment")
    python = dict(doc.get("python") or {})
    conda_file = python.pop("conda_dependencies_file", None)
    if conda_file and not python.get("conda_dependencies"):
        python["conda_dependencies"] = CondaDependencies(
            _relative(conda_file, bases, source)
        ).to_dict()
    doc["python"] = python
    docker = dict(doc.get("docker") or {})
    registry = docker.get("base_image_registry")
    if isinstance(registry, dict):
        docker["base_image_registry"] = registry.get("address")
    doc["docker"] = docker
    return doc


def _relative(name: str, bases: list[Path], source: Path) -> Path:
    for base in bases:
        if (base / name).is_file():
            return base / name
    raise ModelError(f"{str(source)!r} names {name!r}, which is not there")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"cannot read {str(path)!r}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ModelError(f"{str(path)!r} is not a mapping")
    return doc


def delete_runconfig(path: str | os.PathLike[str], name: str) -> None:
    """Delete the run configuration ``name`` of the project folder ``path``."""
    where = Path(path)
    found = [c for c in _runconfig_candidates(where, name) if c.parent != where and c.is_file()]
    if not found:
        raise ModelError(f"no run configuration {name!r} in {str(where)!r}/.azureml or aml_config")
    for candidate in found:
        candidate.unlink()


# -- environments in a directory ---------------------------------------------------------
def save_environment(
    environment: dict[str, Any],
    conda_dependencies: CondaDependencies,
    path: str | os.PathLike[str],
    overwrite: bool,
) -> None:
    """Write the environment document ``environment`` (``Environment.to_dict()``) and its
    ``conda_dependencies`` into the directory ``path`` (see the module docstring)."""
    folder = Path(path)
    if folder.exists() and not overwrite:
        raise ModelError(f"{str(folder)!r} exists; pass overwrite=True to replace its files")
    folder.mkdir(parents=True, exist_ok=True)
    doc = camel_keys(environment)
    doc["python"].pop("condaDependencies", None)
    conda_dependencies.save_to_file(folder, CONDA_FILE)
    dockerfile = doc["docker"].pop("baseDockerfile", None)
    if dockerfile:
        _write(folder / DOCKERFILE, dockerfile)
    elif (folder / DOCKERFILE).exists():
        (folder / DOCKERFILE).unlink()
    _write(folder / DEFINITION_FILE, json.dumps(doc, indent=4) + "\n")


def load_environment(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document (for ``Environment.from_dict``) of the environment saved by
    ``save_environment`` (or by v1) in the directory ``path``."""
    folder = Path(path)
    definition = folder / DEFINITION_FILE
    try:
        doc = snake_keys(json.loads(definition.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the environment definition {str(definition)!r}: {exc}"
        ) from exc
    doc = _environment_document(doc, [folder], definition)
    if (folder / CONDA_FILE).is_file():
        doc["python"]["conda_dependencies"] = CondaDependencies(folder / CONDA_FILE).to_dict()
    if (folder / DOCKERFILE).is_file():
        doc["docker"]["base_dockerfile"] = (folder / DOCKERFILE).read_text(encoding="utf-8")
    return doc
