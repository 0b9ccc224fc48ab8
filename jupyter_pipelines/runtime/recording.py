"""The v1 ``Run`` logging methods (log, log_list, log_row, log_table, log_image, upload_file,
get_metrics), written once for a step's run and for its parent, the pipeline run.

Records are appended to the step's metrics file (see :mod:`.metrics`) with the id of the run
they belong to; files are copied atomically under the step's files folder. Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .files import copy_atomic, safe_destination, save_with
from .metrics import append_line, encode_record, make_record, read_metrics, summarize_metrics


class RunRecorder:
    """The v1 logging methods, shared by a step's run and its parent (the pipeline run).

    Subclasses set the attributes below; records go to ``_metrics_file``, files under
    ``_files_dir``, and ``_echo`` also prints each metric as v1's offline run does.
    """

    id: str
    _step: str
    _step_dir: str
    _metrics_file: str
    _files_dir: str
    _echo: bool

    def _owns(self, record: Mapping[str, Any]) -> bool:
        return record.get("run_id") == self.id

    def _emit(self, kind: str, name: str, value: Any, description: str | None) -> None:
        record = make_record(name, kind, value, step=self._step, description=description)
        record["run_id"] = self.id
        data = encode_record(record)  # raises TypeError naming the metric before any output
        if self._echo:
            shown = value if kind != "row" else dict(value)
            print(f"Attempted to log {kind} metric {name}:\n{shown}")
        append_line(self._metrics_file, data)

    def log(self, name: str, value: Any, description: str = "") -> None:
        """Log a scalar; logging the same name again makes a series."""
        if isinstance(value, (list, tuple, dict, set)):
            raise TypeError(
                f"metric {name!r}: log() takes a single value, got {type(value).__name__}; "
                "use log_list() for a list, log_row() or log_table() for a table"
            )
        self._emit("scalar", name, value, description)

    def log_list(self, name: str, value: Any, description: str = "") -> None:
        """Log a list of values."""
        if hasattr(value, "tolist") and not isinstance(value, (list, tuple)):
            value = value.tolist()
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"metric {name!r}: log_list() needs a list, got {type(value).__name__}")
        self._emit("list", name, list(value), description)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Log one row of a table, one keyword argument per column."""
        if not kwargs:
            raise ValueError(f"metric {name!r}: log_row() needs at least one column=value")
        self._emit("row", name, kwargs, description)

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        """Log a table given as a dict of equal-length column lists."""
        if not isinstance(value, Mapping):
            raise TypeError(
                f"metric {name!r}: log_table() needs a dict of lists, got {type(value).__name__}"
            )
        columns: dict[str, list[Any]] = {}
        for column, cells in value.items():
            if hasattr(cells, "tolist") and not isinstance(cells, (list, tuple)):
                cells = cells.tolist()
            if not isinstance(cells, (list, tuple)):
                raise TypeError(
                    f"metric {name!r}: column {column!r} of log_table() must be a list, "
                    f"got {type(cells).__name__}"
                )
            columns[str(column)] = list(cells)
        if len({len(cells) for cells in columns.values()}) > 1:
            lengths = {column: len(cells) for column, cells in columns.items()}
            raise ValueError(f"metric {name!r}: table columns differ in length: {lengths}")
        self._emit("table", name, columns, description)

    def log_image(
        self, name: str, path: Any = None, plot: Any = None, description: str = ""
    ) -> None:
        """Log an image from a file (``path``) or a matplotlib figure or pyplot (``plot``)."""
        if (path is None) == (plot is None):
            raise ValueError(f"metric {name!r}: log_image() needs exactly one of path= or plot=")
        ext = ".png" if plot is not None else Path(os.fspath(path)).suffix
        filename = name if ext and name.lower().endswith(ext.lower()) else name + ext
        dest = safe_destination(os.path.join(self._files_dir, "images"), filename, "image name")
        if plot is not None:
            if not callable(getattr(plot, "savefig", None)):
                raise TypeError(
                    f"metric {name!r}: plot= must be a matplotlib figure or pyplot "
                    f"(something with savefig), got {type(plot).__name__}"
                )
            save_with(dest, lambda tmp: plot.savefig(tmp, format="png"), suffix=".png")
        else:
            copy_atomic(os.fspath(path), dest)
        relative = Path(os.path.relpath(dest, self._step_dir)).as_posix()
        self._emit("image", name, relative, description)

    def upload_file(self, name: str, path_or_stream: Any) -> str:
        """Copy a file (a path, a readable stream or bytes) to ``<files_dir>/<name>``.

        ``name`` may contain sub-folders; absolute paths and ``..`` are refused. Returns the
        absolute path of the stored copy.
        """
        dest = safe_destination(self._files_dir, name, "upload name")
        copy_atomic(path_or_stream, dest)
        if self._echo:
            print(f"Attempted to upload file {name}:\n{dest}")
        return str(dest)

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """What was logged to this run, in the shapes of v1 (scalar once: value, else list)."""
        records = [r for r in read_metrics(self._metrics_file) if self._owns(r)]
        return summarize_metrics(records, name)

    def get_status(self) -> str:
        """Always ``"Running"``: code that can ask is running inside the run."""
        return "Running"

    def complete(self, _set_status: bool = True) -> None:
        """No-op: the run driver sets the final status when the step process ends."""

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """No-op: a step fails by raising or exiting with a non-zero status."""

    def flush(self, timeout_seconds: int = 300) -> None:
        """No-op: every record is written when it is logged."""
