"""The local compute target: steps as process groups on this machine, notebooks via papermill.

Notebooks run in the executor's own process (papermill is imported once), each in a
kernel started here with the step's working directory and environment, so that a
cancel or timeout can kill exactly that kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any

from ..stores import status as st
from .base import AbstractExecutor, StepHandle, StepResult, StepSpec, tail
from .kernels import KernelChoice, choose_kernel, kernel_options
from .processes import (
    STEP_MARKER,
    die_with_parent,
    kill_tree,
    marked,
    marker_env,
    stop,
    sweep_step,
)

#: The kernel name used for a step whose environment brings its own interpreter.
ENV_KERNEL = "jupyter-pipelines-step-env"


class LocalExecutor(AbstractExecutor):
    """Runs steps on this machine, up to ``slots`` at once (default: the number of CPUs)."""

    name = "local"

    def __init__(self, slots: int | None = None, **options: Any) -> None:
        super().__init__(slots, **options)
        #: The fork servers that start this run's notebook kernels warm (made when needed).
        self._warm: Any = None
        self._warm_lock = threading.Lock()

    def warm_kernels(self) -> Any:
        """This executor's :class:`~.warm_kernels.WarmKernelPool` (made on first use)."""
        with self._warm_lock:
            if self._warm is None:
                from .warm_kernels import WarmKernelPool

                self._warm = WarmKernelPool()
            return self._warm

    def close(self) -> None:
        """Stop the fork servers of notebook kernels (the run ended)."""
        with self._warm_lock:
            pool, self._warm = self._warm, None
        if pool is not None:
            pool.close()

    def launch(self, spec: StepSpec) -> StepHandle:
        env = {
            **os.environ,
            **spec.env,
            **gpu_environment(spec),
            **marker_env(spec.run_id, spec.step_run_id),
        }
        if spec.kind == "notebook":
            return NotebookHandle(spec, env, self.warm_kernels())
        try:
            return ProcessHandle(spec, env)
        except OSError as exc:
            what = spec.argv[0] if spec.argv else "(empty command)"
            return FailedHandle(StepResult(st.FAILED, None, f"cannot start {what!r}: {exc}"))


def gpu_environment(spec: StepSpec) -> dict[str, str]:
    """The variables that give a step exactly its assigned GPUs (none: hide them all).

    Empty when the driver assigned none (the machine has no GPUs): the step's view is
    left as it is. ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` makes CUDA number the devices as
    ``nvidia-smi`` does, unless the user chose an order.
    """
    devices = spec.resources.get("gpu_devices")
    if devices is None:
        return {}
    env = {"CUDA_VISIBLE_DEVICES": ",".join(str(d) for d in devices)}
    if "CUDA_DEVICE_ORDER" not in os.environ and "CUDA_DEVICE_ORDER" not in spec.env:
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    return env


def _failure(spec: StepSpec, headline: str) -> str:
    log = tail(spec.stderr_path) or tail(spec.stdout_path)
    return f"{headline}\n{log}" if log else headline


def note_stopped(spec: StepSpec, how: str, stopped: list[str]) -> None:
    """Say in the step's log (``stderr.txt``) which of its processes were stopped when it
    ended, and why (``how``: finished, failed, timed out, was canceled)."""
    unique = list(dict.fromkeys(stopped))
    if not unique:
        return
    lines = [
        f"[jupyter-pipelines] step {spec.step_name!r} {how}; stopped {len(unique)} "
        f"process{'es' if len(unique) > 1 else ''} it had started:",
        *(f"[jupyter-pipelines]   {what}" for what in unique),
    ]
    try:
        with open(spec.stderr_path, "a") as fh:
            fh.write("\n".join(lines) + "\n")
    except OSError:
        pass


def _how(result: StepResult, timed_out: bool = False) -> str:
    if timed_out:
        return "timed out"
    return {st.FINISHED: "finished", st.CANCELED: "was canceled"}.get(result.status, "failed")


def _timed_out(spec: StepSpec) -> StepResult:
    return StepResult(
        st.FAILED,
        None,
        _failure(
            spec, f"step {spec.step_name!r} timed out after {spec.timeout:g} s and was stopped"
        ),
    )


class FailedHandle(StepHandle):
    """A step that could not even start."""

    def __init__(self, result: StepResult) -> None:
        self.result = result

    def wait(self) -> StepResult:
        return self.result

    def terminate(self, reason: str) -> None:
        pass


