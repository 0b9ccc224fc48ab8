"""The Dask transport (executors/dask/transport.py): how fast a step's files travel through
the artifact store, on a file:// store and on Azurite (started here on the loopback).

One step with an input of ``JP_BENCH_TRANSPORT_FILES`` files of 1 MB (default 200) and a
runner that copies its input to its output, so that as many bytes come back. Figures
(MB = 10^6 bytes), per store:

- ``stage_mb_s``: ``stage_step`` with nothing stored yet (code and input hashed, packed,
  uploaded);
- ``restage_s``: ``stage_step`` of the same code and input again (hashed, found, not sent:
  only the step folder and spec go up);
- ``worker_mb_s``: ``run_ticket`` (download and unpack the input, run, pack and upload the
  output), counting the bytes in and out;
- ``collect_mb_s``: ``collect_result`` (download and unpack the output into place).

The store and the client share this machine's disk and 2 cores: these figures measure
the packing and the client, not a network.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_figures, temp_dir

FILES = int(os.environ.get("JP_BENCH_TRANSPORT_FILES", "200"))
FILE_SIZE = 1_000_000


def make_spec(base: Path) -> Any:
    from jupyter_pipelines.executors.base import StepSpec

    step_dir = base / "ws" / "runs" / "r" / "copy"
    code = step_dir / "code"
    code.mkdir(parents=True)
    (code / "step.py").write_text("print('copy')\n")
    source = base / "ws" / "runs" / "r" / "make" / "outputs" / "data"
    for i in range(FILES):
        folder = source / f"d{i // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:04d}.bin").write_bytes(os.urandom(FILE_SIZE))
    out = step_dir / "outputs" / "copy"
    out.mkdir(parents=True)
    return StepSpec(
        run_id="r",
        step_run_id=str(uuid.uuid4()),
        step_name="copy",
        kind="command",
        working_dir=str(code),
        step_dir=str(step_dir),
        stdout_path=str(step_dir / "stdout.txt"),
        stderr_path=str(step_dir / "stderr.txt"),
        argv=[sys.executable, "step.py"],
        inputs={"data": {"path": str(source), "mode": "mount"}},
        outputs={"copy": {"path": str(out), "final": str(out), "mode": "mount"}},
    )


def copier(spec: Any, sink: Any) -> dict[str, Any]:
    target = spec.outputs["copy"]["path"]
    shutil.rmtree(target)
    shutil.copytree(spec.inputs["data"]["path"], target)
    return {"status": "Finished", "exit_code": 0, "error": None}


def measure(store: Any, base: Path) -> dict[str, float]:
    from jupyter_pipelines.executors.dask.transport import collect_result, run_ticket, stage_step

    mb = FILES * FILE_SIZE / 1e6
    spec = make_spec(base)
    start = time.perf_counter()
    ticket = stage_step(spec, store)
    stage_s = time.perf_counter() - start
    spec.step_run_id = str(uuid.uuid4())
    start = time.perf_counter()
    ticket = stage_step(spec, store)
    restage_s = time.perf_counter() - start
    start = time.perf_counter()
    result = run_ticket(ticket, runner=copier)
    worker_s = time.perf_counter() - start
    assert result["status"] == "Finished", result
    start = time.perf_counter()
    collect_result(spec, store, ticket)
    collect_s = time.perf_counter() - start
    assert len(list(Path(spec.outputs["copy"]["path"]).rglob("*.bin"))) == FILES
    return {
        "stage_mb_s": round(mb / stage_s, 1),
        "restage_s": round(restage_s, 2),
        "worker_mb_s": round(2 * mb / worker_s, 1),
        "collect_mb_s": round(mb / collect_s, 1),
    }


def main() -> dict[str, Any]:
    from jupyter_pipelines.executors.dask.transport import ArtifactStore

    figures: dict[str, Any] = {"files": FILES, "mb": FILES * FILE_SIZE / 1e6}
    with temp_dir("jp-bench-transport-") as root:
        local = ArtifactStore("file://" + str(root / "store"))
        figures.update({f"file_{k}": v for k, v in measure(local, root / "a").items()})
        azure = azure_store(root)
        if azure is not None:
            store, az = azure
            try:
                figures.update({f"azurite_{k}": v for k, v in measure(store, root / "b").items()})
            finally:
                az.stop()
    print_figures("Dask transport through the artifact store", figures)
    return figures


def azure_store(root: Path) -> tuple[Any, Any] | None:
    """A store on an Azurite started here, or None (said) when there is none."""
    from tests.azure import emulator

    reason = emulator.unavailable_reason()
    if reason:
        print(f"no Azurite ({reason}): file:// figures only")
        return None
    from azure.storage.blob import BlobServiceClient

    from jupyter_pipelines.executors.dask.transport import ArtifactStore
    from jupyter_pipelines.stores.azure_blob import Connection

    az = emulator.start()
    BlobServiceClient.from_connection_string(az.connection_string).create_container("bench")
    conn = Connection(
        account_name=emulator.ACCOUNT, url=az.blob_url, account_key=emulator.KEY
    ).__dict__
    return ArtifactStore("az://bench/artifacts", {"azure": dict(conn)}), az


if __name__ == "__main__":
    main()
