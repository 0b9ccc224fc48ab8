"""A step's outputs after it ended: completed and published when it succeeded, marked when not.

A step writes each output straight at ``<step>/outputs/<name>``, the path it was given
and may print, which stays valid after the step: a folder of files, or, for an
upload-mode output (``step_setup.prepare_output``), a single file the step wrote at that
path. Downstream steps get what it wrote; that is what is hashed and delivered. Nothing
reads an output because it exists: downstream steps start only after their producer's
record says ``Finished``, and reuse looks only at successful step runs. That record is
written after the outputs are complete (source files collected, the executed notebook
added, contents hashed, destinations delivered), so half-written outputs are never used
downstream or for reuse. A step that did not succeed keeps what it wrote, for
inspection, next to an ``INCOMPLETE.txt`` note.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import EngineError
from ..executors.base import StepSpec
from ..stores.runstore import StepRecord
from ..stores.workspace import Workspace
from .files import collect_sources
from .output_delivery import deliver_outputs
from .reuse import hash_outputs

#: The note left in ``<step>/outputs/`` of a step that did not succeed.
INCOMPLETE_NOTE = "INCOMPLETE.txt"
#: The staging folder of runs planned before outputs were written in place.
_LEGACY_STAGING = "outputs.partial"


def publish_outputs(workspace: Workspace, record: StepRecord, spec: StepSpec) -> None:
    """Complete a successful step's outputs and record their hashes and deliveries.

    Raises OSError or PipelinesError when they cannot be completed; the step then fails.
    """
    if not spec.outputs:
        return
    _check_file_outputs(spec)
    collect_sources(spec)
    _add_executed_notebook(spec)
    _promote_staged(spec)
    for out in spec.outputs.values():
        path = Path(out["path"])
        if not (path.exists() or path.is_symlink()):
            # An output the step never wrote is an empty folder, for downstream steps to read.
            path.mkdir(parents=True)
    record.outputs = hash_outputs(record.outputs)
    for name, info in deliver_outputs(workspace, spec).items():
        record.outputs[name]["delivered"] = info


def mark_incomplete(spec: StepSpec, status: str, reason: str | None) -> None:
    """Leave a note next to the outputs of a step that did not succeed (they stay for
    inspection, and are never used: its record says it did not finish)."""
    folder = Path(spec.step_dir) / "outputs"
    if not spec.outputs or not folder.is_dir():
        return
    text = (
        f"Step {spec.step_name!r} ended {status}: the outputs in this folder are incomplete. "
        "They are kept for inspection and are never used by downstream steps or for reuse.\n"
    )
    if reason:
        text += f"\n{reason.strip()}\n"
    try:
        (folder / INCOMPLETE_NOTE).write_text(text)
    except OSError:  # a note only: never fails the run
        pass


def _check_file_outputs(spec: StepSpec) -> None:
    """A step that wrote a file at an output's path cannot also have files put into it."""
    notebook_output = spec.env.get("JUPYTER_PIPELINES_OUTPUT_NOTEBOOK")
    for name, out in spec.outputs.items():
        if not Path(out["path"]).is_file():
            continue
        if out.get("source"):
            raise EngineError(
                f"output {name!r} is a file the step wrote at {out['path']!r}, so the files "
                f"of its source {out['source']!r} cannot be copied into it; write a folder "
                "there, or leave the path to the source files"
            )
        if name == notebook_output and spec.output_notebook:
            raise EngineError(
                f"output {name!r} holds the executed notebook, but the step wrote a file at "
                f"{out['path']!r}; write into that folder instead"
            )


def _add_executed_notebook(spec: StepSpec) -> None:
    """Put a notebook step's executed copy into its ``output_notebook`` output."""
    name = spec.env.get("JUPYTER_PIPELINES_OUTPUT_NOTEBOOK")
    if name in spec.outputs and spec.output_notebook and Path(spec.output_notebook).exists():
        folder = Path(spec.outputs[name]["path"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(spec.output_notebook, folder)


def _promote_staged(spec: StepSpec) -> None:
    """A run planned by an older version wrote into ``outputs.partial/``: move it into place."""
    staging = Path(spec.step_dir) / _LEGACY_STAGING
    staged = any(o["path"] != o.get("final", o["path"]) for o in spec.outputs.values())
    if not (staged and staging.is_dir()):
        return
    final = Path(spec.step_dir) / "outputs"
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
