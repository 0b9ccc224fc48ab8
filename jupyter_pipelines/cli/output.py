"""How the CLI presents pipelines and runs: plain-text tables and JSON documents."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import Any

from ..engine.log_reader import copy_text, tail_lines
from ..engine.runs import PipelineRun
from ..executors.base import failure_summary
from ..stores.runstore import RunRecord
from ..stores.workspace import Workspace


def print_json(doc: Any) -> None:
    print(json.dumps(doc, indent=2, default=str))


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _until(start: float | None, end: float | None) -> str:
    """When something ended: only the time of day when it ended the day it started."""
    if not end:
        return "-"
    same_day = start and datetime.fromtimestamp(start).date() == datetime.fromtimestamp(end).date()
    return datetime.fromtimestamp(end).strftime("%H:%M:%S") if same_day else _when(end)


def _took(start: float | None, end: float | None) -> str:
    """Seconds from start to end, or to now while it runs ("running" marks that)."""
    if not start:
        return "-"
    if not end:
        return f"{time.time() - start:.1f}s (running)"
    return f"{end - start:.1f}s"


def _timestamp(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def run_row(ws: Workspace, record: RunRecord) -> dict[str, Any]:
    steps = ws.run_store.get_steps(record.id)
    done = sum(1 for s in steps if s.status == "Finished")
    reused = sum(1 for s in steps if s.reused_from)
    return {
        "id": record.id,
        "experiment": record.experiment,
        "status": record.status,
        "submitted": _when(record.created),
        "started": _when(record.started),
        "ended": _until(record.started, record.ended),
        "duration": _took(record.started, record.ended),
        "steps": f"{done}/{len(steps)}",
        "reused": reused,
        "pipeline_file": record.pipeline_file,
        "error": record.error,
    }


def run_document(run: PipelineRun) -> dict[str, Any]:
    details = run.get_details()
    details["steps"] = [s.get_details() for s in run.get_steps()]
    return details


def print_run(doc: dict[str, Any]) -> None:
    print(f"Run        {doc['runId']}")
    print(f"Experiment {doc['experiment']}")
    print(f"Status     {doc['status']}")
    start, end = _timestamp(doc["startTimeUtc"]), _timestamp(doc["endTimeUtc"])
    print(f"Submitted  {_when(_timestamp(doc['submittedTimeUtc']))}")
    print(f"Started    {_when(start)}")
    print(f"Ended      {_until(start, end)}")
    print(f"Duration   {_took(start, end)}")
    if doc.get("pipelineFile"):
        print(f"Pipeline   {doc['pipelineFile']}")
    if doc.get("parameters"):
        print("Parameters " + ", ".join(f"{k}={v!r}" for k, v in doc["parameters"].items()))
    if doc.get("error"):
        print(f"Error      {failure_summary(doc['error'])}")
    print()
    rows = []
    for s in doc["steps"]:
        start, end = _timestamp(s["startTimeUtc"]), _timestamp(s["endTimeUtc"])
        rows.append(
            {
                "step": s["name"],
                "status": s["status"],
                "started": _when(start),
                "ended": _until(start, end),
                "duration": _took(start, end),
                "exit": "" if s["exitCode"] is None else s["exitCode"],
                "note": _step_note(s),
            }
        )
    print_table(rows, ["step", "status", "started", "ended", "duration", "exit", "note"])


def print_log(path: str, tail: int | None = None) -> None:
    """A step's log on stdout, in blocks whatever its size; only its last ``tail`` lines,
    read backwards from its end, when ``tail`` is given. Ends with a newline unless empty."""
    if not path:
        return
    if tail:
        lines = tail_lines(path, tail)
        if lines:
            print("\n".join(lines))
        return
    last = ""
    for text in copy_text(path):
        sys.stdout.write(text)
        last = text or last
    if last and not last.endswith("\n"):
        sys.stdout.write("\n")


def _step_note(step: dict[str, Any]) -> str:
    """What the steps table says of a step: where a reused result came from, or why it
    failed (its headline and the error at the end of its log)."""
    if step["reusedFrom"]:
        return f"reused {step['reusedFrom'][:8]}"
    return failure_summary(step["error"]) if step["error"] else ""


def print_description(doc: dict[str, Any]) -> None:
    print(f"Pipeline {doc['name'] or '(unnamed)'}: {len(doc['steps'])} steps")
    if doc["description"]:
        print(f"  {doc['description']}")
    if doc["parameters"]:
        print("Parameters:")
        for name, p in doc["parameters"].items():
            print(f"  {name} ({p['type']}) = {p['default']!r}")
    print("Steps:")
    for s in doc["steps"]:
        after = f" after {', '.join(s['depends_on'])}" if s["depends_on"] else ""
        print(f"  {s['name']} [{s['type']}] {s['entry']}{after}")
        for name, src in s["inputs"].items():
            print(f"      in  {name} <- {src}")
        for name in s["outputs"]:
            print(f"      out {name}")


def print_reuse_info(info: dict[str, Any]) -> None:
    """Why a step was reused or ran, and what changed since its previous run."""
    if info["reused"]:
        print(
            f"{info['step']}: reused step run {info['reused_from']} "
            f"(of run {info.get('source_run') or '?'})"
        )
    else:
        print(f"{info['step']}: ran ({info.get('reason') or info['decision']})")
    if info.get("mode") and info["mode"] != "normal":
        print(f"  mode: {info['mode']}")
    for note in info.get("notes", []):
        print(f"  note: {note}")
    if info.get("fingerprint"):
        print(f"  fingerprint: {info['fingerprint']}")
    if info.get("git"):
        git = info["git"]
        dirty = " (dirty)" if git.get("dirty") else ""
        print(f"  git: {git.get('branch')} {str(git.get('commit'))[:12]}{dirty}")
    compared = info.get("compared_with")
    if compared is None:
        print("  no earlier run of this step to compare with")
    elif not info["differences"]:
        print(f"  same fingerprint as step run {compared['step_run_id']}")
    else:
        print(f"  differences from step run {compared['step_run_id']} (run {compared['run_id']}):")
        for diff in info["differences"]:
            print(f"    - {diff['detail']}")
