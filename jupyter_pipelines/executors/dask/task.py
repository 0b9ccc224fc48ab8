"""What a Dask worker does with one step: run its StepSpec in a subprocess, as locally.

``step_task`` is the function each step's Dask task calls. It runs on the worker, in one
of the worker's threads: it tells the driver where it runs (a ``started`` event), makes the
step's interpreter (``python_for``, as locally: a built environment, or the worker's own
Python when the environment is user-managed), then runs the step as a process group of its
own (a notebook through ``nbrunner``, papermill in a subprocess, as in containers), with the
step's timeout. Without a shared disk, the transport (``transport.run_ticket``) moves the
files in and out around ``run_spec``. A cancel reaches the worker as ``cancel_step``
(``Client.run``), which kills the step's process tree: no polling.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...stores import status as st
from ..base import StepSpec, tail
from ..docker import nbrunner
from ..processes import die_with_parent, kill_tree, marker_env, sweep_step

#: The module a notebook step runs as (``python -m ... CONFIG.json``).
NBRUNNER = "jupyter_pipelines.executors.docker.nbrunner"
#: The kernel name of a notebook whose environment brings its own interpreter.
ENV_KERNEL = "jupyter-pipelines-step-env"
#: Log chunks are read from the step's files this often when they are forwarded (s).
FORWARD_INTERVAL = 0.2

LogSink = Callable[[str, str], None]

_lock = threading.Lock()
#: Step run id -> its process, while it runs on this worker.
_running: dict[str, subprocess.Popen[bytes]] = {}
#: Step run id -> why it was canceled (a cancel may come before the task starts here).
_canceled: dict[str, str] = {}


def topic(run_id: str) -> str:
    """The Dask event topic of one run's steps (started, log chunks)."""
    return f"jp-steps-{run_id}"


def worker_address() -> str:
    """The address of the Dask worker this runs on ('' outside a worker)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def _emit(run_id: str, message: dict[str, Any]) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(topic(run_id), message)
    except (ImportError, ValueError):
        pass  # not in a worker (a test calling run_spec directly)


def step_task(payload: dict[str, Any]) -> dict[str, Any]:
    """The Dask task of one step: run it here and return how it ended (StepResult fields
    and ``worker``). ``payload``: ``spec`` (the StepSpec's dict), ``driver_python``, and
    ``ticket`` when its files travel through the artifact store."""
    spec_data: dict[str, Any] = payload["spec"]
    run_id, step_run_id = spec_data["run_id"], spec_data["step_run_id"]
    worker = worker_address()
    _emit(run_id, {"id": step_run_id, "event": "started", "worker": worker})
    driver_python = str(payload["driver_python"])
    ticket = payload.get("ticket")
    if ticket is None:  # a shared disk: the spec's paths are this worker's
        spec = StepSpec.from_dict(spec_data)
        return run_spec(spec, driver_python=driver_python, worker=worker)
    from .transport import run_ticket

    def runner(spec: StepSpec, sink: LogSink | None) -> dict[str, Any]:
        # In a thread of the transport's: Dask's worker context is not there.
        return run_spec(spec, driver_python=driver_python, log_sink=sink, worker=worker)

    return dict(run_ticket(ticket, _forwarder(run_id, step_run_id), runner=runner))


def _forwarder(run_id: str, step_run_id: str) -> LogSink:
    def sink(stream: str, text: str) -> None:
        _emit(run_id, {"id": step_run_id, "event": "log", "stream": stream, "text": text})

    return sink


def cancel_step(step_run_id: str, reason: str) -> bool:
    """Stop step run ``step_run_id`` on this worker (called by ``Client.run``); a task that
    has not started here yet will not start. True when a running process was stopped."""
    with _lock:
        _canceled[step_run_id] = reason
        proc = _running.get(step_run_id)
    if proc is None:
        return False
    # Not on the worker's event loop, which this runs on: the kill waits out a grace.
    threading.Thread(target=kill_tree, args=(proc.pid,), daemon=True).start()
    return True


def run_spec(
    spec: StepSpec,
    *,
    driver_python: str,
    log_sink: LogSink | None = None,
    worker: str | None = None,
) -> dict[str, Any]:
    """Run ``spec``, whose paths are on this machine, to its end: StepResult's fields
    (``status``, ``exit_code``, ``error``) and ``worker`` (this Dask worker's address,
    given by a caller that runs this outside the task's thread)."""
    worker = worker or worker_address()
    try:
        argv, env = _command(spec, driver_python, worker)
    except Exception as exc:  # an environment that cannot be built fails the step here
        return {"status": st.FAILED, "exit_code": None, "error": str(exc), "worker": worker}
    result = _run(spec, argv, env, log_sink, worker)
    result["worker"] = worker
    return result


def _command(spec: StepSpec, driver_python: str, worker: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the step's process on this worker."""
    python = _python(spec, driver_python, worker)
    env = {**os.environ, **spec.env, **marker_env(spec.run_id, spec.step_run_id)}
    if spec.kind == "notebook":
        return [python, "-m", NBRUNNER, _notebook_config(spec, python, env)], env
    argv = list(spec.argv)
    if argv and argv[0] == driver_python:  # a Python step: the interpreter chosen here
        argv[0] = python
    return argv, env


def _python(spec: StepSpec, driver_python: str, worker: str) -> str:
    """The interpreter of the step: its Environment's (built here, once, with the same code
    as locally), else this worker's own."""
    if not spec.environment:
        return sys.executable if spec.kind == "notebook" else _same_python(driver_python)
    from ...model.environment import Environment
    from ..environments import python_for

    log_path = os.path.join(spec.step_dir, "environment_build.txt")
    with open(log_path, "a") as fh:

        def log(line: str) -> None:
            fh.write(line if line.endswith("\n") else line + "\n")
            fh.flush()

        python = python_for(
            Environment.from_dict(spec.environment),
            None,
            log,
            for_notebooks=spec.kind == "notebook",
        )
        log(f"step {spec.step_name!r} runs with {python} on {worker or 'this machine'}")
    return python


def _same_python(driver_python: str) -> str:
    """The driver's interpreter when this worker has it (same machine or image), else ours."""
    return driver_python if os.path.exists(driver_python) else sys.executable


def _notebook_config(spec: StepSpec, python: str, env: dict[str, str]) -> str:
    """Write the notebook runner's configuration into the step folder; its path."""
    kernel = spec.kernel_name
    if os.path.realpath(python) != os.path.realpath(sys.executable):
        # The environment's interpreter runs the kernel: a kernelspec found through
        # JUPYTER_PATH, in the step folder.
        root = os.path.join(spec.step_dir, "jupyter")
        folder = os.path.join(root, "kernels", ENV_KERNEL)
        os.makedirs(folder, exist_ok=True)
        Path(folder, "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "step environment",
                    "language": "python",
                }
            )
        )
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [root, env.get("JUPYTER_PATH")]))
        kernel = ENV_KERNEL
    path = os.path.join(spec.step_dir, "dask-notebook.json")
    config = {
        "notebook": spec.notebook,
        "output_notebook": spec.output_notebook,
        "parameters": spec.notebook_parameters,
        "kernel_name": kernel,
        "cell_timeout": spec.cell_timeout,
        "log_output": spec.log_output,
    }
    Path(path).write_text(json.dumps(config))
    if os.path.exists(path + ".error"):
        os.remove(path + ".error")
    return path


