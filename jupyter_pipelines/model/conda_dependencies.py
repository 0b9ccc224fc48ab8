"""``CondaDependencies`` (the v1 name): a conda environment specification held in memory.

The specification is the one of a conda ``environment.yml`` file: a name, channels, and a
``dependencies`` list of conda package specs plus an optional ``{"pip": [...]}`` sub-list of
pip requirements and pip options (entries starting with ``-``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..errors import ModelError, did_you_mean

DEFAULT_ENVIRONMENT_NAME = "project_environment"
#: Where pip looks for packages when nothing else is configured.
DEFAULT_INDEX_URL = "https://pypi.org/simple"
_CORE_TYPES = ("cpu", "gpu")
_VALID_KEYS = ("name", "channels", "dependencies", "prefix", "variables")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HEADER = (
    "# Conda environment specification, written by jupyter_pipelines.\n"
    "# Pip entries starting with '-' are pip options.\n"
)


def package_name(spec: str) -> str:
    """The normalized name of a conda or pip package spec.

    ``"conda-forge::NumPy=1.21"`` -> ``"numpy"``, ``"azureml_dataprep[fuse]>=1"`` ->
    ``"azureml-dataprep"`` (lower case, ``_`` and ``.`` read as ``-``, as pip compares names).
    """
    text = spec.strip().split("::")[-1].strip()
    match = _NAME.match(text)
    if match is None:
        return text.lower()
    return re.sub(r"[._-]+", "-", match.group(0)).lower()


class CondaDependencies:
    """A conda environment specification: channels, conda packages, pip packages and options.

    ``CondaDependencies()`` is empty; ``CondaDependencies(path)`` loads a conda YAML file.
    Unlike v1, the empty specification pins no Python version: a step then uses the Python
    version of the interpreter that runs the workspace.
    """

    #: Packages of the base specification (v1 counts those of its project template; the
    #: empty specification here has none).
    DEFAULT_NUMBER_OF_CONDA_PACKAGES = 0
    DEFAULT_NUMBER_OF_PIP_PACKAGES = 0

    def __init__(
        self,
        conda_dependencies_file_path: str | os.PathLike[str] | None = None,
        _underlying_structure: dict[str, Any] | None = None,
    ) -> None:
        self.name = DEFAULT_ENVIRONMENT_NAME
        self._channels: list[str] = []
        self._conda: list[str] = []
        self._pip: list[str] = []
        self._variables: dict[str, str] = {}
        if conda_dependencies_file_path is not None:
            path = Path(conda_dependencies_file_path)
            try:
                document = yaml.safe_load(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ModelError(f"cannot read conda specification {str(path)!r}: {exc}") from exc
            except yaml.YAMLError as exc:
                raise ModelError(f"conda specification {str(path)!r} is not YAML: {exc}") from exc
            self._load(document, str(path))
        elif _underlying_structure is not None:
            self._load(_underlying_structure, "conda specification")

    # -- building ------------------------------------------------------------------------
    @staticmethod
    def create(
        pip_indexurl: str | None = None,
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
        *,
        channels: Iterable[str] | None = None,
    ) -> CondaDependencies:
        """A specification with the given packages (v1 signature).

        As in v1, ``pip_packages=None`` means ``["azureml-defaults"]``. ``pin_sdk_version``
        is accepted and has no effect: ``azureml-*`` packages are never installed, since
        jupyter_pipelines itself provides what steps import from them.
        ``python_version=None`` pins no version (the workspace's interpreter decides).
        """
        del pin_sdk_version  # azureml-* packages are filtered out when an environment is built
        deps = CondaDependencies()
        if python_version:
            deps.set_python_version(python_version)
        if pip_indexurl:
            deps.set_pip_option(f"--index-url {pip_indexurl}")
        for channel in channels or ():
            deps.add_channel(channel)
        for conda_package in conda_packages or ():
            deps.add_conda_package(conda_package)
        for pip_package in ["azureml-defaults"] if pip_packages is None else pip_packages:
            deps.add_pip_package(pip_package)
        return deps

    def add_pip_package(self, pip_package: str) -> None:
        """Add a pip requirement, replacing one for the same package."""
        spec = _checked(pip_package, "pip package")
        self.remove_pip_package(spec)
        self._pip.append(spec)

    def remove_pip_package(self, pip_package: str) -> None:
        """Remove the pip requirement for ``pip_package``'s package, if any."""
        name = package_name(pip_package)
        self._pip = [p for p in self._pip if p.startswith("-") or package_name(p) != name]

    def add_conda_package(self, conda_package: str) -> None:
        """Add a conda package spec, replacing one for the same package."""
        spec = _checked(conda_package, "conda package")
        self.remove_conda_package(spec)
        self._conda.append(spec)

    def remove_conda_package(self, conda_package: str) -> None:
        """Remove the conda spec for ``conda_package``'s package, if any."""
        name = package_name(conda_package)
        self._conda = [c for c in self._conda if package_name(c) != name]

    def add_channel(self, channel: str) -> None:
        """Add a conda channel (once)."""
        channel = _checked(channel, "conda channel")
        if channel not in self._channels:
            self._channels.append(channel)

    def remove_channel(self, channel: str) -> None:
        """Remove a conda channel, if present."""
        self._channels = [c for c in self._channels if c != channel]

    def set_pip_option(self, pip_option: str) -> None:
        """Add a pip option such as ``--index-url URL``, replacing one with the same flag."""
        option = _checked(pip_option, "pip option")
        if not option.startswith("-"):
            raise ModelError(f"pip option {option!r} must start with '-'")
        flag = option.split()[0]
        self._pip = [p for p in self._pip if not (p.startswith("-") and p.split()[0] == flag)]
        self._pip.insert(len(self.pip_options), option)

    def remove_pip_option(self, pip_option: str) -> None:
        """Remove the pip option with the flag of ``pip_option`` (``--index-url``), if any."""
        option = _checked(pip_option, "pip option")
        if not option.startswith("-"):
            raise ModelError(f"pip option {option!r} must start with '-'")
        flag = option.split()[0]
        self._pip = [p for p in self._pip if not (p.startswith("-") and p.split()[0] == flag)]

    def set_pip_index_url(self, index_url: str) -> None:
        """Install pip packages from ``index_url`` (``"--index-url URL"`` or just the URL)."""
        text = _checked(index_url, "pip index URL")
        self.set_pip_option(text if text.startswith("-") else f"--index-url {text}")

    def set_pip_requirements(self, pip_requirements: Iterable[str]) -> None:
        """Replace the whole pip section (requirements and options) with ``pip_requirements``."""
        self._pip = [_checked(entry, "pip requirement") for entry in pip_requirements]

    @staticmethod
    def merge_requirements(requirements: Iterable[str]) -> list[str]:
        """One requirement per package, joining the version specifiers given for it:
        ``["numpy>=1.20", "numpy<2"]`` -> ``["numpy>=1.20,<2"]`` (first-seen order)."""
        merged: dict[str, tuple[str, list[str]]] = {}
        for requirement in requirements:
            text = _checked(requirement, "requirement")
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?", text)
            head = match.group(0) if match else text
            spec = text[len(head) :].strip()
            key = package_name(head)
            _, specs = merged.setdefault(key, (head, []))
            if spec and spec not in specs:
                specs.append(spec)
        return [name + ",".join(specs) for name, specs in merged.values()]

    @staticmethod
    def sdk_origin_url() -> str:
        """The package index pip uses here (``$PIP_INDEX_URL``, else PyPI)."""
        return os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX_URL

    def add_tensorflow_pip_package(
        self, core_type: str = "cpu", version: str | None = None
    ) -> None:
        """Add the pip package ``tensorflow`` (``tensorflow-gpu`` for ``core_type="gpu"``)."""
        self._remove_family("tensorflow", pip=True)
        self.add_pip_package(_framework("tensorflow", core_type, version, "=="))

    def add_tensorflow_conda_package(
        self, core_type: str = "cpu", version: str | None = None
    ) -> None:
        """Add the conda package ``tensorflow`` (``tensorflow-gpu`` for ``core_type="gpu"``)."""
        self._remove_family("tensorflow", pip=False)
        self.add_conda_package(_framework("tensorflow", core_type, version, "="))

    def add_cntk_package(self, core_type: str = "cpu") -> None:
        """Add the pip package ``cntk`` (``cntk-gpu`` for ``core_type="gpu"``)."""
        self._remove_family("cntk", pip=True)
        self.add_pip_package(_framework("cntk", core_type, None, "=="))

    def _remove_family(self, prefix: str, *, pip: bool) -> None:
        if pip:
            self._pip = [
                p for p in self._pip if p.startswith("-") or not package_name(p).startswith(prefix)
            ]
        else:
            self._conda = [c for c in self._conda if not package_name(c).startswith(prefix)]

    def get_default_number_of_packages(self) -> tuple[int, int]:
        """(conda, pip) packages of the base specification: (0, 0) here."""
        return self.DEFAULT_NUMBER_OF_CONDA_PACKAGES, self.DEFAULT_NUMBER_OF_PIP_PACKAGES

    def set_python_version(self, version: str) -> None:
        """Pin the Python version (``"3.10"``), as the conda spec ``python=3.10``."""
        version = _checked(version, "Python version")
        if not re.fullmatch(r"\d+(\.\d+){0,2}", version):
            raise ModelError(f"Python version {version!r} is not like '3.10' or '3.10.4'")
        self.remove_conda_package("python")
        self._conda.insert(0, f"python={version}")

    def get_python_version(self) -> str | None:
        """The pinned Python version (``"3.10"``), or None when none is pinned."""
        for spec in self._conda:
            if package_name(spec) == "python":
                version = re.sub(r"^[^=<>!~ ]*[=<>!~ ]+", "", spec.split("::")[-1]).strip()
                return version or None
        return None

    # -- reading -------------------------------------------------------------------------
    @property
    def conda_packages(self) -> list[str]:
        """The conda package specs, ``python=...`` and ``pip`` included (a copy)."""
        return list(self._conda)

    @property
    def pip_packages(self) -> list[str]:
        """The pip requirements, without options (a copy)."""
        return [p for p in self._pip if not p.startswith("-")]

    @property
    def pip_options(self) -> list[str]:
        """The pip options, such as ``--index-url URL`` (a copy)."""
        return [p for p in self._pip if p.startswith("-")]

    @property
    def conda_channels(self) -> list[str]:
        """The conda channels (a copy)."""
        return list(self._channels)

    @property
    def variables(self) -> dict[str, str]:
        """The ``variables`` of the conda file: environment variables it sets (a copy)."""
        return dict(self._variables)

    # -- documents -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The specification as a conda ``environment.yml`` document."""
        dependencies: list[Any] = list(self._conda)
        if self._pip:
            dependencies.append({"pip": self.pip_options + self.pip_packages})
        doc: dict[str, Any] = {"name": self.name}
        if self._channels:
            doc["channels"] = list(self._channels)
        doc["dependencies"] = dependencies
        if self._variables:
            doc["variables"] = dict(self._variables)
        return doc

    def as_dict(self) -> dict[str, Any]:
        """The specification as a plain ``environment.yml`` document (a copy)."""
        return self.to_dict()

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> CondaDependencies:
        """The specification of a conda ``environment.yml`` document."""
        return cls(_underlying_structure=document)

    def serialize_to_string(self) -> str:
        """The specification as conda YAML text."""
        body = yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)
        return _HEADER + body

    def save_to_file(
        self, base_directory: str | os.PathLike[str], conda_file_path: str | None = None
    ) -> str:
        """Write the YAML to ``base_directory/conda_file_path`` and return that path."""
        path = Path(base_directory) / (conda_file_path or "conda_dependencies.yml")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.serialize_to_string(), encoding="utf-8")
        os.replace(tmp, path)
        return str(path)

    def save(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write the YAML to the file ``path`` (not a folder; its folder must exist) and
        return that path."""
        if path is None:
            raise ModelError("CondaDependencies.save needs the path of the file to write")
        target = Path(path)
        if target.is_dir():
            raise ModelError(f"{str(target)!r} is a folder; give the path of a .yml file in it")
        if not target.parent.is_dir():
            raise ModelError(f"cannot save to {str(target)!r}: its folder does not exist")
        return self.save_to_file(target.parent, target.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CondaDependencies) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    def __repr__(self) -> str:
        return f"CondaDependencies(conda={self._conda!r}, pip={self._pip!r})"

    # -- loading -------------------------------------------------------------------------
    def _load(self, document: object, source: str) -> None:
        if not isinstance(document, dict):
            raise ModelError(f"{source}: expected a mapping with 'dependencies', got {document!r}")
        for key in document:
            if key not in _VALID_KEYS:
                raise ModelError(
                    f"{source}: unknown key {key!r}{did_you_mean(str(key), _VALID_KEYS)}; "
                    f"expected one of {', '.join(_VALID_KEYS)}"
                )
        self.name = str(document.get("name") or DEFAULT_ENVIRONMENT_NAME)
        for channel in _string_list(document.get("channels"), source, "channels"):
            self.add_channel(channel)
        variables = document.get("variables") or {}
        if not isinstance(variables, dict):
            raise ModelError(f"{source}: 'variables' must be a mapping, got {variables!r}")
        self._variables = {str(k): str(v) for k, v in variables.items()}
        dependencies = document.get("dependencies") or []
        if not isinstance(dependencies, list):
            raise ModelError(f"{source}: 'dependencies' must be a list, got {dependencies!r}")
        for item in dependencies:
            if isinstance(item, dict) and set(item) == {"pip"}:
                for entry in _string_list(item["pip"], source, "pip"):
                    self._pip.append(entry.strip())
            elif isinstance(item, str | int | float) and not isinstance(item, bool):
                self._conda.append(str(item).strip())
            else:
                raise ModelError(
                    f"{source}: a dependency must be a package spec or a 'pip' list, got {item!r}"
                )


def _framework(name: str, core_type: str, version: str | None, pin: str) -> str:
    if core_type not in _CORE_TYPES:
        raise ModelError(f"core_type {core_type!r} is not 'cpu' or 'gpu'")
    spec = name + ("-gpu" if core_type == "gpu" else "")
    return spec + (f"{pin}{version}" if version else "")


def _checked(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ModelError(f"a {what} must be a non-empty string, got {value!r}")
    return value.strip()


def _string_list(value: object, source: str, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ModelError(f"{source}: {field!r} must be a list of strings, got {value!r}")
    return [str(v) for v in value]
