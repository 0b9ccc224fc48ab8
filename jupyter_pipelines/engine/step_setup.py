"""Getting one step ready to start: its folders, code, inputs, manifest and interpreter."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..errors import EnvironmentBuildError
from ..executors.base import StepSpec, build_log_path
from ..reuse.snapshot import SnapshotStore
from ..runtime.manifest import StepManifest
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .data import stage_data_inputs
from .files import stage_inputs


def prepare_step(
    workspace: Workspace,
    run: RunRecord,
    record: StepRecord,
    spec: StepSpec,
    steps: dict[str, StepRecord],
    snapshots: SnapshotStore,
) -> None:
    """Create the step's folders, write its code and inputs, and its manifest, before it starts.

    Each output is written where the step is told, which is where it stays: the step's
    record, not a rename, is what makes it visible once the step succeeded.
    """
    step_dir = Path(spec.step_dir)
    step_dir.mkdir(parents=True, exist_ok=True)
    for out in spec.outputs.values():
        prepare_output(out)
    if record.snapshot_id:
        snapshots.materialize(record.snapshot_id, spec.working_dir)
    link_reused_inputs(record, spec, steps)
    stage_data_inputs(workspace, spec)
    stage_inputs(spec)
    write_manifest(workspace, run, spec)


def prepare_output(out: dict[str, Any]) -> None:
    """Make the place of one output, as v1 does for its mode.

    A mount-mode output (v1's default: a mounted folder) is an existing, empty folder, so a
    step can write files into it at once. An upload-mode output (``as_upload()``,
    ``PipelineData(output_mode="upload")``) is only a path whose parent exists: the step
    writes a file there, or makes the folder itself (as v1's how-to says steps must). What
    the step left there, file or folder, is the output (``step_outputs.publish_outputs``).
    """
    path = Path(out["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if out.get("mode", "mount") != "upload":
        path.mkdir(exist_ok=True)


def link_reused_inputs(record: StepRecord, spec: StepSpec, steps: dict[str, StepRecord]) -> None:
    """Inputs from reused steps live in earlier runs: link them where the step looks."""
    for name, ref in record.reuse.get("inputs", {}).items():
        planned = Path(spec.inputs[name]["path"])
        producer = steps.get(ref["step"])
        if planned.exists() or producer is None or producer.reused_from is None:
            continue
        planned.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(producer.outputs[ref["output"]]["path"], planned)


def write_manifest(workspace: Workspace, run: RunRecord, spec: StepSpec) -> None:
    """The step manifest, what ``Run.get_context()`` reads inside the step."""
    step_dir = Path(spec.step_dir)
    StepManifest(
        run_id=run.id,
        step_run_id=spec.step_run_id,
        step_name=spec.step_name,
        experiment_name=run.experiment,
        workspace_dir=str(workspace.dir),
        step_dir=str(step_dir),
        metrics_file=str(step_dir / "metrics.jsonl"),
        files_dir=str(step_dir / "files"),
        inputs={k: v["path"] for k, v in spec.inputs.items()},
        outputs={k: v["path"] for k, v in spec.outputs.items()},
        parameters=dict(run.parameters),
        tags=dict(run.tags),
        datasets={
            k: {
                "definition": v["definition"],
                "path": v["path"],
                "kind": v["definition"].get("kind"),
                "dataset": v.get("dataset"),
                "mode": v.get("mode"),
                "path_on_compute": v.get("path_on_compute"),
            }
            for k, v in spec.inputs.items()
            if v.get("kind") == "dataset"
        },
    ).write(step_dir / "manifest.json")


def use_environment(spec: StepSpec, workspace_dir: Path) -> None:
    """Point the step at its Environment's interpreter, building it the first time.

    What the build says goes to the step's own build log (``environment_build.txt``), not
    to its stderr, whose tail is the step's error when it fails.
    """
    if not spec.environment:
        return
    from ..executors.environments import python_for
    from ..model.environment import Environment

    log_path = build_log_path(spec)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a") as fh:

        def log(line: str) -> None:
            fh.write(line if line.endswith("\n") else line + "\n")
            fh.flush()

        try:
            python = python_for(
                Environment.from_dict(spec.environment),
                workspace_dir,
                log,
                for_notebooks=spec.kind == "notebook",
            )
        except EnvironmentBuildError as exc:
            log(f"ERROR: {exc}")
            headline, _, rest = str(exc).partition("\n")
            where = f"{headline} (build log: {log_path})"
            raise EnvironmentBuildError(f"{where}\n{rest}".rstrip()) from exc
        log(f"step {spec.step_name!r} runs with {python}")
    if spec.kind == "notebook":
        spec.python = python
    elif spec.argv and spec.argv[0] == sys.executable:
        spec.argv[0] = python
