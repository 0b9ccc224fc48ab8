"""Helpers of the browser tests: a real JupyterLab server, its REST API, Chromium, drags.

Used by ``tests/browser/conftest.py`` and by ``benchmarks/bench_frontend.py``, so nothing here
depends on pytest: problems are raised as ``LabError`` / ``Unavailable`` and the callers turn
them into failures or skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
LABEXTENSION = REPO_ROOT / "jupyter_pipelines" / "labextension" / "package.json"
API = "/jupyter-pipelines/api"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
#: Where the scripts and files of our labextension are served from: errors whose stack
#: mentions it come from our code.
OUR_STATIC = "jupyter-pipelines"
SIDEBAR_TAB = '.jp-SideBar .lm-TabBar-tab[data-id="jp-pipelines-sidebar"]'


class Unavailable(Exception):
    """Something the browser tests need is missing on this machine (a reason to skip)."""


class LabError(Exception):
    """The JupyterLab server misbehaved (did not start, answered an error)."""


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (run `make browser`: scripts/ensure-chromium.sh)"
    if not LABEXTENSION.exists():
        return (
            f"the labextension is not built ({LABEXTENSION.relative_to(REPO_ROOT)} missing; "
            "run `make labext`)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the project material ---------------------------------------------------------------------
def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A notebook with a ``parameters``-tagged cell, then one code cell per string."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(textwrap.dedent(c).strip() + "\n") for c in cells]
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


#: What make_data.ipynb prints: the tests look for it in the step's logs.
MAKE_DATA_LINE = "make_data wrote 5 rows"
#: What train.ipynb prints after reading make_data's output.
TRAIN_LINE = "train read 5 rows from make_data"


def write_material(root: Path) -> None:
    """The small project the browser tests work on.

    - ``make_data.ipynb`` writes ``data.csv`` (5 rows) into its one output folder and prints
      ``MAKE_DATA_LINE``. Papermill injects each output as a parameter named after it; the
      notebook takes the folder from ``Run.get_context().output_datasets`` so that it works
      whatever name the editor gives the output port.
    - ``train.ipynb`` reads ``data.csv`` from its one input (the connected output of
      make_data) and prints ``TRAIN_LINE``; it fails when no input is connected.
    - ``summarize.py``: a script step (prints its arguments).
    """
    root.mkdir(parents=True, exist_ok=True)
    write_notebook(
        root / "make_data.ipynb",
        'rows = 5\noutput = "make_data_output"  # the pipeline injects its output folders\n',
        """
        import os
        from jupyter_pipelines import Run

        run = Run.get_context()
        outputs = dict(run.output_datasets)
        folder = next(iter(outputs.values())) if outputs else output
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "data.csv"), "w") as handle:
            handle.write("x,y\\n")
            for i in range(int(rows)):
                handle.write(f"{i},{2 * i + 1}\\n")
        print(f"make_data wrote {int(rows)} rows")
        print("make_data outputs:", sorted(outputs))
        """,
    )
    write_notebook(
        root / "train.ipynb",
        'data = "make_data_output"  # the pipeline injects its input folders\n',
        """
        import os
        from jupyter_pipelines import Run

        run = Run.get_context()
        inputs = dict(run.input_datasets)
        assert inputs, "train.ipynb needs one input: connect make_data's output to it"
        folder = next(iter(inputs.values()))
        with open(os.path.join(folder, "data.csv")) as handle:
            rows = handle.read().splitlines()[1:]
        print(f"train read {len(rows)} rows from make_data")
        print("train inputs:", sorted(inputs))
        """,
    )
    (root / "summarize.py").write_text(
        textwrap.dedent(
            """\
            import sys

            print("summarize", *sys.argv[1:])
            """
        )
    )
    # JupyterLab opens notebooks with a kernel; the tests never do, but keep the folder tidy.
    (root / ".gitignore").write_text(".pipelines/\n")


# -- the server -------------------------------------------------------------------------------
@dataclass
class Lab:
    """A running JupyterLab on a project folder."""

    root: Path
    port: int
    token: str
    proc: subprocess.Popen[bytes]
    log: Path
    workspace_counter: list[int] = field(default_factory=lambda: [0])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str | None = None, workspace: str | None = None) -> str:
        """The URL opening ``path`` (relative to the root) in a fresh JupyterLab workspace.

        Every page gets its own workspace name and ``?reset``, so that tabs opened by an
        earlier test are not restored.
        """
        if workspace is None:
            self.workspace_counter[0] += 1
            workspace = f"t{self.workspace_counter[0]}-{secrets.token_hex(3)}"
        tail = f"/tree/{urllib.parse.quote(path)}" if path else ""
        return f"{self.url}/lab/workspaces/{workspace}{tail}?reset&token={self.token}"

    def request(self, path: str, body: Any = None, method: str | None = None) -> Any:
        """Call a server route (``/api/...`` or ``/jupyter-pipelines/api/...``) with the token."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method or ("GET" if body is None else "POST"),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode(errors="replace")
            raise LabError(f"{req.method} {path} answered {exc.code}: {text[:2000]}") from exc
        return json.loads(raw) if raw else None

    def api(self, path: str, body: Any = None) -> Any:
        """Call a jupyter_pipelines route (``runs``, ``runs/ID``, ...)."""
        return self.request(f"{API}/{path}", body)

    def runs(self, **query: Any) -> list[dict[str, Any]]:
        """Run summaries, newest first (``pipeline=...``, ``status=...``)."""
        qs = urllib.parse.urlencode({"limit": 500, **query})
        return list(self.api(f"runs?{qs}")["runs"])

    def wait_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        """The run once it has ended."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.api(f"runs/{run_id}")
            if run["status"] in ("Finished", "Failed", "Canceled"):
                return dict(run)
            if time.monotonic() > deadline:
                raise LabError(f"run {run_id} did not end in {timeout:g} s: {run['status']}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server and its whole process group (kernels, terminals)."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


def start_lab(root: Path, state: Path, slots: int = 2, timeout: float = 90) -> Lab:
    """Start ``python -m jupyterlab`` on ``root`` (a new process group) and wait for it.

    ``state`` holds the private settings, workspaces and runtime folders and the log.
    """
    settings = state / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    workspaces = state / "workspaces"
    workspaces.mkdir(parents=True, exist_ok=True)
    runtime = state / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    log = state / "jupyterlab.log"
    port = free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_PIPELINES_LOCAL_SLOTS": str(slots),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("JUPYTER_PIPELINES_WORKSPACE", None)
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={workspaces}",
        f"--LabApp.user_settings_dir={settings}",
        "--allow-root",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    lab = Lab(root=root, port=port, token=token, proc=proc, log=log)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise LabError(f"JupyterLab exited with {proc.returncode}:\n{lab.log_tail()}")
        try:
            lab.request("/api/status")
            lab.api("runs?limit=1")
            return lab
        except (OSError, LabError):
            pass
        if time.monotonic() > deadline:
            lab.stop()
            raise LabError(f"JupyterLab did not answer in {timeout:g} s:\n{lab.log_tail()}")
        time.sleep(0.2)


def stop_runs(root: Path) -> None:
    """Cancel the unfinished runs of the workspace in ``root`` and kill their processes."""
    if not (root / ".pipelines").exists():
        return
    from jupyter_pipelines import Workspace
    from tests.integration.support import Project

    Project(root=root, ws=Workspace.at(root)).stop_everything()


# -- Chromium ---------------------------------------------------------------------------------
@contextlib.contextmanager
def chromium(headless: bool = True) -> Iterator[Any]:
    """Playwright's Chromium on Debian's binary (a fresh profile each launch)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=headless, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class ConsoleLog:
    """Console messages and uncaught errors of one page."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def _console(self, msg: Any) -> None:
        where = ""
        with contextlib.suppress(Exception):
            loc = msg.location
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})"
        self.messages.append(f"[{msg.type}] {msg.text}{where}")

    def _page_error(self, error: Any) -> None:
        stack = getattr(error, "stack", None) or ""
        self.page_errors.append(f"{error}\n{stack}")

    def ours(self) -> list[str]:
        """Uncaught page errors raised from our extension's code."""
        return [e for e in self.page_errors if OUR_STATIC in e or "jupyter_pipelines" in e]

    def errors(self) -> list[str]:
        return [m for m in self.messages if m.startswith("[error]")]


