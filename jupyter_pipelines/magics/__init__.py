"""IPython magics: %%step cells and %pipeline commands build and run pipelines in notebooks.

``%load_ext jupyter_pipelines`` calls :func:`load_ipython_extension`; see docs/notebooks.md.
"""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%step`` and ``%pipeline`` in ``ipython`` (an InteractiveShell)."""
    from .magics import PipelineMagics

    ipython.register_magics(PipelineMagics)
