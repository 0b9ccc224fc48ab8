"""Step fingerprints: the hash of a canonical document of everything that decides a step's result.

The document holds the step type and entry point, the code hash (the filtered
snapshot, or only ``hash_paths``), literal arguments and params with parameter
values resolved, each input's content hash, the environment, the compute target's
kind and image, and the output names and modes. Paths, timeouts, ``allow_reuse``
and layout are left out on purpose: they do not change what a step produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .hashing import hash_document

#: Bump to invalidate every earlier fingerprint deliberately.
FINGERPRINT_VERSION = 2

#: Step document keys that do not change a step's result.
VOLATILE = frozenset(
    {
        "source_directory",
        "allow_reuse",
        "hash_paths",
        "timeout",
        "run_after",
        "compute_target",
        "resources",
        "log_output",
        "cell_timeout",
        "inputs",
    }
)

_PARAM = re.compile(r"\$\{\{\s*parameters\.([^}\s]+)\s*\}\}")


def _referenced(value: Any) -> set[str]:
    """Names of the parameters that ``value`` (a step document part) refers to."""
    if isinstance(value, str):
        return set(_PARAM.findall(value))
    if isinstance(value, list):
        return set().union(*map(_referenced, value)) if value else set()
    if isinstance(value, dict):
        return set().union(*map(_referenced, value.values())) if value else set()
    return set()


def base_document(
    step_doc: dict[str, Any],
    code_hash: str,
    parameters: dict[str, Any],
    environment: dict[str, Any],
    target: dict[str, Any],
) -> dict[str, Any]:
    """The fingerprint document of a step, with input contents still unknown (None).

    Parameter references stay symbolic in ``step``; the values of the parameters the
    step uses are listed under ``parameters``, so a change is named as such.
    """
    semantic = {k: v for k, v in step_doc.items() if k not in VOLATILE}
    used = {n: parameters[n] for n in sorted(_referenced(semantic)) if n in parameters}
    inputs = {
        name: {"mode": ref.get("mode", "mount"), "content": None}
        for name, ref in step_doc.get("inputs", {}).items()
    }
    return {
        "version": FINGERPRINT_VERSION,
        "step": semantic,
        "parameters": used,
        "code": code_hash,
        "inputs": inputs,
        "environment": environment,
        "target": target,
    }


def complete_document(base: dict[str, Any], input_hashes: dict[str, str]) -> dict[str, Any]:
    """The full document, once the content hash of every input is known."""
    missing = set(base["inputs"]) - set(input_hashes)
    if missing:
        raise ValueError(f"content hash missing for input(s) {sorted(missing)}")
    inputs = {
        name: {**spec, "content": input_hashes[name]} for name, spec in base["inputs"].items()
    }
    return {**base, "inputs": inputs}


def fingerprint(document: dict[str, Any]) -> str:
    """The fingerprint of a complete document: ``v<version>-<blake3 hex>``."""
    return f"v{document.get('version', FINGERPRINT_VERSION)}-{hash_document(document)}"


@dataclass(frozen=True)
class Difference:
    """One component of a fingerprint that changed between two step runs."""

    component: str
    old: Any
    new: Any
    detail: str = ""

    def __str__(self) -> str:
        return self.detail or f"{self.component} changed: {self.old!r} -> {self.new!r}"


def explain(
    old: dict[str, Any],
    new: dict[str, Any],
    old_files: dict[str, str] | None = None,
    new_files: dict[str, str] | None = None,
) -> list[Difference]:
    """The components that differ between two fingerprint documents.

    ``old_files`` / ``new_files`` (path -> hash of the code snapshots) name the
    changed files when the code differs.
    """
    diffs: list[Difference] = []
    if old.get("version") != new.get("version"):
        diffs.append(
            Difference(
                "version", old.get("version"), new.get("version"), "the fingerprint format changed"
            )
        )
    if old.get("code") != new.get("code"):
        diffs.append(_code_difference(old.get("code"), new.get("code"), old_files, new_files))
    old_step, new_step = old.get("step", {}), new.get("step", {})
    for key in sorted(set(old_step) | set(new_step)):
        a, b = old_step.get(key), new_step.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for sub in sorted(set(a) | set(b)):
                if a.get(sub) != b.get(sub):
                    diffs.append(Difference(f"{key}.{sub}", a.get(sub), b.get(sub)))
        else:
            diffs.append(Difference(key, a, b))
    for name in sorted(set(old.get("inputs", {})) | set(new.get("inputs", {}))):
        a, b = old.get("inputs", {}).get(name), new.get("inputs", {}).get(name)
        if a != b:
            detail = _input_detail(name, a, b)
            diffs.append(Difference(f"inputs.{name}", a, b, detail))
    old_params, new_params = old.get("parameters", {}), new.get("parameters", {})
    for name in sorted(set(old_params) | set(new_params)):
        if old_params.get(name) != new_params.get(name):
            a, b = old_params.get(name, "(not used)"), new_params.get(name, "(not used)")
            diffs.append(
                Difference(
                    f"parameters.{name}", a, b, f"parameter {name!r} changed: {a!r} -> {b!r}"
                )
            )
    for key in ("environment", "target"):
        if old.get(key) != new.get(key):
            diffs.append(Difference(key, old.get(key), new.get(key)))
    return diffs


def _input_detail(name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if old is None:
        return f"input {name!r} is new"
    if new is None:
        return f"input {name!r} was removed"
    if old.get("mode") != new.get("mode"):
        return f"input {name!r} changed mode: {old.get('mode')} -> {new.get('mode')}"
    short = [str(v.get("content"))[:12] for v in (old, new)]
    return f"input {name!r} changed content: {short[0]} -> {short[1]}"


def _code_difference(
    old: Any, new: Any, old_files: dict[str, str] | None, new_files: dict[str, str] | None
) -> Difference:
    if old_files is None or new_files is None:
        return Difference("code", old, new, "the code changed")
    added = sorted(set(new_files) - set(old_files))
    removed = sorted(set(old_files) - set(new_files))
    changed = sorted(p for p in set(old_files) & set(new_files) if old_files[p] != new_files[p])
    parts = [
        f"{label}: {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"
        for label, names in (("changed", changed), ("added", added), ("removed", removed))
        if names
    ]
    detail = "the code changed (" + "; ".join(parts) + ")" if parts else "the code changed"
    return Difference("code", {"changed": changed, "added": added, "removed": removed}, new, detail)
