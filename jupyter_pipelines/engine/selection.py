"""Partial runs: which steps of a pipeline a run includes, and how each is treated.

- ``steps``: exactly these steps run; their upstream steps are pinned to their
  latest successful results.
- ``from_steps``: these steps run, and their downstream steps run or are reused by
  fingerprint; upstream steps are pinned.
- ``to_steps``: these steps and everything upstream of them, reused by fingerprint
  where possible; downstream steps are left out.
Both ``from_steps`` and ``to_steps``: the steps between them.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from ..errors import SelectionError, did_you_mean
from .reuse import FORCED, NORMAL, PINNED


def _names(graph: nx.DiGraph, names: Iterable[str] | str | None, what: str) -> set[str]:
    if names is None:
        return set()
    chosen = {names} if isinstance(names, str) else {getattr(n, "name", n) for n in names}
    for name in chosen:
        if name not in graph:
            raise SelectionError(
                f"{what}: the pipeline has no step {name!r}{did_you_mean(str(name), graph.nodes)}"
            )
    return chosen


def select_steps(
    graph: nx.DiGraph,
    steps: Iterable[str] | str | None = None,
    from_steps: Iterable[str] | str | None = None,
    to_steps: Iterable[str] | str | None = None,
) -> dict[str, str]:
    """Map each step the run includes to NORMAL, FORCED or PINNED."""
    only = _names(graph, steps, "steps")
    start = _names(graph, from_steps, "from_steps")
    end = _names(graph, to_steps, "to_steps")
    if only and (start or end):
        raise SelectionError("give either steps= or from_steps=/to_steps=, not both")
    if not (only or start or end):
        return dict.fromkeys(graph.nodes, NORMAL)
    if only:
        chosen = dict.fromkeys(only, FORCED)
    else:
        run = set(graph.nodes)
        if start:
            run &= start | {d for s in start for d in nx.descendants(graph, s)}
        if end:
            run &= end | {a for s in end for a in nx.ancestors(graph, s)}
        if not run:
            raise SelectionError(
                "from_steps and to_steps select no step: no path leads from "
                f"{sorted(start)} to {sorted(end)}"
            )
        chosen = {n: FORCED if n in start else NORMAL for n in run}
    for name in list(chosen):
        for upstream in nx.ancestors(graph, name):
            chosen.setdefault(upstream, PINNED)
    return chosen
