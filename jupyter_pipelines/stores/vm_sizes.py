"""Azure VM sizes that AmlCompute configurations name: vCPUs, GPUs and memory of one node.

Only the GPU count matters here (it is what a step on an AmlCompute target may use); the
table holds the common sizes. An unknown size of a GPU family (NC, ND, NV) counts one GPU,
any other unknown size none.
"""

from __future__ import annotations

from typing import Any

DEFAULT_VM_SIZE = "STANDARD_DS3_V2"
GPU_FAMILIES = ("NC", "ND", "NV")

#: Upper-case name -> (vCPUs, GPUs, memory in GB)
VM_SIZES: dict[str, tuple[int, int, float]] = {
    "STANDARD_D1_V2": (1, 0, 3.5),
    "STANDARD_D2_V2": (2, 0, 7),
    "STANDARD_D3_V2": (4, 0, 14),
    "STANDARD_D4_V2": (8, 0, 28),
    "STANDARD_D11_V2": (2, 0, 14),
    "STANDARD_D12_V2": (4, 0, 28),
    "STANDARD_D13_V2": (8, 0, 56),
    "STANDARD_D14_V2": (16, 0, 112),
    "STANDARD_DS2_V2": (2, 0, 7),
    "STANDARD_DS3_V2": (4, 0, 14),
    "STANDARD_DS4_V2": (8, 0, 28),
    "STANDARD_DS5_V2": (16, 0, 56),
    "STANDARD_DS11_V2": (2, 0, 14),
    "STANDARD_DS12_V2": (4, 0, 28),
    "STANDARD_D2S_V3": (2, 0, 8),
    "STANDARD_D4S_V3": (4, 0, 16),
    "STANDARD_D8S_V3": (8, 0, 32),
    "STANDARD_D16S_V3": (16, 0, 64),
    "STANDARD_E4S_V3": (4, 0, 32),
    "STANDARD_E8S_V3": (8, 0, 64),
    "STANDARD_F4S_V2": (4, 0, 8),
    "STANDARD_F8S_V2": (8, 0, 16),
    "STANDARD_NC6": (6, 1, 56),
    "STANDARD_NC12": (12, 2, 112),
    "STANDARD_NC24": (24, 4, 224),
    "STANDARD_NC24R": (24, 4, 224),
    "STANDARD_NC6S_V2": (6, 1, 112),
    "STANDARD_NC12S_V2": (12, 2, 224),
    "STANDARD_NC24S_V2": (24, 4, 448),
    "STANDARD_NC6S_V3": (6, 1, 112),
    "STANDARD_NC12S_V3": (12, 2, 224),
    "STANDARD_NC24S_V3": (24, 4, 448),
    "STANDARD_NC24RS_V3": (24, 4, 448),
    "STANDARD_NC4AS_T4_V3": (4, 1, 28),
    "STANDARD_NC8AS_T4_V3": (8, 1, 56),
    "STANDARD_NC16AS_T4_V3": (16, 1, 110),
    "STANDARD_NC64AS_T4_V3": (64, 4, 440),
    "STANDARD_NC24ADS_A100_V4": (24, 1, 220),
    "STANDARD_NC48ADS_A100_V4": (48, 2, 440),
    "STANDARD_NC96ADS_A100_V4": (96, 4, 880),
    "STANDARD_ND6S": (6, 1, 112),
    "STANDARD_ND12S": (12, 2, 224),
    "STANDARD_ND24S": (24, 4, 448),
    "STANDARD_ND24RS": (24, 4, 448),
    "STANDARD_ND40RS_V2": (40, 8, 672),
    "STANDARD_ND96ASR_V4": (96, 8, 900),
    "STANDARD_ND96AMSR_A100_V4": (96, 8, 1900),
    "STANDARD_NV6": (6, 1, 56),
    "STANDARD_NV12": (12, 2, 112),
    "STANDARD_NV24": (24, 4, 224),
    "STANDARD_NV12S_V3": (12, 1, 112),
    "STANDARD_NV24S_V3": (24, 2, 224),
    "STANDARD_NV48S_V3": (48, 4, 448),
}


def _key(vm_size: str) -> str:
    key = vm_size.strip().upper()
    return key if key.startswith("STANDARD_") else "STANDARD_" + key


def gpus_for_vm_size(vm_size: str) -> int:
    """GPUs of one node of ``vm_size`` (case-insensitive, ``Standard_`` prefix optional)."""
    key = _key(vm_size)
    if key in VM_SIZES:
        return VM_SIZES[key][1]
    return 1 if key.removeprefix("STANDARD_")[:2] in GPU_FAMILIES else 0


def supported_vm_sizes() -> list[dict[str, Any]]:
    """The known sizes in v1's ``supported_vmsizes`` shape."""
    return [
        {
            "name": "Standard_" + name.removeprefix("STANDARD_"),
            "vCPUs": cpus,
            "gpus": gpus,
            "memoryGB": float(memory),
        }
        for name, (cpus, gpus, memory) in VM_SIZES.items()
    ]
