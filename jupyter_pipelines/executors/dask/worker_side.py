"""What a Dask worker does with a staged step: fetch it, run it as locally, send it back.

The step's files are laid out under a fresh temporary folder at their driver paths
(``/tmp/jp-dask-XXXX`` + the driver's absolute path), so that rewriting a path is adding
one prefix, the same for every path however it is spelled in the spec, its arguments,
its environment or its manifest. The step then runs with the local executor's process
and notebook handles (the same runtime as on the driver's machine), its log files are
followed and forwarded chunk by chunk, and what it made goes back to the store; the
result (``result.json``) is written last.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from ...stores import status as st
from ..base import StepResult, StepSpec
from . import archive

LogSink = Callable[[str, str], None]
#: Polled while the step runs; returns a reason to cancel it, or None.
StopCheck = Callable[[], "str | None"]
#: Seconds between looks at the step's logs and at ``should_stop``.
POLL_S = 0.1
#: Runs a step whose files are on this worker: ``runner(spec, log_sink)`` -> result fields.
Runner = Callable[[StepSpec, "LogSink | None"], dict[str, Any]]
_PYTHON = re.compile(r"python[0-9.]*")


class Remap:
    """Driver paths -> the same paths under the worker's temporary ``root``."""

    def __init__(self, root: str, paths: list[str]) -> None:
        self.root = root.rstrip("/")
        known = sorted({p.rstrip("/") for p in paths if p and os.path.isabs(p)}, key=len)
        alternatives = "|".join(re.escape(p) for p in reversed(known))
        # A known path (or one under it), not part of a longer name.
        self._pattern = re.compile(rf"(?<![\w.\-/])(?:{alternatives})(?![\w.\-])")
        self._empty = not known

    def path(self, path: str) -> str:
        """Where the driver's absolute ``path`` lies on this worker."""
        return self.root + os.path.abspath(path)

    def text(self, value: str) -> str:
        """``value`` with every known driver path in it moved under the root."""
        if self._empty:
            return value
        return self._pattern.sub(lambda m: self.root + m.group(0), value)

    def value(self, value: Any) -> Any:
        """Strings anywhere in lists and dicts rewritten (see ``text``)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def back(self, text: str) -> str:
        """``text`` with worker paths read as the driver's (for error messages)."""
        return text.replace(self.root + "/", "/")


def worker_name() -> str:
    """The Dask worker's address when this runs in a Dask task, else the host name."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return socket.gethostname()


def _remote_spec(spec: StepSpec, remap: Remap) -> StepSpec:
    """The spec with its paths rewritten for this worker."""
    found = StepSpec.from_dict(remap.value(spec.to_dict()))
    if found.python and not os.path.exists(found.python):
        found.python = None
    # GPU ids were assigned on the driver's machine; here the worker's own view holds.
    found.resources = {k: v for k, v in found.resources.items() if k != "gpu_devices"}
    return found


def _own_python(spec: StepSpec, driver_python: str) -> StepSpec:
    """``spec`` with the driver's interpreter (or a missing one, e.g. an environment built
    on the driver) in ``argv[0]`` replaced by this worker's."""
    argv = spec.argv
    python = bool(argv) and _PYTHON.fullmatch(os.path.basename(argv[0])) is not None
    if python and (argv[0] == driver_python or not os.path.exists(argv[0])):
        argv[0] = sys.executable
    return spec


