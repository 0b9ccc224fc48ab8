"""The CLI's commands: each parses nothing, calls the engine and presents the result."""

from __future__ import annotations

import argparse
import sys

from ..engine.describe import default_experiment_name, describe_pipeline
from ..engine.experiment import Experiment
from ..engine.progress import follow_run
from ..engine.recovery import reap_orphaned_runs
from ..engine.runs import PipelineRun
from ..engine.submit import check_pipeline
from ..errors import ModelError
from ..model.pipeline import Pipeline
from ..stores import status as st
from ..stores.workspace import Workspace
from . import output


def _workspace(args: argparse.Namespace) -> Workspace:
    return Workspace.at(args.workspace) if args.workspace else Workspace.from_config()


def _pairs(items: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ModelError(f"{what} {item!r} must be written NAME=VALUE")
        pairs[key] = value
    return pairs


def _submit(args: argparse.Namespace) -> PipelineRun:
    ws = _workspace(args)
    if args.cells:
        pipeline = Pipeline.from_notebook(args.file, workspace=ws)
    else:
        pipeline = Pipeline.load(args.file, workspace=ws)
    experiment = Experiment(ws, args.experiment or default_experiment_name(pipeline, args.file))
    run: PipelineRun = experiment.submit(
        pipeline,
        tags=_pairs(args.tag, "tag"),
        pipeline_parameters=_pairs(args.param, "parameter"),
        continue_on_step_failure=args.continue_on_step_failure,
        regenerate_outputs=args.regenerate,
        steps=args.step or None,
        from_steps=args.from_step or None,
        to_steps=args.to_step or None,
        show_output=False,
    )
    if not args.json and not getattr(args, "quiet", False):
        print(run.describe_plan(), file=sys.stderr)
    return run


def cmd_submit(args: argparse.Namespace) -> int:
    run = _submit(args)
    if args.json:
        output.print_json({"run_id": run.id, "experiment": run.experiment.name})
    else:
        print(run.id)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    run = _submit(args)  # says "Submitted run ..." with its plan, unless --json or --quiet
    # Progress goes to stderr, keeping stdout for results (wait_for_completion prints to
    # stdout, as v1's does).
    status = follow_run(run, show_output=not (args.json or args.quiet), stream=sys.stderr)
    if args.json:
        output.print_json(output.run_document(run))
    return 0 if status == st.FINISHED else 1


def cmd_validate(args: argparse.Namespace) -> int:
    pipeline = Pipeline.load(args.file)
    # Validating only reads: main() named the existing workspace, if any; none is created.
    ws = Workspace.at(args.workspace) if args.workspace else None
    issues = check_pipeline(ws, pipeline)
    errors = [i for i in issues if i.severity == "error"]
    if args.json:
        output.print_json(
            {"file": args.file, "valid": not errors, "issues": [i.to_dict() for i in issues]}
        )
    else:
        for issue in issues:
            print(f"{args.file}: {issue}")
        if not errors:
            warned = len(issues)
            note = f", {warned} warning{'s' if warned > 1 else ''}" if warned else ""
            print(f"{args.file}: valid ({len(pipeline.steps)} steps{note})")
    return 1 if errors else 0


def cmd_describe(args: argparse.Namespace) -> int:
    pipeline = Pipeline.load(args.file)
    doc = describe_pipeline(pipeline)
    if args.json:
        output.print_json(doc)
    else:
        output.print_description(doc)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    ws = _workspace(args)
    reap_orphaned_runs(ws.run_store)  # a run whose driver died is listed Failed, not Running
    records = ws.run_store.list_runs(
        experiment=args.experiment, status=args.status, limit=args.limit
    )
    rows = [output.run_row(ws, r) for r in records]
    if args.json:
        output.print_json(rows)
    else:
        output.print_table(
            rows,
            ["id", "experiment", "status", "started", "ended", "duration", "steps", "reused"],
        )
    return 0


def _run(args: argparse.Namespace) -> PipelineRun:
    ws = _workspace(args)
    record = ws.run_store.get_run(args.run)
    return PipelineRun(Experiment(ws, record.experiment), record.id)


def cmd_show(args: argparse.Namespace) -> int:
    run = _run(args).refresh()
    doc = output.run_document(run)
    if args.json:
        output.print_json(doc)
    else:
        output.print_run(doc)
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    run = _run(args)
    steps = [run.get_step_run(args.step)] if args.step else run.get_steps()
    streams = ["stdout", "stderr"]
    if args.stdout != args.stderr:
        streams = ["stdout"] if args.stdout else ["stderr"]
    for step in steps:
        spec = step.origin_record().spec
        for stream in streams:
            if len(steps) > 1 or len(streams) > 1:
                print(f"==> {step.name} {stream} <==")
            output.print_log(str(spec.get(f"{stream}_path") or ""), args.tail)
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    step = _run(args).get_step_run(args.step)
    info = step.get_reuse_info()
    if args.json:
        output.print_json(info)
    else:
        output.print_reuse_info(info)
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    run = _run(args)
    before = run.get_status()
    run.cancel()
    if before in st.TERMINAL:
        print(f"run {run.id} already ended: {before}")
    else:
        print(f"run {run.id}: cancel requested")
    return 0
