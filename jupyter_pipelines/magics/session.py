"""The notebook's pipeline: the ``%%step`` cells one kernel session has registered so far."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..engine.experiment import Experiment
from ..engine.runs import PipelineRun
from ..engine.workspace import Workspace
from ..errors import ModelError, did_you_mean
from ..model.notebook_cells import (
    CellStep,
    build_cell_pipeline,
    cell_graph,
    cells_dir_for,
    pipeline_name,
)
from ..model.pipeline import Pipeline
from ..stores import status as st

#: Names the kernel may hold for the notebook's path (Jupyter server, VS Code).
_PATH_NAMES = ("__session__", "__vsc_ipynb_file__")


def notebook_path(user_ns: dict[str, Any]) -> str | None:
    """The running notebook's path when the front end tells it, else None."""
    for key in _PATH_NAMES:
        value = user_ns.get(key)
        if isinstance(value, str) and value.endswith(".ipynb"):
            return value
    value = os.environ.get("JPY_SESSION_NAME", "")
    return value if value.endswith(".ipynb") else None


class NotebookSession:
    """One pipeline per kernel session: its cell steps, workspace, and latest run.

    The pipeline is named after the notebook (``pipeline_name``), and that name is also
    the experiment its runs go to unless ``%pipeline run --experiment`` says otherwise.
    Cell notebooks are written to ``<notebook folder>/.pipeline_cells/<name>/<STEP>/``.
    """

    def __init__(self, path: str | None = None, base_dir: Path | None = None) -> None:
        self.name = pipeline_name(path) if path else "notebook"
        folder = Path(path).parent if path and Path(path).is_absolute() else None
        self.cells_dir = cells_dir_for(folder or base_dir or Path.cwd(), self.name)
        self.cells: dict[str, CellStep] = {}
        self.experiment_name = self.name
        self.last_run: PipelineRun | None = None
        self._workspace: Workspace | None = None

    # -- cells -----------------------------------------------------------------------
    def register(self, cell: CellStep) -> None:
        """Add the step, or replace the step of the same name where it stood."""
        self.cells[cell.name] = cell

    def remove(self, name: str) -> None:
        """Forget step ``name``."""
        if name not in self.cells:
            raise ModelError(f"no step {name!r}{did_you_mean(name, self.cells)}")
        del self.cells[name]

    def producer_of(self, data_name: str) -> CellStep | None:
        """The step whose outputs include ``data_name``."""
        return next((c for c in self.cells.values() if data_name in c.outputs), None)

    def graph(self) -> Any:
        """The DAG of the registered steps (networkx, edges labelled with data names)."""
        return cell_graph(list(self.cells.values()))

    def build(self) -> Pipeline:
        """Write the cell notebooks and return the pipeline (ModelError when it cannot be)."""
        return build_cell_pipeline(
            list(self.cells.values()), self.cells_dir, self.name, self.workspace
        )

    # -- workspace and runs -----------------------------------------------------------
    @property
    def workspace(self) -> Workspace:
        """The nearest workspace from the kernel's folder, opened on first use."""
        if self._workspace is None:
            self._workspace = Workspace.from_config()
        return self._workspace

    def submit(self, parameters: dict[str, Any], experiment: str | None = None) -> PipelineRun:
        """Build and submit the pipeline; the run goes on in its own driver process."""
        pipeline = self.build()
        if experiment:
            self.experiment_name = experiment
        run = Experiment(self.workspace, self.experiment_name).submit(
            pipeline, pipeline_parameters=parameters
        )
        self.last_run = run
        return run

    def latest_run(self) -> PipelineRun | None:
        """This session's last run, else the newest run of its experiment in the store."""
        if self.last_run is not None:
            return self.last_run.refresh()
        records = self.workspace.run_store.list_runs(experiment=self.experiment_name, limit=1)
        if not records:
            return None
        return PipelineRun(Experiment(self.workspace, self.experiment_name), records[0].id)

    # -- iterating on one cell (%%step --run) -----------------------------------------
    def scratch_dir(self, step: str, output: str) -> Path:
        """Where ``%%step --run`` writes output ``output`` of ``step``."""
        return self.workspace.dir / "scratch" / self.name / step / output

    def latest_output(self, data_name: str) -> Path:
        """The newest result of ``data_name``: its producer's latest successful step run,
        else the scratch folder of its producer's last ``--run``."""
        producer = self.producer_of(data_name)
        if producer is None:
            outputs = [o for c in self.cells.values() for o in c.outputs]
            hint = did_you_mean(data_name, outputs)
            raise ModelError(f"input {data_name!r} is not an output of any step{hint}")
        store = self.workspace.run_store
        record = store.latest_step_run(self.experiment_name, producer.name, successful=True)
        if record is not None and record.status == st.FINISHED:
            path = record.outputs.get(data_name, {}).get("path")
            if path and Path(path).is_dir():
                return Path(path)
        scratch = self.scratch_dir(producer.name, data_name)
        if scratch.is_dir():
            return scratch
        raise ModelError(
            f"input {data_name!r} has no result yet: run the pipeline (%pipeline run) "
            f"or step {producer.name!r} with '%%step {producer.name} ... --run'"
        )

    def bindings_for(self, cell: CellStep) -> dict[str, Any]:
        """Variables for running ``cell`` in the kernel: params, input and output paths."""
        values: dict[str, Any] = dict(cell.params)
        for name in cell.inputs:
            values[name] = str(self.latest_output(name))
        for name in cell.outputs:
            scratch = self.scratch_dir(cell.name, name)
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True, exist_ok=True)
            values[name] = str(scratch)
        return values
