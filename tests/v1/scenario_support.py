"""Helpers of the v1 scenarios: a local stand-in for the internet, scenario copies, script runs.

A scenario is a folder under ``tests/v1/scenarios/`` holding a v1 script ported from Microsoft's
documentation or sample notebooks (only its imports and data URLs changed) and the files the
script's steps use. A test copies the folder into ``tmp_path`` (so the workspace the script
creates with ``Workspace.from_config()`` is fresh), runs the script there with this
interpreter, as a user runs it, and then reads the workspace to check what the script did.

The scripts' data URLs point at ``http://127.0.0.1:8000/<original host>/<original path>``;
``internet()`` serves ``scenarios/_internet/`` over real HTTP on a free port, and the copy's
files are rewritten to that port.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jupyter_pipelines import Experiment, PipelineRun, Workspace
from tests.integration.support import Project

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
INTERNET = SCENARIOS / "_internet"
#: The base URL written in the scripts; a test rewrites it to its own server's.
PLACEHOLDER_URL = "http://127.0.0.1:8000"
IGNORED = shutil.ignore_patterns(".pipelines", "__pycache__", ".ipynb_checkpoints", "outputs")
REWRITTEN_SUFFIXES = {".py", ".ipynb", ".yml", ".yaml", ".json", ".txt"}


# -- the internet, served locally -----------------------------------------------------------
class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder; remembers each request path instead of logging it to stderr."""

    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        self.requests.append(self.path)


@dataclass
class Internet:
    """A real HTTP server on 127.0.0.1 serving ``_internet/``, and what it was asked for."""

    url: str
    requests: list[str]

    def fetched(self, suffix: str) -> bool:
        """Whether some request's path ended with ``suffix`` (the file really went over HTTP)."""
        return any(r.split("?")[0].endswith(suffix) for r in self.requests)


