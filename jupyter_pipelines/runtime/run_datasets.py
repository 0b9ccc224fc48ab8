"""The datasets of a run's details in v1's shape (``get_details()['inputDatasets']`` and
``['outputDatasets']``), for the engine's step runs and for the step's own run alike.

An input: ``{"dataset": <dataset>, "consumptionDetails": {"type": "RunInput", "inputName":
name, "mechanism": "Mount" | "Download" | "Direct", "pathOnCompute": path}}``; an output:
``{"dataset": <dataset>, "outputType": "RunOutput", "outputDetails": {"outputName": name,
"mechanism": "Mount" | "Upload"}}``, as v1 documents them. Standard library only.
"""

from __future__ import annotations

from typing import Any

#: Our consumption modes -> v1's mechanism names.
_MECHANISMS = {
    "mount": "Mount",
    "download": "Download",
    "direct": "Direct",
    "upload": "Upload",
    "hdfs": "Hdfs",
    "link": "Mount",
}


def mechanism(mode: str | None, default: str = "Mount") -> str:
    """v1's name of a consumption mode (``"download"`` -> ``"Download"``)."""
    if not mode:
        return default
    return _MECHANISMS.get(str(mode).lower(), str(mode)[:1].upper() + str(mode)[1:])


def _guess_mode(entry: dict[str, Any]) -> str:
    """The mode of an input entry that does not say it: a table read through the dataset
    object is direct, files are mounted."""
    if entry.get("kind") == "tabular" and not entry.get("path"):
        return "direct"
    return "mount"


def input_dataset_entry(name: str, dataset: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """One of v1's ``inputDatasets``: ``dataset`` consumed as input ``name``; ``entry``
    says how (``mode``, ``path``, ``path_on_compute``)."""
    details: dict[str, Any] = {
        "type": "RunInput",
        "inputName": name,
        "mechanism": mechanism(entry.get("mode") or _guess_mode(entry)),
    }
    where = entry.get("path_on_compute") or entry.get("path")
    if where:
        details["pathOnCompute"] = str(where)
    return {"dataset": dataset, "consumptionDetails": details}


def output_dataset_entry(name: str, dataset: Any, mode: str | None) -> dict[str, Any]:
    """One of v1's ``outputDatasets``: output ``name``, written as ``mode`` (mount or
    upload), whose data is ``dataset``."""
    return {
        "dataset": dataset,
        "outputType": "RunOutput",
        "outputDetails": {"outputName": name, "mechanism": mechanism(mode)},
    }
