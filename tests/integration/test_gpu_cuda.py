"""Opt-in: a PyTorch step really computes on the GPU the scheduler gave it (marker ``gpu``).

Needs ``nvidia-smi`` listing at least one GPU and ``torch`` with CUDA in the interpreter that
runs the steps (this one); skipped with the reason otherwise. The inventory is the real one:
``JUPYTER_PIPELINES_GPUS`` is removed for the test.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from jupyter_pipelines import Pipeline, PythonScriptStep
from jupyter_pipelines.executors.gpus import GPUS_ENV, detect_gpus, host_inventory
from jupyter_pipelines.stores import status as st
from tests.integration.support import Project

pytestmark = [pytest.mark.integration, pytest.mark.gpu]

#: argv: OUT. Runs a tensor op on the GPU (when it sees one) and records what it saw.
CUDA_STEP = """\
import json, os, sys
import torch

seen = {
    "visible": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "available": torch.cuda.is_available(),
    "count": torch.cuda.device_count() if torch.cuda.is_available() else 0,
}
if seen["available"]:
    x = torch.arange(1.0, 5.0, device="cuda")
    seen["sum"] = (x * x).sum().item()
    seen["tensor_device"] = str(x.device)
    props = torch.cuda.get_device_properties(0)
    seen["name"] = props.name
    uuid = getattr(props, "uuid", None)
    seen["uuid"] = f"GPU-{uuid}" if uuid is not None else None
with open(sys.argv[1], "w") as fh:
    json.dump(seen, fh)
"""


def _skip_reason() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return "nvidia-smi is not on PATH: no NVIDIA GPU on this machine"
    if not detect_gpus():
        return "nvidia-smi lists no GPU"
    if importlib.util.find_spec("torch") is None:
        return "torch is not installed in the interpreter that runs the steps"
    return None


@pytest.fixture
def real_gpus(project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Project:
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    monkeypatch.delenv(GPUS_ENV, raising=False)
    monkeypatch.setenv("JUPYTER_PIPELINES_GPU_LOCK_DIR", str(tmp_path / "gpu-locks"))
    project.script("cuda_step.py", CUDA_STEP)
    return project


def test_a_pytorch_step_computes_on_its_assigned_gpu(real_gpus: Project) -> None:
    inventory = host_inventory(cached=False)
    first = inventory.devices[0]
    gpu = next(g for g in detect_gpus() if g.index == first)
    out_gpu, out_cpu = real_gpus.root / "gpu.json", real_gpus.root / "cpu.json"
    steps = [
        PythonScriptStep(
            "cuda_step.py", name="on_gpu", arguments=[str(out_gpu)], resources={"gpu": 1}
        ),
        PythonScriptStep("cuda_step.py", name="no_gpu", arguments=[str(out_cpu)]),
    ]
    run = real_gpus.experiment("cuda").submit(Pipeline(steps=steps), regenerate_outputs=True)
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == st.FINISHED, [
        (s.name, s.status, s.error) for s in run.get_steps()
    ]
    seen = json.loads(out_gpu.read_text())
    assert seen["visible"] == first
    assert seen["available"] and seen["count"] == 1
    assert seen["sum"] == 30.0 and seen["tensor_device"] == "cuda:0"
    assert seen["name"] == gpu.name
    if seen["uuid"] is not None:
        assert seen["uuid"] == gpu.uuid  # the very device nvidia-smi calls ``first``
    hidden = json.loads(out_cpu.read_text())
    assert hidden["visible"] == "" and not hidden["available"]