def open_lab(page: Any, lab: Lab, path: str | None = None, timeout: float = 60_000) -> None:
    """Load JupyterLab (optionally opening ``path``) and wait until its shell is up."""
    page.goto(lab.lab_url(path), timeout=timeout)
    page.wait_for_selector("#jp-main-dock-panel", timeout=timeout)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=timeout)
    # Our plugins are up once the Pipelines sidebar has its tab in the left bar.
    try:
        page.wait_for_selector(SIDEBAR_TAB, state="attached", timeout=30_000)
    except Exception as exc:
        raise LabError(
            "the jupyter-pipelines labextension did not load in JupyterLab (no tab of "
            "#jp-pipelines-sidebar in the left bar); was it rebuilt while the test ran?"
        ) from exc


def drag(page: Any, start: tuple[float, float], end: tuple[float, float], steps: int = 20) -> None:
    """A mouse drag as a user makes it (down, many moves, up), which Lumino and React Flow
    both recognise: Lumino starts its drag after a few pixels of movement."""
    page.mouse.move(*start)
    page.mouse.down()
    # A first small move crosses Lumino's drag threshold from the item itself.
    page.mouse.move(start[0] + 8, start[1] + 8, steps=4)
    page.mouse.move(*end, steps=steps)
    page.mouse.move(end[0] + 1, end[1] + 1, steps=2)
    page.mouse.up()


