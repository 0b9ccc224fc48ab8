"""Submitting: validate, resolve parameters, plan, record the run, start its driver.

Nothing is recorded for a pipeline that fails validation or parameter checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import EngineError, PipelineValidationError, did_you_mean
from ..executors.processes import process_start_time
from ..model.fileformat import pipeline_to_document
from ..model.parameters import resolve_parameter_values
from ..model.pipeline import Pipeline
from ..model.validation import ValidationIssue
from ..stores import status as st
from ..stores.runstore import RunRecord
from ..stores.workspace import Workspace
from .plan import DEFAULT_TARGET, Planner


def known_targets(workspace: Workspace | None) -> set[str]:
    """Names of compute targets steps may use in this workspace."""
    return {DEFAULT_TARGET}


def check_pipeline(workspace: Workspace | None, pipeline: Pipeline) -> list[ValidationIssue]:
    """Model validation plus what only the workspace knows (compute target names)."""
    issues = pipeline.validate()
    targets = known_targets(workspace)
    for step in pipeline.steps:
        if step.compute_target and step.compute_target not in targets:
            issues.append(
                ValidationIssue(
                    "error",
                    step.name,
                    "compute_target",
                    f"unknown compute target {step.compute_target!r}"
                    f"{did_you_mean(step.compute_target, targets)}; "
                    f"known: {', '.join(sorted(targets))}",
                )
            )
    return issues


def submit_pipeline(
    workspace: Workspace,
    experiment: str,
    pipeline: Pipeline,
    *,
    pipeline_parameters: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    continue_on_step_failure: bool = False,
    regenerate_outputs: bool = False,
    description: str | None = None,
    start: bool = True,
) -> str:
    """Record a new run of ``pipeline`` and start its driver; return the run id."""
    errors = [i for i in check_pipeline(workspace, pipeline) if i.severity == "error"]
    if errors:
        raise PipelineValidationError(errors, source=pipeline.source_path)
    values = resolve_parameter_values(pipeline.parameters, pipeline_parameters)
    run_id = str(uuid.uuid4())
    run_dir = workspace.runs_dir / run_id
    steps = Planner(run_dir, run_id, pipeline, values).plan()
    base = Path(pipeline.source_path).parent if pipeline.source_path else Path.cwd()
    run = RunRecord(
        id=run_id,
        experiment=experiment,
        status=st.NOT_STARTED,
        created=time.time(),
        started=None,
        ended=None,
        description=description or pipeline.description or "",
        pipeline_file=str(Path(pipeline.source_path).resolve()) if pipeline.source_path else None,
        pipeline=pipeline_to_document(pipeline, base),
        parameters=values,
        tags={str(k): v for k, v in (tags or {}).items()},
        options={
            "continue_on_step_failure": bool(continue_on_step_failure),
            "regenerate_outputs": bool(regenerate_outputs),
        },
        driver_pid=None,
        driver_started=None,
        error=None,
    )
    workspace.run_store.create_run(run, steps)
    if start:
        start_driver(workspace, run_id)
    return run_id


def start_driver(workspace: Workspace, run_id: str) -> int:
    """Start the detached driver process of a run and record its pid."""
    run_dir = workspace.runs_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(run_dir / "driver.log", "ab") as log:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "jupyter_pipelines.engine.driver",
                    str(workspace.dir),
                    run_id,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
                cwd=str(workspace.root),
                env=dict(os.environ),
            )
    except OSError as exc:
        workspace.run_store.update_run(
            run_id, status=st.FAILED, ended=time.time(), error=f"cannot start the run driver: {exc}"
        )
        raise EngineError(f"cannot start the run driver for run {run_id!r}: {exc}") from exc
    workspace.run_store.update_run(
        run_id, driver_pid=proc.pid, driver_started=process_start_time(proc.pid)
    )
    # Reap the driver when it ends while this process lives (no zombie left behind).
    threading.Thread(target=proc.wait, name=f"reap-driver-{run_id[:8]}", daemon=True).start()
    return proc.pid
