"""A step running in a container: image, create, start, live logs, wait, stop, remove.

Everything happens in a thread of its own, so that ``launch`` returns at once and a
cancel during an image build is noticed. The step's timeout counts from the container's
start (a first image build does not eat it). The container is removed however the step
ends; cleanup by label (``cleanup.py``) catches what a killed driver leaves.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from ...errors import PipelinesError
from ...stores import status as st
from ..base import StepHandle, StepResult, StepSpec, build_log_path, tail
from . import nbrunner
from .engine import is_not_found
from .errors import notebook_tools_missing, start_error

#: Seconds between SIGTERM and SIGKILL when a container is stopped.
STOP_GRACE = 3


def _failure(spec: StepSpec, headline: str) -> str:
    log = tail(spec.stderr_path) or tail(spec.stdout_path)
    return f"{headline}\n{log}" if log else headline


class ContainerHandle(StepHandle):
    """One step's container; ``prepare`` (from the executor) gives image and create options."""

    def __init__(self, executor: Any, spec: StepSpec) -> None:
        self.executor = executor
        self.spec = spec
        self.image = ""
        self.container: Any = None
        self.result: StepResult | None = None
        self._canceled: str | None = None
        self._timed_out = False
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"docker:{spec.step_name}", daemon=True
        )
        self._thread.start()

    # -- the step's thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.result = self._execute()
        except PipelinesError as exc:
            self.result = StepResult(st.FAILED, None, str(exc))
        except Exception as exc:  # engine errors end the step, not the driver
            self.result = StepResult(
                st.FAILED, None, _failure(self.spec, f"step {self.spec.step_name!r}: {exc}")
            )
        finally:
            self._started.set()
            self._remove()
            if self._canceled is not None and self.result is not None:
                self.result = StepResult(st.CANCELED, self.result.exit_code, self._canceled)

    def _execute(self) -> StepResult:
        spec = self.spec
        # The image build's output has its own log: the step's stdout stays the step's.
        self.image = self.executor.image_for(spec, _Logger(build_log_path(spec)))
        command, options = self.executor.container_options(spec, self.image)
        with self._lock:
            if self._canceled is not None:
                return StepResult(st.CANCELED, None, self._canceled)
            self.container = self.executor.client.containers.create(self.image, command, **options)
        try:
            self.container.start()
        except Exception as exc:
            raise start_error(exc, spec.step_name, self.image, command) from exc
        self._started.set()
        streams = [self._stream(True, spec.stdout_path), self._stream(False, spec.stderr_path)]
        code = int(self.container.wait().get("StatusCode", -1))
        for thread in streams:
            thread.join(5)
        return self._classify(code)

    def _stream(self, stdout: bool, path: str) -> threading.Thread:
        """Follow the container's stdout (or stderr) into ``path`` in a thread."""
        container = self.executor.stream_client.containers.get(self.container.id)

        def follow() -> None:
            try:
                with open(path, "ab") as fh:
                    for chunk in container.logs(
                        stream=True, follow=True, stdout=stdout, stderr=not stdout
                    ):
                        fh.write(chunk)
                        fh.flush()
            except Exception:  # the container went away (cancel): the log ends there
                pass

        thread = threading.Thread(target=follow, name=f"logs:{self.spec.step_name}", daemon=True)
        thread.start()
        return thread

    def _classify(self, code: int) -> StepResult:
        spec = self.spec
        if self._canceled is not None:
            return StepResult(st.CANCELED, code, self._canceled)
        if self._timed_out:
            headline = f"step {spec.step_name!r} timed out after {spec.timeout:g} s and was stopped"
            return StepResult(st.FAILED, None, _failure(spec, headline))
        if code == 0:
            return StepResult(st.FINISHED, 0)
        if spec.kind == "notebook":
            return self._notebook_failure(code)
        return StepResult(
            st.FAILED, code, _failure(spec, f"step {spec.step_name!r} exited with code {code}")
        )

    def _notebook_failure(self, code: int) -> StepResult:
        spec = self.spec
        if code == nbrunner.MISSING:
            return StepResult(
                st.FAILED,
                code,
                notebook_tools_missing(spec.step_name, self.image, tail(spec.stderr_path, 1)),
            )
        error_file = self.executor.notebook_config_path(spec) + ".error"
        if code == nbrunner.CELL_FAILED and os.path.exists(error_file):
            with open(error_file) as fh:
                info = json.load(fh)
            headline = (
                f"notebook {os.path.basename(spec.notebook or '')!r} failed in cell "
                f"{info.get('cell', '?')}: {info.get('ename')}: {info.get('evalue')}"
            )
            return StepResult(st.FAILED, 1, _failure(spec, headline))
        return StepResult(
            st.FAILED,
            code,
            _failure(spec, f"notebook step {spec.step_name!r} exited with code {code}"),
        )

    def _stop(self) -> None:
        with self._lock:
            container = self.container
        if container is None:
            return
        try:
            container.stop(timeout=STOP_GRACE)
        except Exception as exc:
            if not is_not_found(exc):
                self._remove()

    def _remove(self) -> None:
        with self._lock:
            container = self.container
        if container is None:
            return
        try:
            container.remove(force=True)
        except Exception:  # already gone; cleanup by label removes whatever remains
            pass

    # -- StepHandle ------------------------------------------------------------------------
    def wait(self) -> StepResult:
        while self._thread.is_alive() and not self._started.wait(0.2):
            pass
        self._thread.join(self.spec.timeout)
        if self._thread.is_alive():
            self._timed_out = True
            self._stop()
            self._thread.join(STOP_GRACE + 30)
        assert self.result is not None
        return self.result

    def terminate(self, reason: str) -> None:
        with self._lock:
            self._canceled = reason
        self._stop()


class _Logger:
    """Appends build output to a log file line by line; the file exists once a line came."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, line: str) -> None:
        with open(self.path, "a") as fh:
            fh.write(line if line.endswith("\n") else line + "\n")
