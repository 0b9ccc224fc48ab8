"""The GPUs of one run's steps: what each target has, what each running step holds, who waits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import EngineError, PipelinesError
from ..executors.gpus import (
    GpuAllocator,
    GpuInventory,
    default_lock_dir,
    requested_gpus,
    target_inventory,
)


@dataclass
class GpuWait:
    """A step that must wait for GPUs held by others: why, and whether that is news."""

    message: str
    new: bool


class StepGpus:
    """Hands GPUs to the steps of a run, shared with the other runs of this machine.

    ``target_options`` maps a target name to its executor options (they hold its ``gpus``);
    it is read when a target is first asked about, so the driver may fill it as it goes.
    """

    def __init__(self, target_options: Mapping[str, dict[str, Any]]) -> None:
        self.allocator = GpuAllocator(default_lock_dir())
        self._options = target_options
        self._inventories: dict[str, GpuInventory] = {}
        #: The devices each running step holds.
        self.held: dict[str, list[str]] = {}
        #: The message of each step waiting for GPUs.
        self.waiting: dict[str, str] = {}

    def inventory(self, target: str) -> GpuInventory:
        """The GPUs compute target ``target`` has."""
        if target not in self._inventories:
            self._inventories[target] = target_inventory(self._options.get(target, {}))
        return self._inventories[target]

    def take(self, step: str, target: str, resources: Mapping[str, Any]) -> list[str] | GpuWait:
        """The GPUs ``step`` gets now (lowest ids first, held for it until ``release``).

        ``[]`` when it asks for none or its target has none (it runs without: a warning
        at submit), a ``GpuWait`` when they are held by other steps, and an EngineError
        when the target can never give that many.
        """
        try:
            inventory = self.inventory(target)
            wanted = requested_gpus(resources, inventory)
        except PipelinesError as exc:
            raise EngineError(f"step {step!r}: {exc}") from exc
        problem = inventory.problem(wanted, step, target)
        if problem is not None:
            raise EngineError(problem)
        if not inventory.devices:
            return []
        devices = self.allocator.acquire(wanted, inventory.devices)
        if devices is not None:
            self.waiting.pop(step, None)
            self.held[step] = devices
            return devices
        free, total = self.allocator.free(inventory.devices), len(inventory.devices)
        plural = "GPU" if wanted == 1 else "GPUs"
        message = f"waiting for {wanted} {plural} ({free} free of {total})"
        new = self.waiting.get(step) != message
        self.waiting[step] = message
        return GpuWait(message, new)

    def release(self, step: str) -> None:
        """Give back the devices ``step`` holds (however it ended)."""
        self.allocator.release(self.held.pop(step, []))
        self.waiting.pop(step, None)

    def release_all(self) -> None:
        """Give back every device this run holds (the run ended)."""
        self.held.clear()
        self.allocator.release(self.allocator.held())
