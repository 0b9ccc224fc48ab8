"""Which kernel runs a notebook step: the one it names when installed, else the step's Python.

v1 notebooks name kernels of Azure ML compute instances (``python38-azureml``) that are
not installed here; v1 itself installs the running Python under such a name. A Python
notebook whose kernel is missing therefore runs on the Python kernel of the step's own
interpreter, and the step's log says so in one line. Both the local executor and the
Docker runner (``docker/nbrunner.py``, inside the step's image) use this module, so it
imports only the standard library (``jupyter_client`` when asked for the installed kernels).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The kernel of the interpreter that runs the step (``jupyter_client``'s native kernel).
NATIVE_KERNEL = "python3"
#: Options of an ipykernel started for a step: its input history is kept in memory, not
#: written to the user's ``~/.ipython`` database (a session per step; about 60 ms, and a
#: lock that kernels started at once wait for).
IPYKERNEL_OPTIONS = ("--HistoryManager.hist_file=:memory:",)


@dataclass(frozen=True)
class KernelChoice:
    """The kernel to start for a notebook, its language, and the log line when replaced."""

    name: str
    language: str
    note: str | None = None


def installed_kernels() -> Collection[str]:
    """The names of the kernels installed for this interpreter (its own included)."""
    from jupyter_client.kernelspec import KernelSpecManager

    names: Collection[str] = KernelSpecManager().find_kernel_specs().keys()
    return names


def choose_kernel(
    metadata: Mapping[str, Any],
    requested: str | None = None,
    available: Collection[str] | None = None,
) -> KernelChoice:
    """The kernel for a notebook with ``metadata``: ``requested``, else its kernelspec's.

    A Python notebook whose kernel is not among ``available`` (default: the installed
    kernels) gets :data:`NATIVE_KERNEL`, with a note for the step's log. Notebooks in
    other languages keep their kernel, so that starting it reports what is missing.
    """
    kernelspec = metadata.get("kernelspec") or {}
    wanted = requested or kernelspec.get("name") or NATIVE_KERNEL
    language = (
        (metadata.get("language_info") or {}).get("name") or kernelspec.get("language") or "python"
    )
    if wanted == NATIVE_KERNEL or str(language).lower() != "python":
        return KernelChoice(wanted, language)
    if wanted in (installed_kernels() if available is None else available):
        return KernelChoice(wanted, language)
    named_by = "the step" if requested else "the notebook's kernelspec"
    note = (
        f"jupyter_pipelines: kernel {wanted!r} (named by {named_by}) is not installed; "
        f"the notebook runs on the step's Python kernel {NATIVE_KERNEL!r}"
    )
    return KernelChoice(NATIVE_KERNEL, language, note)


def kernel_options(argv: Sequence[str]) -> list[str]:
    """Extra arguments for a kernel started with ``argv``: :data:`IPYKERNEL_OPTIONS` when
    it is an ipykernel (``python -m ipykernel_launcher ...``), else none."""
    for i, arg in enumerate(argv[:-1]):
        if arg == "-m" and argv[i + 1] in ("ipykernel_launcher", "ipykernel"):
            return list(IPYKERNEL_OPTIONS)
    return []
