"""The files of a run (v1: upload_files, upload_folder, get_file_names, download_file,
download_files) and the rule that names them.

A run's files are those it keeps in its folder (logs, manifest, metrics, the executed
notebook), named by their path there; what its code wrote to ``./outputs`` and ``./logs`` in
its working folder, named ``outputs/...`` and ``logs/...`` (v1 uploads both folders to the
run's history; here they are listed where they are, never copied); and those uploaded to it
(``upload_file``, images of ``log_image``), named as they were uploaded:
``run.upload_file("outputs/model.pkl", p)`` makes ``outputs/model.pkl`` one of
``run.get_file_names()``. The folders holding its code, staged inputs, data outputs and
child runs are not its files. Standard library only.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UnknownRunError, did_you_mean

#: Folders of a run's folder whose content is not among its files: its code, staged inputs,
#: data outputs (see get_outputs), uploads (listed by their own names), child runs and
#: what a step recorded for its pipeline run.
SKIPPED_FOLDERS = frozenset(
    {"code", "inputs", "outputs", "outputs.partial", "kernelspecs", "files", "children", "parent"}
)
#: Bookkeeping files of a run's folder (its tags, properties, record and snapshots).
BOOKKEEPING = frozenset({"tags.json", "properties.json", "run.json", "snapshots.json"})
UPLOADS = "files"
#: Folders of a run's working folder whose files are run files, under the same names (v1
#: uploads them to run history when the run ends).
WORKING_FOLDER_FILES = ("outputs", "logs")
#: A step's working folder inside its run folder (its code snapshot, where it runs).
WORKING_FOLDER = "code"


def _temporary(name: str) -> bool:
    """Whether ``name`` is a file being written atomically (``.<name>.<random>.tmp``)."""
    return name.startswith(".") and ".tmp" in name


def _walk(root: str, skip: frozenset[str], hidden: frozenset[str]) -> Iterable[tuple[str, str]]:
    """(name, path) of the files under ``root``, leaving out the folders ``skip`` and the
    files ``hidden`` at its top level, and files being written."""
    for dirpath, dirnames, filenames in os.walk(root):
        top = dirpath == root
        dirnames[:] = sorted(d for d in dirnames if not (top and d in skip))
        for name in sorted(filenames):
            if _temporary(name) or (top and name in hidden):
                continue
            path = os.path.join(dirpath, name)
            yield os.path.relpath(path, root).replace(os.sep, "/"), path


def working_folder_files(working_dir: str | os.PathLike[str] | None) -> dict[str, str]:
    """Name -> path of the files a run's code wrote to ``./outputs`` and ``./logs`` of its
    working folder ``working_dir`` (``outputs/model.pkl``, ``logs/train.log``)."""
    index: dict[str, str] = {}
    if not working_dir:
        return index
    for top in WORKING_FOLDER_FILES:
        folder = os.path.join(os.fspath(working_dir), top)
        if os.path.isdir(folder):
            found = _walk(folder, frozenset(), frozenset())
            index.update((f"{top}/{rel}", path) for rel, path in found)
    return index


def run_file_index(
    folder: str | os.PathLike[str],
    skip: Iterable[str] = (),
    top_level_only: bool = False,
    working_dir: str | os.PathLike[str] | None = None,
) -> dict[str, str]:
    """Name -> absolute path of the files of the run kept in ``folder``.

    ``skip`` names more folders to leave out; with ``top_level_only`` only the files directly
    in ``folder`` count (a pipeline run's folder holds its steps' folders); ``working_dir``
    is the folder the run's code ran in, whose ``outputs/`` and ``logs/`` are run files. An
    upload wins over a file of the same name in the working folder, and both over a log file.
    """
    root = os.fspath(folder)
    index: dict[str, str] = {}
    if os.path.isdir(root):
        skipped = SKIPPED_FOLDERS | frozenset(skip)
        for rel, path in _walk(root, skipped, BOOKKEEPING):
            if not (top_level_only and "/" in rel):
                index[rel] = path
        index.update(working_folder_files(working_dir))
        uploads = os.path.join(root, UPLOADS)
        if os.path.isdir(uploads):
            index.update(_walk(uploads, frozenset(), frozenset()))
    return dict(sorted(index.items()))


class RunFiles:
    """The v1 file members over one hook, ``_file_index`` (name -> path of each file)."""

    id: str
    _step_dir: str

    if TYPE_CHECKING:

        def upload_file(
            self, name: str, path_or_stream: Any, datastore_name: Any = None
        ) -> str: ...

    def _working_dir(self) -> str | None:
        """The folder the run's code ran in (whose ``outputs/`` and ``logs/`` are run
        files); None for a run without one."""
        return None

    def _file_index(self) -> dict[str, str]:
        """Name -> absolute path of each file of the run."""
        return run_file_index(self._step_dir, working_dir=self._working_dir())

    def upload_files(
        self,
        names: list[str],
        paths: list[Any],
        return_artifacts: bool = False,
        timeout_seconds: Any = None,
        datastore_name: Any = None,
    ) -> list[str]:
        """Upload each of ``paths`` under the matching name of ``names``; returns where the
        copies are."""
        if len(names) != len(paths):
            raise TypeError(
                "names and paths must be lists of equal lengths. "
                f"Names was of length {len(names)} and paths of length {len(paths)}."
            )
        return [self.upload_file(n, p) for n, p in zip(names, paths, strict=True)]

    def upload_folder(
        self, name: str, path: str | os.PathLike[str], datastore_name: Any = None
    ) -> list[str]:
        """Upload every file under the local folder ``path`` as ``name/<its path there>``;
        returns the names given to them."""
        root = Path(path)
        if not root.is_dir():
            raise FileNotFoundError(f"upload_folder: {os.fspath(path)!r} is not a folder")
        uploaded = []
        for source in sorted(p for p in root.rglob("*") if p.is_file()):
            target = f"{name.rstrip('/')}/{source.relative_to(root).as_posix()}"
            self.upload_file(target, str(source))
            uploaded.append(target)
        return uploaded

    def get_file_names(self) -> list[str]:
        """The names of the run's files (logs, manifest, metrics, uploads, images)."""
        return list(self._file_index())

    def file_path(self, name: str) -> Path:
        """The absolute path of the run's file ``name``; UnknownRunError when there is no
        such file. A path inside the run's folder (``files/x``) is accepted too."""
        index = self._file_index()
        found = index.get(name.replace("\\", "/").lstrip("/"))
        if found is None:
            found = self._path_in_folder(name)
        if found is None:
            raise UnknownRunError(
                f"run {self.id} has no file {name!r}{did_you_mean(name, index)}; "
                "see get_file_names()"
            )
        return Path(found)

    def _path_in_folder(self, name: str) -> str | None:
        root = os.path.realpath(self._step_dir)
        path = os.path.realpath(os.path.join(root, name))
        inside = os.path.commonpath([root, path]) == root and path != root
        return path if inside and os.path.isfile(path) else None

    def download_file(self, name: str, output_file_path: str | None = None) -> str:
        """Copy the run's file ``name`` to ``output_file_path`` (a file, or a folder to put it
        in; default: its base name in the current folder); returns where it went."""
        source = self.file_path(name)
        target = Path(output_file_path or Path(name).name)
        if target.is_dir():
            target = target / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        return str(target)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | None = None,
        output_paths: list[str] | None = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: Any = None,
    ) -> list[str]:
        """Copy the files whose names start with ``prefix`` (all when None) into
        ``output_directory`` (default: the current folder) under their names (without the
        prefix when ``append_prefix`` is False), or to ``output_paths`` one by one; returns
        the paths written."""
        names = [n for n in self.get_file_names() if not prefix or n.startswith(prefix)]
        if output_paths is not None:
            if len(output_paths) != len(names):
                raise ValueError(
                    f"output_paths has {len(output_paths)} paths for {len(names)} files "
                    f"({names}); give one path per file"
                )
            return [self.download_file(n, p) for n, p in zip(names, output_paths, strict=True)]
        out_dir = Path(output_directory or ".")
        copied = []
        for name in names:
            rel = name if append_prefix or not prefix else name[len(prefix) :].lstrip("/")
            copied.append(self.download_file(name, str(out_dir / rel)))
        return copied
