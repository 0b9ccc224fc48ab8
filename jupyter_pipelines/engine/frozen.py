"""Frozen code: what a published pipeline runs, fixed when it was published.

A published pipeline keeps its pipeline document, the folder the document's paths are
relative to, and for every step the id of the content-addressed snapshot of its code (and
the git state of that code). Submitting it builds the pipeline from the document and gives
``submit_pipeline`` a ``FrozenCode``: each step then runs from its frozen snapshot instead of
a new snapshot of its source folder, and its fingerprint is made from the same parts as at
publish time, so editing (or deleting) the files afterwards changes nothing in what it runs,
and reuse applies by the same fingerprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..model.fileformat import pipeline_to_document
from ..model.pipeline import Pipeline
from ..model.steps import NotebookStep, PipelineStep, PythonScriptStep
from ..model.validation import ValidationIssue
from ..reuse.hashing import canonical_json, hash_bytes
from ..reuse.snapshot import Snapshot, SnapshotError
from ..stores.runstore import RunRecord, StepRecord
from ..stores.workspace import Workspace
from .reuse import CodeSnapshots

#: Validation fields about a step's files, judged against its frozen snapshot instead.
_FILE_FIELDS = ("source_directory", "script_name", "notebook", "hash_paths")


@dataclass(frozen=True)
class FrozenCode:
    """The snapshot id and git state of each step's code, and the folder the pipeline
    document's paths are relative to."""

    base_dir: Path
    snapshots: Mapping[str, str]
    git: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def to_record(self) -> dict[str, dict[str, Any]]:
        """The stored form: step name -> ``{"snapshot": id, "git": {...}}``."""
        return {
            name: {"snapshot": snap, "git": dict(self.git.get(name) or {})}
            for name, snap in sorted(self.snapshots.items())
        }

    @classmethod
    def from_record(cls, base_dir: str | Path, code: Mapping[str, Any]) -> FrozenCode:
        return cls(
            base_dir=Path(base_dir),
            snapshots={name: str(entry["snapshot"]) for name, entry in code.items()},
            git={name: dict(entry.get("git") or {}) for name, entry in code.items()},
        )

    def snapshots_for(self, workspace: Workspace) -> FrozenSnapshots:
        """The snapshot source ``submit_pipeline`` uses for this code."""
        return FrozenSnapshots(workspace, self)

    def check(
        self, workspace: Workspace, pipeline: Pipeline, issues: list[ValidationIssue]
    ) -> list[ValidationIssue]:
        """``issues`` with the problems about frozen steps' files judged against their
        snapshots: the source folder may be gone, its script is looked up in the snapshot."""
        frozen = {s.name for s in pipeline.steps if s.name in self.snapshots}
        kept = [
            i for i in issues if not (i.step in frozen and (i.field or "").startswith(_FILE_FIELDS))
        ]
        snapshots = self.snapshots_for(workspace)
        for step in pipeline.steps:
            if step.name in frozen:
                kept += _snapshot_issues(step, snapshots)
        return kept

    def completed(self, workspace: Workspace, pipeline: Pipeline) -> FrozenCode:
        """This code with a snapshot taken now of every step it lacks (a step a partial run
        left out), so that nothing of a published pipeline is read at submit."""
        missing = [s for s in pipeline.steps if s.name not in self.snapshots]
        if not missing:
            return self
        snapshots = CodeSnapshots(workspace)
        taken = {**self.snapshots, **{s.name: snapshots.of(s).id for s in missing}}
        git = {**self.git, **{s.name: snapshots.git(s) for s in missing}}
        return FrozenCode(self.base_dir, taken, git)

    def graph_id(self, document: Mapping[str, Any]) -> str:
        """A content id of the published graph: the document and the code it runs."""
        return hash_bytes(canonical_json({"pipeline": dict(document), "code": self.to_record()}))


def _snapshot_issues(step: PipelineStep, snapshots: FrozenSnapshots) -> list[ValidationIssue]:
    try:
        snapshot = snapshots.of(step)
    except SnapshotError as exc:
        return [ValidationIssue("error", step.name, "source_directory", str(exc))]
    fields = {PythonScriptStep: "script_name", NotebookStep: "notebook"}
    for kind, name in fields.items():
        entry = PurePosixPath(step.entry.replace("\\", "/")) if isinstance(step, kind) else None
        if entry is None or entry.is_absolute():
            continue
        relative = str(PurePosixPath(*[p for p in entry.parts if p != "."]))
        if relative not in snapshot.files:
            return [
                ValidationIssue(
                    "error",
                    step.name,
                    name,
                    f"file {step.entry!r} is not in the code published for step "
                    f"{step.name!r} (snapshot {snapshot.id[:12]})",
                )
            ]
    return []


class FrozenSnapshots(CodeSnapshots):
    """Code snapshots that are the frozen ones for the steps they name (taken afresh for any
    other step)."""

    def __init__(self, workspace: Workspace, frozen: FrozenCode) -> None:
        super().__init__(workspace)
        self.frozen = frozen
        self._loaded: dict[str, Snapshot] = {}

    def of(self, step: PipelineStep) -> Snapshot:
        snapshot_id = self.frozen.snapshots.get(step.name)
        if snapshot_id is None:
            return super().of(step)
        if snapshot_id not in self._loaded:
            try:
                self._loaded[snapshot_id] = self.store.load(snapshot_id)
            except SnapshotError as exc:
                raise SnapshotError(
                    f"step {step.name!r}: the code it was published with is gone: {exc}"
                ) from exc
        return self._loaded[snapshot_id]

    def git(self, step: PipelineStep) -> dict[str, Any]:
        if step.name in self.frozen.snapshots:
            return dict(self.frozen.git.get(step.name) or {})
        return super().git(step)


def pipeline_base(pipeline: Pipeline) -> Path:
    """The folder a pipeline's paths are relative to: its file's folder, else the current one
    (as ``submit_pipeline`` takes it)."""
    return Path(pipeline.source_path).parent if pipeline.source_path else Path.cwd()


def freeze_pipeline(workspace: Workspace, pipeline: Pipeline) -> tuple[dict[str, Any], FrozenCode]:
    """The document of ``pipeline`` and the snapshots of its steps' code, taken now."""
    base = pipeline_base(pipeline).resolve()
    snapshots = CodeSnapshots(workspace)
    taken = {s.name: snapshots.of(s).id for s in pipeline.steps}
    git = {s.name: snapshots.git(s) for s in pipeline.steps}
    return pipeline_to_document(pipeline, base), FrozenCode(base, taken, git)


def freeze_run(
    run: RunRecord, steps: list[StepRecord], fallback_base: Path
) -> tuple[dict[str, Any], FrozenCode]:
    """The document a run ran and the snapshots its steps ran (a step without a snapshot, in a
    partial run, is snapshotted when the published pipeline is submitted)."""
    base = run.options.get("base_dir") or (
        str(Path(run.pipeline_file).parent) if run.pipeline_file else str(fallback_base)
    )
    taken = {s.name: s.snapshot_id for s in steps if s.snapshot_id}
    git = {s.name: dict(s.git or {}) for s in steps if s.snapshot_id}
    return dict(run.pipeline), FrozenCode(Path(base), taken, git)


__all__ = ["FrozenCode", "FrozenSnapshots", "freeze_pipeline", "freeze_run", "pipeline_base"]
