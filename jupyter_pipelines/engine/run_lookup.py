"""The run store's answer to the runtime's run look-ups (``Run.get``, ``Run.list``,
``Run(experiment, run_id)``), registered with :mod:`jupyter_pipelines.runtime.lookup` when
this module is imported (engine/runs.py imports it).

Runs are built by v1's type providers (``Run.add_type_provider``): this module registers
those of ``azureml.PipelineRun`` and ``azureml.StepRun``. A step's child runs are kept in its
folder (runtime/file_run.py) and found through their step.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ..errors import UnknownRunError
from ..runtime import lookup
from ..runtime.run import Run
from ..stores.runstore import RunRecord, StepRecord
from .recovery import reap_orphaned_runs

if TYPE_CHECKING:
    from .experiment import Experiment
    from .runs import PipelineRun
    from .step_run import StepRun

PIPELINE_RUN = "azureml.PipelineRun"
STEP_RUN = "azureml.StepRun"
INTERACTIVE_RUN = "interactive"


def _experiment(workspace: Any, name: str) -> Experiment:
    from .experiment import Experiment

    return Experiment(workspace, name)


def _engine_workspace(workspace: Any) -> Any:
    """A workspace object with a run store (the runtime hands over what it has)."""
    if not hasattr(workspace, "run_store"):
        raise TypeError(f"expected a Workspace, got {type(workspace).__name__}")
    return workspace


def _pipeline_run(experiment: Any, record: RunRecord) -> PipelineRun:
    from .runs import PipelineRun

    return PipelineRun(experiment, record.id)


def _step_run(experiment: Any, record: StepRecord) -> StepRun:
    from .step_run import StepRun

    return StepRun(experiment, record.id, record.run_id, record.name)


def build_run(workspace: Any, record: RunRecord) -> Run:
    """The top-level run of ``record`` as its own class (by its type's provider)."""
    experiment = _experiment(workspace, record.experiment)
    runtype = str(record.options.get("run_type") or PIPELINE_RUN)
    factory = lookup.type_provider(runtype)
    if factory is not None:
        run: Run = factory(experiment, record)
        return run
    if runtype == INTERACTIVE_RUN:
        from .interactive import InteractiveRun

        return InteractiveRun(experiment, record.id)
    raise UnknownRunError(
        f"run {record.id} has type {runtype!r}, which no provider builds; register one "
        "with Run.add_type_provider(runtype, factory)"
    )


class StoreRunFinder:
    """Finds runs in a workspace's run store (see :class:`lookup.RunFinder`)."""

    def find(self, experiment: Any, run_id: str) -> Run:
        return self.get(experiment.workspace, run_id)

    def get(self, workspace: Any, run_id: str) -> Run:
        store = _engine_workspace(workspace).run_store
        try:
            return build_run(workspace, store.get_run(run_id))
        except UnknownRunError:
            pass
        try:
            step = store.get_step_run(run_id)
        except UnknownRunError:
            return self._child(workspace, run_id)
        owner = store.get_run(step.run_id)
        factory = lookup.type_provider(STEP_RUN) or _step_run
        found: Run = factory(_experiment(workspace, owner.experiment), step)
        return found

    def _child(self, workspace: Any, run_id: str) -> Run:
        """A child run of a step: its id is ``<step run id>_<suffix>`` (or a grandchild's)."""
        store = workspace.run_store
        head = run_id
        while "_" in head:
            head = head.rsplit("_", 1)[0]
            try:
                step = store.get_step_run(head)
            except UnknownRunError:
                continue
            owner = store.get_run(step.run_id)
            for child in _step_run(_experiment(workspace, owner.experiment), step).get_children(
                recursive=True
            ):
                if child.id == run_id:
                    return child
            break
        raise UnknownRunError(
            f"no run {run_id!r} in workspace {str(workspace.dir)!r} (neither a pipeline run, "
            "a step run nor a step's child run); list runs with 'jupyter-pipelines runs'"
        )

    def list(
        self,
        experiment: Any,
        type: str | None,
        tags: Any,
        properties: Any,
        status: str | None,
        include_children: bool,
    ) -> builtins.list[Run]:
        store = experiment.workspace.run_store
        reap_orphaned_runs(store)  # a run whose driver died is listed Failed
        found: builtins.list[Run] = []
        for record in store.list_runs(experiment=experiment.name, limit=1_000_000):
            run = build_run(experiment.workspace, record)
            found.append(run)
            if include_children:
                found.extend(run.get_children(recursive=True))
        return lookup.filter_runs(found, type=type, tags=tags, properties=properties, status=status)

    def list_by_compute(
        self, compute: Any, type: str | None, tags: Any, properties: Any, status: str | None
    ) -> builtins.list[Run]:
        workspace = compute.workspace
        name = getattr(compute, "name", compute)
        found: builtins.list[Run] = []
        reap_orphaned_runs(workspace.run_store)
        for record in workspace.run_store.list_runs(limit=1_000_000):
            for step in workspace.run_store.get_steps(record.id):
                if step.target == name:
                    found.append(self.get(workspace, step.id))
        return lookup.filter_runs(found, type=type, tags=tags, properties=properties, status=status)


lookup.register_finder(StoreRunFinder())
for _runtype, _factory in ((PIPELINE_RUN, _pipeline_run), (STEP_RUN, _step_run)):
    if lookup.type_provider(_runtype) is None:
        lookup.add_type_provider(_runtype, _factory)
