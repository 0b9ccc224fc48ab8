"""DataTransferStep: planned as an ordinary step whose command is this module's copier
(``python -m jupyter_pipelines.engine.data_transfer --config JSON``), and the copier itself.

The copier reads the source (a datastore path, read straight from its datastore, or a
folder the step was given) and writes each file to the destination datastore, streaming
(never a whole file in memory), to a temporary name then renamed on local folders. A file
whose content hash is the same at the destination is not copied again. The step's output
then holds the copied files (hard links where the destination is a local folder) for the
steps that read ``get_output()``.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, PipelinesError
from ..executors.base import StepSpec
from ..model.data import DataPath
from ..model.data_transfer import DataTransferStep
from ..model.parameters import PipelineParameter

if TYPE_CHECKING:
    from .data import DataBindings

MODULE = "jupyter_pipelines.engine.data_transfer"
_CHUNK = 1 << 20


# -- planning ----------------------------------------------------------------------------------
def plan_data_transfer(step: DataTransferStep, spec: StepSpec, data: DataBindings | None) -> None:
    """Fill ``spec``'s command to copy ``step``'s source to its destination."""
    if data is None:
        raise EngineError(f"step {step.name!r}: a DataTransferStep needs a workspace")
    source_name = str(step.source.name)
    entry = spec.inputs[source_name]
    source: dict[str, Any] = {"name": source_name, "path": entry.get("path")}
    if entry.get("kind") == "datastore":
        entry.pop("stage", None)  # read straight from its datastore, not staged first
        source.update(entry["source"])  # its datastore and the path on it
    output = str(step.get_output().name)
    destination = None
    if step.destination is not None:
        store, rel = _destination(step, data)
        destination = {"datastore": store, "path": rel}
        # The copy is made by the step itself; its output only mirrors it for later steps.
        spec.outputs[output].pop("destination", None)
        spec.outputs[output]["transfer"] = dict(destination)
    config = {
        "workspace_dir": str(data.workspace.dir),
        "source": source,
        "destination": destination,
        "source_reference_type": step.source_reference_type,
        "destination_reference_type": step.destination_reference_type,
        "output": spec.outputs[output]["path"],
    }
    spec.argv = [sys.executable, "-m", MODULE, "--config", json.dumps(config)]


def _destination(step: DataTransferStep, data: DataBindings) -> tuple[str, str]:
    reference = step.destination
    assert reference is not None
    store, path = reference.datastore, reference.path_on_datastore
    if isinstance(path, PipelineParameter):
        value = data.parameters[path.name]
        if not isinstance(value, DataPath):
            raise EngineError(f"parameter {path.name!r} must be a DataPath, got {value!r}")
        store, path = value.datastore, value.path_on_datastore
    datastore = data.datastore(store)
    try:
        datastore.full_path(str(path or ""))  # refuses paths that leave the datastore
    except PipelinesError as exc:
        raise EngineError(f"step {step.name!r}: destination: {exc}") from exc
    return str(datastore.name), datastore.relative(str(path or ""))


# -- the two ends of a copy --------------------------------------------------------------------
@dataclass
class Place:
    """A file or folder on a datastore (``store`` set) or on this machine (``local``)."""

    store: Any = None
    rel: str = ""
    local: Path | None = None

    def is_file(self) -> bool:
        if self.local is not None:
            return self.local.is_file()
        return bool(self.store.exists(self.rel)) and not self.store.isdir(self.rel)

    def exists(self) -> bool:
        return self.local.exists() if self.local is not None else bool(self.store.exists(self.rel))

    def files(self) -> list[str]:
        """Paths of the files under this folder, relative to it, sorted."""
        if self.local is not None:
            root = self.local
            return sorted(
                p.relative_to(root).as_posix()
                for p in root.rglob("*")
                if p.is_file() and not p.name.endswith((".partial", ".tmp"))
            )
        cut = len(self.rel) + 1 if self.rel else 0
        return [f[cut:] for f in self.store.glob(self.rel or "**")]

    def child(self, rel: str) -> Place:
        if self.local is not None:
            return Place(local=self.local / rel)
        return Place(self.store, posixpath.join(self.rel, rel) if self.rel else rel)

    def size(self) -> int | None:
        try:
            if self.local is not None:
                return self.local.stat().st_size
            return int(self.store.info(self.rel)["size"])
        except (OSError, PipelinesError):
            return None

    def open(self, mode: str) -> Any:
        if self.local is not None:
            return open(self.local, mode)
        return self.store.open(self.rel, mode)


def _place(spec: dict[str, Any], workspace: Any) -> Place:
    """A datastore's path as a Place: a local folder read in place, else through fsspec."""
    from ..stores.datastores import Datastore

    if spec.get("datastore") is None:
        return Place(local=Path(spec["path"]))
    store = Datastore.get(workspace, spec["datastore"])
    local = store.local_path(spec["path"])
    return Place(local=local) if local is not None else Place(store, store.relative(spec["path"]))


