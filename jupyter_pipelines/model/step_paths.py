"""The one rule of where a step's code may come from, used by validation and by the planner.

A step runs from a snapshot of its source directory, so its script or notebook must lie
inside that folder: the path is judged as the file system resolves it, symlinks included,
and the planner runs exactly the relative path this module gives. A source directory may
lie anywhere on the user's own machine (the SDK and the CLI pass no root), but a pipeline
that came over REST passes the server's root, and every source directory must lie inside
it. ``hash_paths`` entries must name paths inside the source directory too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError
from .data_transfer import DataTransferStep
from .parallel_run import ParallelRunStep
from .steps import NotebookStep, PipelineStep, PythonScriptStep

#: The field naming each step type's entry file, and what the file is called in messages.
_ENTRY_FIELDS: tuple[tuple[type[PipelineStep], str, str], ...] = (
    (PythonScriptStep, "script_name", "script"),
    (NotebookStep, "notebook", "notebook"),
    (ParallelRunStep, "parallel_run_config.entry_script", "entry script"),
)


@dataclass(frozen=True)
class PathProblem:
    """A field of a step whose path breaks the rule, and what to do about it."""

    field: str
    message: str


class StepPathError(ModelError):
    """A step's script, notebook or source directory lies where the rule does not allow."""

    def __init__(self, step: str, problem: PathProblem) -> None:
        self.step = step
        self.problem = problem
        super().__init__(f"step {step!r}, field {problem.field!r}: {problem.message}")


def entry_field(step: PipelineStep) -> str | None:
    """The field holding the step's script or notebook (None for commands and transfers)."""
    found = _entry_kind(step)
    return found[0] if found else None


def entry_path(step: PipelineStep) -> str | None:
    """The step's script or notebook as the path, relative to its source directory (with
    ``/``), that runs from the step's code snapshot; None for a step without one.

    Raises StepPathError when the path lies outside the source directory."""
    found = _entry_kind(step)
    if found is None:
        return None
    relative = _relative_entry(step, *found)
    if isinstance(relative, PathProblem):
        raise StepPathError(step.name, relative)
    return relative


def path_problems(step: PipelineStep, root: str | os.PathLike[str] | None) -> list[PathProblem]:
    """Every breach of the rule by ``step``; ``root``: the folder its source directory must
    lie in (the server's root for a pipeline that came over REST), None for anywhere."""
    outside = _outside_root(step, root)
    if outside is not None:
        return [outside]  # nothing more is said about a folder outside the root
    problems: list[PathProblem] = []
    found = _entry_kind(step)
    if found is not None:
        relative = _relative_entry(step, *found)
        if isinstance(relative, str):
            relative = _linked_out(step, found, relative)
        if isinstance(relative, PathProblem):
            problems.append(relative)
    problems += _hash_paths(step)
    return problems


def _entry_kind(step: PipelineStep) -> tuple[str, str] | None:
    for kind, field, noun in _ENTRY_FIELDS:
        if isinstance(step, kind):
            return field, noun
    return None


def _source(step: PipelineStep) -> str:
    """How the step's source directory was written, for messages."""
    return step.source_directory


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _relative_entry(step: PipelineStep, field: str, noun: str) -> str | PathProblem:
    """The entry as a clean relative path inside the source directory (no symlink is
    followed here: see ``_linked_out``), or the problem with it."""
    text = step.entry
    if "\0" in text:
        return PathProblem(field, f"{noun} path {text!r} contains a null byte")
    move = (
        f"move the {noun} into source_directory {_source(step)!r} (a step runs from a copy "
        "of that folder), or make source_directory the folder that holds it"
    )
    outside = PathProblem(
        field,
        f"{noun} {text!r} lies outside source_directory {_source(step)!r} "
        f"({str(step.source_path)!r}); {move}",
    )
    if os.path.isabs(text):
        return _absolute_entry(step, text) or outside
    norm = os.path.normpath(text)
    if norm in (".", "..") or norm.startswith(".." + os.sep):
        return outside if norm != "." else PathProblem(field, f"{noun} {text!r} names no file")
    if ".." in text.split(os.sep):
        return PathProblem(
            field,
            f"{noun} {text!r} goes through '..'; write it as {norm!r} (its path inside "
            f"source_directory {_source(step)!r})",
        )
    return Path(norm).as_posix()


def _absolute_entry(step: PipelineStep, text: str) -> str | None:
    """An absolute entry as a path relative to the source directory when it lies inside
    it (written through the folder's resolved path, its given path, or a symlink)."""
    given = os.path.normpath(os.path.join(step.base_dir, step.source_directory))
    source = str(step.source_path)
    for path, folder in (
        (os.path.normpath(text), source),
        (os.path.normpath(text), os.path.abspath(given)),
        (os.path.realpath(text), source),
    ):
        if _inside(path, folder) and path != folder:
            return Path(os.path.relpath(path, folder)).as_posix()
    return None


def _linked_out(step: PipelineStep, found: tuple[str, str], relative: str) -> str | PathProblem:
    """The entry once symlinks are followed: a link to a file outside the source directory
    breaks the rule as a path outside it does."""
    field, noun = found
    source = str(step.source_path)
    real = os.path.realpath(os.path.join(source, relative))
    if _inside(real, source):
        return relative
    return PathProblem(
        field,
        f"{noun} {step.entry!r} is a link to {real!r}, outside source_directory "
        f"{_source(step)!r}; copy the file into {_source(step)!r} instead (a step runs "
        "from a copy of that folder)",
    )


def _outside_root(step: PipelineStep, root: str | os.PathLike[str] | None) -> PathProblem | None:
    """The source directory outside ``root`` (a data transfer runs this package's code)."""
    if root is None or isinstance(step, DataTransferStep):
        return None
    real_root = os.path.realpath(root)
    try:
        source = str(step.source_path)
    except (OSError, ValueError) as exc:
        return PathProblem("source_directory", f"source directory {_source(step)!r}: {exc}")
    if _inside(source, real_root):
        return None
    return PathProblem(
        "source_directory",
        f"source directory {_source(step)!r} ({source!r}) lies outside the server's root: "
        f"the server only runs pipelines whose source directories lie inside its root "
        f"{real_root!r}; move the code into it, or run this pipeline from the SDK or the CLI",
    )


def _hash_paths(step: PipelineStep) -> list[PathProblem]:
    """``hash_paths`` entries that leave the source directory (reuse hashes the snapshot,
    so such an entry could never match; checking it would walk folders outside)."""
    problems = []
    for i, entry in enumerate(step.hash_paths):
        text = str(entry).strip()
        norm = os.path.normpath(text) if text else "."
        if os.path.isabs(text) or norm == ".." or norm.startswith(".." + os.sep):
            problems.append(
                PathProblem(
                    f"hash_paths[{i}]",
                    f"{text!r} lies outside source_directory {_source(step)!r}; list paths "
                    "inside it, relative to it",
                )
            )
    return problems


__all__ = [
    "PathProblem",
    "StepPathError",
    "entry_field",
    "entry_path",
    "path_problems",
]
