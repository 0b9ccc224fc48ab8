"""Reuse decisions: snapshot each step's code, fingerprint it, and find earlier results to reuse.

A step's fingerprint is complete once the content hash of each input is known:
at submit for inputs from reused steps, in the driver for inputs from steps that
run in this run. A step whose fingerprint matches a successful earlier step run
(whose outputs still exist) is reused; otherwise it runs. Every decision can be
explained against the latest earlier run of the same step.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..reuse.fingerprint import base_document, complete_document, explain, fingerprint
from ..reuse.hashing import canonical_json, hash_bytes, hash_file
from ..reuse.snapshot import Snapshot, SnapshotError, SnapshotStore, hash_tree
from ..stores import status as st
from ..stores.datastore_registry import local_folders
from ..stores.runstore import RunStore, StepRecord
from ..stores.workspace import Workspace

if TYPE_CHECKING:  # the model (networkx, yaml) is the submitter's: the driver needs none
    from ..model.steps import PipelineStep

log = logging.getLogger(__name__)

#: How a step of a run is treated: decided by fingerprint, always run, or pinned to the
#: latest successful result (upstream steps of a partial run).
NORMAL, FORCED, PINNED = "normal", "forced", "pinned"


def environment_of(environment: dict[str, Any] | None) -> dict[str, Any]:
    """The environment part of a fingerprint: the Environment's definition, or the interpreter."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if environment is None:
        return {"kind": "current-interpreter", "python": python}
    from ..model.environment import Environment

    definition = Environment.from_dict(environment).spec_hash()
    return {"kind": "environment", "definition": definition, "host_python": python}


def target_of(kind: str = "local", image: str | None = None) -> dict[str, Any]:
    """The compute target part of a fingerprint: its kind of backend and default image."""
    return {"kind": kind, "image": image}


class CodeSnapshots:
    """Snapshots of the source folders of one submit, taken once per folder.

    The workspace folder and every local datastore's folder are left out wherever they lie
    inside a source folder: they hold data, and data delivered there (a step's output) must
    not change the code of the steps whose source folder holds them.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.store = SnapshotStore(workspace.snapshots_dir)
        self.workspace = workspace
        self._taken: dict[Path, Snapshot] = {}
        self._git: dict[Path, dict[str, Any]] = {}
        self._not_code: dict[Path, str] | None = None

    def of(self, step: PipelineStep) -> Snapshot:
        folder = step.source_path
        if folder not in self._taken:
            try:
                self._taken[folder] = self.store.take(folder, exclude=self.not_code())
            except SnapshotError as exc:
                raise SnapshotError(f"step {step.name!r}: {exc}") from exc
        return self._taken[folder]

    def not_code(self) -> dict[Path, str]:
        """The folders never snapshotted as code, and what each is."""
        if self._not_code is None:
            found: dict[Path, str] = {
                folder: f"the folder of datastore {name!r}"
                for name, folder in local_folders(self.workspace).items()
            }
            found[self.workspace.dir] = "the workspace folder"
            self._not_code = found
        return self._not_code

    def git(self, step: PipelineStep) -> dict[str, Any]:
        folder = step.source_path
        if folder not in self._git:
            self._git[folder] = git_info(folder)
        return self._git[folder]


def code_notes(snapshot: Snapshot) -> list[str]:
    """What the plan and ``why`` say of the folders left out of a step's code snapshot."""
    return [
        f"folder {rel!r} of the source directory is {what}: left out of the code "
        "snapshot and fingerprint, so that data written there does not change the code"
        for rel, what in sorted(snapshot.left_out.items())
    ]


def git_info(folder: Path) -> dict[str, Any]:
    """Repository, branch, commit and dirtiness of the git checkout holding ``folder``."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    if not _may_be_in_git(folder):
        return {}  # no git process to start: most of a submit's time otherwise
    # One process for three answers; a repository without commits fails it (no HEAD).
    names = (git("rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD") or "").split("\n")
    top: str | None
    branch: str | None
    commit: str | None
    if len(names) == 3:
        top, commit, branch = names
    else:
        top = git("rev-parse", "--show-toplevel")
        if top is None:
            return {}
        branch, commit = git("rev-parse", "--abbrev-ref", "HEAD"), git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return {"repository": top, "branch": branch, "commit": commit, "dirty": bool(status)}


def _may_be_in_git(folder: Path) -> bool:
    """Whether ``folder`` or a folder above it has ``.git`` (or git is pointed elsewhere)."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    here = Path(os.path.abspath(folder))
    return any(os.path.lexists(os.path.join(p, ".git")) for p in (here, *here.parents))


