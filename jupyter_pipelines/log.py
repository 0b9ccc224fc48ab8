"""The package's logger, named once so that every layer logs under one name."""

from __future__ import annotations

import logging

logger = logging.getLogger("jupyter_pipelines")


def get_logger(name: str) -> logging.Logger:
    """Return a child of the package logger for the module ``name``."""
    return logger.getChild(name.removeprefix("jupyter_pipelines."))
