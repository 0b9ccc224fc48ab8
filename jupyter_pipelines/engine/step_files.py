"""What a step run left behind, as v1 exposes it: its files, its logs (stdout, stderr, the job
log) and its outputs (``get_outputs``, ``get_output``, ``get_output_data``).

A reused step run serves those of the step run it reused (``origin_record``); what was
recorded on the reused step run itself afterwards (uploads, tags) is added to them.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import UnknownRunError, did_you_mean
from ..executors.base import BUILD_LOG
from ..runtime.run_files import run_file_index
from ..stores.runstore import RunStore, StepRecord

if TYPE_CHECKING:
    from .port_data import PortDataReference, StepRunOutput
    from .step_run import StepRun


def _job_logs(folder: str | os.PathLike[str]) -> list[Path]:
    """The other logs a step left in its folder, by name: its environment build's
    (``environment_build.txt``) and its ``*.log`` files (its kernel's)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    build = root / BUILD_LOG
    return sorted([*root.glob("*.log"), *([build] if build.is_file() else [])])


def _working_dir(record: StepRecord) -> str | None:
    """The folder the step's code ran in (None for a step that never ran: a reused one)."""
    found = record.spec.get("working_dir")
    return str(found) if found else None


def _read(path: str | os.PathLike[str] | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class StepRunFiles:
    """File, log and output members of StepRun; needs ``_record``, ``_store``, ``id``."""

    id: str
    _record: StepRecord
    _store: RunStore
    _step_dir: str

    def origin_record(self) -> StepRecord:
        """The record that holds the logs and files: the reused step run, or this one."""
        if self._record.reused_from is None:
            return self._record
        return self._store.get_step_run(self._record.reused_from)

    def _records(self) -> list[StepRecord]:
        """The step run's records, the reused run's first (the own one wins on conflicts)."""
        origin = self.origin_record()
        return [origin] if origin.id == self._record.id else [origin, self._record]

    def _folders(self) -> list[str]:
        """The step run's folders, the reused run's first (the own one wins on conflicts)."""
        return [record.step_dir for record in self._records()]

    # -- files -----------------------------------------------------------------------------
    def files_root(self) -> Path:
        """The folder of the step run's files (the reused run's, when reused)."""
        return Path(self.origin_record().step_dir)

    def _file_index(self) -> dict[str, str]:
        """Its logs and files, what its code wrote to ``./outputs`` and ``./logs`` (listed
        where the step left them), and its uploads; a reused step run's are those of the
        run it reused, plus what was uploaded to it since."""
        index: dict[str, str] = {}
        for record in self._records():
            index.update(run_file_index(record.step_dir, working_dir=_working_dir(record)))
        return dict(sorted(index.items()))

    def _path_in_folder(self, name: str) -> str | None:
        for folder in reversed(self._folders()):
            root = os.path.realpath(folder)
            path = os.path.realpath(os.path.join(root, name))
            if os.path.commonpath([root, path]) == root and os.path.isfile(path):
                return path
        return None

    # -- logs ------------------------------------------------------------------------------
    def _log_path(self, stream: str) -> str:
        return str(self.origin_record().spec.get(f"{stream}_path") or "")

    def get_logs(self) -> dict[str, str]:
        """The step's stdout and stderr, as text (those of the reused run when reused), and
        its environment build's log under ``environment_build`` when it built one."""
        logs = {key: _read(self._log_path(key)) for key in ("stdout", "stderr")}
        build = Path(self.origin_record().step_dir) / BUILD_LOG
        if build.is_file():
            logs["environment_build"] = _read(build)
        return logs

    def get_stdout_log(self) -> str:
        """The text the step wrote to its standard output (cell output of a notebook)."""
        return _read(self._log_path("stdout"))

    def get_stderr_log(self) -> str:
        """The text the step wrote to its standard error."""
        return _read(self._log_path("stderr"))

    def get_job_log(self) -> str:
        """The step's job log: what ran, each status change with its time and reason, then
        the kernel's and environment build's own logs when the step left any."""
        origin = self.origin_record()
        spec = origin.spec
        what = spec.get("notebook") or " ".join(str(a) for a in spec.get("argv") or [])
        lines = [
            f"step {origin.name!r}: step run {origin.id} of pipeline run {origin.run_id}",
            f"target: {origin.target}",
            f"runs: {what}",
        ]
        for event in self._store.events(origin.run_id):
            if event["step"] == origin.name:
                when = datetime.fromtimestamp(event["ts"], tz=timezone.utc).isoformat()
                reason = f": {event['message']}" if event["message"] else ""
                lines.append(f"{when} {event['status']}{reason}")
        text = "\n".join(lines) + "\n"
        for path in _job_logs(origin.step_dir):
            content = _read(path)
            if content:
                text += f"\n--- {path.name} ---\n{content}"
        return text

    def _log_files(self) -> dict[str, str]:
        logs = {f"{s}.txt": self._log_path(s) for s in ("stdout", "stderr") if self._log_path(s)}
        logs.update({p.name: str(p) for p in _job_logs(self.origin_record().step_dir)})
        return logs

    def get_notebook_path(self) -> Path | None:
        """The executed copy of a notebook step (None for other steps or before it ran)."""
        path = self.origin_record().spec.get("output_notebook")
        return Path(path) if path and Path(path).exists() else None

    # -- outputs ---------------------------------------------------------------------------
    def _outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = self.origin_record().outputs
        return outputs

    def _check_output(self, name: str) -> dict[str, Any]:
        outputs = self._outputs()
        if name not in outputs:
            raise UnknownRunError(
                f"step {self._record.name!r} has no output {name!r}"
                f"{did_you_mean(name, outputs)}; it has {sorted(outputs)}"
            )
        found: dict[str, Any] = outputs[name]
        return found

    def get_output_path(self, name: str) -> Path:
        """The local folder of output ``name`` (filled once the step finished)."""
        return Path(self._check_output(name)["path"])

    def get_outputs(self) -> dict[str, StepRunOutput]:
        """Output name -> ``StepRunOutput`` of each of the step's outputs."""
        return {name: self.get_output(name) for name in self._outputs()}

    def get_output(self, name: str) -> StepRunOutput:
        """The step's output ``name`` (a ``StepRunOutput``)."""
        from .port_data import StepRunOutput

        entry = self._check_output(name)
        origin = self.origin_record()
        step_run = cast("StepRun", self)
        return StepRunOutput(self._context(), origin.run_id, step_run, name, entry)

    def get_output_data(self, name: str) -> PortDataReference:
        """The data of the step's output ``name``: a PortDataReference (download it, or use it
        as an input of another pipeline)."""
        return self.get_output(name).get_port_data_reference()

    def _context(self) -> Any:
        """What v1 calls the graph context: here, the experiment."""
        raise NotImplementedError
