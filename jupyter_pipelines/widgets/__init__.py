"""The in-notebook run view: ``RunDetails(run).show()`` and the display of a ``PipelineRun``.

Importing this package registers :func:`show_run` as the engine's run display hook
(``engine/display.py``), so ``display(run)`` (or a run as a cell's last value) shows the
live widget. ``register(ipython)`` also registers the hook with IPython's display
formatter and is what ``load_ipython_extension`` calls. Without ipywidgets the run shows
as a static HTML render of its current state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.display import set_run_display
from ..engine.runs import PipelineRun

if TYPE_CHECKING:
    from .view import RunDetails

__all__ = ["RunDetails", "register", "show_run"]


def __getattr__(name: str) -> Any:
    if name == "RunDetails":
        from .view import RunDetails

        return RunDetails
    raise AttributeError(f"module 'jupyter_pipelines.widgets' has no attribute {name!r}")


def widgets_available() -> bool:
    """Whether ipywidgets can be imported in this process."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def show_run(run: PipelineRun) -> None:
    """Display ``run``: the live ``RunDetails`` widget, or static HTML without ipywidgets."""
    if widgets_available():
        from .view import RunDetails

        RunDetails(run).show()
        return
    from IPython.display import HTML, display

    from .render import static_html
    from .snapshot import read_snapshot

    display(HTML(static_html(read_snapshot(run))))  # type: ignore[no-untyped-call]


def _format(run: PipelineRun) -> None:
    show_run(run)


def register(ipython: Any = None) -> None:
    """Make ``display(run)`` show the run widget in ``ipython`` (the current shell by default)."""
    set_run_display(show_run)
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        ipython = get_ipython()
    if ipython is None:
        return
    ipython.display_formatter.ipython_display_formatter.for_type(PipelineRun, _format)


set_run_display(show_run)
