"""The Dask transport through a registered Azure Blob datastore on Azurite: staging,
running the ticket in another process with the driver's folders hidden, collecting, and
a failing step that leaves no output (the same steps as the file:// tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_pipelines import Datastore, Workspace
from jupyter_pipelines.executors.dask.transport import ArtifactStore, stage_step
from tests.azure.emulator import ACCOUNT, KEY, Azurite
from tests.integration.test_artifact_transport import (
    check_failure_leaves_no_output,
    check_round_trip,
    make_step,
)

pytestmark = [pytest.mark.azure, pytest.mark.integration]


def azure_store(ws: Workspace, azurite: Azurite, container: str) -> ArtifactStore:
    Datastore.register_azure_blob_container(
        ws, "artifacts", container, ACCOUNT, account_key=KEY, protocol="http",
        endpoint=azurite.endpoint,
    )  # fmt: skip
    return ArtifactStore.resolve("artifacts", ws)


def test_round_trip_through_azurite(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    store = azure_store(ws, azurite, container)
    assert store.url == f"az://{container}/pipeline-artifacts"
    assert KEY not in repr(store)
    check_round_trip(tmp_path, store)
    listed = [r for r in azurite.requests() if f"/{container}/pipeline-artifacts/steps/" in r]
    assert listed, "nothing of the step went through the emulator"


def test_a_failing_step_leaves_no_output_on_azurite(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    check_failure_leaves_no_output(tmp_path, azure_store(ws, azurite, container))


def test_staging_again_sends_only_the_step_folder(
    ws: Workspace, azurite: Azurite, container: str, tmp_path: Path
) -> None:
    store = azure_store(ws, azurite, container)
    stage_step(make_step(tmp_path / "a"), store)
    before = len(azurite.requests())
    ticket = stage_step(make_step(tmp_path / "b"), store)
    puts = [r for r in azurite.requests()[before:] if r.startswith("PUT ")]
    assert puts and all("/steps/" in r for r in puts), puts
    assert json.dumps(ticket).count(KEY) == 1  # the worker's credentials, once
