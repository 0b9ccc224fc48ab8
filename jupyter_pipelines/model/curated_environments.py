"""Curated environments: the v1 ``AzureML-*`` environments, as ``Environment`` objects.

The definitions (names, images, packages, name parsing) are in curated_definitions.py;
environment.py makes environments of them. This module gathers both, so that curated
environments are imported from one place.
"""

from __future__ import annotations

from .curated_definitions import (
    DOCUMENTED_NAMES,
    CuratedDefinition,
    CuratedName,
    curated_definition,
    curated_names,
    family_definition,
    parse_curated_name,
)
from .environment import Environment, curated_environment, from_curated_definition


def family_environment(name: str) -> Environment | None:
    """The environment a well-formed framework-family name stands for, or None."""
    definition = family_definition(name)
    return from_curated_definition(name, definition) if definition is not None else None


__all__ = [
    "DOCUMENTED_NAMES",
    "CuratedDefinition",
    "CuratedName",
    "curated_definition",
    "curated_environment",
    "curated_names",
    "family_definition",
    "family_environment",
    "parse_curated_name",
]
