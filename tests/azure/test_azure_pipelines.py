"""v1 pipelines on blob containers, against a real Azurite: a three-step pipeline reading a
dataset from one container and writing its outputs to another with ``{run-id}`` in the
path; reuse with no blob read when nothing changed, a rerun when one blob changed; a wrong
key refused at submit; the emulator stopped while an output is uploaded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_pipelines import (
    Dataset,
    Datastore,
    OutputFileDatasetConfig,
    Pipeline,
    PythonScriptStep,
)
from jupyter_pipelines.errors import DatastoreError
from jupyter_pipelines.stores import status as st
from tests.azure.conftest import new_container
from tests.azure.cutter import Cutter
from tests.azure.emulator import ACCOUNT, KEY, Azurite
from tests.integration.support import Project

pytestmark = [pytest.mark.azure, pytest.mark.integration]

PREP = """\
    import os, sys
    from jupyter_pipelines import Run
    table = Run.get_context().input_datasets["raw"]
    rows = table.to_records()
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "clean.csv"), "w") as f:
        rows = sorted(rows, key=lambda r: r["n"])
        f.write("n,v\\n" + "".join(f"{r['n']},{r['v'] * 10}\\n" for r in rows))
    print("prep", len(rows))
    """
TRAIN = """\
    import os, sys
    src, out = sys.argv[1], sys.argv[2]
    text = open(os.path.join(src, "clean.csv")).read()
    total = sum(int(line.split(",")[1]) for line in text.splitlines()[1:])
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "model.txt"), "w").write(str(total))
    print("train", total)
    """
REPORT = """\
    import os, sys
    raw, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
    walk = os.walk(raw)
    names = sorted(os.path.relpath(os.path.join(d, f), raw) for d, _, fs in walk for f in fs)
    os.makedirs(out, exist_ok=True)
    total = open(os.path.join(model, "model.txt")).read()
    open(os.path.join(out, "report.txt"), "w").write(f"{total} from {len(names)}: {names}")
    print("report", names)
    """


def blob_store(ws: Any, az: Azurite, name: str, container: str, key: str = KEY) -> Datastore:
    return Datastore.register_azure_blob_container(
        ws, name, container, ACCOUNT, account_key=key, protocol="http", endpoint=az.endpoint,
        skip_validation=key != KEY,
    )  # fmt: skip


def pipeline(project: Project, blob_in: Datastore, blob_out: Datastore) -> Pipeline:
    project.script("src/prep.py", PREP)
    project.script("src/train.py", TRAIN)
    project.script("src/report.py", REPORT)
    raw = Dataset.Tabular.from_delimited_files((blob_in, "folder/**/*.csv"))
    files = Dataset.File.from_files((blob_in, "folder/**/*.csv"))
    clean = OutputFileDatasetConfig("clean", destination=(blob_out, "prep/{run-id}"))
    model = OutputFileDatasetConfig("model", destination=(blob_out, "model/{run-id}"))
    report = OutputFileDatasetConfig("report", destination=(blob_out, "report/{run-id}"))
    prep = PythonScriptStep(
        "prep.py", name="prep", source_directory="src", arguments=[clean],
        inputs=[raw.as_named_input("raw")],
    )  # fmt: skip
    train = PythonScriptStep(
        "train.py", name="train", source_directory="src",
        arguments=[clean.as_input("clean"), model.register_on_complete("blob_model")],
    )  # fmt: skip
    final = PythonScriptStep(
        "report.py", name="report", source_directory="src",
        arguments=[files.as_named_input("files").as_mount(), model.as_input("model"), report],
    )  # fmt: skip
    return Pipeline(workspace=project.ws, steps=[prep, train, final])


def submit(project: Project, pipe: Pipeline, ok: bool = True) -> Any:
    run = project.experiment("azure").submit(pipe)
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    steps = {s.name: s for s in run.get_steps()}
    if ok:
        assert status == st.FINISHED, [(s.name, s.get_status(), s.error) for s in steps.values()]
    return run, steps


def reused(steps: dict[str, Any]) -> set[str]:
    return {name for name, s in steps.items() if s.is_reused}


def blob_reads(az: Azurite, since: int, container: str) -> list[str]:
    return [
        r
        for r in az.requests()[since:]
        if r.startswith("GET") and f"/{container}/" in r and "comp=" not in r
    ]


def test_three_steps_from_one_container_to_another_then_reuse_then_rerun(
    project: Project, azurite: Azurite, tmp_path: Path
) -> None:
    source, target = new_container(azurite, "in"), new_container(azurite, "out")
    blob_in = blob_store(project.ws, azurite, "blob_in", source)
    blob_out = blob_store(project.ws, azurite, "blob_out", target)
    up = tmp_path / "up"
    for rel, text in {"2024/a.csv": "n,v\n1,2\n2,3\n", "2025/b.csv": "n,v\n3,4\n"}.items():
        (up / rel).parent.mkdir(parents=True, exist_ok=True)
        (up / rel).write_text(text)
    blob_in.upload(str(up), "folder")

    _, steps = submit(project, pipeline(project, blob_in, blob_out))
    ids = {name: s.id for name, s in steps.items()}
    assert blob_out.glob(f"prep/{ids['prep']}/**") == [f"prep/{ids['prep']}/clean.csv"]
    assert blob_out.glob(f"model/{ids['train']}/**") == [f"model/{ids['train']}/model.txt"]
    report = blob_out.open(f"report/{ids['report']}/report.txt").read().decode()
    assert report == "90 from 2: ['2024/a.csv', '2025/b.csv']"
    registered = Dataset.get_by_name(project.ws, "blob_model")
    assert registered.to_path() == ["/model.txt"]

    pipe = pipeline(project, blob_in, blob_out)  # from_delimited_files reads a header, as v1
    mark = len(azurite.requests())
    _, again = submit(project, pipe)
    assert reused(again) == {"prep", "train", "report"}
    assert blob_reads(azurite, mark, source) == []  # fingerprinted from the listing alone

    (up / "2025/b.csv").write_text("n,v\n3,5\n")
    blob_in.upload_files([up / "2025/b.csv"], target_path="folder/2025", overwrite=True)
    _, third = submit(project, pipeline(project, blob_in, blob_out))
    assert "prep" not in reused(third) and "report" not in reused(third)
    report = blob_out.open(f"report/{third['report'].id}/report.txt").read().decode()
    assert report.startswith("100 from 2")


def test_wrong_key_fails_the_submit_before_any_step(
    project: Project, azurite: Azurite, container: str
) -> None:
    good = blob_store(project.ws, azurite, "blob_in", container)
    bad = blob_store(project.ws, azurite, "blob_out", new_container(azurite), key="QUJD" + KEY[4:])
    good.upload(str(_tree(project.root / "up", {"a.csv": "n,v\n1,2\n"})), "folder")
    with pytest.raises(DatastoreError, match=r"datastore 'blob_out'.*refused the account key"):
        project.experiment("azure").submit(pipeline(project, good, bad))
    assert project.runs() == []


OUTPUT = """\
    import os, sys, time
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i in range(200):  # 200 MB: the upload outlasts noticing that it began
        with open(os.path.join(out, f"part-{i:03d}.bin"), "wb") as f:
            f.write(os.urandom(1024 * 1024))
    print("written")
    """


def test_emulator_stopped_while_the_output_is_uploaded(
    project: Project, private_azurite: Azurite
) -> None:
    """The connections reset and the emulator stopped while the step's output is being
    uploaded: the step fails naming the datastore, and nothing is under the final name."""
    az = private_azurite
    relay = Cutter(az.port)  # SIGTERM alone lets kept-alive connections finish the upload
    container = new_container(az)
    store = Datastore.register_azure_blob_container(
        project.ws, "blob_out", container, ACCOUNT, account_key=KEY,
        protocol="http", endpoint=relay.endpoint,
    )  # fmt: skip
    project.script("src/out.py", OUTPUT)
    out = OutputFileDatasetConfig("parts", destination=(store, "parts/{run-id}"))
    step = PythonScriptStep("out.py", name="out", source_directory="src", arguments=[out])
    run = project.experiment("azure").submit(Pipeline(workspace=project.ws, steps=[step]))
    deadline = time.monotonic() + 120
    while relay.sent < 20_000_000:  # a tenth of the output is on its way
        assert time.monotonic() < deadline, "the upload never started"
        time.sleep(0.005)
    relay.cut()
    az.halt()
    status = run.wait_for_completion(show_output=False, raise_on_error=False)
    (failed,) = run.get_steps()
    assert status == st.FAILED and failed.get_status() == st.FAILED
    assert "blob_out" in failed.error and "cannot be reached" in failed.error, failed.error
    az.restart()
    direct = blob_store(project.ws, az, "blob_direct", container)
    direct.check_access()  # the container is there again
    assert direct.glob("parts/**") == []  # nothing under the output's final name
    assert not direct.exists(f"parts/{failed.id}")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
