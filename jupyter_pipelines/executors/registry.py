"""The executor registry: compute target kinds found through the ``jupyter_pipelines.executors``
entry-point group (the built-in ones are registered the same way)."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from ..errors import UnknownComputeTargetError, did_you_mean
from .base import AbstractExecutor

GROUP = "jupyter_pipelines.executors"
#: Used when the package runs from a source tree without installed metadata.
_BUILTIN = {
    "local": "jupyter_pipelines.executors.local:LocalExecutor",
    "docker": "jupyter_pipelines.executors.docker.executor:DockerExecutor",
    "dask": "jupyter_pipelines.executors.dask.executor:DaskExecutor",
}


@cache
def executor_kinds() -> dict[str, str]:
    """Executor kind name -> 'module:Class'."""
    found = dict(_BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def executor_class(kind: str) -> type[AbstractExecutor]:
    """The executor class registered as ``kind``."""
    kinds = executor_kinds()
    if kind not in kinds:
        raise UnknownComputeTargetError(
            f"unknown compute target kind {kind!r}{did_you_mean(kind, kinds)}; "
            f"available: {', '.join(sorted(kinds))}"
        )
    module, _, attr = kinds[kind].partition(":")
    cls: type[AbstractExecutor] = getattr(import_module(module), attr)
    return cls


def create_executor(kind: str, **options: Any) -> AbstractExecutor:
    """A new executor of ``kind`` configured with ``options``."""
    return executor_class(kind)(**options)
