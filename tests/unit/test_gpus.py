"""GPU inventories (nvidia-smi detection, configuration) and the device allocator."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jupyter_pipelines.engine.submit import check_pipeline
from jupyter_pipelines.errors import ExecutorError
from jupyter_pipelines.executors.base import StepSpec
from jupyter_pipelines.executors.gpus import (
    GPUS_ENV,
    Gpu,
    GpuAllocator,
    GpuInventory,
    detect_gpus,
    host_inventory,
    parse_device_list,
    parse_nvidia_smi,
    requested_gpus,
    target_inventory,
)
from jupyter_pipelines.executors.local import gpu_environment
from jupyter_pipelines.model.pipeline import Pipeline
from jupyter_pipelines.model.steps import CommandStep

FOUR_GPUS = """\
0, GPU-aaaa-0000, NVIDIA A100-SXM4-40GB, 40960 MiB
1, GPU-aaaa-1111, NVIDIA A100-SXM4-40GB, 40960 MiB
2, GPU-aaaa-2222, NVIDIA A100-SXM4-40GB, 40960 MiB
3, GPU-aaaa-3333, NVIDIA A100-SXM4-40GB, 40960 MiB
"""


@pytest.fixture(autouse=True)
def no_configured_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GPUS_ENV, raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)


def fake_nvidia_smi(
    folder: Path, monkeypatch: pytest.MonkeyPatch, output: str = FOUR_GPUS, body: str = ""
) -> Path:
    """A ``nvidia-smi`` on PATH that checks its arguments and prints ``output``."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "nvidia-smi"
    program.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys, time
            expected = ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"]
            if sys.argv[1:] != expected:
                sys.exit(f"unexpected arguments {{sys.argv[1:]}}")
            """
        )
        + textwrap.dedent(body)
        + f"sys.stdout.write({output!r})\n"
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    return program


# -- detection ---------------------------------------------------------------------------
def test_nvidia_smi_output_is_parsed() -> None:
    text = "WARNING: infoROM is corrupted at gpu 0000:00:04.0\n\n" + FOUR_GPUS[:-1]
    gpus = parse_nvidia_smi(text + "\n7, GPU-x, Tesla T4, [N/A]\n")
    assert gpus[0] == Gpu("0", "GPU-aaaa-0000", "NVIDIA A100-SXM4-40GB", 40960)
    assert [g.index for g in gpus] == ["0", "1", "2", "3", "7"]
    assert gpus[-1].memory_mib is None


def test_detection_runs_nvidia_smi_from_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_nvidia_smi(tmp_path / "bin", monkeypatch)
    assert [g.uuid for g in detect_gpus()] == [f"GPU-aaaa-{i}{i}{i}{i}" for i in range(4)]
    inventory = host_inventory(cached=False)
    assert inventory.devices == ("0", "1", "2", "3")
    assert inventory.source == "detected with nvidia-smi"


def test_no_gpus_when_nvidia_smi_is_absent_fails_or_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no nvidia-smi
    assert detect_gpus() == []
    assert host_inventory(cached=False).describe() == "no GPUs (nvidia-smi not found)"
    fake_nvidia_smi(tmp_path / "failing", monkeypatch, body="sys.exit(9)\n")
    assert detect_gpus() == []
    assert host_inventory(cached=False).describe() == "no GPUs (nvidia-smi lists none)"
    fake_nvidia_smi(tmp_path / "hanging", monkeypatch, body="time.sleep(30)\n")
    assert detect_gpus(timeout=0.5) == []


def test_cuda_visible_devices_restricts_the_detected_gpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_nvidia_smi(tmp_path / "bin", monkeypatch)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,GPU-aaaa-1111")
    assert host_inventory(cached=False).devices == ("1", "3")


def test_the_environment_variable_overrides_detection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_nvidia_smi(tmp_path / "bin", monkeypatch)
    monkeypatch.setenv(GPUS_ENV, "0,1,2")
    assert host_inventory() == GpuInventory(("0", "1", "2"), GPUS_ENV)
    monkeypatch.setenv(GPUS_ENV, "none")
    assert host_inventory().devices == ()
    monkeypatch.setenv(GPUS_ENV, "all")
    assert host_inventory(cached=False).devices == ("0", "1", "2", "3")


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        (None, None),
        ("all", None),
        (2, ("0", "1")),
        (0, ()),
        ("none", ()),
        ("", ()),
        ("0", ("0",)),  # a string names devices: this is GPU 0
        ("1, 3", ("1", "3")),
        ([0, 2], ("0", "2")),
        (["GPU-aaaa-0000"], ("GPU-aaaa-0000",)),
    ],
)
def test_configured_device_lists(value: object, ids: tuple[str, ...] | None) -> None:
    assert parse_device_list(value) == ids


@pytest.mark.parametrize("value", [True, -1, 1.5, {"a": 1}, "0,0"])
def test_bad_device_lists_are_refused(value: object) -> None:
    with pytest.raises(ExecutorError):
        parse_device_list(value)


# -- targets -----------------------------------------------------------------------------
def test_a_target_uses_the_host_gpus_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GPUS_ENV, "4,5,6")
    assert target_inventory({}).devices == ("4", "5", "6")
    assert target_inventory({"gpus": None}).devices == ("4", "5", "6")
    assert target_inventory({"gpus": ["1", "3"]}).devices == ("1", "3")
    assert target_inventory({"gpus": "none"}).devices == ()
    assert target_inventory({"gpus": 2}).devices == ("4", "5")  # the host's first two
    monkeypatch.setenv(GPUS_ENV, "none")
    assert target_inventory({"gpus": 2}).devices == ("0", "1")  # an engine elsewhere


def test_an_aml_compute_step_gets_a_node_of_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GPUS_ENV, "0,1,2")
    nc6 = target_inventory({"slots": 4, "gpus_per_node": 1})
    assert (nc6.devices, nc6.per_step, nc6.default_request) == (("0", "1", "2"), 1, 1)
    assert requested_gpus({}, nc6) == 1
    assert requested_gpus({"gpu": 0}, nc6) == 0
    nc24 = target_inventory({"gpus_per_node": 4})
    assert nc24.default_request == 3  # a node's GPUs, as far as this machine has them
    problem = nc6.problem(2, "train", "gpu-cluster")
    assert problem is not None and "a node of compute target 'gpu-cluster' has 1 GPU" in problem
    cpu = target_inventory({"gpus_per_node": 0})
    assert requested_gpus({}, cpu) == 0
    assert cpu.problem(1, "train", "cpu-cluster") is not None


def test_requests_beyond_the_inventory_name_step_target_and_inventory() -> None:
    inventory = GpuInventory(("0", "1", "2"), GPUS_ENV)
    assert inventory.problem(3, "train", "local") is None
    assert inventory.problem(0, "train", "local") is None
    problem = inventory.problem(4, "train", "local")
    assert problem is not None
    assert problem.startswith(
        "step 'train' asks for 4 GPUs but compute target 'local' has 3 GPUs [0, 1, 2] "
        "(JUPYTER_PIPELINES_GPUS)"
    )


@pytest.mark.parametrize("value", [-1, 1.5, "2", True])
def test_bad_gpu_requests_are_refused(value: object) -> None:
    with pytest.raises(ExecutorError, match=r"resources\.gpu"):
        requested_gpus({"gpu": value}, GpuInventory(("0",), "test"))


def test_validation_fails_a_step_asking_for_more_gpus_than_its_target_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GPUS_ENV, "0,1,2")
    steps = [
        CommandStep(name="big", command="true", resources={"gpu": 4}, base_dir=tmp_path),
        CommandStep(name="fits", command="true", resources={"gpu": 3}, base_dir=tmp_path),
    ]
    issues = [i for i in check_pipeline(None, Pipeline(steps=steps)) if i.severity == "error"]
    assert [(i.step, i.field) for i in issues] == [("big", "resources.gpu")]
    assert "has 3 GPUs [0, 1, 2]" in issues[0].message


# -- allocation --------------------------------------------------------------------------
def test_the_allocator_gives_disjoint_devices_lowest_first() -> None:
    gpus = GpuAllocator()
    among = ["10", "2", "0", "1"]
    assert gpus.acquire(2, among) == ["0", "1"]
    assert gpus.acquire(3, among) is None  # only 2 free: nothing is taken
    assert gpus.free(among) == 2
    assert gpus.acquire(1, among) == ["2"]
    assert gpus.acquire(0, among) == []
    gpus.release(["0"])
    assert gpus.acquire(2, among) == ["0", "10"]
    assert gpus.held() == ["0", "1", "2", "10"]
    gpus.release(["1", "unknown"])
    assert gpus.held() == ["0", "2", "10"]


def test_the_allocator_is_safe_across_threads() -> None:
    gpus = GpuAllocator()
    among = [str(i) for i in range(8)]
    got: list[list[str]] = []
    lock = threading.Lock()

    def take() -> None:
        devices = gpus.acquire(1, among)
        with lock:
            got.append(devices or [])

    threads = [threading.Thread(target=take) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    taken = [d for devices in got for d in devices]
    assert sorted(taken, key=int) == among  # each device once, 8 threads got none


def test_devices_are_locked_across_processes(tmp_path: Path) -> None:
    mine, other = GpuAllocator(tmp_path), GpuAllocator(tmp_path)
    assert mine.acquire(1, ["0", "1"]) == ["0"]
    assert other.acquire(1, ["0", "1"]) == ["1"]
    assert other.acquire(1, ["0", "1"]) is None
    mine.release(["0"])
    assert other.free(["0", "1"]) == 1
    # A lock held by another process is skipped, and gone when that process ends.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from jupyter_pipelines.executors.gpus import GpuAllocator\n"
            f"gpus = GpuAllocator(Path({str(tmp_path)!r}))\n"
            "assert gpus.acquire(1, ['0']) == ['0']\n"
            "print('held', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert mine.acquire(1, ["0"]) is None
    finally:
        holder.kill()
        holder.wait()
    assert mine.acquire(1, ["0"]) == ["0"]


# -- the local executor ------------------------------------------------------------------
def _spec(resources: dict[str, object]) -> StepSpec:
    return StepSpec("r", "s", "step", "command", ".", ".", "o", "e", resources=resources)


def test_local_steps_see_exactly_their_devices() -> None:
    assert gpu_environment(_spec({"gpu": 2, "gpu_devices": ["0", "2"]})) == {
        "CUDA_VISIBLE_DEVICES": "0,2",
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
    }
    assert gpu_environment(_spec({"gpu_devices": []}))["CUDA_VISIBLE_DEVICES"] == ""
    assert gpu_environment(_spec({})) == {}  # no inventory: the step's view is unchanged
