"""Runs a notebook step inside a container: ``python3 -m ...nbrunner CONFIG.json``.

This module runs in the step's image, so it imports only the standard library and
papermill (and jupyter_pipelines.executors.warm_kernels, with jupyter_client, when it
imports). Its exit codes tell the executor what happened: 0 finished, ``MISSING`` when
papermill or ipykernel is not installed in the image, ``CELL_FAILED`` when a cell raised
(the cell and error are written to ``CONFIG.json.error``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..kernels import choose_kernel, kernel_options

MISSING = 97
CELL_FAILED = 98


def main(config_path: str) -> int:
    """Execute the notebook described by ``config_path``; returns the exit code."""
    with open(config_path) as fh:
        config = json.load(fh)
    try:
        import ipykernel  # noqa: F401
        import nbformat
        import papermill
    except ImportError as exc:
        print(f"jupyter_pipelines: {exc.name} is not installed in this image", file=sys.stderr)
        return MISSING
    nb = nbformat.read(config["notebook"], as_version=4)
    kernel = choose_kernel(nb.metadata, config.get("kernel_name"))
    if kernel.note:
        print(kernel.note, file=sys.stderr, flush=True)
    try:
        papermill.execute_notebook(
            nb,
            config["output_notebook"],
            parameters=config.get("parameters") or {},
            kernel_name=kernel.name,
            language=kernel.language,
            progress_bar=False,
            log_output=bool(config.get("log_output")),
            stdout_file=sys.stdout,
            stderr_file=sys.stderr,
            execution_timeout=config.get("cell_timeout"),
            cwd=None,
            **_quicker_kernel(kernel.name),
        )
    except papermill.PapermillExecutionError as exc:
        with open(config_path + ".error", "w") as fh:
            json.dump({"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}, fh)
        print(f"{exc.ename}: {exc.evalue}", file=sys.stderr)
        return CELL_FAILED
    return 0


def _quicker_kernel(name: str) -> dict[str, Any]:
    """nbclient options that cut a kernel's fixed costs, as for local notebook steps: a
    client ready without waiting 0.2 s more, ipykernel's history kept in memory.

    Each step has a container of its own, so a warm process there would serve one kernel
    only: kernels start the usual way. Empty when jupyter_client cannot do it here.
    """
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        from ..warm_kernels import StepKernelManager

        argv = KernelSpecManager().get_kernel_spec(name).argv
    except Exception:  # an unusual image: papermill's defaults
        return {}
    return {"kernel_manager_class": StepKernelManager, "extra_arguments": kernel_options(argv)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
