"""``RunDetails``: the live ipywidgets view of a pipeline run (v1 ``RunDetails(run).show()``).

The view is a VBox of ``ipywidgets.HTML`` parts (header, DAG, steps table, log panel,
metrics) and a Dropdown choosing the step whose log is shown. A daemon thread follows the
run and sets the parts' values: on each message of the events WebSocket of a Jupyter server
serving the run's workspace, else by reading the run store every ``poll_seconds`` (see
``source.py``); it stops when the run ends. The
display is a bundle of the widget view and a static ``text/html`` render of the same
snapshot, updated (``update_display``) when the run ends, so a saved notebook shows the
final state without widget state. Because messages sent from a thread may not be tied to
any cell (papermill/nbclient keep only the executing cell's messages), every view that is
still live is also refreshed on the kernel's main thread after each cell runs
(IPython's ``post_run_cell`` event, see :func:`after_cell`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..engine.runs import PipelineRun, StepRun
from ..stores import status as st
from . import render, text
from .snapshot import LogFollower, RunSnapshot, read_snapshot
from .source import RunSource, StoreSource, open_source

#: Views shown and not yet finalized on the main thread (refreshed after each cell).
_LIVE: weakref.WeakSet[RunDetails] = weakref.WeakSet()


class RunDetails:
    """The live view of a ``PipelineRun``: DAG by status, steps, a step's log, metrics.

    ``run_instance`` is a ``PipelineRun``, or a ``StepRun`` (its pipeline run is shown,
    with that step's log). ``poll_seconds`` is how often the run store is read when no
    Jupyter server streams the run's events; ``use_server=False`` always polls.
    """

    def __init__(
        self,
        run_instance: PipelineRun | StepRun,
        *,
        poll_seconds: float = 0.5,
        use_server: bool = True,
    ) -> None:
        step = None
        if isinstance(run_instance, StepRun):
            step, run_instance = run_instance.name, run_instance.parent
        if not isinstance(run_instance, PipelineRun):
            raise TypeError(
                f"RunDetails expects a PipelineRun or a StepRun, got {type(run_instance).__name__}"
            )
        self.run = run_instance
        #: The settings given to ``show`` (v1's ``widget_settings``; ``debug`` is known).
        self.settings: dict[str, Any] = {}
        self.poll_seconds = poll_seconds
        self.use_server = use_server
        #: What the following thread follows: None until it starts, then an ``EventSource``
        #: (a server's event stream) or a ``StoreSource`` (polling; also after a failure).
        self.source: RunSource | None = None
        self.snapshot: RunSnapshot = read_snapshot(self.run)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handle: Any = None
        self._finalized = False
        self._follow_running = True  # the log panel follows the running step until one is picked
        self._setting_step = False
        self._log = LogFollower()

        names = [s.name for s in self.snapshot.steps]
        self.header = w.HTML()
        self.dag = w.HTML()
        self.table = w.HTML()
        self.step_picker = w.Dropdown(
            options=names, value=names[0] if names else None, description="Log of"
        )
        self.log = w.HTML()
        self.metrics = w.HTML()
        self.widget = w.VBox(
            [
                self.header,
                self.dag,
                self.table,
                w.HTML("<b>Logs</b>"),
                self.step_picker,
                self.log,
                w.HTML("<b>Metrics</b>"),
                self.metrics,
            ],
            layout=w.Layout(width="100%"),
        )
        self.step_picker.observe(self._picked, names="value")
        if step is not None:
            self.select_step(step)
        self._render(self.snapshot)

    @property
    def run_instance(self) -> PipelineRun:
        """The pipeline run the view shows (v1's name for it)."""
        return self.run

    # -- state --------------------------------------------------------------------------
    @property
    def selected_step(self) -> str | None:
        """The step whose log the panel shows."""
        value = self.step_picker.value
        return str(value) if value is not None else None

    def select_step(self, name: str) -> None:
        """Show the log of step ``name`` (as a user picking it in the dropdown)."""
        self.step_picker.value = name

    def _picked(self, change: dict[str, Any]) -> None:
        with self._lock:
            if not self._setting_step:
                self._follow_running = False
            self._log.reset()
            self._render_log(self.snapshot)

    def update(self) -> RunSnapshot:
        """Read the run store once and update every part; returns the new snapshot."""
        with self._lock:
            self.snapshot = read_snapshot(self.run, self.snapshot)
            self._render(self.snapshot)
            return self.snapshot

    def _render(self, snap: RunSnapshot) -> None:
        if self._follow_running:
            running = [s.name for s in snap.steps if s.status == st.RUNNING]
            if running and self.selected_step not in running:
                self._setting_step = True
                try:
                    self.step_picker.value = running[0]
                finally:
                    self._setting_step = False
        self.header.value = render.header_html(snap)
        self.dag.value = render.dag_svg(snap)
        self.table.value = render.steps_table(snap)
        self.metrics.value = render.metrics_html(snap)
        self._render_log(snap)

    def _render_log(self, snap: RunSnapshot) -> None:
        name = self.selected_step
        paths: dict[str, str] = {}
        if name is not None:
            try:
                paths = snap.step(name).log_paths
            except KeyError:
                paths = {}
        self._log.read(paths)
        self.log.value = render.log_html(name, self._log.text)

    @property
    def log_text(self) -> str:
        """The text the log panel shows for the selected step."""
        return self._log.text

    def static_html(self) -> str:
        """The current snapshot as static HTML (what a notebook without widget state shows)."""
        return render.static_html(self.snapshot)

    # -- display ------------------------------------------------------------------------
    def mimebundle(self) -> dict[str, Any]:
        """The display data: the widget view, a static HTML render and a text line."""
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = repr(self.run)
        return bundle

    def get_widget_data(self, widget_settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the view shows, read now: the run, its steps (status, times, reuse, error,
        metrics, log files), as JSON-ready data."""
        self.settings = {**self.settings, **(widget_settings or {})}
        return self.update().to_dict()

    def show(
        self,
        render_lib: Callable[[str], Any] | None = None,
        widget_settings: dict[str, Any] | None = None,
    ) -> RunDetails:
        """Display the view under the current cell and follow the run until it ends.

        With ``render_lib`` (a function that displays HTML, as Databricks' ``displayHTML``)
        the current state is given to it as HTML. Outside a notebook (a plain ``python
        script.py``, a terminal) the current state is printed as a text table.
        """
        self.settings = {**self.settings, **(widget_settings or {})}
        if render_lib is not None:
            render_lib(self.static_html())
            return self
        if not _in_kernel():
            print(text.status_table(self.update()))
            return self
        from IPython.display import display

        self._handle = display(self.mimebundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if self.snapshot.done:
            self._finalized = True
            return self
        _LIVE.add(self)
        _watch_cells()
        self.start()
        return self

    def _ipython_display_(self) -> None:
        self.show()

    def start(self) -> None:
        """Start the following thread (once); it stops by itself when the run ends."""
        if self._thread is not None or self.snapshot.done:
            return
        self._thread = threading.Thread(
            target=self._follow, name=f"RunDetails-{self.run.id[:8]}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop following the run (the view keeps its last state)."""
        self._stop.set()

    @property
    def following(self) -> bool:
        """Whether the following thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _follow(self) -> None:
        """The thread: the server's event stream when one serves the run, else the store."""
        self.source = open_source(
            self.run.workspace.root, self.run.id, self.poll_seconds, self.use_server
        )
        if not self.source.follow(self._refresh, self._stop) and not self._stop.is_set():
            self.source = StoreSource(self.poll_seconds)  # the stream failed: poll instead
            self.source.follow(self._refresh, self._stop)

    def _refresh(self, message: dict[str, Any] | None = None) -> bool:
        """Read the run again (a source says it may have changed); True once it has ended."""
        try:
            snap = self.update()
        except Exception:  # the store went away (workspace deleted): stop quietly
            return True
        if snap.done:
            self._publish()
        return snap.done

    def _publish(self) -> None:
        """Replace the display's static HTML with the current snapshot."""
        if self._handle is not None:
            self._handle.update(self.mimebundle(), raw=True)

    def refresh_from_main_thread(self) -> None:
        """Update now; when the run has ended, publish the final state for good.

        Called after each cell (``post_run_cell``), on the kernel's main thread, so that
        the messages belong to a cell and headless runners (papermill) record them.
        """
        with self._lock:
            snap = self.update()
            if not snap.done:
                return
            self.stop()
            for part in (self.widget, *self.widget.children):
                part.send_state()  # the whole state again: values set from the thread may
            self._publish()  # not have been recorded by a headless runner
            self._finalized = True
        _LIVE.discard(self)

    def wait(self, timeout: float | None = None) -> RunSnapshot:
        """Block until the following thread ends (the run ended or ``stop``); the last snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot

    def __repr__(self) -> str:
        return f"RunDetails(run={self.run.id!r}, status={self.snapshot.status!r})"


def after_cell(*_: Any) -> None:
    """IPython ``post_run_cell`` handler: refresh every live view on the main thread."""
    for view in list(_LIVE):
        try:
            view.refresh_from_main_thread()
        except Exception:
            _LIVE.discard(view)


def _in_kernel() -> bool:
    """Whether this process is a Jupyter kernel (where a widget can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _watch_cells() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None:
        return
    callbacks = ip.events.callbacks.get("post_run_cell", [])
    if after_cell not in callbacks:
        ip.events.register("post_run_cell", after_cell)
