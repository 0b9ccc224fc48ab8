"""File helpers for the step runtime: confined destination paths and atomic writes.

Nothing a step records is written in place: each file is written under a temporary name in
its destination folder and then renamed, so readers see either nothing or the whole file.
Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_destination(base: str | os.PathLike[str], name: str, what: str = "name") -> Path:
    """``base/name`` where ``name`` is a relative path that cannot leave ``base``.

    Rejects empty names, absolute paths (``/x``, ``\\x``, ``C:x``) and any ``..`` part with a
    ValueError that says what was wrong. ``/`` and ``\\`` both separate folders.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} must be a non-empty relative path, got {name!r}")
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized) or os.path.isabs(name):
        raise ValueError(
            f"{what} {name!r} must be a relative path inside the run's files folder, "
            "not an absolute path"
        )
    parts = [part for part in normalized.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(
            f"{what} {name!r} must not contain '..': files cannot be written outside "
            "the run's files folder"
        )
    if not parts:
        raise ValueError(f"{what} {name!r} does not name a file")
    root = Path(base)
    destination = root.joinpath(*parts)
    # A symbolic link inside base could still lead out of it.
    real_root = os.path.realpath(root)
    if os.path.commonpath([real_root, os.path.realpath(destination)]) != real_root:
        raise ValueError(f"{what} {name!r} leads outside the run's files folder")
    return destination


def _write_atomic(
    destination: Path, fill: Callable[[IO[bytes]], object], durable: bool = True
) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, destination)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def copy_atomic(source: str | os.PathLike[str] | IO[Any] | bytes, destination: Path) -> None:
    """Copy a file path, a readable stream (bytes or text) or bytes to ``destination``."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        _write_atomic(destination, lambda out: out.write(data))
        return
    if isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise FileNotFoundError(f"cannot copy {os.fspath(source)!r}: no such file")

        def fill_from_path(out: IO[bytes]) -> None:
            with open(source, "rb") as src:
                shutil.copyfileobj(src, out)

        _write_atomic(destination, fill_from_path)
        return
    if not callable(getattr(source, "read", None)):
        raise TypeError(
            f"expected a file path, a readable stream or bytes, got {type(source).__name__}"
        )

    def fill_from_stream(out: IO[bytes]) -> None:
        while True:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            out.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)

    _write_atomic(destination, fill_from_stream)


def save_with(destination: Path, save: Callable[[str], None], suffix: str = "") -> None:
    """Let ``save(tmp_path)`` write a temporary file, then rename it to ``destination``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=f".tmp{suffix}", dir=destination.parent
    )
    os.close(fd)
    try:
        save(tmp)
        os.replace(tmp, destination)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path: str | os.PathLike[str], data: Any, *, durable: bool = True) -> None:
    """Write ``data`` as indented JSON to ``path`` atomically.

    ``durable=False`` leaves out the ``fsync``: readers still never see half a file, but
    after a power loss the file may be empty (for files rewritten before every use)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    _write_atomic(Path(path), lambda out: out.write(text.encode("utf-8")), durable)


def read_json(path: str | os.PathLike[str], default: Any = None) -> Any:
    """The JSON content of ``path``, or ``default`` when it is missing or not valid JSON."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return default
