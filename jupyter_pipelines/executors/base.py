"""What executors share: the StepSpec they run, the result they give, and the base class."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExecutorError

#: The log of building a step's environment (a virtual environment or an image), kept in
#: the step's folder next to ``stdout.txt`` and ``stderr.txt``.
BUILD_LOG = "environment_build.txt"
#: The first line of a Python traceback; the exception line that ends one is its first
#: line that is not indented (the frames are).
_TRACEBACK = "Traceback (most recent call last):"


@dataclass
class StepSpec:
    """Everything needed to run one step somewhere; plain data that serializes to JSON.

    ``kind`` is ``"command"`` (run ``argv``) or ``"notebook"`` (execute ``notebook``
    with papermill, writing the executed copy to ``output_notebook``).
    """

    run_id: str
    step_run_id: str
    step_name: str
    kind: str
    working_dir: str
    step_dir: str
    stdout_path: str
    stderr_path: str
    argv: list[str] = field(default_factory=list)
    notebook: str | None = None
    output_notebook: str | None = None
    notebook_parameters: dict[str, Any] = field(default_factory=dict)
    kernel_name: str | None = None
    cell_timeout: float | None = None
    log_output: bool = False
    env: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeout: float | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    image: str | None = None
    target: str = "local"
    #: The step's Environment (``Environment.to_dict()``); None runs with the driver's Python.
    environment: dict[str, Any] | None = None
    #: The interpreter for a notebook's kernel, when an environment provides one.
    python: str | None = None
    #: Workspace folders the step reads or writes besides its own (working folder, step
    #: folder, inputs, outputs): path -> ``"ro"`` or ``"rw"``, e.g. a ParallelRunStep's
    #: mini-batch cache (rw) and model registry (ro). An executor on this machine's disk
    #: has nothing to do; one that isolates the file system (Docker) mounts them at the
    #: same paths; one that shares no disk may ignore them (the step then runs without
    #: what they hold, e.g. every mini-batch runs) or ship them.
    shared_paths: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the spec (nested dicts and lists are copied one level)."""
        return {
            name: dict(value)
            if isinstance(value, dict)
            else list(value)
            if isinstance(value, list)
            else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepSpec:
        """Rebuild a spec, ignoring keys this version does not know."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_serializable(self) -> None:
        """Raise ExecutorError naming the step if the spec cannot cross a process boundary."""
        try:
            json.dumps(self.to_dict())
        except (TypeError, ValueError) as exc:
            raise ExecutorError(f"step {self.step_name!r} cannot be dispatched: {exc}") from exc


@dataclass
class StepResult:
    """How a step ended."""

    status: str  # Finished, Failed or Canceled
    exit_code: int | None = None
    error: str | None = None


class StepHandle(ABC):
    """A launched step that can be waited for and stopped."""

    @abstractmethod
    def wait(self) -> StepResult:
        """Block until the step ends (or its timeout passes) and say how it ended."""

    @abstractmethod
    def terminate(self, reason: str) -> None:
        """Stop the step and everything it started; ``wait`` then returns Canceled."""


class AbstractExecutor(ABC):
    """A compute target backend: launches StepSpecs and knows how many may run at once."""

    #: The backend's name in the ``jupyter_pipelines.executors`` entry-point group.
    name: str = ""
    #: True when the backend makes a step's Environment itself (an image): the driver then
    #: builds no local virtual environment for it.
    builds_environments: bool = False

    def __init__(self, slots: int | None = None, **options: Any) -> None:
        self.slots = max(1, int(slots or os.cpu_count() or 1))
        self.options = options

    @abstractmethod
    def launch(self, spec: StepSpec) -> StepHandle:
        """Start ``spec`` and return at once."""

    def sweep(self, workspace_dir: str, is_over: Callable[[str], bool]) -> int:
        """Remove what steps of runs that are over (``is_over(run_id)``) left behind in this
        backend, e.g. after a killed driver; how many things went. Nothing by default."""
        return 0

    def close(self) -> None:
        """Release what the executor holds (pools, clients); called when a run ends."""
        return None


def tail(path: str, lines: int = 20, max_bytes: int = 16_384) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def build_log_path(spec: StepSpec) -> str:
    """Where the build of ``spec``'s environment writes its output (see ``BUILD_LOG``)."""
    return os.path.join(spec.step_dir, BUILD_LOG)


def failure_cause(error: str | None) -> str:
    """The line of a step's error text that says what went wrong.

    A step's error is a headline ("step 'x' exited with code 1") followed by the tail of
    its log. The cause is the exception line that ends the last Python traceback of that
    tail ("ValueError: lr must be positive"), else the tail's last non-blank line; '' when
    the error has no tail.
    """
    lines = [line.rstrip() for line in (error or "").strip().splitlines()[1:]]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ""
    if _TRACEBACK in lines:
        after = lines[len(lines) - lines[::-1].index(_TRACEBACK) :]
        found = [line for line in after if not line[:1].isspace()]
        if found:
            return found[0]
    return lines[-1].strip()


def failure_summary(error: str | None) -> str:
    """One line for a failed step: its headline, then the cause when the headline lacks it.

    ``step 'train' exited with code 1: ValueError: lr must be positive``
    """
    text = (error or "").strip()
    if not text:
        return ""
    headline = text.splitlines()[0].strip()
    cause = failure_cause(text)
    if not cause or cause in headline:
        return headline
    return f"{headline}: {cause}"
