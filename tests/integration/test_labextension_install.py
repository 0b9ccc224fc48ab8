"""The front end is installed as a prebuilt labextension next to the server extension."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_pipelines

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
BUILT = Path(jupyter_pipelines.__file__).parent / "labextension" / "package.json"


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_labextension_is_listed_enabled_and_ok() -> None:
    if not BUILT.exists():
        pytest.skip("the labextension is not built: run `make labext` (needs npm)")
    out = subprocess.run(
        [str(BIN / "jupyter"), "labextension", "list"], capture_output=True, text=True, check=True
    )
    listing = _plain(out.stdout + out.stderr)
    assert re.search(r"jupyter-pipelines v\S+ enabled OK", listing), listing


def test_built_labextension_is_a_federated_module_of_this_version() -> None:
    if not BUILT.exists():
        pytest.skip("the labextension is not built: run `make labext` (needs npm)")
    meta = json.loads(BUILT.read_text())
    assert meta["name"] == "jupyter-pipelines"
    assert meta["version"] == jupyter_pipelines.__version__
    remote = meta["jupyterlab"]["_build"]["load"]
    assert (BUILT.parent / remote).is_file()


def test_server_extension_is_enabled() -> None:
    out = subprocess.run(
        [str(BIN / "jupyter"), "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"jupyter_pipelines\s+enabled", _plain(out.stdout + out.stderr))