def _run(
    spec: StepSpec, argv: list[str], env: dict[str, str], log_sink: LogSink | None, worker: str
) -> dict[str, Any]:
    with _lock:
        reason = _canceled.get(spec.step_run_id)
        if reason is not None:
            return {"status": st.CANCELED, "exit_code": None, "error": reason}
        try:
            with open(spec.stdout_path, "ab") as out, open(spec.stderr_path, "ab") as err:
                proc = subprocess.Popen(
                    argv,
                    cwd=spec.working_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    # The step dies with this thread's worker (a killed worker).
                    preexec_fn=die_with_parent(),
                )
        except OSError as exc:
            what = argv[0] if argv else "(empty command)"
            return {
                "status": st.FAILED,
                "exit_code": None,
                "error": f"cannot start {what!r}: {exc}",
            }
        _running[spec.step_run_id] = proc
    forwarder = _LogForwarder(spec, log_sink) if log_sink else None
    try:
        return _wait(spec, proc, worker)
    finally:
        with _lock:
            _running.pop(spec.step_run_id, None)
        # What escaped the step's process group is found by its marker (a scan of every
        # process, some ms): after the result, so that the step's end is not delayed.
        threading.Thread(target=sweep_step, args=(spec.step_run_id,), daemon=True).start()
        if forwarder is not None:
            forwarder.stop()


def _wait(spec: StepSpec, proc: subprocess.Popen[bytes], worker: str) -> dict[str, Any]:
    try:
        code = proc.wait(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        kill_tree(proc.pid)
        proc.wait()
        headline = f"step {spec.step_name!r} timed out after {spec.timeout:g} s and was stopped"
        return {"status": st.FAILED, "exit_code": None, "error": _failure(spec, headline)}
    with _lock:
        reason = _canceled.get(spec.step_run_id)
    if reason is not None:
        return {"status": st.CANCELED, "exit_code": code, "error": reason}
    if code == 0:
        return {"status": st.FINISHED, "exit_code": 0, "error": None}
    return {"status": st.FAILED, "exit_code": code, "error": _error(spec, code, worker)}


def _error(spec: StepSpec, code: int, worker: str) -> str:
    if spec.kind != "notebook":
        return _failure(spec, f"step {spec.step_name!r} exited with code {code}")
    error_file = os.path.join(spec.step_dir, "dask-notebook.json.error")
    if code == nbrunner.CELL_FAILED and os.path.exists(error_file):
        with open(error_file) as fh:
            info = json.load(fh)
        headline = (
            f"notebook {os.path.basename(spec.notebook or '')!r} failed in cell "
            f"{info.get('cell', '?')}: {info.get('ename')}: {info.get('evalue')}"
        )
        return _failure(spec, headline)
    if code == nbrunner.MISSING:
        return _failure(
            spec,
            f"notebook step {spec.step_name!r} cannot run on worker {worker!r}: "
            "papermill or ipykernel is not installed in its Python",
        )
    return _failure(spec, f"notebook step {spec.step_name!r} exited with code {code}")


def _failure(spec: StepSpec, headline: str) -> str:
    log = tail(spec.stderr_path) or tail(spec.stdout_path)
    return f"{headline}\n{log}" if log else headline


class _LogForwarder:
    """Follows the step's stdout and stderr files and hands new text to ``sink`` while the
    step runs (the transport's live logs), and once more when it ends."""

    def __init__(self, spec: StepSpec, sink: LogSink) -> None:
        self.paths = {"stdout": spec.stdout_path, "stderr": spec.stderr_path}
        self.offsets = dict.fromkeys(self.paths, 0)
        self.sink = sink
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        while not self._done.wait(FORWARD_INTERVAL):
            self._forward()
        self._forward()

    def _forward(self) -> None:
        for stream, path in self.paths.items():
            try:
                with open(path, "rb") as fh:
                    fh.seek(self.offsets[stream])
                    data = fh.read()
            except OSError:
                continue
            if data:
                self.offsets[stream] += len(data)
                self.sink(stream, data.decode("utf-8", errors="replace"))

    def stop(self) -> None:
        self._done.set()
        self._thread.join(5)
