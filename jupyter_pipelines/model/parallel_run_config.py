"""``ParallelRunConfig``: how a ParallelRunStep cuts its inputs into mini-batches and runs
its entry script over them (v1 ``azureml.pipeline.steps.ParallelRunConfig``).

The values are checked as v1 checks them (same rules, ModelError naming the field). Several
may be PipelineParameters (mini_batch_size, node_count, process_count_per_node,
logging_level, run_invocation_timeout, run_max_try, partition_keys): they are resolved when
the pipeline is submitted.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ..errors import ModelError
from .parameters import PipelineParameter

OUTPUT_ACTIONS = ("append_row", "summary_only")
#: The file ``append_row`` writes into the step's output when no name is given (as in v1).
DEFAULT_APPEND_ROW_FILE = "parallel_run_step.txt"
#: v1's defaults: files per mini-batch for a FileDataset, bytes for a TabularDataset.
DEFAULT_FILE_BATCH = 10
DEFAULT_TABULAR_BATCH = 1024 * 1024
LOGGING_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SIZE = re.compile(r"^(\d+)([kKmMgG][bB])?$")
_UNITS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}
#: Characters v1 refuses in ``append_row_file_name``.
_BAD_FILE_NAME = re.compile(r'[~"#%&*:<>?/\\{|}]')
#: Fields that may hold a PipelineParameter (resolved at submit).
PARAMETER_FIELDS = (
    "mini_batch_size",
    "node_count",
    "process_count_per_node",
    "logging_level",
    "run_invocation_timeout",
    "run_max_try",
    "partition_keys",
)


def parse_mini_batch_size(value: Any, field: str = "mini_batch_size") -> int:
    """A mini-batch size as an int: a count (``10``, ``"10"``) or bytes (``"1MB"``, ``"64KB"``)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ModelError(f"{field} must be an int or a str such as '10' or '1MB', got {value!r}")
    if isinstance(value, int):
        number = value
    else:
        match = _SIZE.match(value.strip())
        if not match:
            raise ModelError(
                f"{field} {value!r} must be a number, optionally followed by KB, MB or GB "
                "(v1's rule ^\\d+([kKmMgG][bB])*$), such as '20' or '1MB'"
            )
        number = int(match.group(1)) * _UNITS.get((match.group(2) or "").lower(), 1)
    if number < 1:
        raise ModelError(f"{field} must be at least 1, got {value!r}")
    return number


def parse_partition_keys(value: Any) -> list[str]:
    """Partition keys as a list of str (a parameter's default is JSON text, as in v1)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ModelError(
                "partition_keys given as text must be the JSON dump of a list of str, "
                f"such as '[\"country\"]', got {value!r}"
            ) from None
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value) or not value:
        raise ModelError(f"partition_keys must be a non-empty list of str, got {value!r}")
    return list(value)


def _int(value: Any, field: str, minimum: int) -> None:
    if isinstance(value, PipelineParameter):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ModelError(f"{field} must be an int of at least {minimum}, got {value!r}")


def _target(value: Any) -> Any:
    """A compute target name, or the object (AmlCompute) as v1 keeps it."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(getattr(value, "name", None), str):
        raise ModelError(f"compute_target must be a name or a compute target, got {value!r}")
    return value


