"""The ``%%step`` cell magic and the ``%pipeline`` line magic.

Both are thin: parsing here, the pipeline in :mod:`.session` and
:mod:`jupyter_pipelines.model.notebook_cells`. Errors of ours become IPython
``UsageError``s: one line naming the problem, no traceback.
"""

from __future__ import annotations

import argparse
import functools
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from ..errors import PipelinesError
from ..model.notebook_cells import cell_problems, parse_step_line
from .session import NotebookSession, notebook_path

F = TypeVar("F", bound=Callable[..., Any])

#: The variable holding the latest ``%pipeline run`` (a PipelineRun).
RUN_VARIABLE = "_pipeline_run"


def _usage_errors(func: F) -> F:
    """Turn PipelinesError into UsageError so the notebook shows one clear line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PipelinesError as exc:
            raise UsageError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


class _Parser(argparse.ArgumentParser):
    """argparse raising UsageError instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"%pipeline: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(f"%pipeline: {message or 'bad arguments'}".strip())


def pipeline_parser() -> argparse.ArgumentParser:
    """The parser of ``%pipeline COMMAND ...``."""
    parser = _Parser(prog="%pipeline", add_help=False, allow_abbrev=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("show", add_help=False)
    sub.add_parser("validate", add_help=False)
    sub.add_parser("status", add_help=False)
    sub.add_parser("steps", add_help=False)
    p = sub.add_parser("run", add_help=False, allow_abbrev=False)
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--experiment", "-e", default=None)
    p = sub.add_parser("wait", add_help=False, allow_abbrev=False)
    p.add_argument("--timeout", type=float, default=None)
    p = sub.add_parser("save", add_help=False)
    p.add_argument("file")
    p = sub.add_parser("remove", add_help=False)
    p.add_argument("step")
    return parser


def parse_pairs(items: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` -> dict; values stay text (the engine types them by the parameter)."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"%pipeline run: parameter {item!r} must be written NAME=VALUE")
        pairs[key.strip()] = value
    return pairs


@magics_class
class PipelineMagics(Magics):
    """``%%step NAME ...`` registers a cell as a step; ``%pipeline ...`` works on them all."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._session: NotebookSession | None = None

    @property
    def ipython(self) -> InteractiveShell:
        """The shell these magics are registered in."""
        assert self.shell is not None, "magics used before being registered in a shell"
        return self.shell

    @property
    def session(self) -> NotebookSession:
        """The kernel session's pipeline, created on first use."""
        if self._session is None:
            self._session = NotebookSession(notebook_path(self.ipython.user_ns))
        return self._session

    # -- %%step ------------------------------------------------------------------------
    @cell_magic
    @_usage_errors
    def step(self, line: str, cell: str) -> None:
        """``%%step NAME [--inputs a b] [--outputs c] [--params x=1] [--compute T]
        [--no-reuse] [--run]``: make this cell a step of the notebook's pipeline."""
        spec, run_now = parse_step_line(line, cell)
        self.session.register(spec)
        print(spec.summary())
        missing = [i for i in spec.inputs if self.session.producer_of(i) is None]
        if missing:
            print(f"  note: no step produces {', '.join(map(repr, missing))} yet")
        if run_now:
            values = self.session.bindings_for(spec)
            self.ipython.user_ns.update(values)
            print(f"running {spec.name!r} here; outputs go to scratch folders")
            self.ipython.run_cell(cell, store_history=False)  # type: ignore[no-untyped-call]

    # -- %pipeline ---------------------------------------------------------------------
    @line_magic
    @_usage_errors
    def pipeline(self, line: str) -> Any:
        """``%pipeline show|validate|run|wait|save FILE|status|steps|remove STEP``."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%pipeline: cannot parse {line!r}: {exc}") from None
        args = pipeline_parser().parse_args(words)
        return getattr(self, f"_cmd_{args.command}")(args)

    def _cmd_show(self, args: argparse.Namespace) -> None:
        from IPython.display import SVG, display

        from .draw import dag_svg, step_statuses

        for problem in cell_problems(list(self.session.cells.values())):
            print(f"problem: {problem}")
        run = self.session.latest_run()
        statuses = step_statuses(run) if run is not None else {}
        svg = SVG(dag_svg(self.session.graph(), statuses))  # type: ignore[no-untyped-call]
        display(svg)  # type: ignore[no-untyped-call]

    def _cmd_validate(self, args: argparse.Namespace) -> None:
        from ..engine.submit import check_pipeline

        problems = cell_problems(list(self.session.cells.values()))
        if problems:
            for problem in problems:
                print(f"error: {problem}")
            return
        issues = check_pipeline(self.session.workspace, self.session.build())
        for issue in issues:
            print(issue)
        if not any(i.severity == "error" for i in issues):
            print(f"pipeline {self.session.name!r} is valid ({len(self.session.cells)} steps)")

    def _cmd_run(self, args: argparse.Namespace) -> Any:
        """Submit, and return the run (``run = %pipeline run``), as ``%timeit -o`` returns
        its result: as a cell's last line IPython displays it, the live widget, once."""
        run = self.session.submit(parse_pairs(args.param), args.experiment)
        self.ipython.user_ns[RUN_VARIABLE] = run
        print(
            f"the run is this magic's value (also in {RUN_VARIABLE}): display it for the live "
            "view; '%pipeline wait' follows it to its end"
        )
        return run

    def _cmd_wait(self, args: argparse.Namespace) -> None:
        run = self.session.last_run
        if run is None:
            raise UsageError("%pipeline wait: no run yet; start one with '%pipeline run'")
        status = run.wait_for_completion(
            show_output=True, timeout_seconds=args.timeout, raise_on_error=False
        )
        print(f"run {run.id}: {status}")

    def _cmd_save(self, args: argparse.Namespace) -> None:
        path = Path(args.file)
        if not path.name.endswith(".pipeline.yaml"):
            raise UsageError(f"%pipeline save: {args.file!r} must end in .pipeline.yaml")
        self.session.build().save(path)
        print(f"saved {len(self.session.cells)} steps to {path}")

    def _cmd_status(self, args: argparse.Namespace) -> None:
        from .report import status_text

        run = self.session.latest_run()
        print(status_text(run) if run is not None else "no run yet: '%pipeline run' starts one")

    def _cmd_steps(self, args: argparse.Namespace) -> None:
        if not self.session.cells:
            print("no steps yet: declare cells with '%%step NAME'")
        for cell in self.session.cells.values():
            print(cell.summary().replace(" registered", "", 1))

    def _cmd_remove(self, args: argparse.Namespace) -> None:
        self.session.remove(args.step)
        print(f"step {args.step!r} removed")
