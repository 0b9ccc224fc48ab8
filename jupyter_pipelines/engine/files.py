"""Moving files between a step's working folder and its data, around its execution.

Inputs used ``as_download(path_on_compute=...)`` are copied into the working folder
before the step starts; files matching an output's ``source`` globs are copied into
that output when the step succeeds (as Elyra nodes pass their declared outputs).
"""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

from ..errors import EngineError
from ..executors.base import StepSpec


def _inside(base: Path, relative: str, what: str) -> Path:
    root = base.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise EngineError(f"{what} {relative!r} leaves the step's working folder")
    return target


def stage_inputs(spec: StepSpec) -> None:
    """Copy inputs that ask for it into the step's working folder."""
    for name, data in spec.inputs.items():
        place = data.get("path_on_compute")
        if data.get("mode") != "download" or not place:
            continue
        target = _inside(Path(spec.working_dir), place, f"input {name!r} path_on_compute")
        source = Path(data["path"]).resolve()
        if source.is_file():  # a dataset of one file: the file goes into that folder
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)
        else:
            shutil.copytree(source, target, dirs_exist_ok=True)


def collect_sources(spec: StepSpec) -> None:
    """Copy the files an output names by ``source`` from the working folder into it."""
    work = Path(spec.working_dir).resolve()
    for name, data in spec.outputs.items():
        for pattern in data.get("source", []):
            _inside(work, pattern, f"output {name!r} source")
            for match in sorted(glob.glob(str(work / pattern), recursive=True)):
                path = Path(match)
                relative = path.relative_to(work)
                dest = Path(data["path"]) / relative
                dest.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    shutil.copytree(path, dest, dirs_exist_ok=True)
                else:
                    shutil.copy2(path, dest)
