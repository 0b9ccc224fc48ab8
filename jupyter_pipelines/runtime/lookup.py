"""Finding runs the runtime did not make: v1's ``Run.add_type_provider`` factories, the
run store's finder, and the filters of ``get_children`` / ``Run.list``.

The runtime sits below the engine and must not import it; the engine registers its finder
(``register_finder``) when it is imported, which every object holding a run store has
done already. Only a call that hands the runtime a workspace in a fresh process
(``Run.get(ws, run_id)`` with nothing else imported) loads the engine's finder by name,
at call time: inside a container without the package's dependencies that load fails with
a message saying so, and nothing else of the runtime needs it. Standard library only.
"""

from __future__ import annotations

import builtins
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import NotSupportedError

if TYPE_CHECKING:
    from .run import Run

#: The engine module that registers the run store's finder when it is imported.
ENGINE_FINDER_MODULE = "jupyter_pipelines.engine.run_lookup"

_factories: dict[str, Callable[..., Any]] = {}
_finder: RunFinder | None = None


class RunFinder(Protocol):
    """What the run store can answer about runs (implemented by the engine)."""

    def find(self, experiment: Any, run_id: str) -> Run:
        """The run ``run_id`` of ``experiment``'s workspace, as its own class."""

    def get(self, workspace: Any, run_id: str) -> Run:
        """The run ``run_id`` of ``workspace`` (a pipeline run, step run or child run)."""

    def list(
        self,
        experiment: Any,
        type: str | None,
        tags: Any,
        properties: Any,
        status: str | None,
        include_children: bool,
    ) -> builtins.list[Run]:
        """The runs of ``experiment``, newest first, filtered as ``Run.list`` says."""

    def list_by_compute(
        self, compute: Any, type: str | None, tags: Any, properties: Any, status: str | None
    ) -> builtins.list[Run]:
        """The step runs that ran on the compute target ``compute``."""


def add_type_provider(runtype: str, run_factory: Callable[..., Any]) -> None:
    """Register ``run_factory(experiment, record) -> Run`` for runs of type ``runtype``."""
    if not isinstance(runtype, str) or not runtype:
        raise ValueError(f"a run type must be a non-empty string, got {runtype!r}")
    if not callable(run_factory):
        raise TypeError(f"the factory of run type {runtype!r} must be callable")
    if runtype in _factories:
        raise ValueError(f"RunType {runtype} already has a factory, can't add another")
    _factories[runtype] = run_factory


def type_provider(runtype: str) -> Callable[..., Any] | None:
    """The factory registered for ``runtype``, if any."""
    return _factories.get(runtype)


def register_finder(finder: RunFinder) -> None:
    """Make ``finder`` the answer to every run look-up (the engine calls this)."""
    global _finder
    _finder = finder


def run_finder(what: str) -> RunFinder:
    """The run store's finder; ``what`` names the call that needs it in the error."""
    if _finder is None:
        try:
            importlib.import_module(ENGINE_FINDER_MODULE)
        except ImportError as exc:
            raise NotSupportedError(
                f"{what} needs the workspace's run store, which this Python cannot open "
                f"({exc}); inside a container step, log to the run itself "
                "(Run.get_context()) and read other runs from the notebook or the CLI"
            ) from exc
    if _finder is None:  # the module did not register one: a broken installation
        raise NotSupportedError(f"{what}: {ENGINE_FINDER_MODULE} registered no run finder")
    return _finder


# -- filters ------------------------------------------------------------------------------
def _as_filter(wanted: Any, what: str) -> dict[str, Any] | None:
    """A v1 tags/properties filter (a name, a list of names, or {name: value}) as a dict."""
    if wanted is None:
        return None
    if isinstance(wanted, str):
        return {wanted: None}
    if isinstance(wanted, Mapping):
        return {str(k): v for k, v in wanted.items()}
    if isinstance(wanted, Iterable):
        names = list(wanted)
        if all(isinstance(n, str) for n in names):
            return dict.fromkeys(names)
    raise ValueError(
        f"{what} filter {wanted!r} is not understood: give a name, a list of names or a "
        "{name: value} dict"
    )


def _satisfies(values: Mapping[str, Any], wanted: Mapping[str, Any] | None) -> bool:
    if wanted is None:
        return True
    for name, value in wanted.items():
        if name not in values:
            return False
        # v1 keeps tag and property values as strings: compare them as strings.
        if value is not None and str(values[name]) != str(value):
            return False
    return True


def run_matches(
    run: Run,
    type: str | None = None,
    tags: Any = None,
    properties: Any = None,
    status: str | None = None,
) -> bool:
    """Whether ``run`` passes v1's filters: its type, tags, properties and status."""
    if type is not None and run.type != type:
        return False
    if tags is not None and not _satisfies(run.get_tags(), _as_filter(tags, "tags")):
        return False
    if properties is not None and not _satisfies(
        run.get_properties(), _as_filter(properties, "properties")
    ):
        return False
    return status is None or run.get_status() == status


def filter_runs(runs: Iterable[Run], **filters: Any) -> list[Run]:
    """The runs of ``runs`` that pass ``run_matches(run, **filters)``, in order."""
    return [run for run in runs if run_matches(run, **filters)]
