"""Fixtures of the v1 fidelity tests: the v1 SDK's wheels, read as a reference."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference


@pytest.fixture(scope="session")
def v1_reference() -> reference.Reference:
    """The v1 classes in scope, read from the pinned wheels (downloaded once, cached)."""
    try:
        wheels = reference.download_wheels()
    except (OSError, TimeoutError) as exc:
        pytest.skip(f"the v1 wheels cannot be downloaded from PyPI here: {exc}")
    return reference.Reference(wheels)
