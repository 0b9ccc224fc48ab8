"""How a step travels to a Dask worker that shares no disk with the driver, and back.

The driver stages a step (``stage_step``): its code snapshot, its inputs and its step
folder (manifest included) go to the artifact store, an fsspec URL (a local folder, an
Azure Blob container, any fsspec store), and it gets back a small picklable *ticket*.
A worker runs the ticket (``run_ticket``, in ``worker_side.py``): it downloads all that
into a temporary folder, runs the step there with the local runtime and sends its logs,
step folder and (when it succeeded) outputs back. The driver then collects the result
(``collect_result``): logs, metrics and files into the step's folder, and outputs into
their places, each in one rename and only when the step succeeded.

Store layout::

    {url}/objects/{key[:2]}/{key}.tar[.gz]     content-addressed folders (code, inputs, outputs)
    {url}/steps/{step_run_id}/spec.json         the spec, as the driver planned it
    {url}/steps/{step_run_id}/step.tar.gz       the step folder before the step ran
    {url}/steps/{step_run_id}/result/           step.tar.gz after it ran, result.json last
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import ExecutorError
from ...stores import status as st
from ..base import StepSpec
from . import archive
from .worker_side import run_ticket

if TYPE_CHECKING:
    from ...stores.workspace_like import WorkspaceLike

__all__ = ["ArtifactStore", "collect_result", "discard_step", "run_ticket", "stage_step"]

#: Ticket format version; a worker refuses tickets of a newer format.
TICKET_VERSION = 1
#: Files of the step folder that stay the driver's (the worker's copy holds its own paths).
DRIVER_FILES = ("manifest.json",)
#: Blocks of one blob sent or fetched at once on Azure (the SDK's default is 1).
BLOB_CONCURRENCY = 8
_fs_cache: dict[str, tuple[Any, str]] = {}
_fs_lock = threading.Lock()


@dataclass(frozen=True)
class ArtifactStore:
    """Where steps' code, data and results travel through: an fsspec URL and its options.

    ``storage_options`` go to the file system as given; under the key ``"azure"`` they hold
    an Azure storage account's connection (``stores.azure_blob.Connection`` fields, as
    ``from_datastore`` resolves them from a registered datastore). They may hold secrets:
    they are left out of ``repr`` and never logged.
    """

    url: str
    storage_options: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def for_workspace(cls, workspace_dir: str) -> ArtifactStore:
        """The default store of a workspace: ``<workspace>/.pipelines/artifacts`` (for
        workers on this machine or on a disk shared with it). ``workspace_dir`` is the
        workspace's ``.pipelines`` folder or the project folder holding it."""
        folder = os.path.abspath(workspace_dir)
        if os.path.basename(folder) != ".pipelines":
            folder = os.path.join(folder, ".pipelines")
        return cls("file://" + os.path.join(folder, "artifacts"))

    @classmethod
    def resolve(cls, where: str, workspace: WorkspaceLike | None = None) -> ArtifactStore:
        """The store named by ``where``: an fsspec URL (``file:///...``, ``az://c/prefix``,
        ``memory://x``), or the name of a datastore registered in ``workspace``."""
        if "://" in where:
            return cls(where)
        if workspace is None:
            raise ExecutorError(
                f"artifact store {where!r} is neither a URL nor, without a workspace, a "
                "datastore name: give a URL such as 'az://container/prefix'"
            )
        return cls.from_datastore(workspace, where)

    @classmethod
    def from_datastore(
        cls, workspace: WorkspaceLike, name: str, prefix: str = "pipeline-artifacts"
    ) -> ArtifactStore:
        """The store under ``prefix`` of the datastore registered as ``name``, with its
        credentials (an Azure Blob or Data Lake Gen2 datastore, or any fsspec one)."""
        from ...stores.datastore_azure import AzureBlobDatastore
        from ...stores.datastores import Datastore

        ds = Datastore.get(workspace, name)
        if isinstance(ds, AzureBlobDatastore):
            conn = asdict(ds._connection())
            return cls(f"az://{ds.container_name}/{prefix}", {"azure": conn})
        options = {**ds.storage_options, **ds._load_secrets()}
        return cls(f"{ds.url.rstrip('/')}/{prefix}", options)

    def filesystem(self) -> tuple[Any, str]:
        """(fsspec file system, root path in it); one per process and store."""
        cache_key = json.dumps([self.url, self.storage_options], sort_keys=True, default=str)
        with _fs_lock:
            found = _fs_cache.get(cache_key)
            if found is None:
                found = _fs_cache[cache_key] = self._open()
        return found

    def _open(self) -> tuple[Any, str]:
        options = dict(self.storage_options)
        azure = options.pop("azure", None)
        if azure is not None:
            from ...stores.azure_blob import Connection

            scheme, _, rest = self.url.partition("://")
            if scheme not in ("az", "abfs", "abfss"):
                raise ExecutorError(f"artifact store {self.url!r}: Azure options need az://")
            # One archive is one blob: its blocks go up and down several at a time.
            options.setdefault("max_concurrency", BLOB_CONCURRENCY)
            return Connection(**azure).filesystem(**options), rest.strip("/")
        from fsspec.core import url_to_fs

        try:
            fs, root = url_to_fs(self.url, **options)
        except (ImportError, ValueError) as exc:
            raise ExecutorError(f"cannot open the artifact store {self.url!r}: {exc}") from exc
        if archive.is_local(fs):
            fs.makedirs(root, exist_ok=True)
        return fs, str(root).rstrip("/")

    def to_dict(self) -> dict[str, Any]:
        """The store as plain data (for the ticket; holds the secrets)."""
        return {"url": self.url, "storage_options": dict(self.storage_options)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArtifactStore:
        return cls(str(data["url"]), dict(data.get("storage_options") or {}))


def step_prefix(root: str, step_run_id: str) -> str:
    """The store folder of one step run."""
    return f"{root}/steps/{step_run_id}"


def _workspace_dir(spec: StepSpec) -> str:
    try:
        with open(os.path.join(spec.step_dir, "manifest.json")) as fh:
            return str(json.load(fh).get("workspace_dir") or "")
    except (OSError, ValueError):
        return ""


def paths_apart(spec: StepSpec) -> list[str]:
    """Paths inside the step folder that travel apart from it: outputs and inputs."""
    paths = [e.get("path") for e in [*spec.outputs.values(), *spec.inputs.values()]]
    return [os.path.abspath(p) for p in paths if p]


def stage_step(spec: StepSpec, store: ArtifactStore) -> dict[str, Any]:
    """Driver side: upload what ``spec`` needs (code, inputs, step folder, spec) to
    ``store`` and return the ticket a worker runs (plain, picklable data; it holds the
    store's credentials). Unchanged code and inputs already stored are not sent again."""
    spec.check_serializable()
    fs, root = store.filesystem()
    started = time.monotonic()
    prefix = step_prefix(root, spec.step_run_id)
    code = archive.upload_tree(fs, spec.working_dir, root, compress=True)
    inputs = {
        name: {"key": archive.upload_tree(fs, entry["path"], root), "path": entry["path"]}
        for name, entry in spec.inputs.items()
        if entry.get("path")
    }
    with tempfile.TemporaryDirectory(prefix="jp-stage-") as tmp:
        packed = os.path.join(tmp, "step.tar.gz")
        skip = [os.path.abspath(spec.working_dir), *paths_apart(spec)]
        archive.pack_folder(spec.step_dir, packed, skip)
        archive.put(fs, packed, f"{prefix}/step.tar.gz")
    archive.put_bytes(fs, json.dumps(spec.to_dict(), indent=1).encode(), f"{prefix}/spec.json")
    return {
        "version": TICKET_VERSION,
        "store": store.to_dict(),
        "step_run_id": spec.step_run_id,
        "spec": spec.to_dict(),
        "workspace_dir": _workspace_dir(spec),
        "driver_python": sys.executable,
        "code": code,
        "inputs": inputs,
        "staged_s": round(time.monotonic() - started, 3),
    }


def read_result(store: ArtifactStore, ticket: dict[str, Any]) -> dict[str, Any] | None:
    """The worker's ``result.json`` of the ticket's step, or None when there is none yet."""
    fs, root = store.filesystem()
    path = f"{step_prefix(root, ticket['step_run_id'])}/result/result.json"
    try:
        with fs.open(path, "rb") as fh:
            found: dict[str, Any] = json.loads(fh.read())
    except FileNotFoundError:
        return None
    return found


def collect_result(spec: StepSpec, store: ArtifactStore, ticket: dict[str, Any]) -> dict[str, Any]:
    """Driver side: bring the step's result home and return it (``status``, ``exit_code``,
    ``error``, ``worker``, ...). Logs, metrics, files and the executed notebook go into
    the step folder; outputs into their places only when the step finished (each in one
    rename, so no half-written output is ever seen). A step that left no result (its
    worker died) is Failed, saying so."""
    result = read_result(store, ticket)
    if result is None:
        return {
            "status": st.FAILED,
            "exit_code": None,
            "error": f"step {spec.step_name!r} left no result in the artifact store "
            f"{store.url!r} (its worker died or lost the store before the step ended)",
            "worker": None,
        }
    fs, root = store.filesystem()
    prefix = step_prefix(root, spec.step_run_id)
    with tempfile.TemporaryDirectory(prefix="jp-collect-") as tmp:
        if result.get("step_dir"):
            fs.get_file(f"{prefix}/result/step.tar.gz", os.path.join(tmp, "step.tar.gz"))
            _merge_step_dir(os.path.join(tmp, "step.tar.gz"), spec.step_dir, tmp)
    if result.get("status") == st.FINISHED:
        for name, key in (result.get("outputs") or {}).items():
            out = spec.outputs.get(name)
            if out is not None and key:
                archive.download_tree(fs, root, key, out["path"])
    return result


def _merge_step_dir(packed: str, step_dir: str, scratch: str) -> None:
    """Put the worker's step folder over the driver's: each top-level entry replaced in
    one rename, the driver's own files (``DRIVER_FILES``) and outputs left alone."""
    where = os.path.join(scratch, "step")
    archive.extract(packed, where)
    came = os.path.join(where, archive.ROOT)
    os.makedirs(step_dir, exist_ok=True)
    for name in sorted(os.listdir(came)):
        if name in DRIVER_FILES:
            continue
        target = os.path.join(step_dir, name)
        source = os.path.join(came, name)
        if os.path.isdir(source) and os.path.isdir(target) and not os.path.islink(target):
            _merge_folder(source, target)
        else:
            archive.replace(source, target)


def _merge_folder(source: str, target: str) -> None:
    """Copy ``source``'s files into the existing folder ``target`` (outputs under it, put
    there apart, stay)."""
    for name in os.listdir(source):
        s, t = os.path.join(source, name), os.path.join(target, name)
        if os.path.isdir(s) and os.path.isdir(t) and not os.path.islink(t):
            _merge_folder(s, t)
        elif not os.path.isdir(t):
            archive.replace(s, t)


def discard_step(store: ArtifactStore, ticket: dict[str, Any]) -> None:
    """Remove the step run's folder from the store (content-addressed objects stay, for
    the next runs). Never raises: a store that cannot be reached keeps it."""
    fs, root = store.filesystem()
    try:
        fs.rm(step_prefix(root, ticket["step_run_id"]), recursive=True)
    except Exception:
        pass
