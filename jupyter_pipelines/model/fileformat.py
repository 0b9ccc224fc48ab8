"""The ``NAME.pipeline.yaml`` file format: a Pipeline to a document and back.

This is the format's public face, used by the engine, the server and the CLI. The work is
done below it: :mod:`.file_schema` (the JSON Schema, YAML parsing and dumping),
:mod:`.file_writer` (pipeline to document), :mod:`.file_reader` (document to the parts of
a pipeline) and :mod:`.elyra` (Elyra files); this module makes Pipelines of the parts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .file_reader import document_to_parts, read_pipeline_file
from .file_schema import (
    FORMAT_VERSION,
    SCHEMA_PATH,
    check_document,
    dump_document,
    parse_yaml,
    pipeline_schema,
    warm_up,
)
from .file_writer import (
    parameter_value_doc,
    pipeline_to_document,
    step_to_document,
    write_pipeline_file,
)
from .pipeline import Pipeline

__all__ = [
    "FORMAT_VERSION",
    "SCHEMA_PATH",
    "check_document",
    "document_to_pipeline",
    "dump_document",
    "load_pipeline",
    "parameter_value_doc",
    "parse_yaml",
    "pipeline_schema",
    "pipeline_to_document",
    "read_pipeline_file",
    "save_pipeline",
    "step_to_document",
    "warm_up",
]


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Read a pipeline file: ``*.pipeline.yaml`` (ours) or ``*.pipeline`` (Elyra)."""
    return Pipeline.from_parts(read_pipeline_file(path))


def document_to_pipeline(doc: Any, base_dir: str | os.PathLike[str], source: str) -> Pipeline:
    """Build a Pipeline from a checked document; paths are relative to ``base_dir``."""
    return Pipeline.from_parts(document_to_parts(doc, Path(base_dir), source))


def save_pipeline(pipeline: Pipeline, path: str | os.PathLike[str]) -> None:
    """Write ``pipeline`` to ``path`` atomically (a temporary file, then a rename)."""
    write_pipeline_file(pipeline, path)