# -- copying -----------------------------------------------------------------------------------
class Copier:
    """Copies files between two Places, skipping those already there with the same content."""

    def __init__(self, workspace: Any) -> None:
        from ..reuse.statcache import StatCache

        self.stat_cache = StatCache(workspace.snapshots_dir / "statcache.db")
        self._known: dict[str, dict[str, Any]] = {}  # folder -> its stat cache entries
        self.copied = self.skipped = self.bytes = 0

    def digest(self, place: Place) -> str:
        """The BLAKE3 of a file: local ones through the stat cache, others streamed."""
        from ..reuse.hashing import hash_file
        from ..reuse.statcache import StatKey

        if place.local is not None:
            path = os.path.realpath(place.local)
            key = StatKey.of(os.stat(path))
            folder = os.path.dirname(path)
            if folder not in self._known:
                self._known[folder] = self.stat_cache.load_prefix(folder)
            hit = self._known[folder].get(path)
            if hit is not None and hit[0] == key:
                return str(hit[1])
            digest = hash_file(path)
            self.stat_cache.store([(path, key, digest)])
            return digest
        from blake3 import blake3

        hasher = blake3()
        with place.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                hasher.update(chunk)
        return str(hasher.hexdigest())

    def same(self, source: Place, target: Place) -> bool:
        """Whether ``target`` already holds ``source``'s content (sizes first, then hashes)."""
        if not target.exists() or target.size() != source.size():
            return False
        return self.digest(source) == self.digest(target)

    def copy(self, source: Place, target: Place) -> None:
        """Copy one file, streaming; unchanged content is left alone."""
        if self.same(source, target):
            self.skipped += 1
            return
        size = source.size() or 0
        if target.local is not None:
            target.local.parent.mkdir(parents=True, exist_ok=True)
            partial = target.local.with_name(f".{target.local.name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                if source.local is not None:
                    shutil.copyfile(source.local, partial)
                else:
                    with source.open("rb") as fin, open(partial, "wb") as fout:
                        shutil.copyfileobj(fin, fout, _CHUNK)
                os.replace(partial, target.local)
            finally:
                partial.unlink(missing_ok=True)
        else:
            with source.open("rb") as fin, target.store.open(target.rel, "wb") as fout:
                shutil.copyfileobj(fin, fout, _CHUNK)
        self.copied += 1
        self.bytes += size


def pairs(
    source: Place, target: Place, source_type: str | None, target_type: str | None
) -> Iterator[tuple[str, Place, Place]]:
    """(name, from, to) of each file to copy, as v1 decides file and folder: a source's type
    is what it is (or ``source_reference_type``); the destination's is what exists there,
    else ``destination_reference_type``, else the source's."""
    is_file = source_type == "file" if source_type else source.is_file()
    if not is_file:
        for rel in source.files():
            yield rel, source.child(rel), target.child(rel)
        return
    if target_type is None:
        target_type = "file" if not target.exists() or target.is_file() else "directory"
    name = source.local.name if source.local is not None else posixpath.basename(source.rel)
    yield name, source, target if target_type == "file" else target.child(name)


def mirror(copies: list[tuple[str, Place, Place]], output: Path) -> None:
    """Make the step's output hold the copied files: hard links of a local destination (or
    source), else a streamed copy from the destination."""
    output.mkdir(parents=True, exist_ok=True)
    for name, source, target in copies:
        dest = output / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        origin = target if target.local is not None or source.local is None else source
        if origin.local is not None:
            try:
                os.link(os.path.realpath(origin.local), dest)
            except OSError:
                shutil.copyfile(origin.local, dest)
            continue
        with origin.open("rb") as fin, open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout, _CHUNK)


def transfer(config: dict[str, Any]) -> dict[str, Any]:
    """Run one transfer; returns what it did."""
    from ..stores.workspace import open_workspace

    workspace = open_workspace(config["workspace_dir"])
    started = time.time()
    source = _place(config["source"], workspace)
    if not source.exists():
        raise EngineError(
            f"source {config['source'].get('path') or config['source']} does not exist"
        )
    output = Path(config["output"])
    destination = config.get("destination")
    target = _place(destination, workspace) if destination else Place(local=output)
    copier = Copier(workspace)
    copies = list(
        pairs(
            source,
            target,
            config.get("source_reference_type"),
            config.get("destination_reference_type"),
        )
    )
    for _, src, dst in copies:
        copier.copy(src, dst)
    if destination:
        mirror(copies, output)
    return {
        "copied": copier.copied,
        "skipped": copier.skipped,
        "bytes": copier.bytes,
        "files": len(copies),
        "seconds": round(time.time() - started, 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--config", required=True)
    config = json.loads(parser.parse_args(argv).config)
    try:
        done = transfer(config)
    except (PipelinesError, OSError) as exc:
        print(f"DataTransferStep failed: {exc}", file=sys.stderr)
        return 1
    where = config.get("destination") or {"datastore": "(the step's output)", "path": ""}
    print(
        f"copied {done['copied']} file(s) ({done['bytes']} bytes), skipped {done['skipped']} "
        f"unchanged, to datastore {where['datastore']!r} path {where['path']!r} in "
        f"{done['seconds']} s"
    )
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
