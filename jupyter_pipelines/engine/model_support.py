"""Helpers of ``Model`` (engine/models.py): v1's tag and property filters, the datasets a
model records, who registered it, and v1's local model cache (``./azureml-models``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import PipelinesError, WebserviceException

#: v1's local model cache: ``<AML_APP_ROOT>/azureml-models/<name>/<version>/<file or folder>``.
MODELS_DIR = "azureml-models"


def user_name() -> str:
    """Who registers a model: the user running this process."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or ""


# -- filters ------------------------------------------------------------------------------
def _wanted(filters: Any, what: str) -> dict[str, Any]:
    """v1's filter (``["key", ["key2", "value"]]``), or a dict or one name, as a dict."""
    if filters is None:
        return {}
    if isinstance(filters, str):
        return {filters: None}
    if isinstance(filters, Mapping):
        return {str(k): v for k, v in filters.items()}
    wanted: dict[str, Any] = {}
    for item in filters if isinstance(filters, Iterable) else [filters]:
        if isinstance(item, str):
            wanted[item] = None
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            wanted[str(item[0])] = item[1]
        else:
            raise WebserviceException(
                f"{what} filter item {item!r} is not understood: give 'key' or "
                "['key', 'value'], e.g. ['key', ['key2', 'key2 value']]"
            )
    return wanted


def matches(values: Mapping[str, Any], filters: Any, what: str) -> bool:
    """Whether ``values`` (a model's tags or properties) pass the v1 filter ``filters``."""
    for key, value in _wanted(filters, what).items():
        if key not in values:
            return False
        if value is not None and str(values[key]) != str(value):
            return False
    return True


# -- datasets -----------------------------------------------------------------------------
def dataset_id(workspace: Any, dataset: Any) -> str:
    """The id of ``dataset`` in ``workspace``, recorded so that it can be found by it."""
    bind = getattr(dataset, "bind", None)
    if bind is None or not hasattr(dataset, "record_id"):
        raise WebserviceException(
            f"Invalid dataset of type {type(dataset).__name__} passed, must be a Dataset "
            "(a FileDataset or TabularDataset)"
        )
    found: str = bind(workspace).record_id()
    return found


def dataset_references(workspace: Any, datasets: Iterable[Any]) -> list[dict[str, Any]]:
    """v1's ``datasets`` argument (``[(purpose, dataset), ...]``) as stored references."""
    references = []
    for pair in datasets:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise WebserviceException(
                f"datasets must be (purpose, dataset) pairs, e.g. [('training data', ds)]; "
                f"got {pair!r}"
            )
        references.append({"name": str(pair[0]), "id": dataset_id(workspace, pair[1])})
    return references


def resolve_dataset(workspace: Any, dataset_id: str | None) -> Any:
    """The dataset recorded under ``dataset_id`` (None when there is none any more)."""
    if not dataset_id:
        return None
    from ..stores.datasets import AbstractDataset

    try:
        return AbstractDataset.get_by_id(workspace, dataset_id)
    except PipelinesError:
        return None


# -- v1's local cache -----------------------------------------------------------------------
def local_model_path(model_name: str, version: int | None) -> str | None:
    """Where v1 looks for a model without a workspace: its version folder in the local
    cache (the one file or folder there), else ``./<model_name>``; None when neither is."""
    cache = Path(os.environ.get("AML_APP_ROOT", "")) / MODELS_DIR / model_name
    if cache.is_dir():
        versions = [int(p.name) for p in cache.iterdir() if p.name.isdigit()]
        chosen = version if version is not None else max(versions, default=None)
        folder = cache / str(chosen)
        if chosen is not None and folder.is_dir():
            entries = sorted(folder.iterdir())
            if len(entries) != 1:
                raise WebserviceException(
                    f"Dir {folder} can contain only 1 file or folder. Found {entries}"
                )
            return str(entries[0])
    return model_name if os.path.exists(model_name) else None
