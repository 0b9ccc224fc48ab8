"""The step manifest: the JSON file a run driver writes for each step before starting it.

The driver sets ``JUPYTER_PIPELINES_STEP_MANIFEST`` to the file's path; code inside the step
(``Run.get_context()``) reads it to learn its run ids, folders, inputs, outputs and parameters.
Standard library only: this module also runs inside containers that lack the package's
dependencies.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .files import write_json_atomic

#: Environment variable holding the path of the current step's manifest.
MANIFEST_ENV_VAR = "JUPYTER_PIPELINES_STEP_MANIFEST"

#: Version written by this code. Newer versions are read too: unknown keys are ignored.
MANIFEST_VERSION = 1

_REQUIRED_STRINGS = ("run_id", "step_run_id", "step_name", "workspace_dir", "step_dir")
_PATH_MAPS = ("inputs", "outputs")
_VALUE_MAPS = ("parameters", "tags", "datasets")


class ManifestError(RuntimeError):
    """A step manifest is missing, unreadable, or not of the expected shape."""

    def __init__(self, path: str | os.PathLike[str] | None, problem: str) -> None:
        self.path = None if path is None else os.fspath(path)
        where = f"step manifest {self.path!r}" if self.path else "step manifest"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class StepManifest:
    """What a step process needs to know about itself; see docs/step-runtime.md."""

    run_id: str
    step_run_id: str
    step_name: str
    workspace_dir: str
    step_dir: str
    experiment_name: str = ""
    metrics_file: str = ""
    files_dir: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)
    #: Dataset inputs: name -> {"definition": ..., "path": ..., "dataset": {name, version}}.
    datasets: dict[str, Any] = field(default_factory=dict)
    version: int = MANIFEST_VERSION

    def __post_init__(self) -> None:
        # Derived defaults, so a driver may leave out the two step_dir-relative paths.
        if not self.metrics_file:
            object.__setattr__(self, "metrics_file", os.path.join(self.step_dir, "metrics.jsonl"))
        if not self.files_dir:
            object.__setattr__(self, "files_dir", os.path.join(self.step_dir, "files"))

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], path: str | os.PathLike[str] | None = None
    ) -> StepManifest:
        """Build a manifest from its JSON form; ``path`` only names the source in errors."""
        if not isinstance(data, Mapping):
            raise ManifestError(path, f"expected a JSON object, got {type(data).__name__}")
        version = data.get("version", MANIFEST_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ManifestError(path, f'"version" must be an integer >= 1, got {version!r}')
        missing = [key for key in _REQUIRED_STRINGS if key not in data]
        if missing:
            names = ", ".join(f'"{key}"' for key in missing)
            raise ManifestError(path, f"missing required field(s) {names}")
        values: dict[str, Any] = {"version": version}
        for key in (*_REQUIRED_STRINGS, "experiment_name", "metrics_file", "files_dir"):
            value = data.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ManifestError(path, f'"{key}" must be a string, got {value!r}')
            if key in _REQUIRED_STRINGS and not value:
                raise ManifestError(path, f'"{key}" must not be empty')
            values[key] = value
        for key in (*_PATH_MAPS, *_VALUE_MAPS):
            value = data.get(key) or {}
            if not isinstance(value, Mapping):
                raise ManifestError(path, f'"{key}" must be an object, got {value!r}')
            if key in _PATH_MAPS:
                bad = [name for name, p in value.items() if not isinstance(p, str)]
                if bad:
                    raise ManifestError(path, f'"{key}.{bad[0]}" must be a path string')
            values[key] = {str(name): item for name, item in value.items()}
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> StepManifest:
        """Read a manifest file; a missing or corrupt file raises ManifestError naming it."""
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise ManifestError(path, "file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(path, f"cannot be read ({exc})") from exc
        except json.JSONDecodeError as exc:
            raise ManifestError(path, f"is not valid JSON ({exc})") from exc
        return cls.from_dict(data, path)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StepManifest | None:
        """Read the manifest named by ``JUPYTER_PIPELINES_STEP_MANIFEST``; None when unset."""
        env = os.environ if environ is None else environ
        path = env.get(MANIFEST_ENV_VAR, "")
        if not path:
            return None
        return cls.from_file(path)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with every field (the keys of the documented format)."""
        return {
            "version": self.version,
            "run_id": self.run_id,
            "step_run_id": self.step_run_id,
            "step_name": self.step_name,
            "experiment_name": self.experiment_name,
            "workspace_dir": self.workspace_dir,
            "step_dir": self.step_dir,
            "metrics_file": self.metrics_file,
            "files_dir": self.files_dir,
            "inputs": dict(self.inputs),
            "outputs": dict(self.outputs),
            "parameters": dict(self.parameters),
            "tags": dict(self.tags),
            "datasets": dict(self.datasets),
        }

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the manifest atomically: a temporary file in the same folder, then rename.

        Not synced to disk (an fsync is most of a step's start on a busy disk): it is
        written again before every start of its step, and a machine that lost power
        ended the run that was to read it."""
        try:
            write_json_atomic(path, self.to_dict(), durable=False)
        except (TypeError, ValueError) as exc:
            raise ManifestError(path, f"cannot be written as JSON ({exc})") from exc
