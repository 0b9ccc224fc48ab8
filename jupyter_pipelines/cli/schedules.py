"""The CLI's schedule commands: ``schedules`` (list) and ``schedule create|show|enable|disable|
delete``. Only argparse is needed to build their parsers; each command imports what it uses.

A schedule is fired by the scheduler of the Jupyter server serving the workspace; ``schedule
create`` says when none runs (``jupyter-pipelines serve`` starts one).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

Command = Callable[[str, str], argparse.ArgumentParser]
UNITS = ("Minute", "Hour", "Day", "Week", "Month")


def add_parsers(command: Command) -> None:
    """Add the schedule commands to the CLI (``command(name, help)`` makes a sub-parser)."""
    p = command("schedules", "list schedules: when each fires, its next fire and last run")
    p.add_argument("--all", "-a", action="store_true", help="include Disabled ones")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("schedule", "create, show, enable, disable or delete a schedule")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="schedule a published pipeline or an endpoint")
    _create_arguments(create)
    for action, text in (
        ("show", "show a schedule and its last fires"),
        ("enable", "make a schedule Active (it fires from its next fire after now)"),
        ("disable", "make a schedule Disabled (it no longer fires)"),
        ("delete", "delete a schedule and its fire history (its runs stay)"),
    ):
        one = actions.add_parser(action, help=text, description=text)
        one.add_argument("id", help="the schedule's id (a unique prefix is enough)")
        one.add_argument("--json", action="store_true", help="print JSON")


def _create_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the schedule's name")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--pipeline", metavar="ID", help="a published pipeline's id (or prefix)")
    what.add_argument("--endpoint", metavar="ID", help="a pipeline endpoint's id or name")
    p.add_argument("--experiment", "-e", required=True, help="the experiment of its runs")
    p.add_argument("--description", "-d")
    p.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--continue-on-step-failure", action="store_true", default=None)
    time_group = p.add_argument_group("on a recurrence (v1 ScheduleRecurrence)")
    time_group.add_argument("--every", type=int, metavar="N", help="the interval")
    time_group.add_argument("--unit", choices=UNITS, help="the frequency")
    time_group.add_argument("--hours", metavar="H,H", help="hours of the day (Day, Week)")
    time_group.add_argument("--minutes", metavar="M,M", help="minutes of the hour (Day, Week)")
    time_group.add_argument("--week-days", metavar="DAY,DAY", help="Monday,... (Week)")
    time_group.add_argument("--time-of-day", metavar="HH:MM", help="instead of hours/minutes")
    time_group.add_argument("--start-time", metavar="YYYY-MM-DDThh:mm:ss")
    time_group.add_argument("--time-zone", metavar="ZONE", help="'Pacific Standard Time', UTC")
    data_group = p.add_argument_group("when files are added to or changed in a datastore folder")
    data_group.add_argument("--datastore", metavar="NAME")
    data_group.add_argument("--path", metavar="PATH", help="the folder watched (default: root)")
    data_group.add_argument("--polling-interval", type=int, metavar="MINUTES", default=5)
    data_group.add_argument("--data-path-parameter", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print JSON")


def _workspace(args: argparse.Namespace) -> Any:
    from ..engine.workspace import Workspace

    return Workspace.at(args.workspace) if args.workspace else Workspace.from_config()


def _print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def cmd_schedules(args: argparse.Namespace) -> int:
    from ..engine import schedule_records as sr
    from ..engine.schedule_docs import schedule_document, scheduler_document

    ws = _workspace(args)
    docs = [schedule_document(ws, r) for r in sr.store_of(ws).all(active_only=not args.all)]
    if args.json:
        _print_json({"schedules": docs, "scheduler": scheduler_document(ws)})
        return 0
    from .output import print_table

    rows = [
        {
            "id": d["id"][:8],
            "name": d["name"],
            "status": d["status"],
            "runs": d["pipeline_name"] or "-",
            "when": d["trigger_text"],
            "next": _local(d["next_fire"]),
            "last run": _last(d["last_run"]),
        }
        for d in docs
    ]
    print_table(rows, ["id", "name", "status", "runs", "when", "next", "last run"])
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from ..engine import schedule_records as sr
    from ..engine.schedule_docs import schedule_document

    ws = _workspace(args)
    if args.action == "create":
        record = _create(ws, args)
    elif args.action == "delete":
        deleted = sr.delete_schedule(ws, args.id)
        if args.json:
            _print_json({"deleted": deleted})
        else:
            print(f"deleted schedule {deleted}")
        return 0
    elif args.action in ("enable", "disable"):
        status = "Active" if args.action == "enable" else "Disabled"
        record = sr.set_status(ws, args.id, status)
    else:
        record = sr.get_schedule(ws, args.id)
    doc = schedule_document(ws, record, fires=20 if args.action == "show" else 1)
    if args.json:
        _print_json(doc)
    else:
        _print_schedule(doc, full=args.action == "show")
    if args.action in ("create", "enable"):
        _warn_without_scheduler(ws)
    return 0


def _create(ws: Any, args: argparse.Namespace) -> Any:
    from ..engine import published_runs as pr
    from ..engine import schedule_records as sr
    from ..errors import ScheduleError
    from ..model.recurrence import ScheduleRecurrence

    recurrence = None
    if args.every is not None or args.unit is not None:
        if args.every is None or args.unit is None:
            raise ScheduleError("a recurrence needs both --every N and --unit")
        recurrence = ScheduleRecurrence(
            args.unit,
            args.every,
            start_time=args.start_time,
            time_zone=args.time_zone,
            hours=_ints(args.hours, "--hours"),
            minutes=_ints(args.minutes, "--minutes"),
            week_days=_words(args.week_days),
            time_of_day=args.time_of_day,
        )
    pipeline_id = endpoint_id = None
    if args.pipeline:
        ids = [r.id for r in pr.store_of(ws).all()]
        matching = [i for i in ids if i.startswith(args.pipeline)]
        pipeline_id = matching[0] if len(matching) == 1 else args.pipeline
    else:
        store = pr.store_of(ws)
        found = store.get_endpoint(args.endpoint) or store.get_endpoint(name=args.endpoint)
        endpoint_id = found.id if found else args.endpoint
    return sr.create_schedule(
        ws,
        args.name,
        args.experiment,
        pipeline_id=pipeline_id,
        pipeline_endpoint_id=endpoint_id,
        recurrence=recurrence,
        description=args.description,
        pipeline_parameters=_params(args.param),
        datastore=args.datastore,
        polling_interval=args.polling_interval,
        data_path_parameter_name=args.data_path_parameter,
        continue_on_step_failure=args.continue_on_step_failure,
        path_on_datastore=args.path,
    )


def _ints(text: str | None, flag: str) -> list[int] | None:
    from ..errors import ScheduleError

    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ScheduleError(f"{flag} takes integers separated by commas, got {text!r}") from None


def _words(text: str | None) -> list[str] | None:
    return None if text is None else [w.strip() for w in text.split(",") if w.strip()]


def _params(pairs: list[str]) -> dict[str, str] | None:
    from ..errors import ParameterError

    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ParameterError(f"--param takes NAME=VALUE, got {pair!r}")
        values[name] = value
    return values or None


def _local(iso: str | None) -> str:
    """An ISO UTC time as local time, to the second."""
    if not iso:
        return "-"
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _last(fire: dict[str, Any] | None) -> str:
    if fire is None:
        return "-"
    if fire["run_id"]:
        return f"{fire['run_id'][:8]} {fire['run_status'] or ''} ({_local(fire['fired'])})"
    return f"not started: {fire['error'] or 'starting'}"


def _print_schedule(doc: dict[str, Any], full: bool) -> None:
    print(f"{doc['name']} ({doc['id']}): {doc['status']}")
    print(f"  runs: {doc['pipeline_name'] or '-'} in experiment {doc['experiment_name']!r}")
    print(f"  when: {doc['trigger_text']}")
    print(f"  next: {_local(doc['next_fire'])}")
    for key in ("description", "pipeline_parameters", "data_path_parameter_name"):
        if doc.get(key):
            print(f"  {key.replace('_', ' ')}: {doc[key]}")
    fires = doc["fires"] if full else doc["fires"][:1]
    for fire in fires:
        what = f" ({fire['changed_path']})" if fire["changed_path"] else ""
        print(f"  fired {_local(fire['fired'])} for {_local(fire['due'])}{what}: {_last(fire)}")


def _warn_without_scheduler(ws: Any) -> None:
    from ..engine.schedule_records import ensure_scheduler

    note = ensure_scheduler(ws)
    if note:
        print(f"note: {note}", file=sys.stderr)
