"""Shared test setup: make the package in this checkout importable without installing it,
and give the whole session an environment cache of its own (step environments are built
into a per-user cache shared by every workspace; tests must neither read a cache left by
an earlier session nor leave one behind)."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if "JUPYTER_PIPELINES_ENV_CACHE" not in os.environ:
    _ENV_CACHE = tempfile.mkdtemp(prefix="jp-test-envs-")
    os.environ["JUPYTER_PIPELINES_ENV_CACHE"] = _ENV_CACHE
    atexit.register(shutil.rmtree, _ENV_CACHE, ignore_errors=True)
