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
from .untrusted import NAME_MAX, check_tree, field_name, load_yaml, path_problem

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


def dump_document(doc: dict[str, Any]) -> str:
    """The YAML text of a document: block style, keys in their written order."""
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text within the limits of untrusted documents (untrusted.py), naming the
    file, line and column of a syntax error or of the place that breaks a limit."""
    return load_yaml(text, source)


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
    check_tree(doc, source)
    check_path_lengths(doc, source)
    validator = _schema_validator()
    errors = sorted(
        (_closest(e) for e in validator.iter_errors(doc)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        lines = [f"  - {_field(e)}: {_shorten(e.message)}" for e in errors[:_MAX_ERRORS]]
        if len(errors) > _MAX_ERRORS:
            lines.append(f"  - ... and {len(errors) - _MAX_ERRORS} more")
        raise PipelineFileError(
            f"{source!r} does not match the pipeline schema:\n" + "\n".join(lines)
        )


#: The most schema violations listed, and the longest message of one (a violation's message
#: quotes the value, which may be a whole list of thousands of items).
_MAX_ERRORS, _MAX_MESSAGE = 50, 300


def _shorten(message: str) -> str:
    if len(message) <= _MAX_MESSAGE:
        return message
    return f"{message[: _MAX_MESSAGE // 2]} ... {message[-_MAX_MESSAGE // 2 :]}"


#: Fields holding a path, wherever they appear in a step (its inputs and outputs included).
_PATH_FIELDS = frozenset(
    {
        "script",
        "notebook",
        "source_directory",
        "hash_paths",
        "executed_notebook",
        "output_notebook",
        "path_on_compute",
        "path",
        "entry_script",
    }
)
#: Parts of a step that hold the user's own values, not paths of ours.
_FREE_FORM = frozenset(
    {"params", "arguments", "command", "environment", "environment_variables", "layout"}
)


def check_path_lengths(doc: dict[str, Any], source: str) -> None:
    """Refuse a path or name that no file system accepts (a component over ``NAME_MAX``
    bytes, a path over ``PATH_MAX``), naming the field, before anything opens it."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            named = path[-1:] in (("steps",), ("inputs",), ("outputs",)) or path == ("parameters",)
            for key, item in value.items():
                if named and len(key.encode("utf-8")) > NAME_MAX:
                    raise PipelineFileError(
                        f"{source!r}: field {field_name(path)} has a name longer than "
                        f"{NAME_MAX} bytes ({key[:40]}...), which no file system accepts"
                    )
                if key in _FREE_FORM or (key == "parameters" and len(path) == 2):
                    continue  # a notebook step's parameters are its own
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, str) and _nearest_key(path) in _PATH_FIELDS:
            _check_path(value, path, source)


def _nearest_key(path: tuple[Any, ...]) -> Any:
    """The name of the field a value sits in (a list item: the list's)."""
    return next((p for p in reversed(path) if isinstance(p, str)), None)


def _check_path(value: str, path: tuple[Any, ...], source: str) -> None:
    problem = path_problem(value)
    if problem:
        raise PipelineFileError(f"{source!r}: field {field_name(path)} {problem}")


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