@contextmanager
def internet(root: Path = INTERNET) -> Iterator[Internet]:
    """Serve ``root`` over HTTP on a free port for the duration of the block."""
    seen: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"requests": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Internet(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- a scenario's folder and its runs -------------------------------------------------------
@dataclass
class ScriptResult:
    """What running one scenario script printed, and how it ended."""

    script: str
    returncode: int
    stdout: str
    stderr: str

    def tail(self, chars: int = 6000) -> str:
        return (
            f"{self.script} exited {self.returncode}\n--- stdout (end)\n{self.stdout[-chars:]}"
            f"\n--- stderr (end)\n{self.stderr[-chars:]}"
        )


@dataclass
class Scenario:
    """A temporary copy of ``scenarios/<name>/``, its workspace, and the scripts run in it."""

    name: str
    folder: Path
    base_url: str
    results: list[ScriptResult] = field(default_factory=list)

    def run(self, script: str = "script.py", timeout: float = 240) -> ScriptResult:
        """Run ``script`` in the copy as ``python script.py``; fail the test if it fails."""
        result = self.run_unchecked(script, timeout)
        assert result.returncode == 0, result.tail()
        return result

    def run_unchecked(self, script: str = "script.py", timeout: float = 240) -> ScriptResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_PIPELINES_")}
        env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.run(
            [sys.executable, script],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = ScriptResult(script, proc.returncode, proc.stdout, proc.stderr)
        self.results.append(result)
        return result

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace ``old`` by ``new`` in a file of the copy, as a user editing it would."""
        path = self.folder / relative
        text = path.read_text()
        assert old in text, f"{old!r} is not in {relative}"
        path.write_text(text.replace(old, new))

    @property
    def ws(self) -> Workspace:
        """The workspace the script made with ``Workspace.from_config()`` (``.pipelines/``)."""
        assert (self.folder / ".pipelines").is_dir(), "the script made no workspace here"
        return Workspace.at(self.folder)

    def runs(self, experiment: str) -> list[PipelineRun]:
        """The runs of ``experiment``, oldest first."""
        records = self.ws.run_store.list_runs(experiment=experiment, limit=1000)
        exp = Experiment(self.ws, experiment)
        return [PipelineRun(exp, r.id) for r in reversed(records)]  # the store lists newest first

    def stop_everything(self) -> None:
        """Stop whatever the scripts left running (drivers, steps)."""
        if (self.folder / ".pipelines").is_dir():
            Project(self.folder, Workspace.at(self.folder)).stop_everything()


def copy_scenario(name: str, destination: Path, base_url: str) -> Scenario:
    """Copy ``scenarios/<name>`` to ``destination`` with its data URLs pointed at ``base_url``."""
    source = SCENARIOS / name
    assert source.is_dir(), f"no scenario {name!r} under {SCENARIOS}"
    shutil.copytree(source, destination, ignore=IGNORED)
    for path in destination.rglob("*"):
        if path.is_file() and path.suffix in REWRITTEN_SUFFIXES:
            text = path.read_text()
            if PLACEHOLDER_URL in text:
                path.write_text(text.replace(PLACEHOLDER_URL, base_url))
    return Scenario(name, destination, base_url)


def step_runs(run: PipelineRun) -> dict[str, Any]:
    """The step runs of ``run`` by name."""
    return {s.name: s for s in run.get_steps()}


def step_stdout(step: Any) -> str:
    """What a step printed (its stdout log)."""
    return str(step.get_logs()["stdout"])


def describe(run: PipelineRun) -> str:
    """A run's steps, their statuses and errors, for assertion messages."""
    lines = [f"run {run.id}: {run.get_status()} {run.error or ''}"]
    for s in run.get_steps():
        lines.append(f"  {s.name}: {s.status} reused={s.is_reused} {s.error or ''}")
    return "\n".join(lines)


# -- finding every gap of a scenario at once (a tool, not a test) ---------------------------
def explore(folder: Path, script: str = "script.py") -> list[str]:
    """Run ``script`` in ``folder`` one top-level statement at a time, going on past failures.

    Returns one line per statement that raised: its line, its first source line and the
    error. A test stops at a script's first gap; this lists the gaps behind it too (later
    failures may follow from earlier ones).
    """
    import ast
    import traceback

    source = (folder / script).read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(folder / script)}
    gaps: list[str] = []
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    for node in tree.body:
        code = compile(ast.Module(body=[node], type_ignores=[]), script, "exec")
        try:
            exec(code, namespace)
        except BaseException as exc:  # a SystemExit or KeyboardInterrupt is a gap here too
            where = traceback.extract_tb(exc.__traceback__)[-1]
            gaps.append(
                f"line {node.lineno}: {lines[node.lineno - 1].strip()[:90]}\n"
                f"    {type(exc).__name__}: {str(exc)[:400]}\n"
                f"    (raised at {where.filename}:{where.lineno})"
            )
    return gaps


def _main(argv: list[str]) -> int:
    """``python -m tests.v1.scenario_support NAME [SCRIPT]``: list every gap of a scenario."""
    import tempfile

    name, script = argv[0], (argv[1] if len(argv) > 1 else "script.py")
    with internet() as net, tempfile.TemporaryDirectory() as tmp:
        scenario = copy_scenario(name, Path(tmp) / name, net.url)
        try:
            gaps = explore(scenario.folder, script)
            runs = _all_runs(scenario) if (scenario.folder / ".pipelines").is_dir() else []
            for run in runs:
                run.wait_for_completion(
                    show_output=False, timeout_seconds=180, raise_on_error=False
                )
            summaries = [describe(run) for run in runs]
        finally:
            os.chdir("/")
            scenario.stop_everything()
    print(f"\n{name}/{script}: {len(gaps)} failing statement(s)")
    for gap in gaps:
        print(gap)
    print("\n".join(["runs:", *summaries]))
    return 1 if gaps else 0


def _all_runs(scenario: Scenario) -> list[PipelineRun]:
    records = scenario.ws.run_store.list_runs(limit=1000)
    return [PipelineRun(Experiment(scenario.ws, r.experiment), r.id) for r in reversed(records)]


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
