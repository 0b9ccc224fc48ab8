"""The v1 ``Run`` logging methods (log, log_list, log_row, log_table, log_image, the chart
metrics, upload_file, get_metrics), written once for every kind of run.

A subclass says where things go: ``_files_dir`` (uploads), ``_step_dir`` (the run's folder;
an image metric's value is its path relative to it) and ``_append_metric``, which by default
appends the record to ``_metrics_file`` (see :mod:`.metrics`) and which the engine's runs
override to write to the run store. Files are copied atomically. Standard library only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .files import copy_atomic, safe_destination, save_with
from .metrics import append_line, encode_record, make_record, read_metrics, summarize_metrics

#: v1's chart metrics: the method that logs each, and the ``schema_type`` its value has.
CHART_KINDS = {
    "confusion_matrix": "confusion_matrix",
    "accuracy_table": "accuracy_table",
    "residuals": "residuals",
    "predictions": "predictions",
}


class RunRecorder:
    """The v1 logging methods, shared by every run class.

    Subclasses set (or compute, as properties) the attributes below: records go through
    ``_append_metric`` (by default to ``_metrics_file``), files under ``_files_dir``, and
    ``_echo`` also prints each metric as v1's offline run does.
    """

    id: str
    _step: str
    _step_dir: str
    _metrics_file: str
    _files_dir: str
    _echo: bool

    def _owns(self, record: Mapping[str, Any]) -> bool:
        return record.get("run_id") == self.id

    def _emit(
        self, kind: str, name: str, value: Any, description: str | None, index: Any = None
    ) -> None:
        record = make_record(name, kind, value, step=self._step, description=description)
        record["run_id"] = self.id
        if index is not None:
            record["index"] = index  # v1's ``step``: the x value of a series
        data = encode_record(record)  # raises TypeError naming the metric before any output
        if self._echo:
            shown = value if kind != "row" else dict(value)
            print(f"Attempted to log {kind} metric {name}:\n{shown}")
        self._append_metric(json.loads(data), data)

    def _append_metric(self, record: dict[str, Any], data: bytes) -> None:
        """Keep one encoded metric record (``data`` is ``record`` as one JSON line)."""
        append_line(self._metrics_file, data)

    def log(self, name: str, value: Any, description: str = "", step: Any = None) -> None:
        """Log a scalar; logging the same name again makes a series (``step``: its x value)."""
        if isinstance(value, (list, tuple, dict, set)):
            raise TypeError(
                f"metric {name!r}: log() takes a single value, got {type(value).__name__}; "
                "use log_list() for a list, log_row() or log_table() for a table"
            )
        if step is None:
            self._emit("scalar", name, value, description)
        else:
            self._emit("scalar", name, value, description, index=step)

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

    def _log_chart(self, kind: str, name: str, value: Any, description: str) -> None:
        """Log one of v1's chart metrics: a dict (or its JSON text) with ``schema_type``."""
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"metric {name!r}: {kind} value is not valid JSON ({exc})")
        if not isinstance(value, Mapping) or "data" not in value:
            raise TypeError(
                f"metric {name!r}: log_{kind}() needs a dict (or its JSON text) with "
                f'"schema_type": "{CHART_KINDS[kind]}", "schema_version" and "data", as in v1'
            )
        found = value.get("schema_type", CHART_KINDS[kind])
        if found != CHART_KINDS[kind]:
            raise ValueError(
                f"metric {name!r}: log_{kind}() got schema_type {found!r}, "
                f"expected {CHART_KINDS[kind]!r}"
            )
        self._emit(kind, name, {"schema_type": found, **dict(value)}, description)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        """Log a confusion matrix: ``{"schema_type": "confusion_matrix", "schema_version":
        "1.0.0", "data": {"class_labels": [...], "matrix": [[...], ...]}}``."""
        self._log_chart("confusion_matrix", name, value, description)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        """Log an accuracy table (``schema_type`` ``accuracy_table``; v1's JSON value)."""
        self._log_chart("accuracy_table", name, value, description)

    def log_residuals(self, name: str, value: Any, description: str = "") -> None:
        """Log regression residuals (``schema_type`` ``residuals``: bin edges and counts)."""
        self._log_chart("residuals", name, value, description)

    def log_predictions(self, name: str, value: Any, description: str = "") -> None:
        """Log regression predictions (``schema_type`` ``predictions``: bins, means, errors)."""
        self._log_chart("predictions", name, value, description)

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: Any = None) -> str:
        """Copy a file (a path, a readable stream or bytes) to ``<files_dir>/<name>``.

        ``name`` may contain sub-folders; absolute paths and ``..`` are refused. Returns the
        absolute path of the stored copy. ``datastore_name`` is accepted for v1 code: a
        run's files always live with the run (v1's artifact store).
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
