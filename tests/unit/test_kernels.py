"""Which kernel a notebook step starts: the one named when installed, else the step's Python."""

from __future__ import annotations

from jupyter_pipelines.executors.kernels import NATIVE_KERNEL, choose_kernel, installed_kernels

V1 = {"kernelspec": {"name": "python38-azureml", "language": "python"}}


def test_an_installed_kernel_is_kept_without_a_note() -> None:
    choice = choose_kernel(V1, available=["python38-azureml", "python3"])
    assert (choice.name, choice.language, choice.note) == ("python38-azureml", "python", None)


def test_a_missing_python_kernel_falls_back_with_one_note() -> None:
    choice = choose_kernel(V1, available=["python3"])
    assert (choice.name, choice.language) == (NATIVE_KERNEL, "python")
    assert choice.note == (
        "jupyter_pipelines: kernel 'python38-azureml' (named by the notebook's kernelspec) "
        "is not installed; the notebook runs on the step's Python kernel 'python3'"
    )


def test_the_step_s_kernel_wins_over_the_notebook_s() -> None:
    choice = choose_kernel(V1, requested="gpu-env", available=["python38-azureml"])
    assert choice.name == NATIVE_KERNEL
    assert choice.note is not None and "'gpu-env' (named by the step)" in choice.note
    assert choose_kernel(V1, "python38-azureml", ["python38-azureml"]).note is None


def test_no_kernelspec_means_python3_and_language_info_decides_the_language() -> None:
    assert choose_kernel({}, available=[]).name == NATIVE_KERNEL
    meta = {"kernelspec": {"name": "ir"}, "language_info": {"name": "R"}}
    choice = choose_kernel(meta, available=[])
    # Only Python notebooks fall back: an R notebook keeps its kernel, whose start fails.
    assert (choice.name, choice.language, choice.note) == ("ir", "R", None)


def test_the_installed_kernels_include_this_python() -> None:
    assert NATIVE_KERNEL in installed_kernels()
