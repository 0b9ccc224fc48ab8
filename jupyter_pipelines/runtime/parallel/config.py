"""The runner's configuration: what the planner tells the mini-batch runner, as JSON.

The engine writes it into the step's command (``--config JSON``), so that any compute
target runs the step from its StepSpec alone. Every path is the one the step sees.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Version of the configuration written by the planner; newer fields are ignored.
CONFIG_VERSION = 1


class ConfigError(ValueError):
    """The runner's configuration is missing a field or holds a value of the wrong type."""


@dataclass
class DataInput:
    """One partitioned input: its name, where its files are, and what it is.

    ``kind`` is ``file`` (a folder or file whose files are listed) or ``tabular`` (read as a
    table through ``Run.get_context().input_datasets[name]``; ``path`` may be empty).
    ``partition_format`` is the file dataset's, for ``partition_keys``.
    """

    name: str
    path: str
    kind: str = "file"
    partition_format: str | None = None


@dataclass
class RunnerConfig:
    """Everything the runner needs; see ``ParallelRunConfig`` for the meaning of each."""

    step_name: str
    entry_script: str
    inputs: list[DataInput]
    output_action: str = "append_row"
    arguments: list[str] = field(default_factory=list)
    side_inputs: dict[str, str] = field(default_factory=dict)
    output_dir: str | None = None
    append_row_file_name: str = "parallel_run_step.txt"
    mini_batch_size: int | None = None
    partition_keys: list[str] | None = None
    workers: int = 1
    run_invocation_timeout: float = 60.0
    run_max_try: int = 3
    error_threshold: int = -1
    allowed_failed_count: int | None = None
    allowed_failed_percent: float | None = None
    logging_level: str = "INFO"
    #: The step's log folder (``<step folder>/logs``).
    logs_dir: str = "logs"
    #: The workspace's mini-batch cache; None (or unreachable) runs every mini-batch.
    cache_dir: str | None = None
    #: The workspace's stat cache (content hashes by path, size and times).
    stat_cache: str | None = None
    #: Files under this folder (the workspace's runs) are hashed without the stat cache:
    #: their paths are new at each run.
    volatile_root: str | None = None
    #: The workspace's model registry: the versions registered there are part of every key
    #: (an entry script may load a model by name, ``Model.get_model_path``).
    models_dir: str | None = None
    #: What else decides a mini-batch's result: the environment, the arguments as written
    #: (references by name, not by path), the step's variables.
    key: dict[str, Any] = field(default_factory=dict)
    version: int = CONFIG_VERSION

    @classmethod
    def from_json(cls, text: str) -> RunnerConfig:
        """Parse and check a configuration; ConfigError names what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"the runner's --config is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError("the runner's --config must be a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunnerConfig:
        known = set(cls.__dataclass_fields__)
        missing = [k for k in ("step_name", "entry_script", "inputs") if k not in data]
        if missing:
            raise ConfigError(f"the runner's --config lacks {', '.join(missing)}")
        values = {k: v for k, v in data.items() if k in known}
        inputs = values.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise ConfigError("'inputs' must be a list of objects with 'name' and 'path'")
        try:
            values["inputs"] = [
                DataInput(**{k: v for k, v in i.items() if k in DataInput.__dataclass_fields__})
                for i in inputs
            ]
        except TypeError as exc:
            raise ConfigError(f"bad input in the runner's --config: {exc}") from exc
        config = cls(**values)
        config.check()
        return config

    def check(self) -> None:
        if self.output_action not in ("append_row", "summary_only"):
            raise ConfigError(f"output_action {self.output_action!r} is not known")
        if self.output_action == "append_row" and not self.output_dir:
            raise ConfigError("output_action 'append_row' needs an output folder")
        kinds = {i.kind for i in self.inputs}
        if kinds - {"file", "tabular"} or len(kinds) > 1:
            raise ConfigError(f"inputs must all be files or all tables, got kinds {sorted(kinds)}")
        for name in ("workers", "run_max_try"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"{name} must be an int of at least 1")
        if self.run_invocation_timeout <= 0:
            raise ConfigError("run_invocation_timeout must be positive")

    @property
    def tabular(self) -> bool:
        """Whether the inputs are tables (else files)."""
        return bool(self.inputs) and self.inputs[0].kind == "tabular"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)
