"""A successful step's outputs put on their datastores, and registered as datasets.

Every output has a place on a datastore, planned with its step (``DataBindings.destination``):

- an output with a ``destination`` (``OutputFileDatasetConfig(destination=...)``) is
  copied there, as v1 uploads it; a destination that already holds files is refused
  unless the output says ``overwrite``;
- any other output (``"link"``) is where v1 keeps it, ``azureml/<step run id>/<name>`` or
  ``dataset/<step run id>/<name>`` on its datastore or the default one. On a local-folder
  datastore that place holds the run folder's own files, as hard links: nothing is copied,
  and the data stays on the datastore when the run folder is cleaned. Where the file system
  cannot link (another device), the files are copied; on a datastore elsewhere (an fsspec
  URL set as the default) they are uploaded, as v1 does.

A place appears complete or not at all: links are made under a temporary name and renamed.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from ..errors import EngineError
from ..executors.base import StepSpec
from ..stores.workspace import Workspace


def deliver_outputs(workspace: Workspace, spec: StepSpec) -> dict[str, dict[str, Any]]:
    """Put finished outputs on their datastores and register datasets.

    Returns, per output with a place, where it is and what was registered.
    """
    from ..stores.datastores import Datastore

    delivered: dict[str, dict[str, Any]] = {}
    for name, out in spec.outputs.items():
        dest = out.get("destination")
        if not dest:
            continue
        datastore = Datastore.get(workspace, dest["datastore"])
        source = Path(out["final"])
        local = datastore.local_path(dest["path"])
        if dest.get("link") and local is not None:
            link_output(source, local, dest.get("globs"))
        else:
            if not dest.get("link"):
                _refuse_filled(name, datastore, dest)
            _copy_output(source, datastore, dest)
        info: dict[str, Any] = {"datastore": datastore.name, "path": dest["path"]}
        if dest.get("register"):
            info["registered"] = _register(workspace, datastore, dest)
        delivered[name] = info
    return delivered


def link_output(source: Path, target: Path, globs: list[str] | None = None) -> int:
    """Make ``target`` hold the files of the output ``source`` (a folder, or the one file a
    step wrote at its path) as hard links, or copies where linking fails; only the files
    matching ``globs`` when given. Replaces what was at ``target``. Returns the file count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if source.is_file():
            if globs and not any(fnmatch.fnmatch(source.name, g) for g in globs):
                return 0
            _link_file(source, partial)
            count = 1
        else:
            count = _link_tree(source, partial, globs)
        _remove(target)
        os.replace(partial, target)
        return count
    finally:
        _remove(partial)


def _link_tree(source: Path, partial: Path, globs: list[str] | None) -> int:
    partial.mkdir()
    if globs:
        chosen = sorted({p for g in globs for p in source.glob(g) if p.is_file()})
    else:
        chosen = []
        for folder, _, names in os.walk(source, followlinks=True):  # as a copy would
            here = Path(folder)
            (partial / here.relative_to(source)).mkdir(parents=True, exist_ok=True)
            chosen += [here / n for n in names if (here / n).is_file()]
    for path in chosen:
        dest = partial / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        _link_file(path, dest)
    return len(chosen)


def _link_file(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest, follow_symlinks=True)
    except OSError:  # another device, or a file system without hard links
        shutil.copy2(source, dest)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _refuse_filled(name: str, datastore: Any, dest: dict[str, Any]) -> None:
    """A destination that already holds files is left alone unless ``overwrite``."""
    if dest.get("overwrite") or not datastore.exists(dest["path"]):
        return
    if any(datastore.glob(dest["path"])):
        raise EngineError(
            f"output {name!r}: destination {dest['path']!r} on datastore "
            f"{datastore.name!r} already holds files; use as_upload(overwrite=True) or a "
            "path with {run-id}"
        )


def _copy_output(source: Path, datastore: Any, dest: dict[str, Any]) -> None:
    """Copy an output folder to its destination: only the files matching its
    ``as_upload(source_globs=...)`` when there are some. A remote datastore gets them with
    ``put_files_complete``: on Azure, none is visible under the destination before all are
    stored."""
    globs = dest.get("globs")
    if source.is_file():  # the step wrote one file at the output's path: that file goes there
        if not globs or any(fnmatch.fnmatch(source.name, g) for g in globs):
            datastore.put_files_complete([(source, dest["path"])])
        return
    local = datastore.local_path(dest["path"])
    if not globs and local is not None:
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, local, dirs_exist_ok=True)
        return
    if globs:
        chosen = sorted({p for pattern in globs for p in source.glob(pattern) if p.is_file()})
    else:
        chosen = sorted(p for p in source.rglob("*") if p.is_file())
    pairs = [(p, f"{dest['path']}/{p.relative_to(source).as_posix()}") for p in chosen]
    datastore.put_files_complete(pairs)


def _register(workspace: Workspace, datastore: Any, dest: dict[str, Any]) -> dict[str, Any]:
    from ..stores.datasets import register_from_files

    reg = dest["register"]
    dataset = register_from_files(
        workspace,
        reg["name"],
        datastore,
        dest["path"],
        reg["kind"],
        reg.get("tabular"),
        reg.get("description") or "",
        reg.get("tags") or {},
    )
    return {"name": dataset.name, "version": dataset.version}
