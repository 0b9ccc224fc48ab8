"""The ``Workspace`` users get (``jupyter_pipelines.Workspace``): the stores' workspace plus
the v1 members that need the engine (experiments, runs, environment builds).

Every constructor of the stores' class (``at``, ``from_config``, ``get``, ``create``,
``find``, ``list``) returns ``cls``, so they all give this class when called on it; stores
code that rebuilds a workspace uses ``open_workspace``, which gives this class too once this
module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import UnknownRunError
from ..stores import workspace as _stores

if TYPE_CHECKING:
    from ..model.environment import Environment
    from .experiment import Experiment
    from .runs import PipelineRun, StepRun


class Workspace(_stores.Workspace):
    """A local workspace (v1 ``Workspace``); see jupyter_pipelines/stores/workspace.py."""

    @property
    def experiments(self) -> dict[str, Experiment]:
        """Name -> ``Experiment`` of every experiment that has runs in this workspace."""
        from .experiment import Experiment

        return {e.name: e for e in Experiment.list(self)}

    def get_run(self, run_id: str) -> PipelineRun | StepRun:
        """The pipeline run or step run with id ``run_id`` (a pipeline run's id may be a
        unique prefix); raises UnknownRunError when neither exists."""
        from .experiment import Experiment
        from .runs import PipelineRun

        store = self.run_store
        try:
            record = store.get_run(run_id)
        except UnknownRunError:
            try:
                step = store.get_step_run(run_id)
            except UnknownRunError:
                raise UnknownRunError(
                    f"no pipeline run or step run {run_id!r} in workspace {self.name!r} "
                    f"({str(self.dir)!r}); list runs with 'jupyter-pipelines runs'"
                ) from None
            parent = store.get_run(step.run_id)
            return PipelineRun(Experiment(self, parent.experiment), parent.id).get_step_run(
                step.name
            )
        return PipelineRun(Experiment(self, record.experiment), record.id)

    def _build_environment(
        self, environment: Environment, use_docker: bool, log: Callable[[str], None]
    ) -> str:
        """Build ``environment`` as the local target would (a virtual environment), or as a
        Docker image with ``use_docker``; returns the interpreter path or the image name."""
        if not use_docker:
            from ..executors.environments import python_for

            return python_for(self.environments_registry.resolve(environment), self.dir, log)
        from ..executors.docker.engine import client
        from ..executors.docker.images import ensure_image
        from ..executors.docker.recipe import choose_image

        wanted = choose_image(environment.to_dict(), None, environment.name)
        return ensure_image(client(), wanted, log)


_stores.Workspace._public_class = Workspace

__all__ = ["Workspace"]
