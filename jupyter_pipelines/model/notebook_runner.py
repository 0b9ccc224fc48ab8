"""The v1 contrib spelling of notebook steps: ``NotebookRunnerStep`` with ``NotebookRunConfig``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from ..compat import warn_cloud_only
from ..errors import ModelError
from .data import OutputData, PipelineData
from .steps import NotebookStep


class AzureMLNotebookHandler:
    """How a notebook is executed with papermill (v1 contrib ``AzureMLNotebookHandler``).

    ``timeout`` is the cell timeout in seconds. Options: ``log_output`` (echo cell output
    to papermill's log), ``kernel_name`` (the kernel to run, else the notebook's; one that
    is not installed is replaced by the step's Python kernel), ``progress_bar`` (kept; step
    logs never show progress bars) and ``cwd`` (ignored: the kernel starts in the step's
    working folder, its code snapshot). ``history``: metrics logged with
    ``Run.get_context()`` are always recorded; scrapbook scraps are not read.
    """

    #: The papermill options v1 accepts as keyword arguments.
    supported_options: ClassVar[list[str]] = ["progress_bar", "log_output", "kernel_name", "cwd"]

    def __init__(self, history: bool = True, timeout: float | None = None, **kwargs: Any) -> None:
        unknown = [k for k in kwargs if k not in self.supported_options]
        if unknown:
            raise ModelError(
                f"AzureMLNotebookHandler: unsupported option {unknown[0]!r}; the options are "
                + ", ".join(self.supported_options)
            )
        if kwargs.get("cwd") is not None:
            warn_cloud_only(
                "AzureMLNotebookHandler(cwd=...)",
                "the notebook's kernel starts in the step's working folder (its code snapshot)",
            )
        self.history = bool(history)
        self.timeout = timeout
        self.progress_bar = bool(kwargs.get("progress_bar", True))
        self.log_output = bool(kwargs.get("log_output", False))
        self.kernel_name: str | None = kwargs.get("kernel_name")
        self.cwd: str | None = kwargs.get("cwd")


class NotebookRunConfig:
    """Where a notebook lives and how it runs (v1 contrib ``NotebookRunConfig``).

    ``output_notebook`` names the executed copy (v1's default: ``NAME.output.ipynb``).
    ``run_config`` is created on first use when not given, so that v1 code can set
    ``config.run_config.environment`` afterwards.
    """

    #: v1's longest run (30 days), from ``ScriptRunConfig``.
    MAX_DURATION_SECONDS_DEFAULT: ClassVar[int] = 2592000

    def __init__(
        self,
        source_directory: str | os.PathLike[str] | None = None,
        notebook: str | os.PathLike[str] | None = None,
        output_notebook: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        handler: AzureMLNotebookHandler | None = None,
        run_config: Any = None,
    ) -> None:
        if notebook is None:
            raise ModelError("NotebookRunConfig needs a 'notebook'")
        self.source_directory = source_directory
        self.notebook = os.fspath(notebook)
        stem, ext = os.path.splitext(os.path.basename(self.notebook))
        self.output_notebook = output_notebook or f"{stem}.output{ext}"
        self.parameters = dict(parameters or {})
        self.handler = handler or AzureMLNotebookHandler()
        self._run_config = run_config

    @property
    def run_config(self) -> Any:
        """The run configuration (compute target, environment); a new one when none was given."""
        if self._run_config is None:
            from .runconfig import RunConfiguration

            self._run_config = RunConfiguration()
        return self._run_config

    @run_config.setter
    def run_config(self, value: Any) -> None:
        self._run_config = value


class NotebookRunnerStep(NotebookStep):
    """A notebook step configured by a ``NotebookRunConfig`` (v1 contrib ``NotebookRunnerStep``).

    ``params`` are added to the config's notebook ``parameters``. The executed notebook
    goes into the output named ``output_notebook_pipeline_data_name``: one of ``outputs``,
    or else a new PipelineData of that name (``step.output_notebook``), which later steps
    can take as an input.
    """

    def __init__(
        self,
        name: str | None = None,
        notebook_run_config: NotebookRunConfig | None = None,
        runconfig_pipeline_params: Mapping[str, Any] | None = None,
        compute_target: Any = None,
        params: Mapping[str, Any] | None = None,
        inputs: Iterable[Any] | None = None,
        outputs: Iterable[OutputData] | None = None,
        allow_reuse: bool = True,
        version: str | None = None,
        output_notebook_pipeline_data_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if notebook_run_config is None:
            raise ModelError("NotebookRunnerStep needs a 'notebook_run_config'")
        config = notebook_run_config
        outputs = list(outputs or [])
        output_notebook = None
        if output_notebook_pipeline_data_name is not None:
            output_notebook = _notebook_output(output_notebook_pipeline_data_name, outputs)
        self.notebook_run_config = config
        handler = config.handler
        super().__init__(
            config.notebook,
            source_directory=config.source_directory,
            parameters={**config.parameters, **dict(params or {})},
            inputs=inputs,
            outputs=outputs,
            name=name,
            kernel_name=getattr(handler, "kernel_name", None),
            output_notebook=output_notebook,
            log_output=getattr(handler, "log_output", False),
            cell_timeout=getattr(handler, "timeout", None),
            executed_notebook=config.output_notebook,
            allow_reuse=allow_reuse,
            compute_target=compute_target,
            runconfig=config._run_config,
            runconfig_pipeline_params=runconfig_pipeline_params,
            version=version,
            **kwargs,
        )


def _notebook_output(name: str, outputs: list[OutputData]) -> OutputData:
    """The output named ``name`` among ``outputs``, else a new PipelineData of that name."""
    if not isinstance(name, str) or not name.strip():
        raise ModelError(
            f"output_notebook_pipeline_data_name must be a non-empty string, got {name!r}"
        )
    matches = [o for o in outputs if o.name == name]
    return matches[0] if matches else PipelineData(name)
