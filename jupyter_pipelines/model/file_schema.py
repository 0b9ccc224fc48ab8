"""The schema and the YAML text of pipeline files: parsing, checking and dumping documents.

A document is plain data (dicts, lists, scalars) checked against the JSON Schema
shipped in ``schemas/pipeline.schema.json``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import PipelineFileError

FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schemas" / "pipeline.schema.json"


@cache
def pipeline_schema() -> dict[str, Any]:
    """The JSON Schema of pipeline files."""
    result: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return result


@cache
def _schema_validator() -> Any:
    """The compiled validator of the schema (built once: building it costs more than using it)."""
    import jsonschema

    return jsonschema.Draft202012Validator(pipeline_schema())


def warm_up() -> None:
    """Import and compile what checking a document needs, so that the first check is fast
    (the server calls this in the background when it starts)."""
    _schema_validator().is_valid({"version": FORMAT_VERSION, "steps": {}})


#: libyaml's loader when PyYAML was built with it (several times faster), else PyYAML's own.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump_document(doc: dict[str, Any]) -> str:
    """The YAML text of a document: block style, keys in their written order."""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text, naming the file, line and column of a syntax error."""
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineFileError(f"{source!r} is not valid YAML{where}: {problem}") from exc


def check_document(doc: Any, source: str) -> None:
    """Check a document against the schema, reporting every violation with its field."""
    if not isinstance(doc, dict):
        raise PipelineFileError(f"{source!r} must hold a mapping with 'version' and 'steps'")
    if isinstance(doc.get("pipeline"), dict) and "steps" not in doc:
        raise PipelineFileError(
            f"{source!r} is v1's pipeline YAML (a 'pipeline:' section); read it with "
            "Pipeline.load_yaml(workspace, path)"
        )
    if "version" in doc and doc["version"] != FORMAT_VERSION:
        raise PipelineFileError(
            f"{source!r} has format version {doc['version']!r}; this jupyter_pipelines reads "
            f"version {FORMAT_VERSION} (upgrade jupyter_pipelines to read newer files)"
        )
    validator = _schema_validator()
    errors = sorted(
        (_closest(e) for e in validator.iter_errors(doc)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        lines = [f"  - {_field(e)}: {e.message}" for e in errors]
        raise PipelineFileError(
            f"{source!r} does not match the pipeline schema:\n" + "\n".join(lines)
        )


def _closest(error: Any) -> Any:
    """For a value matching none of several shapes, the error of the nearest shape."""
    if error.validator != "oneOf" or not error.context:
        return error
    branches: dict[Any, list[Any]] = {}
    for sub_error in error.context:
        branches.setdefault(sub_error.schema_path[0], []).append(sub_error)
    nearest = min(branches.values(), key=len)
    return _closest(nearest[0])


def _field(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    return ".".join(path) if path else "(top level)"
