"""HTML and SVG of a ``RunSnapshot``: the DAG, the steps table, the metrics and the whole page.

Everything is self-contained HTML with inline styles (no scripts), so the same text works
inside an ``ipywidgets.HTML`` and as the static ``text/html`` snapshot of a saved notebook.
Every step element carries ``data-step`` and a ``jp-run-<state>`` class, which the tests
(and a curious user) can select on.
"""

from __future__ import annotations

import html
import math
from typing import Any

import networkx as nx

from ..stores import status as st
from .snapshot import REUSED, RunSnapshot, StepView
from .text import duration_text, step_note

#: Fill colour per display state.
COLOURS: dict[str, str] = {
    st.NOT_STARTED: "#bdbdbd",
    st.QUEUED: "#bdbdbd",
    st.RUNNING: "#1e88e5",
    st.CANCEL_REQUESTED: "#fb8c00",
    REUSED: "#8e24aa",
    st.FINISHED: "#43a047",
    st.FAILED: "#e53935",
    st.CANCELED: "#757575",
}

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 150, 40, 60, 18, 10


def css_class(state: str) -> str:
    """The CSS class of a display state: ``jp-run-finished``, ``jp-run-reused``, ..."""
    return "jp-run-" + state.lower()


def colour(state: str) -> str:
    """The fill colour of a display state."""
    return COLOURS.get(state, "#bdbdbd")


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def layout(steps: list[StepView]) -> dict[str, tuple[float, float]]:
    """Top-left corner of each step's box: topological generations as columns."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    names = [s.name for s in steps]
    graph.add_nodes_from(names)
    graph.add_edges_from((d, s.name) for s in steps for d in s.depends if d in graph)
    order = {n: i for i, n in enumerate(names)}
    try:
        generations = [sorted(g, key=order.__getitem__) for g in nx.topological_generations(graph)]
    except nx.NetworkXUnfeasible:  # a cycle cannot be run; show the steps in one column
        generations = [names]
    return {
        name: (PAD + col * (NODE_W + GAP_X), PAD + row * (NODE_H + GAP_Y))
        for col, generation in enumerate(generations)
        for row, name in enumerate(generation)
    }


def dag_svg(snapshot: RunSnapshot) -> str:
    """The pipeline's DAG as SVG, each step a box coloured by its state."""
    pos = layout(snapshot.steps)
    width = max((x for x, _ in pos.values()), default=0) + NODE_W + PAD
    height = max((y for _, y in pos.values()), default=0) + NODE_H + PAD
    parts = [
        f'<svg class="jp-run-dag" xmlns="http://www.w3.org/2000/svg" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" font-family="sans-serif" '
        'font-size="12">',
        '<defs><marker id="jp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#757575"/></marker>'
        "</defs>",
    ]
    for s in snapshot.steps:
        for dep in s.depends:
            if dep not in pos:
                continue
            x1, y1 = pos[dep][0] + NODE_W, pos[dep][1] + NODE_H / 2
            x2, y2 = pos[s.name][0], pos[s.name][1] + NODE_H / 2
            mid = (x1 + x2) / 2
            parts.append(
                f'<path class="jp-run-edge" d="M{x1:g},{y1:g} '
                f'C{mid:g},{y1:g} {mid:g},{y2:g} {x2:g},{y2:g}" '
                'fill="none" stroke="#9e9e9e" stroke-width="1.5" marker-end="url(#jp-arrow)"/>'
            )
    for s in snapshot.steps:
        x, y = pos[s.name]
        label = s.name if len(s.name) <= 20 else s.name[:19] + "…"
        parts.append(
            f'<g class="jp-run-step {css_class(s.state)}" data-step="{_esc(s.name)}" '
            f'data-status="{_esc(s.state)}"><title>{_esc(s.name)}: {_esc(s.state)}</title>'
            f'<rect x="{x:g}" y="{y:g}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{colour(s.state)}" stroke="#424242" stroke-width="1"/>'
            f'<text x="{x + NODE_W / 2:g}" y="{y + 16:g}" text-anchor="middle" fill="white" '
            f'font-weight="bold">{_esc(label)}</text>'
            f'<text x="{x + NODE_W / 2:g}" y="{y + 31:g}" text-anchor="middle" fill="white" '
            f'font-size="10">{_esc(s.state)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


_TABLE = 'style="border-collapse:collapse;font-size:12px;font-family:sans-serif"'
_CELL = 'style="border:1px solid #e0e0e0;padding:2px 8px;text-align:left"'


def placement_html(step: StepView) -> str:
    """Where a Dask step ran: "ran on <worker>" and a link to its cluster's dashboard ('' else)."""
    parts = [f"ran on {_esc(step.worker)}"] if step.worker else []
    link = step.dashboard_link or ""
    if link.startswith(("http://", "https://")):
        parts.append(f'<a href="{_esc(link)}" target="_blank" rel="noopener">Dask dashboard</a>')
    return f'<br><small class="jp-run-placement">{" · ".join(parts)}</small>' if parts else ""


def steps_table(snapshot: RunSnapshot) -> str:
    """An HTML table of the steps: status, duration, reused from."""
    rows = [
        f"<tr><th {_CELL}>Step</th><th {_CELL}>Status</th><th {_CELL}>Duration</th>"
        f"<th {_CELL}>Reused from</th></tr>"
    ]
    for s in snapshot.steps:
        dot = f'<span style="color:{colour(s.state)}">●</span>'
        note = step_note(s) if s.error else ""
        error = f"<br><small>{_esc(note)}</small>" if note else ""
        reused = _esc(s.reused_from) if s.reused_from else ""
        rows.append(
            f'<tr class="jp-run-row {css_class(s.state)}" data-step="{_esc(s.name)}">'
            f"<td {_CELL}>{_esc(s.name)}</td><td {_CELL}>{dot} {_esc(s.status)}{error}"
            f"{placement_html(s)}</td>"
            f"<td {_CELL}>{duration_text(s.duration)}</td><td {_CELL}>{reused}</td></tr>"
        )
    return f'<table class="jp-run-steps" {_TABLE}>{"".join(rows)}</table>'


def _numbers(value: Any) -> list[float] | None:
    numeric = isinstance(value, list) and len(value) >= 2
    if numeric and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return None


def line_chart(name: str, values: list[float], width: int = 220, height: int = 80) -> str:
    """A small SVG line chart of a list metric, with its last value and range."""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = (width - 2 * PAD) / (len(values) - 1)
    top, plot_h = 18, height - 18 - PAD
    points = " ".join(
        f"{PAD + i * step:.1f},{top + plot_h - (v - lo) / span * plot_h:.1f}"
        for i, v in enumerate(values)
        if math.isfinite(v)
    )
    return (
        f'<svg class="jp-run-chart" data-metric="{_esc(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="10">'
        f'<rect width="{width}" height="{height}" fill="#fafafa" stroke="#e0e0e0"/>'
        f'<text x="{PAD}" y="12">{_esc(name)}: {values[-1]:g} (min {lo:g}, max {hi:g})</text>'
        f'<polyline points="{points}" fill="none" stroke="#1e88e5" stroke-width="1.5"/></svg>'
    )


def metrics_html(snapshot: RunSnapshot) -> str:
    """Scalar metrics as a table (step, name, value) and list metrics as line charts."""
    rows, charts = [], []
    for s in snapshot.steps:
        for name, value in s.metrics.items():
            series = _numbers(value)
            if series is not None:
                charts.append(line_chart(f"{s.name}.{name}", series))
                continue
            if isinstance(value, dict):  # a table metric: show its columns and row count
                count = max((len(v) for v in value.values() if isinstance(v, list)), default=0)
                value = f"table {', '.join(map(str, value))} ({count} rows)"
            rows.append(
                f'<tr class="jp-run-metric" data-step="{_esc(s.name)}" data-metric="{_esc(name)}">'
                f"<td {_CELL}>{_esc(s.name)}</td><td {_CELL}>{_esc(name)}</td>"
                f"<td {_CELL}>{_esc(value)}</td></tr>"
            )
    if not rows and not charts:
        return '<div class="jp-run-metrics"><i>No metrics logged yet.</i></div>'
    table = (
        f"<table {_TABLE}><tr><th {_CELL}>Step</th><th {_CELL}>Metric</th>"
        f"<th {_CELL}>Value</th></tr>{''.join(rows)}</table>"
        if rows
        else ""
    )
    return (
        f'<div class="jp-run-metrics">{table}'
        f'<div style="display:flex;flex-wrap:wrap;gap:6px;margin-top:6px">{"".join(charts)}</div>'
        "</div>"
    )


def header_html(snapshot: RunSnapshot) -> str:
    """One line: run name, id, experiment and status."""
    took = ""
    if snapshot.started and snapshot.ended:
        took = f" · {duration_text(snapshot.ended - snapshot.started)}"
    error = (
        f'<div style="color:{colour(st.FAILED)}">{_esc(snapshot.error.splitlines()[0])}</div>'
        if snapshot.error and snapshot.status != st.FINISHED
        else ""
    )
    return (
        f'<div class="jp-run-header {css_class(snapshot.status)}" '
        f'data-run="{_esc(snapshot.run_id)}"'
        ' style="font-family:sans-serif;font-size:13px">'
        f"<b>{_esc(snapshot.name)}</b> · run {_esc(snapshot.run_id)} · experiment "
        f"{_esc(snapshot.experiment)} · "
        f'<b style="color:{colour(snapshot.status)}">{_esc(snapshot.status)}</b>{took}{error}</div>'
    )


def log_html(step: str | None, text: str) -> str:
    """The log panel's content: the selected step's log text, escaped, in a scrolling box."""
    body = _esc(text) if text else "<i>(no output yet)</i>"
    return (
        f'<pre class="jp-run-log" data-step="{_esc(step or "")}" style="max-height:240px;'
        "overflow:auto;font-size:11px;background:#fafafa;border:1px solid #e0e0e0;"
        f'padding:4px;margin:0;white-space:pre-wrap">{body}</pre>'
    )


def static_html(snapshot: RunSnapshot) -> str:
    """The whole view as one static HTML block (the notebook's saved snapshot)."""
    return (
        f'<div class="jp-run-details" data-run="{_esc(snapshot.run_id)}">'
        f"{header_html(snapshot)}<div style='overflow-x:auto'>{dag_svg(snapshot)}</div>"
        f"{steps_table(snapshot)}<div style='margin-top:6px'>{metrics_html(snapshot)}</div></div>"
    )