def center(box: dict[str, float]) -> tuple[float, float]:
    return (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll a server-side condition (not the DOM: Playwright waits for that)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


# -- pipelines written with the SDK -----------------------------------------------------------
def save_flow_pipeline(root: Path, name: str = "flow.pipeline.yaml") -> Path:
    """make_data.ipynb -> train.ipynb, wired by make_data's output ``data``, saved by the SDK
    (the same shape the editor scenario draws by hand), with a ``rows`` parameter."""
    from jupyter_pipelines import NotebookStep, OutputFileDatasetConfig, Pipeline, PipelineParameter

    rows = PipelineParameter(name="rows", default_value=5)
    data = OutputFileDatasetConfig(name="data")
    make_data = NotebookStep(
        name="make_data",
        notebook="make_data.ipynb",
        source_directory=str(root),
        parameters={"rows": rows},
        outputs=[data],
    )
    train = NotebookStep(
        name="train", notebook="train.ipynb", source_directory=str(root), inputs=[data.as_input()]
    )
    path = root / name
    Pipeline(steps=[make_data, train], name=name.split(".")[0]).save(path)
    return path


def save_layered_pipeline(
    path: Path,
    steps: int,
    width: int,
    command: str | None = None,
    layout: bool = True,
) -> list[str]:
    """A layered DAG of ``steps`` steps, ``width`` per layer, each step reading the output of
    two steps of the layer above (``PythonScriptStep`` of ``summarize.py``), or, given
    ``command`` (formatted with ``name``, so that no two steps are alike and none reuses
    another), ``CommandStep``s each run after one step of the layer above; saved with the SDK;
    with ``layout``, a grid layout. Returns the step names."""
    from jupyter_pipelines import CommandStep, OutputFileDatasetConfig, Pipeline, PythonScriptStep

    root = path.parent
    if not (root / "summarize.py").exists():
        (root / "summarize.py").write_text("import sys\n\nprint('summarize', *sys.argv[1:])\n")
    made: list[Any] = []
    outputs: list[Any] = []
    positions: dict[str, dict[str, float]] = {}
    for i in range(steps):
        layer, col = divmod(i, width)
        name = f"s{layer:02d}_{col:02d}"
        out = OutputFileDatasetConfig(name=f"o_{name}")
        above = outputs[(layer - 1) * width : layer * width] if layer else []
        picked = sorted({col % len(above), (col + 1) % len(above)}) if above else []
        inputs = [above[j].as_input() for j in picked]
        if command is None:
            step = PythonScriptStep(
                name=name,
                script_name="summarize.py",
                source_directory=str(root),
                arguments=[name, *inputs, out],
            )
        else:
            step = CommandStep(
                name=name,
                command=command.format(name=name),
                source_directory=str(root),
                outputs=[out],
            )
            if above:
                step.run_after(made[(layer - 1) * width + col])
        made.append(step)
        outputs.append(out)
        positions[name] = {"x": 40 + col * 260, "y": 40 + layer * 140}
    Pipeline(
        steps=made, name=path.name.split(".")[0], layout={"nodes": positions} if layout else None
    ).save(path)
    return [s.name for s in made]


# -- small script pipelines (partial runs, live logs, cancel, editing) --------------------------
#: A step script: ``chain_step.py NAME [--in FOLDER] [--out FOLDER]`` reads ``value.txt`` from
#: its input folder, appends a line of its own (with a random token, so that no two runs of a
#: step write the same output and a downstream step is never reused by accident) and prints
#: ``CHAIN_LINE``.
CHAIN_SCRIPT = """\
import argparse
import os
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("name")
parser.add_argument("--in", dest="inp")
parser.add_argument("--out")
args = parser.parse_args()
data = ""
if args.inp:
    with open(os.path.join(args.inp, "value.txt")) as handle:
        data = handle.read()
if args.out:
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "value.txt"), "w") as handle:
        handle.write(data + f"{args.name}:{uuid.uuid4().hex[:8]}\\n")
print(f"chain step {args.name} read {len(data.splitlines())} line(s)", flush=True)
"""

#: ``wait_for_file.py FILE [SECONDS [OUTPUT]]``: prints ``WAIT_FIRST_LINE``, then waits (at most
#: SECONDS, default 120) for FILE to exist, printing a tick every second, writes ``value.txt``
#: into the OUTPUT folder when given, and prints ``WAIT_LAST_LINE``.
WAIT_SCRIPT = """\
import os
import sys
import time

path = sys.argv[1]
limit = float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
print("waiter started, waiting for the release file", flush=True)
deadline = time.monotonic() + limit
tick = 0
while not os.path.exists(path):
    if time.monotonic() > deadline:
        print("waiter gave up", flush=True)
        sys.exit(3)
    time.sleep(0.1)
    tick += 1
    if tick % 10 == 0:
        print(f"waiter tick {tick // 10}", flush=True)
if len(sys.argv) > 3:
    os.makedirs(sys.argv[3], exist_ok=True)
    with open(os.path.join(sys.argv[3], "value.txt"), "w") as handle:
        handle.write("waiter\\n")
print("waiter released", flush=True)
"""
WAIT_FIRST_LINE = "waiter started, waiting for the release file"
WAIT_LAST_LINE = "waiter released"


def save_chain_pipeline(
    root: Path,
    name: str,
    allow_reuse: bool = False,
    positions: dict[str, tuple[float, float]] | None = None,
) -> Path:
    """``a -> b -> c``: ``PythonScriptStep``s of ``chain_step.py``, ``a``'s output ``a_out``
    read by ``b``, ``b``'s output ``b_out`` read by ``c``; saved as ``NAME.pipeline.yaml`` with
    a left-to-right layout. ``allow_reuse=False`` (the default) makes every selected step run
    for real, so that partial runs show which steps ran and which were pinned."""
    from jupyter_pipelines import OutputFileDatasetConfig, Pipeline, PythonScriptStep

    (root / "chain_step.py").write_text(CHAIN_SCRIPT)
    a_out = OutputFileDatasetConfig(name="a_out")
    b_out = OutputFileDatasetConfig(name="b_out")
    common = {"script_name": "chain_step.py", "source_directory": str(root)}
    a = PythonScriptStep(
        name="a", arguments=["a", "--out", a_out], allow_reuse=allow_reuse, **common
    )
    b = PythonScriptStep(
        name="b",
        arguments=["b", "--in", a_out.as_input(), "--out", b_out],
        allow_reuse=allow_reuse,
        **common,
    )
    c = PythonScriptStep(
        name="c", arguments=["c", "--in", b_out.as_input()], allow_reuse=allow_reuse, **common
    )
    places = positions or {"a": (40, 80), "b": (380, 80), "c": (720, 80)}
    layout = {"nodes": {n: {"x": x, "y": y} for n, (x, y) in places.items()}}
    path = root / f"{name}.pipeline.yaml"
    Pipeline(steps=[a, b, c], name=name, layout=layout).save(path)
    return path


def save_waiting_pipeline(root: Path, name: str, release: Path, limit: float = 120) -> Path:
    """``waiter -> after``: ``waiter`` (``wait_for_file.py``) prints a first line at once, then
    blocks until ``release`` exists; ``after`` (``chain_step.py``) reads its output."""
    from jupyter_pipelines import OutputFileDatasetConfig, Pipeline, PythonScriptStep

    (root / "wait_for_file.py").write_text(WAIT_SCRIPT)
    (root / "chain_step.py").write_text(CHAIN_SCRIPT)
    out = OutputFileDatasetConfig(name="w_out")
    waiter = PythonScriptStep(
        name="waiter",
        script_name="wait_for_file.py",
        source_directory=str(root),
        arguments=[str(release), str(limit), out],
        allow_reuse=False,
    )
    after = PythonScriptStep(
        name="after",
        script_name="chain_step.py",
        source_directory=str(root),
        arguments=["after", "--in", out.as_input()],
        allow_reuse=False,
    )
    layout = {"nodes": {"waiter": {"x": 40, "y": 80}, "after": {"x": 420, "y": 80}}}
    path = root / f"{name}.pipeline.yaml"
    Pipeline(steps=[waiter, after], name=name, layout=layout).save(path)
    return path


def save_sleeping_pipeline(root: Path, name: str, seconds: int = 30) -> Path:
    """One ``CommandStep`` sleeping ``seconds`` (a long run to cancel)."""
    from jupyter_pipelines import CommandStep, Pipeline

    step = CommandStep(
        name="sleeper",
        command=f"python -c \"import time; print('sleeping', flush=True); time.sleep({seconds})\"",
        source_directory=str(root),
        allow_reuse=False,
    )
    path = root / f"{name}.pipeline.yaml"
    Pipeline(steps=[step], name=name).save(path)
    return path
