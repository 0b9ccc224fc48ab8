"""How a PipelineRun finds its display: the engine's hook registry and ``widgets.register``."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from IPython.core.formatters import IPythonDisplayFormatter

from jupyter_pipelines.engine import display as registry
from jupyter_pipelines.engine.runs import PipelineRun


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(registry, "_hook", None)
    monkeypatch.setattr(registry, "_plugin_tried", False)
    yield


def test_the_plugin_module_registers_itself(clean_registry: None) -> None:
    import jupyter_pipelines.widgets as widgets

    assert registry.get_run_display() is widgets.show_run  # imported (or already) by name
    assert registry._plugin_tried


def test_a_registered_hook_is_what_the_run_displays_with(clean_registry: None) -> None:
    seen: list[Any] = []
    registry.set_run_display(seen.append)
    run = object.__new__(PipelineRun)
    run._ipython_display_()
    assert seen == [run]


def test_without_a_hook_the_run_shows_as_text(
    clean_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "PLUGIN_MODULE", "jupyter_pipelines.no_such_module")
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    registry.display_run("RUN")
    assert shown == [({"text/plain": "'RUN'"}, {"raw": True})]


def test_register_adds_a_display_formatter(clean_registry: None) -> None:
    from jupyter_pipelines import widgets

    formatter = IPythonDisplayFormatter()
    shell = SimpleNamespace(display_formatter=SimpleNamespace(ipython_display_formatter=formatter))
    widgets.register(shell)
    assert formatter.lookup_by_type(PipelineRun) is widgets._format
    assert registry._hook is widgets.show_run


def test_run_details_is_exported() -> None:
    import jupyter_pipelines
    from jupyter_pipelines.widgets.view import RunDetails

    assert jupyter_pipelines.RunDetails is RunDetails
