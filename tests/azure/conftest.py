"""Azure datastore fixtures: a real Azurite blob service, or a loud skip with the reason.

``make test`` starts one (scripts/azurite.sh) and these tests use it; run alone
(``pytest tests/azure``) they start their own when node and npm are there, installing
Azurite into .cache/azurite first. Tests that stop the emulator get a private one
(``private_azurite``) so that the shared one keeps serving the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_pipelines import Workspace
from tests.azure import emulator
from tests.azure.emulator import Azurite
from tests.integration.support import Project

pytest.importorskip("adlfs", reason="the Azure tests need adlfs: pip install -e '.[azure]'")


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """The running emulator: make test's, else one started for this session."""
    found = emulator.running()
    if found is not None:
        yield found
        return
    reason = emulator.unavailable_reason()
    if reason:
        pytest.skip(f"no Azure Storage emulator: {reason}")
    started = emulator.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def private_azurite() -> Iterator[Azurite]:
    """An emulator of this test alone (it may stop and restart it)."""
    reason = emulator.unavailable_reason()
    if reason:
        pytest.skip(f"no Azure Storage emulator: {reason}")
    started = emulator.start()
    try:
        yield started
    finally:
        started.stop()


def new_container(azurite: Azurite, prefix: str = "c") -> str:
    """A fresh, empty container on ``azurite`` (its name)."""
    from azure.storage.blob import BlobServiceClient

    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(name)
    return name


@pytest.fixture
def container(azurite: Azurite) -> str:
    return new_container(azurite)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    return Workspace.at(root)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A project folder with its own workspace, for runs (as in tests/integration)."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JUPYTER_PIPELINES_WORKSPACE", raising=False)
    monkeypatch.delenv("JUPYTER_PIPELINES_LOCAL_SLOTS", raising=False)
    proj = Project(root=root, ws=Workspace.at(root))
    yield proj
    proj.stop_everything()
