"""Experiments: named groups of runs; ``Experiment(ws, name).submit(pipeline)`` starts a run."""

from __future__ import annotations

import re
from typing import Any

from ..errors import EngineError
from ..model.pipeline import Pipeline
from ..stores.workspace import Workspace
from .runs import PipelineRun
from .submit import submit_pipeline

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


class Experiment:
    """A named series of runs in a workspace (v1 ``Experiment``)."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise EngineError(
                f"experiment name {name!r} is invalid: use letters, digits, '_', '-' and '.', "
                "starting with a letter or digit"
            )
        self.workspace = workspace
        self.name = name

    def submit(
        self, config: Pipeline, tags: dict[str, Any] | None = None, **kwargs: Any
    ) -> PipelineRun:
        """Validate and start a run of ``config`` (a Pipeline); return at once.

        Keyword arguments: ``pipeline_parameters``, ``continue_on_step_failure``,
        ``regenerate_outputs``, ``description``; for a partial run ``steps``,
        ``from_steps`` and ``to_steps`` (see engine/selection.py); ``show_output=False``
        silences the per-step "will run" / "reuses" lines printed at submit.
        """
        if not isinstance(config, Pipeline):
            raise EngineError(f"Experiment.submit expects a Pipeline, got {type(config).__name__}")
        allowed = {
            "pipeline_parameters",
            "continue_on_step_failure",
            "regenerate_outputs",
            "description",
            "steps",
            "from_steps",
            "to_steps",
            "show_output",
        }
        unknown = set(kwargs) - allowed
        if unknown:
            raise EngineError(
                f"unknown submit argument(s): {', '.join(sorted(unknown))}; "
                f"accepted: {', '.join(sorted(allowed))}"
            )
        show = kwargs.pop("show_output", True)
        run_id = submit_pipeline(self.workspace, self.name, config, tags=tags, **kwargs)
        run = PipelineRun(self, run_id)
        if show:
            print(run.describe_plan())
        return run

    def get_runs(self) -> list[PipelineRun]:
        """Runs of this experiment, newest first."""
        records = self.workspace.run_store.list_runs(experiment=self.name, limit=1_000_000)
        return [PipelineRun(self, r.id) for r in records]

    @staticmethod
    def list(workspace: Workspace) -> list[Experiment]:
        """All experiments of a workspace."""
        return [Experiment(workspace, n) for n in workspace.run_store.list_experiments()]

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, workspace={self.workspace!r})"
