"""DataTransferStep with a blob container at either end, against a real Azurite: a local
folder copied into a container and back out of it, unchanged blobs skipped on a forced
rerun, a changed one copied again."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_pipelines import DataPath, DataReference, Datastore, DataTransferStep, Pipeline
from jupyter_pipelines.stores import status as st
from tests.azure.conftest import new_container
from tests.azure.emulator import ACCOUNT, KEY, Azurite
from tests.integration.support import Project

pytestmark = [
    pytest.mark.azure,
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:DataTransferStep.compute_target=.... is ignored locally"),
]


def _blob_store(project: Project, az: Azurite, name: str) -> Datastore:
    return Datastore.register_azure_blob_container(
        project.ws, name, new_container(az, "xfer"), ACCOUNT, account_key=KEY,
        protocol="http", endpoint=az.endpoint,
    )  # fmt: skip


def _run(project: Project, steps: list[DataTransferStep]) -> Any:
    run = project.experiment("xfer").submit(Pipeline(steps=steps))
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == st.FINISHED, [(s.name, s.error) for s in run.get_steps()]
    return run


def _counts(run: Any, step: str) -> tuple[int, int]:
    line = run.find_step_run(step)[0].get_logs()["stdout"].strip().splitlines()[-1]
    done = json.loads(line)
    return done["copied"], done["skipped"]


def test_a_folder_into_a_container_and_back(project: Project, azurite: Azurite) -> None:
    source = project.root / "local_store"
    for rel, text in {"batch/a.csv": "1\n", "batch/sub/b.csv": "22\n"}.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text)
    Datastore.register(project.ws, "local", str(source))
    blob = _blob_store(project, azurite, "blob")
    back = Datastore.register(project.ws, "back", str(project.root / "back_store"))

    def steps(allow_reuse: bool = True) -> list[DataTransferStep]:
        up = DataTransferStep(
            name="up",
            source_data_reference=DataReference(datastore="local", path_on_datastore="batch"),
            destination_data_reference=DataPath("blob", "landing"),
            compute_target="adf",
            allow_reuse=allow_reuse,
        )
        down = DataTransferStep(
            name="down",
            source_data_reference=up.get_output(),
            destination_data_reference=DataPath("back", "copy"),
            compute_target="adf",
            allow_reuse=allow_reuse,
        )
        return [up, down]

    first = _run(project, steps())
    assert _counts(first, "up") == (2, 0) and _counts(first, "down") == (2, 0)
    fs, root = blob.fs, blob.container_name
    assert fs.cat(f"{root}/landing/a.csv") == b"1\n"
    assert fs.cat(f"{root}/landing/sub/b.csv") == b"22\n"
    copy = back.local_path("copy")
    assert (copy / "a.csv").read_text() == "1\n" and (copy / "sub/b.csv").read_text() == "22\n"

    assert all(s.is_reused for s in _run(project, steps()).get_steps())
    (source / "batch/a.csv").write_text("changed\n")
    again = _run(project, steps(allow_reuse=False))
    assert _counts(again, "up") == (1, 1) and _counts(again, "down") == (1, 1)
    assert fs.cat(f"{root}/landing/a.csv") == b"changed\n"
    assert (copy / "a.csv").read_text() == "changed\n"