class ParallelRunConfig:
    """How a :class:`ParallelRunStep` runs (v1 ``ParallelRunConfig``).

    ``environment`` may be None here: the step then runs with the workspace's interpreter.
    ``compute_target`` is a name or a compute target; every node of it is this machine, so
    ``node_count * process_count_per_node`` worker processes run here, never more than the
    target's slots (see docs/batch-scoring.md). ``process_count_per_node=None`` means one
    process per slot, as v1 uses every core of a CPU node.
    """

    def __init__(
        self,
        environment: Any,
        entry_script: str,
        error_threshold: int,
        output_action: str,
        compute_target: Any,
        node_count: Any,
        process_count_per_node: Any = None,
        mini_batch_size: Any = None,
        source_directory: str | os.PathLike[str] | None = None,
        description: str | None = None,
        logging_level: Any = "INFO",
        run_invocation_timeout: Any = 60,
        run_max_try: Any = 3,
        append_row_file_name: str | None = None,
        allowed_failed_count: int | None = None,
        allowed_failed_percent: float | None = None,
        partition_keys: Any = None,
        environment_variables: dict[str, str] | None = None,
    ) -> None:
        self.environment = _environment(environment)
        if not isinstance(entry_script, str | os.PathLike) or not os.fspath(entry_script).strip():
            raise ModelError("ParallelRunConfig needs an 'entry_script' (a .py file)")
        self.entry_script = os.fspath(entry_script).strip()
        self.source_directory = (
            os.fspath(source_directory).strip() if source_directory is not None else None
        )
        self.error_threshold = error_threshold
        self.output_action = output_action
        self.compute_target = _target(compute_target)
        self.node_count = 1 if node_count is None else node_count
        self.process_count_per_node = process_count_per_node
        self.mini_batch_size = mini_batch_size
        self.description = description
        self.logging_level = "INFO" if logging_level is None else logging_level
        self.run_invocation_timeout = (
            60 if run_invocation_timeout is None else run_invocation_timeout
        )
        self.run_max_try = 3 if run_max_try is None else run_max_try
        self.append_row_file_name = append_row_file_name
        self.allowed_failed_count = allowed_failed_count
        self.allowed_failed_percent = allowed_failed_percent
        self.partition_keys = partition_keys
        self._environment_variables = {
            str(k): str(v) for k, v in (environment_variables or {}).items()
        }
        self._check()

    # -- checks, as v1 makes them ------------------------------------------------------------
    def _check(self) -> None:
        if not isinstance(self.output_action, str) or (
            self.output_action.lower() not in OUTPUT_ACTIONS
        ):
            raise ModelError(
                f"output_action must be 'append_row' or 'summary_only', got {self.output_action!r}"
            )
        self.output_action = self.output_action.lower()
        _int(self.error_threshold, "error_threshold", -1)
        if isinstance(self.error_threshold, PipelineParameter):
            raise ModelError("error_threshold must be an int of at least -1, not a parameter")
        if self.allowed_failed_count is not None:
            _int(self.allowed_failed_count, "allowed_failed_count", -1)
        percent = self.allowed_failed_percent
        if percent is not None and (
            isinstance(percent, bool)
            or not isinstance(percent, int | float)
            or not 0 <= percent <= 100
        ):
            raise ModelError(f"allowed_failed_percent must be between 0 and 100, got {percent!r}")
        self._check_batching()
        for field, minimum in (
            ("node_count", 1),
            ("run_invocation_timeout", 1),
            ("run_max_try", 1),
        ):
            _int(getattr(self, field), field, minimum)
        if self.process_count_per_node is not None:
            _int(self.process_count_per_node, "process_count_per_node", 1)
        self._check_target_nodes()
        level = self.logging_level
        if not isinstance(level, PipelineParameter) and str(level).upper() not in LOGGING_LEVELS:
            raise ModelError(f"logging_level must be one of {LOGGING_LEVELS}, got {level!r}")
        name = self.append_row_file_name
        if name is not None and (
            not isinstance(name, str) or not name or _BAD_FILE_NAME.search(name)
        ):
            raise ModelError(
                f"append_row_file_name must be a valid file name (no folder), got {name!r}"
            )

    def _check_batching(self) -> None:
        if self.mini_batch_size is not None and self.partition_keys is not None:
            raise ModelError(
                "mini_batch_size and partition_keys are mutually exclusive: they are two ways "
                "to cut the inputs into mini-batches; give one"
            )
        size = self.mini_batch_size
        if size is not None and not isinstance(size, PipelineParameter):
            self.mini_batch_size = parse_mini_batch_size(size)
        keys = self.partition_keys
        if isinstance(keys, PipelineParameter):
            parse_partition_keys(keys.default_value)
        elif keys is not None:
            if not isinstance(keys, list):
                raise ModelError(f"partition_keys must be a list of str, got {keys!r}")
            self.partition_keys = parse_partition_keys(keys)

    def _check_target_nodes(self) -> None:
        """v1: node_count must fit the AmlCompute target's maximum node count."""
        nodes = self.node_count
        settings = getattr(self.compute_target, "scale_settings", None)
        maximum = getattr(settings, "maximum_node_count", None)
        if (
            isinstance(maximum, int)
            and not isinstance(nodes, PipelineParameter)
            and nodes > maximum
        ):
            raise ModelError(
                f"node_count {nodes} is not between 1 and max_nodes {maximum} of compute "
                f"target {self.compute_target.name!r}"
            )

    # -- members ---------------------------------------------------------------------------
    @property
    def environment_variables(self) -> dict[str, str]:
        """Variables set in every worker process of the step."""
        return self._environment_variables

    @environment_variables.setter
    def environment_variables(self, value: dict[str, str]) -> None:
        self._environment_variables = {str(k): str(v) for k, v in (value or {}).items()}

    @property
    def compute_target_name(self) -> str | None:
        """The compute target's name (None: the local machine)."""
        target = self.compute_target
        return target if target is None or isinstance(target, str) else str(target.name)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (parameters as their default values), as v1 saves them."""

        def plain(value: Any) -> Any:
            return value.default_value if isinstance(value, PipelineParameter) else value

        keys = plain(self.partition_keys)
        return {
            "mini_batch_size": plain(self.mini_batch_size),
            "partition_keys": parse_partition_keys(keys) if keys is not None else None,
            "error_threshold": self.error_threshold,
            "output_action": self.output_action,
            "logging_level": plain(self.logging_level),
            "compute_target_name": self.compute_target_name,
            "node_count": plain(self.node_count),
            "process_count_per_node": plain(self.process_count_per_node),
            "entry_script": self.entry_script,
            "source_directory": self.source_directory,
            "description": self.description,
            "run_invocation_timeout": plain(self.run_invocation_timeout),
            "run_max_try": plain(self.run_max_try),
            "append_row_file_name": self.append_row_file_name,
            "allowed_failed_count": self.allowed_failed_count,
            "allowed_failed_percent": self.allowed_failed_percent,
            "environment": self.environment.to_dict() if self.environment is not None else None,
            "environment_variables": dict(self.environment_variables),
        }

    def save_to_yaml(self, path: str | os.PathLike[str]) -> None:
        """Write the configuration to a YAML file (``parallel_run_config:`` as in v1)."""
        import yaml

        text = yaml.safe_dump({"parallel_run_config": self.to_dict()}, sort_keys=False)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    @staticmethod
    def load_yaml(workspace: Any, path: str | os.PathLike[str]) -> ParallelRunConfig:
        """Read a configuration written by ``save_to_yaml`` (ours or v1's). An environment
        given by name (``environment_name``) is looked up in ``workspace``."""
        import yaml

        try:
            with open(path, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ModelError(f"cannot read parallel run config {os.fspath(path)!r}: {exc}") from exc
        config = doc.get("parallel_run_config") if isinstance(doc, dict) else None
        if not isinstance(config, dict):
            raise ModelError(
                f"{os.fspath(path)!r} has no 'parallel_run_config' mapping (written by "
                "ParallelRunConfig.save_to_yaml)"
            )
        size = config.get("mini_batch_size")
        return ParallelRunConfig(
            environment=_environment_from(config, workspace),
            entry_script=config.get("entry_script") or "",
            error_threshold=config.get("error_threshold", -1),
            output_action=config.get("output_action") or "append_row",
            compute_target=config.get("compute_target_name"),
            node_count=config.get("node_count") or 1,
            process_count_per_node=config.get("process_count_per_node"),
            mini_batch_size=str(size) if size is not None else None,
            source_directory=config.get("source_directory"),
            description=config.get("description"),
            logging_level=config.get("logging_level"),
            run_invocation_timeout=config.get("run_invocation_timeout"),
            run_max_try=config.get("run_max_try"),
            append_row_file_name=config.get("append_row_file_name"),
            allowed_failed_count=config.get("allowed_failed_count"),
            allowed_failed_percent=config.get("allowed_failed_percent"),
            partition_keys=config.get("partition_keys"),
            environment_variables=config.get("environment_variables"),
        )

    def __repr__(self) -> str:
        return (
            f"ParallelRunConfig(entry_script={self.entry_script!r}, "
            f"mini_batch_size={self.mini_batch_size!r}, output_action={self.output_action!r})"
        )


def _environment(value: Any) -> Any:
    from .environment import Environment

    if value is not None and not isinstance(value, Environment):
        raise ModelError(
            f"environment must be an Environment (or None for this interpreter), got {value!r}"
        )
    return value


def _environment_from(config: dict[str, Any], workspace: Any) -> Any:
    from .environment import Environment

    serialized = config.get("environment")
    if isinstance(serialized, dict):
        return Environment.from_dict(serialized)
    if config.get("environment_name"):
        return Environment.get(workspace, config["environment_name"])
    return None
