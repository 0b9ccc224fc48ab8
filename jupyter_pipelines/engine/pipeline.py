"""The ``Pipeline`` users get (``jupyter_pipelines.Pipeline``): the model's pipeline plus the
v1 members that need the engine (``submit``, ``publish``).

The model cannot import the engine, so this subclass registers itself with the model's
class when imported: from then on every pipeline the model builds (``Pipeline(...)``,
``Pipeline.load``, ``Pipeline.load_yaml``, ``Pipeline.from_notebook``, the file readers,
the notebook magics' builder) is an instance of this class. The engine accepts any model
``Pipeline`` (its checks are against the model's class), so a pipeline made before this
module was imported still submits with ``Experiment(ws, name).submit(pipeline)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..compat import warn_cloud_only
from ..errors import EngineError, UnknownRunError
from ..model import pipeline as _model

if TYPE_CHECKING:
    from .publishing import PublishedPipeline
    from .runs import PipelineRun

#: The property that records ``submit(parent_run_id=...)`` on the new run.
PARENT_RUN_PROPERTY = "azureml.parentRunId"


class Pipeline(_model.Pipeline):
    """Steps and their DAG, submittable (v1 ``Pipeline``); see model/pipeline.py."""

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: dict[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        parent_run_id: str | None = None,
        credential_passthrough: bool | None = None,
        **kwargs: Any,
    ) -> PipelineRun:
        """Start a run of this pipeline in the experiment ``experiment_name`` and return its
        ``PipelineRun`` at once, as ``Experiment(workspace, experiment_name).submit(self,
        ...)`` does (v1 says they are the same).

        The workspace is the pipeline's (``Pipeline(workspace, steps)``), else
        ``Workspace.from_config()``. ``parent_run_id`` must name a run of that experiment; it
        is recorded as the run's ``azureml.parentRunId`` property. ``credential_passthrough``
        and ``enable_email_notification`` are cloud-only (accepted, ignored, warned about).
        Our submit options (``tags``, ``description``, ``steps``, ``from_steps``,
        ``to_steps``, ``show_output``) may be given as keyword arguments too.
        """
        from .experiment import Experiment
        from .workspace import Workspace

        _cloud_only_options(credential_passthrough, kwargs)
        workspace = self.workspace if self.workspace is not None else Workspace.from_config()
        if parent_run_id is not None:
            _check_parent(workspace, parent_run_id, experiment_name)
        tags = kwargs.pop("tags", None)
        run: PipelineRun = Experiment(workspace, experiment_name).submit(
            self,
            tags,
            pipeline_parameters=pipeline_parameters,
            continue_on_step_failure=continue_on_step_failure,
            regenerate_outputs=regenerate_outputs,
            **kwargs,
        )
        if parent_run_id is not None:
            run.add_properties({PARENT_RUN_PROPERTY: parent_run_id})
        return run

    def publish(
        self,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> PublishedPipeline:
        """Publish the pipeline: validated, frozen with a snapshot of every step's code, runnable
        later by id or over REST (see engine/publishing.py and docs/publishing.md)."""
        from .publishing import publish_pipeline

        return publish_pipeline(self, name, description, version, continue_on_step_failure)


def _cloud_only_options(credential_passthrough: bool | None, kwargs: dict[str, Any]) -> None:
    if credential_passthrough:
        warn_cloud_only(
            "Pipeline.submit(credential_passthrough=True)",
            "steps run on this machine as the user who submitted them",
        )
    if kwargs.pop("enable_email_notification", None) is not None:
        warn_cloud_only(
            "Pipeline.submit(enable_email_notification=...)",
            "there is no Azure ML service to send e-mail",
        )


def _check_parent(workspace: Any, run_id: str, experiment_name: str) -> None:
    """Refuse a parent run that is not a run of ``experiment_name`` (as v1 does)."""
    store = workspace.run_store
    try:
        experiment = store.get_run(run_id).experiment
    except UnknownRunError:
        try:
            experiment = store.get_run(store.get_step_run(run_id).run_id).experiment
        except UnknownRunError:
            raise UnknownRunError(
                f"parent_run_id {run_id!r} names no run of workspace {workspace.name!r}; "
                "give the id of a run listed by 'jupyter-pipelines runs'"
            ) from None
    if experiment != experiment_name:
        raise EngineError(
            f"parent_run_id {run_id!r} is a run of experiment {experiment!r}; the parent "
            f"run must belong to the experiment the pipeline is submitted to "
            f"({experiment_name!r})"
        )


_model.Pipeline._public_class = Pipeline

__all__ = ["Pipeline"]
