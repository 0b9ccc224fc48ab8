"""Where a workspace lives and what it is called: v1 ``config.json`` files and the identity
record ``.pipelines/workspace.json``.

A v1 project names its Azure ML workspace in a ``config.json`` (``subscription_id``,
``resource_group``, ``workspace_name``, or an ARM ``Scope``) kept in the project folder, in
its ``.azureml/`` or in its ``aml_config/`` folder. Here the *root* of a workspace is the
nearest folder, from a starting folder upwards, that holds a ``.pipelines/`` folder or such a
config file; its identity (the three v1 ids, location, sku, tags) comes from the arguments a
v1 call gave, else from the root's config file, else from the identity record, else from the
local defaults below.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import StoreError

log = logging.getLogger(__name__)

WORKSPACE_DIRNAME = ".pipelines"
ENV_VAR = "JUPYTER_PIPELINES_WORKSPACE"
#: v1's config folders, in the order v1 searches them, then the folder itself.
CONFIG_DIRS = (".azureml", "aml_config", "")
CONFIG_FILES = ("config.json", "project.json")
RECORD_FILE = "workspace.json"

#: The ids of a workspace that no v1 call or config file named.
DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "local"
DEFAULT_LOCATION = "local"
DEFAULT_SKU = "basic"


@dataclass
class Identity:
    """What a workspace is called: the v1 ids and the descriptive fields of v1's workspace."""

    workspace_name: str
    subscription_id: str = DEFAULT_SUBSCRIPTION_ID
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str = DEFAULT_LOCATION
    sku: str = DEFAULT_SKU
    tags: dict[str, str] = field(default_factory=dict)
    friendly_name: str | None = None
    description: str | None = None
    created: float | None = None
    workspace_id: str | None = None

    @property
    def scope(self) -> str:
        """The ARM resource id v1 gives this workspace."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{self.workspace_name}"
        )

    def ids(self) -> tuple[str, str, str]:
        return (self.subscription_id, self.resource_group, self.workspace_name)

    def updated(self, **given: Any) -> Identity:
        """A copy with the fields in ``given`` that are not None."""
        return replace(self, **{k: v for k, v in given.items() if v is not None})


# -- v1 config files ---------------------------------------------------------------------
def read_config(path: Path) -> tuple[str, str, str]:
    """(subscription_id, resource_group, workspace_name) of a v1 config file.

    Raises StoreError naming the file when it is unreadable or lacks the three ids.
    """
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read workspace config {str(path)!r}: {exc}") from exc
    if not isinstance(config, dict):
        raise StoreError(f"workspace config {str(path)!r} is not a JSON object")
    scope = config.get("Scope")
    if isinstance(scope, str) and scope.count("/") >= 8:
        pieces = scope.split("/")
        return pieces[2], pieces[4], pieces[8]
    keys = ("subscription_id", "resource_group", "workspace_name")
    missing = [k for k in keys if not isinstance(config.get(k), str) or not config[k]]
    if missing:
        raise StoreError(
            f"workspace config {str(path)!r} lacks {', '.join(missing)}; a v1 config.json "
            "holds subscription_id, resource_group and workspace_name"
        )
    return config["subscription_id"], config["resource_group"], config["workspace_name"]


def config_in(folder: Path, file_name: str | None = None) -> Path | None:
    """The v1 config file kept in ``folder`` (in ``.azureml/``, ``aml_config/`` or the
    folder itself, in v1's order) that names a workspace; None when there is none."""
    names = (file_name,) if file_name else CONFIG_FILES
    for sub in CONFIG_DIRS:
        for name in names:
            candidate = folder / sub / name if sub else folder / name
            if not candidate.is_file():
                continue
            try:
                read_config(candidate)
            except StoreError as exc:
                # Another tool's config.json is no workspace config; skipped, never fatal.
                log.debug("not a workspace config: %s", exc)
                continue
            return candidate
    return None


def root_of_config(path: Path) -> Path:
    """The project folder a config file belongs to (the parent of ``.azureml/``)."""
    parent = path.parent
    return parent.parent if parent.name in (".azureml", "aml_config") else parent


def nearest_root(start: Path, file_name: str | None = None) -> Path | None:
    """The nearest folder from ``start`` upwards that holds a ``.pipelines/`` folder or a
    v1 config file; None when there is none."""
    start = start.expanduser().resolve()
    if start.name == WORKSPACE_DIRNAME:
        return start.parent
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_DIRNAME).is_dir() or config_in(folder, file_name) is not None:
            return folder
    return None


def local_root() -> Path:
    """Where a v1 call without a path finds its workspace: ``$JUPYTER_PIPELINES_WORKSPACE``,
    else the nearest root from the current folder, else the current folder."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return nearest_root(Path.cwd()) or Path.cwd()


def write_config(
    identity: Identity, path: str | os.PathLike[str] | None, file_name: str | None
) -> Path:
    """Write ``identity``'s ids as a v1 ``config.json`` (``<path>/.azureml/config.json`` by
    default; ``aml_config/`` when the project already has one) and return its path."""
    folder = Path(path) if path is not None else Path.cwd()
    config_dir = folder / ("aml_config" if (folder / "aml_config").is_dir() else ".azureml")
    name = file_name or "config.json"
    if not name.endswith(".json"):
        name += ".json"
    target = config_dir / name
    document = {
        "subscription_id": identity.subscription_id,
        "resource_group": identity.resource_group,
        "workspace_name": identity.workspace_name,
    }
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
        _write_json(target, document)
    except OSError as exc:
        raise StoreError(f"cannot write the workspace config {str(target)!r}: {exc}") from exc
    return target


# -- the identity record -----------------------------------------------------------------
def load_identity(root: Path, workspace_dir: Path) -> tuple[Identity, bool]:
    """The identity of the workspace at ``root``, and whether a config file named it."""
    record = read_record(workspace_dir)
    config = config_in(root)
    if config is not None:
        sub, group, name = read_config(config)
        base = record or Identity(name)
        return base.updated(subscription_id=sub, resource_group=group, workspace_name=name), True
    if record is not None:
        return record, False
    return Identity(root.name), False


def read_record(workspace_dir: Path) -> Identity | None:
    """The identity recorded in ``.pipelines/workspace.json``; None when absent or damaged."""
    path = workspace_dir / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the damaged workspace record %s: %s", path, exc)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("workspace_name"), str):
        log.warning("ignoring the workspace record %s: no workspace_name", path)
        return None
    known = set(Identity.__dataclass_fields__)
    return Identity(**{k: v for k, v in data.items() if k in known})


def record(workspace_dir: Path, identity: Identity) -> Identity:
    """Write ``identity`` as the workspace's record unless it is already what is recorded;
    returns it with its creation time and workspace id filled in."""
    current = read_record(workspace_dir)
    filled = replace(
        identity,
        created=identity.created or (current.created if current else None) or time.time(),
        workspace_id=identity.workspace_id
        or (current.workspace_id if current else None)
        or str(uuid.uuid4()),
    )
    if current != filled:
        try:
            _write_json(workspace_dir / RECORD_FILE, asdict(filled))
        except OSError as exc:
            raise StoreError(
                f"cannot record the workspace identity in {str(workspace_dir)!r}: {exc}"
            ) from exc
    return filled


def _write_json(path: Path, document: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
