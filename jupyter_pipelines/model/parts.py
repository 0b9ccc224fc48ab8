"""What passes between the Pipeline class and the modules below it: parts in, a shape out.

Readers (pipeline files, Elyra files, v1 YAML, notebook cells) build a
:class:`PipelineParts` and ``Pipeline.from_parts`` turns it into a Pipeline; validation and
the file writer read any object of :class:`PipelineShape`. So ``pipeline.py`` imports them
and none of them imports ``pipeline.py``: imports go one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx

from .parameters import PipelineParameter
from .steps import PipelineStep


@dataclass
class PipelineParts:
    """A pipeline as read from somewhere, before it is a Pipeline: every step is listed."""

    steps: list[PipelineStep]
    name: str | None = None
    description: str | None = None
    parameters: list[PipelineParameter] = field(default_factory=list)
    #: Editor layout (node positions, viewport), kept apart from the semantics.
    layout: dict[str, Any] | None = None
    #: The file the parts were read from.
    source_path: str | None = None


class PipelineShape(Protocol):
    """What validation and the file writer read from a pipeline."""

    name: str | None
    description: str
    layout: dict[str, Any]
    source_path: str | None

    @property
    def steps(self) -> list[PipelineStep]: ...

    @property
    def graph(self) -> nx.DiGraph: ...

    @property
    def parameters(self) -> dict[str, PipelineParameter]: ...

    def parameter_definitions(self) -> dict[str, list[PipelineParameter]]: ...


def parameter_definitions(
    steps: list[PipelineStep], declared: list[PipelineParameter]
) -> dict[str, list[PipelineParameter]]:
    """Every distinct PipelineParameter object by name: declared ones, then those steps use.

    More than one object under a name is a conflict when their types or defaults differ
    (validation reports it).
    """
    found: dict[str, list[PipelineParameter]] = {}
    for p in declared:
        found.setdefault(p.name, []).append(p)
    for step in steps:
        in_inputs = [
            getattr(b, "dataset", None) or getattr(b, "path_on_datastore", None)
            for b in step.inputs
        ]
        # Steps whose settings may be parameters (ParallelRunStep's config) list them.
        own = getattr(step, "parameter_values", [])
        for value in [*step.arguments, *step.params.values(), *in_inputs, *own]:
            if isinstance(value, PipelineParameter):
                same = found.setdefault(value.name, [])
                if all(value is not p for p in same):
                    same.append(value)
    return found
