"""Build the JupyterLab front end (labextension/ -> jupyter_pipelines/labextension) once.

One builder for pip's build hook (pyproject.toml names ``build`` below as hatch-jupyter-
builder's build function) and for ``make labext``: it builds only when the bundle is
missing or was built from other sources, installs the npm packages with ``npm ci`` (exactly
the lock file, which it never modifies), and writes the hash of the sources it built from
next to the bundle. Without npm, a bundle that is present is kept, with a warning when it
was built from other sources (Binder installs the prebuilt copy kept in binder/ that way).

    python scripts/build_labextension.py            build when needed
    python scripts/build_labextension.py --check    exit 1 when a build is needed
    python scripts/build_labextension.py --force    build even when fresh
    python scripts/build_labextension.py --copy-to binder/labextension
                                                    build when needed, then copy the bundle

Standard library only: it runs inside pip's isolated build environment.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "labextension"
BUNDLE = ROOT / "jupyter_pipelines" / "labextension"
#: The hash of the sources a bundle was built from, written into the bundle.
STAMP_NAME = "build-source.sha256"
#: What the bundle is built from (folders are taken whole).
INPUTS = ("src", "style", "package.json", "package-lock.json", "tsconfig.json")
#: Set to 1 to never run npm (hatch-jupyter-builder's own switch, honoured here too).
SKIP_ENV = "HATCH_JUPYTER_BUILDER_SKIP_NPM"


def source_hash(source: Path = SOURCE) -> str:
    """SHA-256 of the front end's sources: every input file's path and content."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = source / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if not file.is_file():
                continue
            digest.update(file.relative_to(source).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def built_from(bundle: Path = BUNDLE) -> str | None:
    """The source hash a bundle records, or None when there is no complete bundle."""
    stamp = bundle / STAMP_NAME
    if not (bundle / "package.json").is_file() or not stamp.is_file():
        return None
    return stamp.read_text().strip()


def is_fresh(bundle: Path = BUNDLE, source: Path = SOURCE) -> bool:
    """Whether ``bundle`` was built from the sources as they are now."""
    return built_from(bundle) == source_hash(source)


def _npm(*args: str) -> None:
    print(f"[labextension] npm {' '.join(args)}", flush=True)
    subprocess.run(["npm", *args], cwd=SOURCE, check=True)


def _packages_current() -> bool:
    """Whether node_modules was installed from the lock file as it is now."""
    installed = SOURCE / "node_modules" / ".package-lock.json"
    lock = SOURCE / "package-lock.json"
    return installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime


def build_bundle(force: bool = False) -> str:
    """Build when needed; returns what was done, in words."""
    if not force and is_fresh():
        return "up to date"
    if os.environ.get(SKIP_ENV) == "1" or shutil.which("npm") is None:
        why = f"{SKIP_ENV}=1" if shutil.which("npm") else "npm is not installed"
        if (BUNDLE / "package.json").is_file():
            return f"kept the bundle present ({why}); it was built from other sources"
        raise SystemExit(
            f"the JupyterLab front end is not built and cannot be ({why}): install Node.js "
            "20+ with npm, or copy a prebuilt bundle (binder/labextension) to "
            f"{BUNDLE.relative_to(ROOT)}"
        )
    if not _packages_current():
        _npm("ci", "--no-audit", "--no-fund")
    _npm("run", "build:prod")
    (BUNDLE / STAMP_NAME).write_text(source_hash() + "\n")
    return "built"


def build(target_name: str, version: str, **_kwargs: object) -> None:
    """hatch-jupyter-builder's build function (``build-function`` in pyproject.toml)."""
    print(f"[labextension] {build_bundle()} ({target_name}, {version})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a build is needed")
    parser.add_argument("--force", action="store_true", help="build even when fresh")
    parser.add_argument("--copy-to", metavar="DIR", help="then copy the bundle to DIR")
    args = parser.parse_args(argv)
    if args.check:
        fresh = is_fresh()
        print(f"[labextension] {'up to date' if fresh else 'needs a build'}")
        return 0 if fresh else 1
    print(f"[labextension] {build_bundle(force=args.force)}", flush=True)
    if args.copy_to:
        if not is_fresh():
            raise SystemExit("the bundle was not built from the current sources: not copied")
        target = Path(args.copy_to).resolve()
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(BUNDLE, target)
        print(f"[labextension] copied to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
