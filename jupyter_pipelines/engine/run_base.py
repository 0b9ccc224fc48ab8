"""What the engine's runs (``PipelineRun``, ``StepRun``) share as Runs kept in the run store:
the workspace, metrics in the store, snapshots, and their local address (portal URL).

A metric logged on such a run from outside (``pipeline_run.log("x", 1)``) is written to the
store's metrics table at once, as the run driver files the metrics a step logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..runtime.run import Run
from ..stores.runstore import RunStore
from ..stores.servers import running_servers, workspace_root_of
from ..stores.workspace import Workspace


def run_url(workspace: Workspace, folder: str | Path, *parts: str) -> str:
    """The local address of a run: its resource on a running Jupyter server that serves the
    workspace (``<server>/jupyter-pipelines/api/runs/<id>[/steps/<name>]``), else the
    ``file://`` URL of its folder.

    The server is found from the Jupyter runtime folder without a request, so that asking
    for the address never waits on the network.
    """
    root = Path(workspace.root).resolve()
    for server in running_servers():
        try:
            if workspace_root_of(server) == root:
                return "/".join([server.api, "runs", *parts])
        except OSError:
            continue
    return Path(folder).resolve().as_uri()


class StoreRun(Run):
    """A Run kept in the run store; subclasses set ``experiment``, ``_store`` and the folder
    attributes (``_step_dir``, ``_files_dir``, ``_metrics_file``)."""

    _store: RunStore

    @property
    def workspace(self) -> Workspace:
        """The workspace holding the run."""
        workspace: Workspace = self.experiment.workspace
        return workspace

    def _pipeline_run_id(self) -> str:
        """The id of the pipeline run that this run's metrics are filed under."""
        return self.id

    def _metric_records(self) -> list[dict[str, Any]]:
        return self._store.get_metrics(self.id)

    def _append_metric(self, record: dict[str, Any], data: bytes) -> None:
        self._store.add_metrics(self._pipeline_run_id(), self.id, [record])

    def _snapshots_dir(self) -> str:
        return str(self.workspace.snapshots_dir)
