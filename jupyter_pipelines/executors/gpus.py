"""GPUs of compute targets: what a target has (its inventory) and who uses which (the allocator).

The host's GPUs are detected with ``nvidia-smi`` (restricted to ``CUDA_VISIBLE_DEVICES`` when
that is set, as Ray does), unless ``JUPYTER_PIPELINES_GPUS`` configures them ("0,1,2,3",
"none"): that is how CI fakes an inventory. A target's own ``gpus`` option (a count, a list
of device ids, "all" or "none") overrides both. The allocator hands out device ids, lowest
first, and can also lock each device for this user across processes, so that two runs at
once never get the same GPU.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import ExecutorError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process locks
    fcntl = None  # type: ignore[assignment]

#: Configures the host's GPUs ("0,1,2,3", "none"), overriding detection.
GPUS_ENV = "JUPYTER_PIPELINES_GPUS"
#: The folder of the per-device lock files shared by the runs of this user.
LOCK_DIR_ENV = "JUPYTER_PIPELINES_GPU_LOCK_DIR"
NVIDIA_SMI_QUERY = ["--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader"]
NVIDIA_SMI_TIMEOUT = 5.0
#: How long a detected host inventory is reused (validation may ask often).
DETECTION_TTL = 60.0
#: A configured string that means no GPUs ("0" is device 0, not a count).
_NONE_WORDS = {"", "none"}


@dataclass(frozen=True)
class Gpu:
    """One GPU as ``nvidia-smi`` lists it."""

    index: str
    uuid: str
    name: str
    memory_mib: int | None


@dataclass(frozen=True)
class GpuInventory:
    """The GPUs a compute target may give its steps.

    ``devices`` are the ids steps get (``CUDA_VISIBLE_DEVICES`` values); ``source`` says
    where they come from; ``per_step`` is the most one step may ask for (a node's GPUs on
    an AmlCompute target; None: all devices) and ``default_request`` what a step gets when
    it does not say (a whole node on a GPU AmlCompute target, as in v1; otherwise 0).
    """

    devices: tuple[str, ...]
    source: str
    per_step: int | None = None
    default_request: int = 0

    def describe(self) -> str:
        """The inventory in words, e.g. '3 GPUs [0, 1, 2] (JUPYTER_PIPELINES_GPUS)'."""
        if not self.devices:
            return f"no GPUs ({self.source})"
        listed = ", ".join(self.devices)
        return f"{_gpus(len(self.devices))} [{listed}] ({self.source})"

    def problem(self, wanted: int, step: str, target: str) -> str | None:
        """Why a step asking ``wanted`` GPUs can never run on this target (None: it can)."""
        if wanted <= 0:
            return None
        if self.per_step is not None and wanted > self.per_step:
            return (
                f"step {step!r} asks for {_gpus(wanted)} but a node of compute target "
                f"{target!r} has {_gpus(self.per_step)} (the GPUs of its VM size)"
            )
        if not self.devices:
            return None  # no GPUs at all: the step runs without (see ``without_gpus``)
        if wanted > len(self.devices):
            return (
                f"step {step!r} asks for {_gpus(wanted)} but compute target {target!r} has "
                f"{self.describe()}; give the target more GPUs (its 'gpus' setting, or "
                f"{GPUS_ENV} for this machine) or ask for fewer"
            )
        return None

    def without_gpus(self, wanted: int, step: str, target: str) -> str | None:
        """The warning for a step asking GPUs of a target that has none at all: it runs
        without them (as Elyra's local runs do), and a container target's engine refuses
        the request with its own message. None when the step gets what it asks."""
        if wanted <= 0 or self.devices:
            return None
        return (
            f"step {step!r} asks for {_gpus(wanted)} but compute target {target!r} has "
            f"{self.describe()}: it runs without GPUs (give the target GPUs with its 'gpus' "
            f"setting, or {GPUS_ENV} for this machine)"
        )


def _gpus(n: int) -> str:
    return f"{n} GPU" if n == 1 else f"{n} GPUs"


# -- detection ---------------------------------------------------------------------------
def parse_nvidia_smi(text: str) -> list[Gpu]:
    """GPUs of ``nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader``.

    Lines that do not have the four fields (warnings, blank lines) are skipped.
    """
    gpus = []
    for row in csv.reader(line for line in text.splitlines() if line.strip()):
        if len(row) != 4:
            continue
        index, uuid, name, memory = (field.strip() for field in row)
        if not index.isdigit():
            continue
        match = re.match(r"(\d+)", memory)
        gpus.append(Gpu(index, uuid, name, int(match.group(1)) if match else None))
    return gpus


def detect_gpus(timeout: float = NVIDIA_SMI_TIMEOUT) -> list[Gpu]:
    """The GPUs ``nvidia-smi`` (on PATH) lists; empty when it is absent, fails or hangs."""
    program = shutil.which("nvidia-smi")
    if program is None:
        return []
    try:
        proc = subprocess.run(
            [program, *NVIDIA_SMI_QUERY],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(proc.stdout) if proc.returncode == 0 else []


def parse_device_list(value: Any) -> tuple[str, ...] | None:
    """Device ids of a configured GPU setting; None when it says "all" or is not set.

    A count ``n`` (an int) gives ids 0..n-1; a list or a comma-separated string gives those
    ids (so "0" is device 0); "none", "" and 0 give none. Raises ExecutorError otherwise.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None
    if isinstance(value, bool):
        raise ExecutorError(f"a GPU setting must be a count or device ids, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ExecutorError(f"a GPU count must be >= 0, got {value}")
        return tuple(str(i) for i in range(value))
    if isinstance(value, str):
        if value.strip().lower() in _NONE_WORDS:
            return ()
        items: Sequence[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ExecutorError(f"a GPU setting must be a count or device ids, got {value!r}")
    ids = tuple(str(item).strip() for item in items if str(item).strip())
    if len(set(ids)) != len(ids):
        raise ExecutorError(f"GPU device ids must not repeat, got {value!r}")
    return ids


_cache: dict[tuple[str, str], tuple[float, GpuInventory]] = {}
_cache_lock = threading.Lock()


def host_inventory(*, cached: bool = True) -> GpuInventory:
    """This machine's GPUs: ``JUPYTER_PIPELINES_GPUS`` when set, else ``nvidia-smi``'s.

    Detected GPUs are restricted to ``CUDA_VISIBLE_DEVICES`` (indices or UUIDs) when it
    is set. A detection is reused for ``DETECTION_TTL`` seconds unless ``cached`` is False.
    """
    configured = os.environ.get(GPUS_ENV)
    ids = parse_device_list(configured) if configured is not None else None
    if ids is not None:  # set, and not "all"
        return GpuInventory(ids, GPUS_ENV)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    key = (os.environ.get("PATH", ""), "" if visible is None else "=" + visible)
    with _cache_lock:
        hit = _cache.get(key)
        if cached and hit is not None and time.monotonic() - hit[0] < DETECTION_TTL:
            return hit[1]
    gpus = detect_gpus()
    if visible is not None:
        wanted = [v.strip() for v in visible.split(",") if v.strip()]
        gpus = [g for g in gpus if g.index in wanted or g.uuid in wanted]
    if gpus:
        source = "detected with nvidia-smi"
    elif shutil.which("nvidia-smi") is None:
        source = "nvidia-smi not found"
    else:
        source = "nvidia-smi lists none"
    inventory = GpuInventory(tuple(g.index for g in gpus), source)
    with _cache_lock:
        _cache[key] = (time.monotonic(), inventory)
    return inventory


def target_inventory(options: Mapping[str, Any]) -> GpuInventory:
    """The inventory of a target from its executor options.

    ``gpus`` (a count, ids, "all" or "none") configures it: a count takes the host's first
    devices when the host has that many, else ids 0..n-1 (an engine elsewhere). Without
    it the host's GPUs are used; ``gpus_per_node`` (AmlCompute) limits each step to a
    node's GPUs and is what a step gets when it does not say.
    """
    setting = options.get("gpus")
    configured = parse_device_list(setting)
    if configured is None:
        inventory = host_inventory()
    elif isinstance(setting, int):
        host = host_inventory()
        enough = len(host.devices) >= len(configured)
        devices = host.devices[: len(configured)] if enough else configured
        inventory = GpuInventory(devices, "the target's gpus setting")
    else:
        inventory = GpuInventory(configured, "the target's gpus setting")
    per_node = options.get("gpus_per_node")
    if isinstance(per_node, int) and not isinstance(per_node, bool):
        default = min(per_node, len(inventory.devices))
        return GpuInventory(inventory.devices, inventory.source, per_node, default)
    return inventory


def requested_gpus(resources: Mapping[str, Any], inventory: GpuInventory) -> int:
    """How many GPUs a step with ``resources`` asks for on a target with ``inventory``."""
    value = resources.get("gpu")
    if value is None:
        return inventory.default_request
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ExecutorError(f"resources.gpu must be a whole number >= 0, got {value!r}")
    if int(value) != value:
        raise ExecutorError(f"resources.gpu must be a whole number of GPUs, got {value!r}")
    return int(value)


# -- allocation --------------------------------------------------------------------------
def default_lock_dir() -> Path:
    """Where device locks live: ``JUPYTER_PIPELINES_GPU_LOCK_DIR`` or a per-user temp folder."""
    configured = os.environ.get(LOCK_DIR_ENV)
    if configured:
        return Path(configured)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"jupyter-pipelines-gpus-{uid}"


class GpuAllocator:
    """Hands out device ids, lowest first, each to one holder at a time.

    With ``lock_dir``, a device is also locked (``flock`` on ``lock_dir/gpu-ID.lock``) while
    it is held, so that allocators of other processes (other runs) skip it; the lock goes
    when the holder releases it or its process ends. Thread-safe.
    """

    def __init__(self, lock_dir: Path | None = None) -> None:
        self.lock_dir = lock_dir if fcntl is not None else None
        self._held: dict[str, IO[bytes] | None] = {}
        self._lock = threading.Lock()

    def acquire(self, n: int, among: Sequence[str]) -> list[str] | None:
        """``n`` free ids of ``among`` (lowest first), now held; None when fewer are free."""
        if n <= 0:
            return []
        with self._lock:
            taken: list[str] = []
            for device in sorted(among, key=_device_order):
                if len(taken) == n:
                    break
                if device in self._held:
                    continue
                ok, handle = self._try_lock(device)
                if ok:
                    self._held[device] = handle
                    taken.append(device)
            if len(taken) < n:
                self._release(taken)
                return None
            return taken

    def release(self, devices: Sequence[str]) -> None:
        """Give ``devices`` back (ids not held are ignored)."""
        with self._lock:
            self._release(devices)

    def free(self, among: Sequence[str]) -> int:
        """How many of ``among`` could be acquired now."""
        with self._lock:
            count = 0
            for device in among:
                if device in self._held:
                    continue
                ok, handle = self._try_lock(device)
                if handle is not None:
                    handle.close()
                count += ok
            return count

    def held(self) -> list[str]:
        """The ids held now, lowest first."""
        with self._lock:
            return sorted(self._held, key=_device_order)

    def _release(self, devices: Sequence[str]) -> None:
        for device in devices:
            handle = self._held.pop(device, None)
            if handle is not None:
                handle.close()  # closing the file drops its flock

    def _try_lock(self, device: str) -> tuple[bool, IO[bytes] | None]:
        """(True, the open locked lock file, or None without lock_dir), or (False, None)
        when another process holds the device."""
        if self.lock_dir is None or fcntl is None:
            return True, None
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", device)
        handle = open(self.lock_dir / f"gpu-{safe}.lock", "ab")  # noqa: SIM115
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False, None
        return True, handle


def _device_order(device: str) -> tuple[int, int, str]:
    return (0, int(device), "") if device.isdigit() else (1, 0, device)
