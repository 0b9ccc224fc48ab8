"""The warnings a submit gives: each said once per submit, and only for steps that will run.

A warning says how a step will run differently from what it asked (an Environment that
asks for Docker on a target that runs processes, GPUs on a target without any, a dataset
whose files changed since it was registered). A reused step does not run, so it gets
none; and a warning shared by several steps (they use the same Environment) is given to
the first of them only, so that the plan printed at submit says it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..executors.gpus import GPUS_ENV
from ..model.validation import ValidationIssue
from ..stores.runstore import StepRecord

#: The field of the validation warning of a step asking GPUs of a target without any.
GPU_FIELD = "resources.gpu"


def attach_warnings(
    records: Sequence[StepRecord],
    step_warnings: Mapping[str, Sequence[str]],
    issues: Sequence[ValidationIssue] = (),
) -> None:
    """Record each warning on the first step (in pipeline order) that will run and has it."""
    warnings = {name: list(found) for name, found in step_warnings.items()}
    for name, note in gpu_warnings(records, issues).items():
        warnings.setdefault(name, []).append(note)
    said: set[str] = set()
    for record in records:
        record.reuse.pop("warnings", None)
        if record.reused_from is not None:
            continue
        new = [w for w in dict.fromkeys(warnings.get(record.name, [])) if w not in said]
        said.update(new)
        if new:
            record.reuse["warnings"] = new


def gpu_warnings(
    records: Sequence[StepRecord], issues: Sequence[ValidationIssue]
) -> dict[str, str]:
    """One warning per compute target whose steps ask for GPUs it does not have, given to
    the first of those steps that will run (it names all of them that will run)."""
    flagged = {
        i.step: i.message
        for i in issues
        if i.severity == "warning" and i.field == GPU_FIELD and i.step is not None
    }
    by_target: dict[str, list[str]] = {}
    for record in records:
        if record.reused_from is None and record.name in flagged:
            by_target.setdefault(record.target, []).append(record.name)
    notes = {}
    for target, steps in by_target.items():
        if len(steps) == 1:
            notes[steps[0]] = flagged[steps[0]]
            continue
        names = ", ".join(repr(s) for s in steps)
        notes[steps[0]] = (
            f"steps {names} ask for GPUs but compute target {target!r} has none: they run "
            f"without GPUs (give the target GPUs with its 'gpus' setting, or {GPUS_ENV} for "
            "this machine)"
        )
    return notes
