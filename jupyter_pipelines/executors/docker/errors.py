"""Engine errors translated into messages that say what to do."""

from __future__ import annotations

from ...errors import ExecutorError

NO_GPU = 'could not select device driver ""'


def start_error(exc: BaseException, step: str, image: str, command: list[str]) -> ExecutorError:
    """An ExecutorError explaining why the container of ``step`` did not start."""
    text = str(exc)
    if NO_GPU in text:
        return ExecutorError(
            f"step {step!r} asks for GPUs, but the Docker engine has no GPU support: install "
            "the NVIDIA container toolkit (nvidia-container-toolkit) on the engine's host and "
            f"restart the engine, or run the step without GPUs (engine: {text})"
        )
    if "executable file not found" in text or "no such file or directory" in text:
        return ExecutorError(
            f"step {step!r}: image {image!r} has no {command[0]!r} on its PATH; step images "
            "need a Python 3 (python3), and papermill + ipykernel for notebook steps"
        )
    return ExecutorError(f"the container of step {step!r} (image {image!r}) did not start: {text}")


def notebook_tools_missing(step: str, image: str, detail: str) -> str:
    """The error of a notebook step whose image lacks papermill or ipykernel."""
    why = detail.strip() or "papermill or ipykernel is missing"
    return (
        f"step {step!r}: image {image!r} cannot run notebooks ({why}); "
        "install them in the image (pip install papermill ipykernel), or give the step an "
        "Environment with pip packages papermill and ipykernel"
    )
