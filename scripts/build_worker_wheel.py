"""Builds a wheel of this checkout's Python package for Dask worker images, and says what
the worker needs to install with it.

    python scripts/build_worker_wheel.py OUT_DIR

writes ``OUT_DIR/jupyter_pipelines-<version>-py3-none-any.whl`` (the package's files as
they are in this working tree, tracked or new, less the front-end bundle that workers do
not serve), ``OUT_DIR/requirements.txt`` (the package's dependencies, plus dask and adlfs
at the versions of this environment, so that workers match the scheduler and the
client) and ``OUT_DIR/key`` (a hash of both, the image tag). Standard library only, no
build backend and no Node: the project's own build runs the front-end builder, which a
worker image does not need.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "jupyter_pipelines"
#: Left out of the worker's wheel: the prebuilt front end, caches.
SKIPPED = ("jupyter_pipelines/labextension/",)
#: Installed on workers at this environment's versions.
PINNED = ("dask", "distributed", "adlfs", "msgpack", "cloudpickle", "tornado", "toolz")


def package_files() -> list[str]:
    """The package's files in this working tree: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", PACKAGE],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return sorted(
        f
        for f in listed
        if f
        and (ROOT / f).is_file()
        and not f.startswith(SKIPPED)
        and "__pycache__" not in f
        and not f.endswith(".pyc")
    )


def requirements(project: dict) -> list[str]:
    """The package's dependencies and the pinned Dask stack."""
    found = list(project.get("dependencies", []))
    for name in PINNED:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed here: pip install 'dask[distributed]' adlfs")
    return found


def entry_points(project: dict) -> str:
    lines: list[str] = []
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in entries.items()]
        lines.append("")
    return "\n".join(lines)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _info(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed time, compressed."""
    info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def build(out_dir: Path) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = project["version"]
    dist_info = f"{PACKAGE}-{version}.dist-info"
    reqs = requirements(project)
    meta = [
        "Metadata-Version: 2.1",
        f"Name: {PACKAGE}",
        f"Version: {version}",
        f"Requires-Python: {project.get('requires-python', '>=3.10')}",
        *(f"Requires-Dist: {r}" for r in project.get("dependencies", [])),
    ]
    generated = {
        f"{dist_info}/METADATA": "\n".join(meta) + "\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: build_worker_wheel\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": entry_points(project),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{PACKAGE}-{version}-py3-none-any.whl"
    key = hashlib.sha256("\n".join(reqs).encode())
    record: list[str] = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in package_files():
            data = (ROOT / name).read_bytes()
            key.update(f"{name}\0{len(data)}\0".encode() + data)
            zf.writestr(_info(name), data)
            record.append(_record_line(name, data))
        for name, text in generated.items():
            zf.writestr(_info(name), text)
            record.append(_record_line(name, text.encode()))
        record.append(f"{dist_info}/RECORD,,")
        zf.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    (out_dir / "requirements.txt").write_text("\n".join(reqs) + "\n")
    (out_dir / "key").write_text(key.hexdigest()[:16] + "\n")
    return wheel


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
