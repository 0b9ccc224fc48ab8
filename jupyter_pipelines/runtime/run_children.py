"""Child runs (v1: get_children, child_run, create_children, submit_child), over two hooks:
``_child_runs`` (the run's children) and ``_new_child`` (make one). Standard library only.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from ..compat import refused
from . import lookup

if TYPE_CHECKING:
    from .run import Run


class RunList(builtins.list["Run"]):
    """Runs as a list that ``next()`` also walks: v1's ``get_children`` returns a generator,
    and its batch-scoring tutorial takes the first step run with
    ``next(pipeline_run.get_children())``."""

    _position = 0

    def __next__(self) -> Run:
        if self._position >= len(self):
            raise StopIteration
        self._position += 1
        return self[self._position - 1]


class RunChildren:
    """The v1 members about a run's children."""

    def _child_runs(self) -> builtins.list[Run]:
        return []

    def _new_child(
        self, name: str | None, run_id: str | None, tags: dict[str, Any], status: str
    ) -> Run:
        raise NotImplementedError(f"{type(self).__name__} runs cannot have child runs")

    def get_children(
        self,
        recursive: bool = False,
        tags: Any = None,
        properties: Any = None,
        type: str | None = None,
        status: str | None = None,
    ) -> builtins.list[Run]:
        """The run's children (all descendants with ``recursive``), filtered: ``tags`` and
        ``properties`` are a name, a list of names or ``{name: value}``; ``type`` and
        ``status`` must equal the run's."""
        found: builtins.list[Run] = []
        for child in self._child_runs():
            found.append(child)
            if recursive:
                found.extend(child.get_children(recursive=True))
        return RunList(
            lookup.filter_runs(found, type=type, tags=tags, properties=properties, status=status)
        )

    def child_run(
        self, name: str | None = None, run_id: str | None = None, outputs: Any = None
    ) -> Run:
        """Start a child run, e.g. one per trial (``with run.child_run() as child: ...``)."""
        return self._new_child(name, run_id, {}, "Running")

    def create_children(
        self,
        count: int | None = None,
        tag_key: str | None = None,
        tag_values: builtins.list[Any] | None = None,
    ) -> builtins.list[Run]:
        """Create ``count`` child runs, or one per value of ``tag_values`` tagged ``tag_key``."""
        if count is None and tag_key is None and tag_values is None:
            raise ValueError("Either count or tag_key and tag_values must be set")
        if count is not None and (tag_key is not None or tag_values is not None):
            raise ValueError("count can not be set when tag_key and tag_values are set")
        if count is None and (tag_key is None or tag_values is None):
            raise ValueError("tag_key and tag_values must be given together")
        if count is not None:
            tag_key, tag_values = "azureml.batch_child_number", list(range(count))
        assert tag_key is not None and tag_values is not None
        if len(tag_values) > 100:
            raise ValueError("create_children can not create more than 100 runs")
        return [self._new_child(None, None, {tag_key: v}, "NotStarted") for v in tag_values]

    @refused(
        "submit a pipeline with Experiment(ws, name).submit(pipeline); to record a part of a "
        "step as a run of its own, use run.child_run()"
    )
    def submit_child(self, config: Any, tags: dict[str, Any] | None = None, **kwargs: Any) -> Run:
        """(Refused) v1 submits a ScriptRunConfig as a child run."""
        raise AssertionError("unreachable")