class ProcessHandle(StepHandle):
    """A command step: one process in its own session (and so its own process group).

    It gets SIGKILL when the thread that launched it dies (its driver was killed); when it
    ends, every process it started that still runs is stopped too, and named in its log.
    """

    def __init__(self, spec: StepSpec, env: dict[str, str]) -> None:
        self.spec = spec
        self._canceled: str | None = None
        #: What a cancel or timeout stopped of the step's process tree.
        self._stopped: list[str] = []
        with open(spec.stdout_path, "ab") as out, open(spec.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                spec.argv,
                cwd=spec.working_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        #: The step's process (and process group) id, recorded so that an orphaned
        #: step can be stopped when its driver dies.
        self.pid = self.proc.pid

    def wait(self) -> StepResult:
        spec = self.spec
        timed_out = False
        try:
            code = self.proc.wait(timeout=spec.timeout)
        except subprocess.TimeoutExpired:
            kill_tree(self.proc.pid, found=self._stopped)
            self.proc.wait()
            result, timed_out = _timed_out(spec), True
        else:
            result = self._result(code)
        # The result (and the log tail it quotes) first: the note below goes after it.
        stopped = self._stopped + sweep_step(spec.step_run_id)
        note_stopped(spec, _how(result, timed_out), stopped)
        return result

    def _result(self, code: int) -> StepResult:
        spec = self.spec
        if self._canceled is not None:
            return StepResult(st.CANCELED, code, self._canceled)
        if code == 0:
            return StepResult(st.FINISHED, 0)
        return StepResult(
            st.FAILED, code, _failure(spec, f"step {spec.step_name!r} exited with code {code}")
        )

    def terminate(self, reason: str) -> None:
        self._canceled = reason
        kill_tree(self.proc.pid, found=self._stopped)


class NotebookHandle(StepHandle):
    """A notebook step: papermill in a thread of this process, talking to its own kernel."""

    def __init__(self, spec: StepSpec, env: dict[str, str], warm: Any = None) -> None:
        # Imported in the launching thread, not in the step threads: two threads importing
        # jupyter_client's modules in different orders can each see one half-initialized.
        import jupyter_client.kernelspec
        import jupyter_client.manager  # noqa: F401

        from . import warm_kernels  # noqa: F401

        self.spec = spec
        self.env = env
        #: The pool of fork servers to start the kernel from (None: a cold start).
        self.warm = warm
        self._canceled: str | None = None
        self._lock = threading.Lock()
        self.km: Any = None
        self._ipc_dir: str | None = None
        self.result: StepResult | None = None
        self._stopped: list[str] = []
        self._timed_out = False
        if warm is not None:
            # The usual kernel (the step's Python, ipykernel): its fork server starts now
            # and imports its modules while this step imports papermill.
            python = spec.python if self._own_python() else sys.executable
            warm.prepare([python or sys.executable, "-m", "ipykernel_launcher"], env)
        self._thread = threading.Thread(
            target=self._run, name=f"notebook:{spec.step_name}", daemon=True
        )
        self._thread.start()

    def _start_kernel(self, kernel_name: str) -> None:
        # An async manager gives nbclient an async client: with a blocking one, nbclient
        # waits for the kernel's output in a blocking call that never notices the kernel
        # was killed (cancel, timeout), and the step hangs.
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        from .warm_kernels import STEP_CLIENT

        with self._lock:
            if self._canceled is not None:
                raise _Canceled()
            # Unix sockets in a private folder: kernels started at once cannot collide, as
            # TCP ports chosen "free" by one kernel and bound later by another can. The
            # folder is short because socket paths are limited to about 100 bytes.
            self._ipc_dir = tempfile.mkdtemp(prefix="jp-kernel-")
            options = {
                "kernel_name": kernel_name,
                "transport": "ipc",
                "ip": os.path.join(self._ipc_dir, "k"),
                "client_class": STEP_CLIENT,
                **self._kernel_for_python(),
            }
            self.km = AsyncKernelManager(**options)
            if self.warm is not None:
                self.km.provisioner = self._warm_provisioner()
            log = open(os.path.join(self.spec.step_dir, "kernel.log"), "ab")  # noqa: SIM115
            try:
                # The kernel dies with this thread's process (a killed driver).
                run_sync(self.km.start_kernel)(
                    cwd=self.spec.working_dir,
                    env=self.env,
                    stdout=log,
                    stderr=log,
                    preexec_fn=die_with_parent(),
                    extra_arguments=kernel_options(self.km.kernel_spec.argv),
                )
            finally:
                log.close()

    def _warm_provisioner(self) -> Any:
        """A provisioner that forks the kernel from this run's warm process for its Python
        (else starts it as usual); jupyter_client would make a ``LocalProvisioner``."""
        import uuid

        from .warm_kernels import WarmKernelProvisioner

        km = self.km
        km.kernel_id = km.kernel_id or str(uuid.uuid4())
        provisioner = WarmKernelProvisioner(
            kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km
        )
        provisioner.pool = self.warm
        return provisioner

    def _own_python(self) -> bool:
        """Whether the step's environment brings an interpreter other than this one."""
        python = self.spec.python
        if not python:
            return False
        return os.path.realpath(python) != os.path.realpath(sys.executable)

    def _kernel_choice(self, metadata: dict[str, Any]) -> KernelChoice:
        """The kernel to start: the environment's own, else the one named (or our Python)."""
        if self._own_python():
            return choose_kernel(metadata, ENV_KERNEL, available=[ENV_KERNEL])
        return choose_kernel(metadata, self.spec.kernel_name)

    def _kernel_for_python(self) -> dict[str, Any]:
        """A kernelspec for the step's environment interpreter, when it has its own."""
        python = self.spec.python
        if not python or not self._own_python():
            return {}
        from jupyter_client.kernelspec import KernelSpecManager

        folder = os.path.join(self.spec.step_dir, "kernelspecs")
        spec_dir = os.path.join(folder, ENV_KERNEL)
        os.makedirs(spec_dir, exist_ok=True)
        with open(os.path.join(spec_dir, "kernel.json"), "w") as fh:
            json.dump(
                {
                    "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "step environment",
                    "language": "python",
                },
                fh,
            )
        return {
            "kernel_name": ENV_KERNEL,
            "kernel_spec_manager": KernelSpecManager(kernel_dirs=[folder]),
        }

    def _run(self) -> None:
        spec = self.spec
        try:
            with open(spec.stdout_path, "a") as out, open(spec.stderr_path, "a") as err:
                self._execute(out, err)
            self.result = StepResult(st.FINISHED, 0)
        except _Canceled:
            self.result = StepResult(st.CANCELED, None, self._canceled)
        except Exception as exc:  # papermill and kernel errors end the step, not the driver
            self.result = self._classify(exc)
        finally:
            self._shutdown()

    def _execute(self, out: IO[str], err: IO[str]) -> None:
        import nbformat

        spec = self.spec
        assert spec.notebook is not None
        nb = nbformat.read(spec.notebook, as_version=4)
        kernel = self._kernel_choice(nb.metadata)
        if kernel.note:
            print(kernel.note, file=err, flush=True)
        # papermill's import (a few tenths of a second) overlaps, in the first notebook
        # step of a run, what the kernel does meanwhile: a fork server (started with this
        # handle) importing the kernel's modules, else a kernel booting.
        if self.warm is None:
            self._start_kernel(kernel.name)
        import papermill

        if self.warm is not None:
            self._start_kernel(kernel.name)

        papermill.execute_notebook(
            nb,
            spec.output_notebook,
            parameters=spec.notebook_parameters,
            km=self.km,
            kernel_name=kernel.name,
            language=kernel.language,
            progress_bar=False,
            log_output=spec.log_output,
            stdout_file=out,
            stderr_file=err,
            execution_timeout=spec.cell_timeout,
            cwd=None,
        )

    def _classify(self, exc: Exception) -> StepResult:
        if self._canceled is not None:
            return StepResult(st.CANCELED, None, self._canceled)
        name = type(exc).__name__
        if name == "PapermillExecutionError":
            cell = getattr(exc, "exec_count", "?")
            headline = (
                f"notebook {os.path.basename(self.spec.notebook or '')!r} failed in "
                f"cell {cell}: {getattr(exc, 'ename', name)}: {getattr(exc, 'evalue', '')}"
            )
            return StepResult(st.FAILED, 1, _failure(self.spec, headline))
        return StepResult(
            st.FAILED,
            None,
            _failure(self.spec, f"notebook step {self.spec.step_name!r} failed: {name}: {exc}"),
        )

    def _shutdown(self) -> None:
        """Stop what the notebook started (named in the log), then its kernel."""
        kernel = self._kernel_pid()
        left = [p for p in marked(STEP_MARKER, self.spec.step_run_id) if p.pid != kernel]
        stopped = self._stopped + stop(left)
        self._shutdown_kernel()
        how = "timed out" if self._timed_out else _how(self.result or StepResult(st.FAILED))
        note_stopped(self.spec, how, [s for s in stopped if not s.startswith(f"pid {kernel}:")])

    def _kernel_pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def _shutdown_kernel(self) -> None:
        km = self.km
        if km is not None and km.has_kernel:
            self._reap_kernel()
            try:
                from jupyter_core.utils import run_sync

                run_sync(km.shutdown_kernel)(now=True)
            except Exception:
                self._kill_kernel()
        if self._ipc_dir is not None:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)

    def _reap_kernel(self) -> None:
        """SIGKILL the kernel's process group and reap it at once.

        ``shutdown_kernel(now=True)`` kills too, but then polls the kernel every 0.1 s;
        a kernel already reaped costs it nothing, so each notebook step ends ~0.1 s sooner.
        """
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None or process.poll() is not None:
            return
        pgid = getattr(provisioner, "pgid", None)
        try:
            if pgid and pgid != os.getpgrp():
                os.killpg(pgid, signal.SIGKILL)
            else:
                process.kill()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass  # shutdown_kernel (or _kill_kernel) deals with what is left

    def _kill_kernel(self) -> None:
        km = self.km
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            kill_tree(process.pid, found=self._stopped)

    def wait(self) -> StepResult:
        spec = self.spec
        self._thread.join(spec.timeout)
        if self._thread.is_alive():
            self._canceled = ""  # makes the papermill error read as ours, not the notebook's
            self._timed_out = True
            result = _timed_out(spec)  # quotes the log before the note of what was stopped
            self._kill_kernel()
            self._thread.join(30)
            return result
        assert self.result is not None
        return self.result

    def terminate(self, reason: str) -> None:
        with self._lock:
            self._canceled = reason
        self._kill_kernel()


class _Canceled(Exception):
    """Raised inside the notebook thread when a cancel came before the kernel started."""
