"""The files of a step run, as v1 exposes them: names, downloads, output data, logs in details."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..errors import UnknownRunError, did_you_mean

#: Folders of a step run that are not its files: its code snapshot and staged inputs.
_NOT_FILES = ("code", "inputs", "outputs.partial", "kernelspecs")


class PortDataReference:
    """An output of a finished step run (v1 ``PortDataReference``): where it is, and a download."""

    def __init__(self, name: str, path: Path, delivered: dict[str, Any] | None) -> None:
        self.name = name
        self.local_path = path
        self.datastore_name = (delivered or {}).get("datastore")
        self.path_on_datastore = (delivered or {}).get("path")

    def download(self, local_path: str, overwrite: bool = False, show_progress: bool = True) -> str:
        """Copy the output into ``local_path/<name>``; returns that folder."""
        target = Path(local_path) / self.name
        if target.exists() and not overwrite:
            raise FileExistsError(f"{str(target)!r} exists; pass overwrite=True to replace it")
        shutil.copytree(self.local_path, target, dirs_exist_ok=True)
        return str(target)

    def __repr__(self) -> str:
        return f"PortDataReference({self.name!r}, {str(self.local_path)!r})"


class StepRunFiles:
    """File methods of StepRun; needs ``origin_record()`` (the record that holds the files)."""

    def origin_record(self) -> Any:
        """The step record that holds the logs and files (of the reused run, when reused)."""
        raise NotImplementedError

    def files_root(self) -> Path:
        """The folder of the step run's files (see ``get_file_names``)."""
        return Path(self.origin_record().step_dir)

    def get_output_data(self, name: str) -> PortDataReference:
        """Output ``name`` of the step run (of the reused run, when reused)."""
        outputs = self.origin_record().outputs
        if name not in outputs:
            raise UnknownRunError(
                f"the step run has no output {name!r}"
                f"{did_you_mean(name, outputs)}; it has {sorted(outputs)}"
            )
        out = outputs[name]
        return PortDataReference(name, Path(out["path"]), out.get("delivered"))

    def get_file_names(self) -> list[str]:
        """Relative names of the step run's files: logs, metrics, executed notebook, uploads."""
        root = self.files_root()
        if not root.is_dir():
            return []
        names = []
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and rel.parts[0] not in _NOT_FILES:
                names.append(rel.as_posix())
        return names

    def file_path(self, name: str) -> Path:
        """The absolute path of file ``name`` of the step run; UnknownRunError when it is
        not one (missing, not a file, or outside the step run's folder)."""
        root = self.files_root().resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file():
            names = self.get_file_names()
            raise UnknownRunError(f"the step run has no file {name!r}{did_you_mean(name, names)}")
        return path

    def download_file(self, name: str, output_file_path: str | None = None) -> str:
        """Copy one file of the step run; returns where it went."""
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
        append_prefix: bool = True,
    ) -> list[str]:
        """Copy the files whose names start with ``prefix``; returns their new paths."""
        out_dir = Path(output_directory or ".")
        copied = []
        for name in self.get_file_names():
            if prefix and not name.startswith(prefix):
                continue
            rel = name if append_prefix or not prefix else name[len(prefix) :].lstrip("/")
            copied.append(self.download_file(name, str(out_dir / rel)))
        return copied
