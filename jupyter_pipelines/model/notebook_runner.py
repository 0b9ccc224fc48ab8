"""The v1 contrib spelling of notebook steps: ``NotebookRunnerStep`` with ``NotebookRunConfig``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ModelError
from .data import OutputData, StepInput
from .steps import NotebookStep


class AzureMLNotebookHandler:
    """How a notebook is executed: cell timeout, progress bar, whether to echo its output."""

    def __init__(
        self, timeout: float | None = None, progress_bar: bool = True, log_output: bool = True
    ) -> None:
        self.timeout = timeout
        self.progress_bar = progress_bar
        self.log_output = log_output


class NotebookRunConfig:
    """Where a notebook lives and how it runs (v1 contrib ``NotebookRunConfig``)."""

    def __init__(
        self,
        source_directory: str | os.PathLike[str] | None = None,
        notebook: str | os.PathLike[str] | None = None,
        handler: AzureMLNotebookHandler | None = None,
        parameters: Mapping[str, Any] | None = None,
        run_config: Any = None,
        output_notebook: str | None = None,
    ) -> None:
        if notebook is None:
            raise ModelError("NotebookRunConfig needs a 'notebook'")
        self.source_directory = source_directory
        self.notebook = os.fspath(notebook)
        self.handler = handler or AzureMLNotebookHandler()
        self.parameters = dict(parameters or {})
        self.run_config = run_config
        self.output_notebook = output_notebook


class NotebookRunnerStep(NotebookStep):
    """A notebook step configured by a ``NotebookRunConfig`` (v1 contrib ``NotebookRunnerStep``).

    ``output_notebook_pipeline_data_name`` names one of ``outputs``; the executed
    notebook is written into it.
    """

    def __init__(
        self,
        name: str | None = None,
        notebook_run_config: NotebookRunConfig | None = None,
        runconfig_pipeline_params: Any = None,
        inputs: Iterable[StepInput | OutputData] | None = None,
        outputs: Iterable[OutputData] | None = None,
        allow_reuse: bool = True,
        compute_target: Any = None,
        version: str | None = None,
        output_notebook_pipeline_data_name: str | None = None,
        params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if notebook_run_config is None:
            raise ModelError("NotebookRunnerStep needs a 'notebook_run_config'")
        config = notebook_run_config
        outputs = list(outputs or [])
        output_notebook = None
        if output_notebook_pipeline_data_name is not None:
            matches = [o for o in outputs if o.name == output_notebook_pipeline_data_name]
            if not matches:
                names = ", ".join(repr(o.name) for o in outputs) or "none"
                raise ModelError(
                    f"output_notebook_pipeline_data_name {output_notebook_pipeline_data_name!r} "
                    f"is not one of the step's outputs ({names})"
                )
            output_notebook = matches[0]
        self.notebook_run_config = config
        timeout = kwargs.pop("timeout", None)
        super().__init__(
            config.notebook,
            source_directory=config.source_directory,
            parameters={**config.parameters, **dict(params or {})},
            inputs=inputs,
            outputs=outputs,
            name=name,
            output_notebook=output_notebook,
            log_output=config.handler.log_output,
            allow_reuse=allow_reuse,
            compute_target=compute_target,
            runconfig=config.run_config,
            cell_timeout=config.handler.timeout,
            timeout=timeout,
            **kwargs,
        )