def base_fingerprint(
    step: PipelineStep,
    snapshot: Snapshot,
    base_dir: Path,
    parameters: dict[str, Any],
    environment: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fingerprint document of ``step`` with its input contents still open."""
    from ..model.fileformat import step_to_document

    doc = step_to_document(step, base_dir)
    return base_document(
        doc,
        snapshot.code_hash(step.hash_paths or None),
        parameters,
        environment_of(environment),
        target or target_of(),
    )


@dataclass
class Decision:
    """Whether a step reuses an earlier result, and why."""

    reuse: StepRecord | None
    fingerprint: str | None
    document: dict[str, Any] | None
    reason: str


class ReuseIndex:
    """Looks up reusable step runs and explains decisions, over the run store."""

    def __init__(self, store: RunStore, snapshots: SnapshotStore) -> None:
        self.store = store
        self.snapshots = snapshots

    def decide(
        self, record: StepRecord, input_hashes: dict[str, str], experiment: str, created: float
    ) -> Decision:
        """Decide a NORMAL or FORCED step whose input contents are known."""
        assert record.fingerprint_doc is not None
        doc = complete_document(record.fingerprint_doc, input_hashes)
        key = fingerprint(doc)
        mode = record.reuse.get("mode", NORMAL)
        if mode == FORCED:
            return Decision(None, key, doc, record.reuse.get("reason") or "selected to run")
        for candidate in self.store.reuse_candidates(key):
            if results_available(candidate, record.outputs):
                return Decision(candidate, key, doc, f"reuses step run {candidate.id}")
            log.warning(
                "reuse: step run %s matches but its outputs are gone; not reused", candidate.id
            )
        return Decision(
            None,
            key,
            doc,
            self.reason_to_run(record.name, doc, record.snapshot_id, experiment, created),
        )

    def reason_to_run(
        self,
        name: str,
        doc: dict[str, Any],
        snapshot_id: str | None,
        experiment: str,
        created: float,
    ) -> str:
        """Why a step runs: what differs from the latest earlier run of the same step."""
        diffs = self.differences(name, doc, snapshot_id, experiment, created)
        if diffs is None:
            return "no earlier run of this step"
        if not diffs:
            return "the earlier result with the same fingerprint is not available"
        return "; ".join(str(d) for d in diffs[:3]) + (" ..." if len(diffs) > 3 else "")

    def differences(
        self,
        name: str,
        doc: dict[str, Any],
        snapshot_id: str | None,
        experiment: str,
        created: float,
    ) -> list[Any] | None:
        """Differences from the latest earlier run of step ``name``; None when there is none."""
        earlier = self.store.latest_step_run(experiment, name, before=created)
        if earlier is None or earlier.fingerprint_doc is None:
            return None
        old_doc = earlier.fingerprint_doc
        if any(v.get("content") is None for v in old_doc.get("inputs", {}).values()):
            old_doc = {
                **old_doc,
                "inputs": {
                    k: {**v, "content": "(not known: never ran)"}
                    for k, v in old_doc["inputs"].items()
                },
            }
        return explain(old_doc, doc, self._files(earlier.snapshot_id), self._files(snapshot_id))

    def _files(self, snapshot_id: str | None) -> dict[str, str] | None:
        if not snapshot_id:
            return None
        try:
            return {p: e.hash for p, e in self.snapshots.load(snapshot_id).files.items()}
        except SnapshotError as exc:
            log.warning("cannot explain code changes: %s", exc)
            return None


def results_available(source: StepRecord, wanted: Iterable[str]) -> bool:
    """Whether ``source`` holds every output named in ``wanted`` and they still exist (a
    folder, or the one file a step wrote at an output's path)."""
    outputs = source.outputs
    return set(wanted) <= set(outputs) and all(
        Path(out["path"]).exists() for out in outputs.values()
    )


def mark_reused(
    record: StepRecord, source: StepRecord, reason: str, document: dict[str, Any] | None = None
) -> None:
    """Make ``record`` a finished step run that points to the results of ``source``."""
    now = time.time()
    record.status = st.FINISHED
    record.reused_from = source.reused_from or source.id
    record.outputs = {name: dict(out) for name, out in source.outputs.items()}
    record.fingerprint = source.fingerprint
    if document is not None:
        record.fingerprint_doc = document
    elif record.reuse.get("mode") == PINNED or record.fingerprint_doc is None:
        record.fingerprint_doc = source.fingerprint_doc
    record.started = record.ended = now
    record.reuse = {
        **record.reuse,
        "decision": "reused",
        "reason": reason,
        "source_run": source.run_id,
    }


def hash_outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """Output records with the content hash of each output added."""
    return {name: {**out, "hash": output_hash(out["path"])} for name, out in outputs.items()}


def output_hash(path: str) -> str:
    """The content hash of an output: its folder's files, or the one file a step wrote at
    the output's path (which differs from a folder holding that file)."""
    if Path(path).is_file():
        return hash_bytes(canonical_json({"file": hash_file(path)}))
    return hash_tree(path)


def input_hashes(record: StepRecord, upstream: dict[str, StepRecord]) -> dict[str, str] | None:
    """Content hashes of a step's inputs, or None while an upstream output is not hashed yet."""
    # Dataset and datastore inputs were hashed at submit; step outputs when they finished.
    hashes: dict[str, str] = dict(record.reuse.get("data", {}))
    for name, ref in record.reuse.get("inputs", {}).items():
        producer = upstream.get(ref["step"])
        out = producer.outputs.get(ref["output"]) if producer else None
        if out is None or "hash" not in out:
            return None
        hashes[name] = out["hash"]
    return hashes
