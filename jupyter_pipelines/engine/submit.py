"""Submitting: validate, resolve parameters, plan, record the run, start its driver.

Nothing is recorded for a pipeline that fails validation or parameter checks.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import (
    PipelinesError,
    PipelineValidationError,
    SelectionError,
    did_you_mean,
)
from ..executors.gpus import requested_gpus, target_inventory
from ..model.data import StepInput
from ..model.fileformat import parameter_value_doc, pipeline_to_document
from ..model.parameters import resolve_parameter_values
from ..model.pipeline import Pipeline
from ..model.steps import PipelineStep
from ..model.validation import ValidationIssue, validate_pipeline
from ..stores import status as st
from ..stores.compute import target_executor_options
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .data import DataBindings
from .driver_start import start_driver
from .frozen import FrozenCode, pipeline_base
from .plan import DEFAULT_TARGET, Planner
from .reuse import (
    FORCED,
    NORMAL,
    PINNED,
    CodeSnapshots,
    ReuseIndex,
    base_fingerprint,
    code_notes,
    input_hashes,
    mark_reused,
    results_available,
    target_of,
)
from .selection import select_steps
from .submit_warnings import attach_warnings


def known_targets(workspace: Workspace | None) -> set[str]:
    """Names of compute targets steps may use in this workspace."""
    if workspace is None:
        return {DEFAULT_TARGET}
    return {DEFAULT_TARGET, *workspace.compute_targets}


def check_pipeline(
    workspace: Workspace | None, pipeline: Pipeline, *, root: str | os.PathLike[str] | None = None
) -> list[ValidationIssue]:
    """Model validation plus what only the workspace knows (compute target names).

    ``root``: the folder every step's source directory must lie in: the server's root for a
    pipeline that came over REST; None for the SDK and the CLI (the user's own machine)."""
    issues = validate_pipeline(pipeline, root=root)
    if workspace is not None:
        issues += _data_issues(workspace, pipeline)
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
    return issues + _gpu_issues(workspace, pipeline, targets)


def _gpu_issues(
    workspace: Workspace | None, pipeline: Pipeline, targets: set[str]
) -> list[ValidationIssue]:
    """Steps asking for more GPUs than their target has at all (errors: they would wait
    forever), or asking GPUs of a target without any (warnings: they run without)."""
    issues = []
    for step in pipeline.steps:
        target = step.compute_target or DEFAULT_TARGET
        if step.resources.get("gpu") in (None, 0) or target not in targets:
            continue
        try:
            _, options = target_executor_options(workspace, target)
            if options.get("places_gpus"):
                continue  # its backend places GPU steps itself (Dask: workers with GPUs)
            inventory = target_inventory(options)
            wanted = requested_gpus(step.resources, inventory)
            problem = inventory.problem(wanted, step.name, target)
            note = inventory.without_gpus(wanted, step.name, target)
        except PipelinesError as exc:
            problem, note = str(exc), None
        if problem is not None:
            issues.append(ValidationIssue("error", step.name, "resources.gpu", problem))
        elif note is not None:
            issues.append(ValidationIssue("warning", step.name, "resources.gpu", note))
    return issues


def _data_issues(workspace: Workspace, pipeline: Pipeline) -> list[ValidationIssue]:
    """Datastores and datasets that steps name but the workspace does not have."""
    from ..model.data import DataReference, DatasetConsumptionConfig, DatasetRef
    from ..stores.datasets import resolve_dataset

    stores = set(workspace.datastores)
    issues = []

    def unknown_store(step: str, field: str, name: str) -> None:
        issues.append(
            ValidationIssue(
                "error",
                step,
                field,
                f"unknown datastore {name!r}{did_you_mean(name, stores)}; known: "
                f"{', '.join(sorted(stores))} (register it with Datastore.register)",
            )
        )

    for step in pipeline.steps:
        for b in step.inputs:
            field = f"inputs.{b.name}"
            if (
                isinstance(b, DataReference)
                and b.datastore_name
                and (b.datastore_name not in stores)
            ):
                unknown_store(step.name, field, b.datastore_name)
            elif isinstance(b, DatasetConsumptionConfig) and isinstance(b.dataset, DatasetRef):
                try:
                    resolve_dataset(workspace, b.dataset)
                except PipelinesError as exc:
                    issues.append(ValidationIssue("error", step.name, field, str(exc)))
        for out in step.outputs:
            target = getattr(out, "destination", None) or getattr(out, "datastore", None)
            store = target[0] if isinstance(target, tuple) else target
            name = store if isinstance(store, str) else getattr(store, "name", None)
            field = f"outputs.{out.name}.destination"
            if name and name not in stores:
                unknown_store(step.name, field, name)
            elif isinstance(target, tuple) and target[1] and name in stores:
                try:
                    workspace.datastores[name].full_path(str(target[1]))
                except PipelinesError as exc:
                    issues.append(ValidationIssue("error", step.name, field, str(exc)))
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
    steps: Iterable[str] | str | None = None,
    from_steps: Iterable[str] | str | None = None,
    to_steps: Iterable[str] | str | None = None,
    frozen: FrozenCode | None = None,
    origin: Mapping[str, Any] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    """Record a new run of ``pipeline`` and start its driver; return the run id.

    Steps whose result can be reused are decided here when their inputs are known;
    a run whose every step is reused is recorded finished without a driver.
    ``frozen``: the code a published pipeline was published with (its steps run from
    those snapshots, its paths are relative to its folder); ``origin``: what started the
    run (published pipeline, endpoint, schedule), kept in the run's options; ``root``: the
    folder every step's source directory must lie in (see ``check_pipeline``).
    """
    issues = check_pipeline(workspace, pipeline, root=root)
    if frozen is not None:
        issues = frozen.check(workspace, pipeline, issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise PipelineValidationError(errors, source=pipeline.source_path)
    values = resolve_parameter_values(pipeline.parameters, pipeline_parameters)
    selection = select_steps(pipeline.graph, steps, from_steps, to_steps)
    run_id = str(uuid.uuid4())
    created = time.time()
    planner = Planner(
        workspace.runs_dir / run_id, run_id, pipeline, values, DataBindings(workspace, values)
    )
    records = [r for r in planner.plan() if r.name in selection]
    base = frozen.base_dir if frozen else pipeline_base(pipeline)
    snapshots = frozen.snapshots_for(workspace) if frozen else None
    SubmitDecisions(workspace, pipeline, experiment, created, values, base, snapshots).apply(
        records, selection, regenerate_outputs, planner.data_hashes
    )
    attach_warnings(records, planner.warnings, issues)
    done = all(r.status in st.TERMINAL for r in records)
    run = RunRecord(
        id=run_id,
        experiment=experiment,
        status=st.FINISHED if done else st.NOT_STARTED,
        created=created,
        started=created if done else None,
        ended=time.time() if done else None,
        description=description or pipeline.description or "",
        pipeline_file=str(Path(pipeline.source_path).resolve()) if pipeline.source_path else None,
        pipeline=pipeline_to_document(pipeline, base),
        parameters={k: _json_value(v) for k, v in values.items()},
        tags={str(k): v for k, v in (tags or {}).items()},
        options={
            "continue_on_step_failure": bool(continue_on_step_failure),
            "regenerate_outputs": bool(regenerate_outputs),
            "selection": {k: v for k, v in selection.items() if v != NORMAL},
            "base_dir": str(base.resolve()),
            **dict(origin or {}),
        },
        driver_pid=None,
        driver_started=None,
        error=None,
    )
    workspace.run_store.create_run(run, records)
    if start and not done:
        notebooks = any(r.spec.get("kind") == "notebook" for r in records)
        start_driver(workspace, run_id, notebooks=notebooks)
    return run_id


def _json_value(value: Any) -> Any:
    """A parameter value as stored with the run (datasets and DataPaths as mappings)."""
    try:
        return parameter_value_doc(value)
    except PipelinesError:
        return repr(value)


class SubmitDecisions:
    """Snapshots, fingerprints and the reuse decisions that can be made at submit."""

    def __init__(
        self,
        workspace: Workspace,
        pipeline: Pipeline,
        experiment: str,
        created: float,
        values: dict[str, Any],
        base: Path,
        snapshots: CodeSnapshots | None = None,
    ) -> None:
        self.store = workspace.run_store
        self.graph = pipeline.graph
        self.experiment = experiment
        self.created = created
        self.values = values
        self.base = base
        self.snapshots = snapshots or CodeSnapshots(workspace)
        self.index = ReuseIndex(self.store, self.snapshots.store)
        self.workspace = workspace
        self._targets: dict[str | None, dict[str, Any]] = {}

    def target(self, step: PipelineStep) -> dict[str, Any]:
        """The fingerprint part of a step's compute target: the kind of backend and its
        default image (a step moved to a container, or to another image, is not reused)."""
        name = step.compute_target
        if name not in self._targets:
            try:
                kind, options = target_executor_options(self.workspace, name)
            except PipelinesError:
                kind, options = "local", {}
            self._targets[name] = target_of(kind, options.get("image"))
        return self._targets[name]

    def apply(
        self,
        records: list[StepRecord],
        selection: dict[str, str],
        regenerate: bool,
        data_hashes: dict[str, dict[str, str]] | None = None,
    ) -> None:
        by_name: dict[str, StepRecord] = {}
        for record in records:
            step: PipelineStep = self.graph.nodes[record.name]["step"]
            snapshot = self.snapshots.of(step)
            record.snapshot_id = snapshot.id
            record.git = self.snapshots.git(step)
            record.fingerprint_doc = base_fingerprint(
                step,
                snapshot,
                self.base,
                self.values,
                record.spec.get("environment"),
                self.target(step),
            )
            record.reuse = self._mode(step, selection[record.name], regenerate)
            record.reuse["data"] = (data_hashes or {}).get(record.name, {})
            if snapshot.left_out:
                record.reuse["notes"] = code_notes(snapshot)
            if record.reuse["mode"] == PINNED:
                self._pin(record)
            else:
                self._decide(record, by_name)
            by_name[record.name] = record

    @staticmethod
    def _mode(step: PipelineStep, mode: str, regenerate: bool) -> dict[str, Any]:
        reason = None
        if mode != PINNED:
            if regenerate:
                mode, reason = FORCED, "regenerate_outputs=True"
            elif not step.allow_reuse:
                mode, reason = FORCED, "allow_reuse=False"
            elif mode == FORCED:
                reason = "selected to run"
        inputs = {
            b.name: {"step": b.data.producer.name, "output": b.data.name}
            for b in step.inputs
            if isinstance(b, StepInput) and b.data.producer is not None and b.name
        }
        return {"mode": mode, "reason": reason, "inputs": inputs}

    def _pin(self, record: StepRecord) -> None:
        source = self.store.latest_step_run(self.experiment, record.name, successful=True)
        if source is None or not results_available(source, record.outputs):
            raise SelectionError(
                f"step {record.name!r} has no successful earlier run in experiment "
                f"{self.experiment!r} whose results can be used; run it first "
                f"(include it with steps=[{record.name!r}] or from_steps=...)"
            )
        mark_reused(record, source, "pinned to its latest successful result")

    def _decide(self, record: StepRecord, by_name: dict[str, StepRecord]) -> None:
        hashes = input_hashes(record, by_name)
        if hashes is None and record.reuse["mode"] == FORCED:
            return
        if hashes is None:
            waiting = [
                repr(n) for n in sorted({r["step"] for r in record.reuse["inputs"].values()})
            ]
            names = " and ".join([", ".join(waiting[:-1]), waiting[-1]] if waiting[1:] else waiting)
            record.reuse["reason"] = (
                f"decided when {names} {'finish' if waiting[1:] else 'finishes'}: reused if "
                "its inputs come out unchanged"
            )
            return
        decision = self.index.decide(record, hashes, self.experiment, self.created)
        if decision.reuse is not None:
            mark_reused(record, decision.reuse, decision.reason, decision.document)
            return
        record.fingerprint = decision.fingerprint
        record.fingerprint_doc = decision.document
        record.reuse["reason"] = decision.reason