def _fetch(fs: Any, root: str, ticket: dict[str, Any], spec: StepSpec, remap: Remap) -> None:
    """Lay out the step's folder, code and inputs; make its outputs' places."""
    prefix = f"{root}/steps/{spec.step_run_id}"
    step_dir = remap.path(spec.step_dir)
    with tempfile.TemporaryDirectory(prefix=".jp-get-", dir=remap.root) as tmp:
        fs.get_file(f"{prefix}/step.tar.gz", os.path.join(tmp, "step.tar.gz"))
        archive.unpack(os.path.join(tmp, "step.tar.gz"), step_dir)
    if ticket.get("code"):
        archive.download_tree(fs, root, ticket["code"], remap.path(spec.working_dir), compress=True)
    else:
        os.makedirs(remap.path(spec.working_dir), exist_ok=True)
    for entry in (ticket.get("inputs") or {}).values():
        if entry.get("key"):
            archive.download_tree(fs, root, entry["key"], remap.path(entry["path"]))
    for out in spec.outputs.values():
        # As the driver prepares them: a mount-mode output is an empty folder, an
        # upload-mode one a place whose parent exists.
        path = remap.path(out["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if out.get("mode", "mount") != "upload":
            os.makedirs(path, exist_ok=True)
    manifest = os.path.join(step_dir, "manifest.json")
    if os.path.exists(manifest):
        with open(manifest) as fh:
            data = remap.value(json.load(fh))
        with open(manifest, "w") as fh:
            json.dump(data, fh, indent=1)


class LogFollower:
    """Reads what a step appends to its log files and hands it on, chunk by chunk."""

    def __init__(self, paths: dict[str, str], sink: LogSink | None) -> None:
        self.paths = paths
        self.sink = sink
        self.offsets = {stream: _size(path) for stream, path in paths.items()}

    def poll(self) -> None:
        """Hand on what was appended since the last poll."""
        sink = self.sink
        if sink is None:
            return
        for stream, path in self.paths.items():
            try:
                with open(path, "rb") as fh:
                    fh.seek(self.offsets[stream])
                    data = fh.read()
            except OSError:
                continue
            if data:
                self.offsets[stream] += len(data)
                try:
                    sink(stream, data.decode("utf-8", errors="replace"))
                except Exception:  # a sink that fails must not stop the step
                    self.sink = None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run_locally(
    spec: StepSpec,
    log_sink: LogSink | None = None,
    should_stop: StopCheck | None = None,
    driver_python: str = "",
) -> dict[str, Any]:
    """Run ``spec`` (its files on this machine) with the local executor's handles, the
    same runtime as on the driver's machine; its result's fields."""
    from ..local import LocalExecutor

    spec = _own_python(spec, driver_python)
    follower = LogFollower({"stdout": spec.stdout_path, "stderr": spec.stderr_path}, log_sink)
    # Launched from this thread: a step's process dies with the thread that started it.
    handle = LocalExecutor(slots=1).launch(spec)
    done: list[StepResult] = []
    waiter = threading.Thread(target=lambda: done.append(handle.wait()), daemon=True)
    waiter.start()
    stopping = False
    while waiter.is_alive():
        waiter.join(POLL_S)
        follower.poll()
        if not stopping and should_stop is not None:
            reason = should_stop()
            if reason is not None:
                stopping = True
                handle.terminate(reason)
    follower.poll()
    ran = done[0] if done else StepResult(st.FAILED, None, "the step's waiter died")
    return {"status": ran.status, "exit_code": ran.exit_code, "error": ran.error}


def _run_with(runner: Runner, spec: StepSpec, log_sink: LogSink | None) -> dict[str, Any]:
    """``runner(spec, sink)`` in a thread of its own, its log chunks handed to ``log_sink``
    from this thread: a sink may need the Dask task's thread (``get_worker()`` is only
    known there), whichever thread the runner forwards logs from."""
    chunks: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    done: list[dict[str, Any]] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            done.append(dict(runner(spec, lambda stream, text: chunks.put((stream, text)))))
        except BaseException as exc:  # raised again in the calling thread
            failed.append(exc)

    thread = threading.Thread(target=work, name=f"step:{spec.step_name}", daemon=True)
    thread.start()
    sink = log_sink
    while True:
        alive = thread.is_alive()
        while not chunks.empty():
            stream, text = chunks.get()
            if sink is not None:
                try:
                    sink(stream, text)
                except Exception:  # a sink that fails must not stop the step
                    sink = None
        if not alive:
            break
        thread.join(POLL_S)
    if failed:
        raise failed[0]
    return done[0]


def _send_back(
    fs: Any, root: str, spec: StepSpec, remap: Remap, ticket: dict[str, Any], finished: bool
) -> dict[str, Any]:
    """Upload the step folder (less code, inputs, outputs) and, when the step finished,
    its outputs (content-addressed). What was sent: for result.json."""
    from .transport import paths_apart

    prefix = f"{root}/steps/{spec.step_run_id}/result"
    sent: dict[str, Any] = {"step_dir": False, "outputs": {}}
    step_dir = remap.path(spec.step_dir)
    if os.path.isdir(step_dir):
        local = _remote_spec(spec, remap)
        skip = [os.path.abspath(local.working_dir), *paths_apart(local)]
        with tempfile.TemporaryDirectory(prefix=".jp-put-", dir=remap.root) as tmp:
            packed = os.path.join(tmp, "step.tar.gz")
            archive.pack_folder(local.step_dir, packed, skip)
            archive.put(fs, packed, f"{prefix}/step.tar.gz")
        sent["step_dir"] = True
    if finished:
        for name, out in spec.outputs.items():
            sent["outputs"][name] = archive.upload_tree(fs, remap.path(out["path"]), root)
    return sent


def run_ticket(
    ticket: dict[str, Any],
    log_sink: LogSink | None = None,
    *,
    should_stop: StopCheck | None = None,
    runner: Runner | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """Worker side: run the staged step of ``ticket`` here and send its result back.

    ``log_sink(stream, text)`` gets the step's stdout and stderr as they grow, always
    called from this thread (the Dask task's);
    ``should_stop()``, polled every ``POLL_S``, returns a reason to cancel the step (its
    process group is killed). ``runner(spec, log_sink)`` runs the step once its files are
    here (the spec's paths rewritten, its argv as planned) and forwards its logs; by default
    ``run_locally`` (the local executor's handles). Returns (and stores as ``result.json``)
    ``status``, ``exit_code``, ``error``, ``worker``, ``outputs`` (name -> content key) and
    timings.
    ``keep`` leaves the temporary folder (for debugging).
    """
    from .transport import TICKET_VERSION, ArtifactStore

    if int(ticket.get("version", 1)) > TICKET_VERSION:
        raise ValueError(f"ticket version {ticket['version']} is newer than this worker's")
    store = ArtifactStore.from_dict(ticket["store"])
    spec = StepSpec.from_dict(ticket["spec"])
    started = time.monotonic()
    root = tempfile.mkdtemp(prefix="jp-dask-")
    paths = [spec.working_dir, spec.step_dir, ticket.get("workspace_dir") or ""]
    paths += [e.get("path") or "" for e in [*spec.inputs.values(), *spec.outputs.values()]]
    remap = Remap(root, paths)
    result: dict[str, Any] = {"worker": worker_name(), "status": st.FAILED, "exit_code": None}
    fs: Any = None
    try:
        fs, store_root = store.filesystem()
        _fetch(fs, store_root, ticket, spec, remap)
        result["fetched_s"] = round(time.monotonic() - started, 3)
        here = _remote_spec(spec, remap)
        if runner is None:
            python = str(ticket.get("driver_python") or "")
            ran = run_locally(here, log_sink, should_stop, python)
        else:
            ran = _run_with(runner, here, log_sink)
        ran.pop("worker", None)
        result.update(ran)
        if ran.get("error"):
            result["error"] = remap.back(str(ran["error"]))
        finished = ran.get("status") == st.FINISHED
        result.update(_send_back(fs, store_root, spec, remap, ticket, finished))
    except Exception as exc:
        where = f"in the artifact store {store.url!r}" if fs is not None else "opening it"
        result.update(
            status=st.FAILED,
            error=f"step {spec.step_name!r} on worker {result['worker']}: {type(exc).__name__}"
            f" {where}: {remap.back(str(exc))}",
        )
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    result["worker_s"] = round(time.monotonic() - started, 3)
    if fs is not None:
        try:
            prefix = f"{store_root}/steps/{spec.step_run_id}/result"
            archive.put_bytes(fs, json.dumps(result).encode(), f"{prefix}/result.json")
        except Exception as exc:
            result["error"] = (result.get("error") or "") + f"\n(no result.json stored: {exc})"
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m jupyter_pipelines.executors.dask.worker_side TICKET.json``: run a ticket
    without Dask (for tests and debugging); log chunks go to stderr as JSON lines
    ``{"stream", "text", "t"}``, the result to stdout as JSON. Exit 0 when it finished."""
    args = sys.argv[1:] if argv is None else argv
    with open(args[0]) as fh:
        ticket = json.load(fh)

    def sink(stream: str, text: str) -> None:
        line = {"stream": stream, "text": text, "t": time.time()}
        print(json.dumps(line), file=sys.stderr, flush=True)

    result = run_ticket(ticket, sink)
    print(json.dumps(result), flush=True)
    return 0 if result.get("status") == st.FINISHED else 1


if __name__ == "__main__":
    sys.exit(main())
