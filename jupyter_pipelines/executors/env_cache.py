"""The per-user cache of built step environments: where they live, locks, use stamps, collection.

One folder per environment content key, shared by every workspace of the user:
``$JUPYTER_PIPELINES_ENV_CACHE``, else ``$XDG_CACHE_HOME/jupyter-pipelines/envs``, else
``~/.cache/jupyter-pipelines/envs``. Next to each ``<key>/`` lie ``<key>.lock`` (builders hold
it exclusively, users take it shared for a moment to stamp their use) and, while building,
``.building-<key>-<pid>/``, renamed to ``<key>/`` when complete. ``<key>/.last-used`` is
touched at every use; :func:`collect` removes environments unused for longer than a limit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

Log = Callable[[str], None]

#: Names the cache folder (tests and shared machines point it elsewhere).
CACHE_ENV_VAR = "JUPYTER_PIPELINES_ENV_CACHE"
#: How long an environment may go unused before a build collects it: "30d", "12h", "never".
UNUSED_ENV_VAR = "JUPYTER_PIPELINES_ENV_UNUSED"
DEFAULT_UNUSED = "30d"
MARKER = ".jupyter_pipelines-env.json"
STAMP = ".last-used"
BUILDING_PREFIX = ".building-"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 86400.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def cache_dir() -> Path:
    """The folder holding this user's built environments (not created here)."""
    named = os.environ.get(CACHE_ENV_VAR)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jupyter-pipelines" / "envs"


def parse_age(text: str) -> float | None:
    """Seconds in a duration such as ``30d``, ``12h``, ``90m``, ``2w`` or ``45s`` (a bare
    number is days); None for ``never``. Raises ValueError for anything else."""
    if text.strip().lower() in ("never", "off", "none"):
        return None
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"not a duration: {text!r} (write a number and a unit: 30d, 12h, 90m, 2w, or never)"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def unused_limit() -> float | None:
    """How long (seconds) an environment may stay unused before builds collect it."""
    text = os.environ.get(UNUSED_ENV_VAR) or DEFAULT_UNUSED
    try:
        return parse_age(text)
    except ValueError:
        return parse_age(DEFAULT_UNUSED)


def is_built(env_dir: Path) -> bool:
    """Whether ``env_dir`` holds a complete environment."""
    return (env_dir / MARKER).is_file()


def lock_path(env_dir: Path) -> Path:
    return env_dir.with_name(env_dir.name + ".lock")


@contextlib.contextmanager
def locked(path: Path, name: str, emit: Log, *, shared: bool = False) -> Iterator[None]:
    """Hold ``path``'s ``flock``: exclusive for building, shared for stamping a use."""
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            emit(f"waiting while another process builds environment {name!r}")
            fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def mark_used(env_dir: Path, name: str, emit: Log) -> bool:
    """Stamp a use of ``env_dir`` unless a collector holds it; True when it is still built.

    The shared lock orders the stamp against :func:`collect`, which removes an environment
    only under the exclusive lock after reading an old stamp.
    """
    with locked(lock_path(env_dir), name, emit, shared=True):
        if not is_built(env_dir):
            return False
        touch(env_dir / STAMP)
        return True


def touch(path: Path) -> None:
    path.touch()
    os.utime(path)


def last_used(env_dir: Path) -> float:
    """When ``env_dir`` was last used (its stamp), or built (its marker)."""
    for name in (STAMP, MARKER):
        with contextlib.suppress(OSError):
            return (env_dir / name).stat().st_mtime
    return 0.0


def building_dir(env_dir: Path) -> Path:
    """A fresh folder name to build ``env_dir`` in, beside it (same file system: renames)."""
    return env_dir.with_name(f"{BUILDING_PREFIX}{env_dir.name}-{os.getpid()}")


def remove_unfinished(env_dir: Path, emit: Log) -> None:
    """Remove what earlier, interrupted builds of ``env_dir`` left (the caller holds its lock)."""
    for stale in env_dir.parent.glob(f"{BUILDING_PREFIX}{env_dir.name}-*"):
        emit(f"removing the unfinished build in {str(stale)!r}")
        shutil.rmtree(stale, ignore_errors=True)
    if env_dir.exists() and not is_built(env_dir):
        emit(f"removing the unfinished build in {str(env_dir)!r}")
        shutil.rmtree(env_dir, ignore_errors=True)


def publish(built: Path, env_dir: Path) -> None:
    """Make the environment built in ``built`` visible as ``env_dir``, in one rename."""
    os.rename(built, env_dir)
    touch(env_dir / STAMP)


@dataclass
class CachedEnvironment:
    """A built environment of the cache, as ``jupyter-pipelines envs list`` shows it."""

    key: str
    path: Path
    last_used: float
    size_bytes: int


def entries(root: Path | None = None) -> list[CachedEnvironment]:
    """The built environments in the cache, least recently used first."""
    folder = root or cache_dir()
    if not folder.is_dir():
        return []
    found = [
        CachedEnvironment(p.name, p, last_used(p), disk_usage(p))
        for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and is_built(p)
    ]
    return sorted(found, key=lambda e: e.last_used)


def collect(
    older_than: float, emit: Log, *, root: Path | None = None, dry_run: bool = False
) -> list[Path]:
    """Remove the environments unused for more than ``older_than`` seconds; returns them.

    An environment being built or stamped at that moment holds its lock and is skipped.
    Unfinished builds older than the limit (a crashed builder's) go too.
    """
    folder = root or cache_dir()
    if not folder.is_dir():
        return []
    cutoff = time.time() - older_than
    removed: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_dir():
            continue
        if path.name.startswith(BUILDING_PREFIX):
            key = path.name[len(BUILDING_PREFIX) :].rsplit("-", 1)[0]
            if _mtime(path) < cutoff and _collect_one(path, cutoff, dry_run, lock_of=key):
                removed.append(path)
            continue
        if path.name.startswith("."):  # another collector's trash
            continue
        if last_used(path) >= cutoff:
            continue
        if _collect_one(path, cutoff, dry_run):
            emit(f"removed environment {path.name} (unused since {_when(last_used(path))})")
            removed.append(path)
    return removed


def _collect_one(env_dir: Path, cutoff: float, dry_run: bool, lock_of: str = "") -> bool:
    """Remove ``env_dir`` under its key's exclusive lock, unless someone holds it."""
    lock = env_dir.with_name(lock_of + ".lock") if lock_of else lock_path(env_dir)
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # in use or being built right now
        try:
            if not lock_of and last_used(env_dir) >= cutoff:  # stamped while we looked
                return False
            return _remove(env_dir, dry_run)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove(path: Path, dry_run: bool) -> bool:
    """Rename out of the way first, so that no one sees half a folder; then delete."""
    if dry_run:
        return True
    trash = path.with_name(f".removing-{path.name}-{os.getpid()}")
    try:
        os.rename(path, trash)
    except OSError:
        return False
    shutil.rmtree(trash, ignore_errors=True)
    return True


def disk_usage(path: Path) -> int:
    """Bytes of ``path``'s files, each inode counted once (hard links into uv's cache count
    here as they do for ``du``)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(folder, name))
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_blocks * 512
    return total


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "never"
