"""The package's logger, named once so that every layer logs under one name."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

#: Set inside every pipeline step (the path of its manifest); its output goes to log files.
STEP_MANIFEST_ENV = "JUPYTER_PIPELINES_STEP_MANIFEST"

logger = logging.getLogger("jupyter_pipelines")


def get_logger(name: str) -> logging.Logger:
    """Return a child of the package logger for the module ``name``."""
    return logger.getChild(name.removeprefix("jupyter_pipelines."))


def progress_bars_wanted(stream: Any = None) -> bool:
    """Whether a progress bar may be drawn on ``stream`` (``sys.stderr`` by default).

    Only where someone watches it redrawn: a terminal, or a notebook kernel's own output
    (where tqdm draws a widget). Never inside a pipeline step, whose output goes to log
    files, nor into files and pipes, where a bar would be a line of noise per update.
    """
    if os.environ.get(STEP_MANIFEST_ENV):
        return False
    out = sys.stderr if stream is None else stream
    if type(out).__module__.startswith("ipykernel."):
        return True
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False
