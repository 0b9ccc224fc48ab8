"""The ``jupyter-pipelines`` command line (also ``jupyter pipelines``): parsing and exit codes.

Only argparse is imported up front so that ``--help`` answers fast; each command
imports what it needs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

#: Exit codes: every error class maps to one, in this one place.
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_FOUND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

#: Commands that read what a workspace holds (or act on runs, published pipelines and
#: schedules already in one): they never create a workspace, and say where they looked.
EXISTING_WORKSPACE = frozenset(
    {"runs", "show", "logs", "why", "cancel", "published", "endpoints", "schedules", "schedule"}
)
#: Commands that use a workspace when there is one and work without it.
OPTIONAL_WORKSPACE = frozenset({"validate", "describe"})


def count(text: str) -> int:
    """An argument that counts something: a whole number from 0 to 1,000,000,000 (argparse
    turns the ValueError into a usage error, exit 2)."""
    value = int(text)
    if not 0 <= value <= 10**9:
        raise ValueError(text)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of all commands."""
    parser = argparse.ArgumentParser(
        prog="jupyter-pipelines",
        description="Run Azure ML v1-style pipelines of notebooks, scripts and commands locally.",
    )
    parser.add_argument(
        "--workspace",
        "-w",
        metavar="PATH",
        help="workspace folder (default: nearest .pipelines/ upwards); before or after COMMAND",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text)

    for name, text in (
        ("run", "submit a pipeline file and follow it to the end"),
        ("submit", "submit a pipeline file, print the run id and return"),
    ):
        p = command(name, text)
        p.add_argument(
            "file", help="NAME.pipeline.yaml, an Elyra .pipeline file, or a notebook (--cells)"
        )
        p.add_argument(
            "--param",
            "-p",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="set a pipeline parameter (repeatable)",
        )
        p.add_argument(
            "--tag",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="tag the run (repeatable)",
        )
        p.add_argument("--experiment", "-e", help="experiment name (default: pipeline name)")
        p.add_argument(
            "--cells",
            action="store_true",
            help="FILE is a notebook: run its cells tagged step:NAME (or starting %%%%step)",
        )
        p.add_argument(
            "--continue-on-step-failure",
            action="store_true",
            help="let independent branches finish when a step fails",
        )
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument(
            "--regenerate",
            action="store_true",
            help="run every step, reusing nothing (v1 regenerate_outputs)",
        )
        p.add_argument(
            "--step",
            action="append",
            default=[],
            metavar="STEP",
            help="run only this step (repeatable); upstream results are reused",
        )
        p.add_argument(
            "--from",
            dest="from_step",
            action="append",
            default=[],
            metavar="STEP",
            help="run this step and everything downstream of it",
        )
        p.add_argument(
            "--to",
            dest="to_step",
            action="append",
            default=[],
            metavar="STEP",
            help="run everything up to and including this step",
        )
        if name == "run":
            p.add_argument("--quiet", "-q", action="store_true", help="no live progress")

    p = command("validate", "check a pipeline file and list every problem")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("describe", "show a pipeline's steps, data flow and parameters")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("runs", "list runs, newest first")
    p.add_argument("--experiment", "-e")
    p.add_argument("--status")
    p.add_argument("--limit", "-n", type=count, default=20)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("show", "show a run and its steps")
    p.add_argument("run", help="run id (a unique prefix is enough)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("logs", "print the logs of a run's step (or of every step)")
    p.add_argument("run")
    p.add_argument("step", nargs="?")
    p.add_argument("--stderr", action="store_true", help="only stderr")
    p.add_argument("--stdout", action="store_true", help="only stdout")
    p.add_argument("--tail", type=count, metavar="N", help="only the last N lines")

    p = command("why", "explain why a step of a run was reused or ran")
    p.add_argument("run", help="run id (a unique prefix is enough)")
    p.add_argument("step")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("cancel", "cancel a run: stop its running steps, skip the rest")
    p.add_argument("run")

    from . import publishing  # argparse only, like this module

    publishing.add_parsers(command)
    from . import schedules  # argparse only, like this module

    schedules.add_parsers(command)
    from . import envs  # argparse only, like this module

    envs.add_parsers(command)
    _accept_anywhere(parser)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of ``parser``'s commands (or of a command's actions)."""
    return [
        sub
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for sub in dict.fromkeys(action.choices.values())  # aliases share one parser
    ]


def _accept_anywhere(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """Let ``-w``/``--workspace`` and ``--json`` stand before or after the command.

    Below the top, both default to "not given" so that a command's parser never overwrites
    what was given before the command (argparse copies a sub-parser's defaults over it).
    """
    if top:
        parser.add_argument(
            "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON"
        )
    for sub in _subparsers(parser):
        sub.add_argument(
            "--workspace",
            "-w",
            metavar="PATH",
            default=argparse.SUPPRESS,
            help="workspace folder (also accepted before the command)",
        )
        json_options = [a for a in sub._actions if "--json" in a.option_strings]
        for action in json_options:
            action.default = argparse.SUPPRESS
        if not json_options:  # accepted, so that parse() can say this command has no JSON
            sub.add_argument(
                "--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
            )
        _accept_anywhere(sub, top=False)


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """The parser of the command (and action) ``args`` were parsed with."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or getattr(args, subs[0].dest, None) is None:
            return parser
        parser = subs[0].choices[getattr(args, subs[0].dest)]


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; ``--json`` for a command that prints no JSON is an error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = _command_parser(parser, args)
    if getattr(args, "json", False) and not any(
        "--json" in a.option_strings and a.help != argparse.SUPPRESS for a in command._actions
    ):
        name = command.prog.removeprefix(parser.prog + " ")
        parser.error(f"--json: '{name}' has no JSON output; leave --json out")
    args.json = getattr(args, "json", False)
    args.workspace = getattr(args, "workspace", None)
    return args


def _existing_workspace(args: argparse.Namespace) -> str | None:
    """Point ``args.workspace`` at the workspace that exists, creating none; when there is
    none, ``args.workspace`` is None and, unless the command can do without, the message
    to give: where it looked."""
    import os
    from pathlib import Path

    from ..stores.workspace_config import ENV_VAR, WORKSPACE_DIRNAME, nearest_root

    named_by = f"-w {args.workspace}" if args.workspace else f"${ENV_VAR}"
    given = args.workspace or os.environ.get(ENV_VAR)
    args.workspace = None
    if given:
        path = Path(given).expanduser().resolve()
        root = path.parent if path.name == WORKSPACE_DIRNAME else path
        if (root / WORKSPACE_DIRNAME).is_dir():
            args.workspace = str(root)
        where = f"in {str(root)!r} (named by {named_by}): it has no {WORKSPACE_DIRNAME}/ folder"
    else:
        found = nearest_root(Path.cwd())
        if found is not None and (found / WORKSPACE_DIRNAME).is_dir():
            args.workspace = str(found)
        where = (
            f"here: looked for a {WORKSPACE_DIRNAME}/ folder in {str(Path.cwd())!r} and every "
            f"folder above it (name one with -w PATH or ${ENV_VAR})"
        )
    if args.workspace is not None or args.command in OPTIONAL_WORKSPACE:
        return None
    return f"no workspace {where}. Running or submitting a pipeline creates one"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = parse(argv)
    if args.command in EXISTING_WORKSPACE | OPTIONAL_WORKSPACE:
        problem = _existing_workspace(args)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_NOT_FOUND
    from ..errors import (
        ModelError,
        ParameterError,
        PipelinesError,
        PipelineValidationError,
        PublishingError,
        SelectionError,
        UnknownPipelineEndpointError,
        UnknownPublishedPipelineError,
        UnknownRunError,
        UnknownScheduleError,
    )
    from . import commands, envs, publishing, schedules

    name = f"cmd_{args.command}"
    try:
        handler = (
            getattr(commands, name, None)
            or getattr(publishing, name, None)
            or getattr(envs, name, None)
            or getattr(schedules, name)
        )
        return int(handler(args))
    except PipelineValidationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ModelError, ParameterError, SelectionError, PublishingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (
        UnknownRunError,
        UnknownPublishedPipelineError,
        UnknownPipelineEndpointError,
        UnknownScheduleError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PipelinesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except RecursionError:  # our own readers bound depth; this is a last guard for others
        print(
            "error: the input is nested too deeply to read (lists or mappings inside one "
            "another beyond Python's recursion limit)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(
            "interrupted (the run goes on; stop it with 'jupyter-pipelines cancel RUN')",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
