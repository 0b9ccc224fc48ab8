"""A pipeline's DAG as a small self-contained SVG: layered left to right, no graphviz needed."""

from __future__ import annotations

from html import escape
from typing import Any

import networkx as nx

from ..stores import status as st

NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 150, 40, 70, 24, 12

#: Fill colour of a node by its latest status ("Reused" is a finished, reused step).
COLOURS = {
    st.FINISHED: "#c8e6c9",
    "Reused": "#e0e0e0",
    st.RUNNING: "#bbdefb",
    st.FAILED: "#ffcdd2",
    st.CANCELED: "#ffe0b2",
}
DEFAULT_FILL = "#ffffff"


def layers(graph: nx.DiGraph) -> list[list[str]]:
    """Nodes by generation (a node comes after all it waits for); one per layer on a cycle."""
    try:
        return [list(g) for g in nx.topological_generations(graph)]
    except nx.NetworkXUnfeasible:
        return [[n] for n in graph.nodes]


def dag_svg(graph: nx.DiGraph, statuses: dict[str, str] | None = None) -> str:
    """The SVG text of ``graph``: a box per step, an arrow per edge labelled by its data names.

    ``statuses`` (step -> status, or "Reused") colours the boxes and is written under names.
    """
    statuses = statuses or {}
    pos: dict[str, tuple[float, float]] = {}
    columns = layers(graph)
    for col, names in enumerate(columns):
        for row, name in enumerate(names):
            pos[name] = (MARGIN + col * (NODE_W + GAP_X), MARGIN + row * (NODE_H + GAP_Y))
    width = MARGIN * 2 + max(len(columns), 1) * (NODE_W + GAP_X) - GAP_X
    height = MARGIN * 2 + max((len(c) for c in columns), default=1) * (NODE_H + GAP_Y) - GAP_Y
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<defs><marker id="jp-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker>'
        "</defs>",
    ]
    for source, target, data in graph.edges(data=True):
        parts += _edge(pos[source], pos[target], ", ".join(data.get("names", [])))
    for name in graph.nodes:
        parts += _node(name, pos[name], statuses.get(name))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(a: tuple[float, float], b: tuple[float, float], label: str) -> list[str]:
    x1, y1 = a[0] + NODE_W, a[1] + NODE_H / 2
    x2, y2 = b[0], b[1] + NODE_H / 2
    mid = (x1 + x2) / 2
    path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
    out = [f'<path class="edge" d="{path}" fill="none" stroke="#555" marker-end="url(#jp-arrow)"/>']
    if label:
        out.append(
            f'<text x="{mid}" y="{(y1 + y2) / 2 - 4}" text-anchor="middle" '
            f'fill="#555" font-size="10">{escape(label)}</text>'
        )
    return out


def _node(name: str, at: tuple[float, float], status: str | None) -> list[str]:
    x, y = at
    fill = COLOURS.get(status or "", DEFAULT_FILL)
    label_y = y + (NODE_H / 2 - 2 if status else NODE_H / 2 + 4)
    out = [
        f'<g class="node" data-step="{escape(name)}">',
        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" '
        f'fill="{fill}" stroke="#333"/>',
        f'<text x="{x + NODE_W / 2}" y="{label_y}" text-anchor="middle">{escape(name)}</text>',
    ]
    if status:
        out.append(
            f'<text x="{x + NODE_W / 2}" y="{y + NODE_H - 6}" text-anchor="middle" '
            f'font-size="10" fill="#333">{escape(status)}</text>'
        )
    out.append("</g>")
    return out


def step_statuses(run: Any) -> dict[str, str]:
    """Step name -> status of a PipelineRun, "Reused" for reused steps."""
    return {s.name: ("Reused" if s.is_reused else s.status) for s in run.get_steps()}
