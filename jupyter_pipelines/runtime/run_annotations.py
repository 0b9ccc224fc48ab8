"""Tags and properties of a run (v1: tag, set_tags, remove_tags, get_tags, add_properties,
get_properties), written once over four storage hooks, and the folder files that keep them.

Tags change; properties, once added, keep their value (v1 makes them an audit record). A
tag set without a value has the value None, as in v1. A run kept in a folder stores the tags
it changed in ``tags.json`` (a JSON object of the tags set, with the names of removed ones
under ``"__removed__"``) over the tags it started with, and the properties added to it in
``properties.json``. Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .files import read_json, write_json_atomic

TAGS_FILE = "tags.json"
PROPERTIES_FILE = "properties.json"
#: The key of ``tags.json`` that lists the tags removed from the run.
REMOVED_KEY = "__removed__"


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


#: A value in the changes given to ``_change_tags``: remove that tag.
REMOVE: Any = _Remove()


class RunAnnotations:
    """The v1 tag and property members; subclasses implement the four ``_`` hooks."""

    id: str

    # -- storage hooks ---------------------------------------------------------------
    def _load_tags(self) -> dict[str, Any]:
        """The run's current tags."""
        raise NotImplementedError

    def _change_tags(self, changes: Mapping[str, Any]) -> None:
        """Set the tags of ``changes``; a value of ``REMOVE`` removes that tag."""
        raise NotImplementedError

    def _load_properties(self) -> dict[str, Any]:
        """The run's properties: its system facts and those added with add_properties."""
        raise NotImplementedError

    def _store_properties(self, added: Mapping[str, Any]) -> None:
        """Keep newly added properties (already checked against the existing ones)."""
        raise NotImplementedError

    # -- tags ------------------------------------------------------------------------
    def tag(self, key: str, value: Any = None) -> None:
        """Set one tag; a tag without a value has the value None."""
        self._change_tags({str(key): value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags at once (a dict of name -> value)."""
        if not isinstance(tags, Mapping):
            raise TypeError(f"set_tags() takes a dict of tags, got {type(tags).__name__}")
        self._change_tags({str(k): v for k, v in tags.items()})

    def remove_tags(self, tags: Iterable[str] | str) -> dict[str, Any]:
        """Remove the tags named in ``tags`` (a list of names, or one name); returns the
        tags left."""
        names = [tags] if isinstance(tags, str) else [str(t) for t in tags]
        self._change_tags(dict.fromkeys(names, REMOVE))
        return self.get_tags()

    def get_tags(self) -> dict[str, Any]:
        """The run's tags, read now."""
        return dict(self._load_tags())

    @property
    def tags(self) -> dict[str, Any]:
        """The run's tags."""
        return self.get_tags()

    # -- properties --------------------------------------------------------------------
    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; an existing property keeps its value (a different value is an
        error: properties are an audit record, use tags for what changes)."""
        if not properties:
            return
        if not isinstance(properties, Mapping):
            raise TypeError(
                f"add_properties() takes a dict of properties, got {type(properties).__name__}"
            )
        current = self._load_properties()
        added = {}
        for key, value in properties.items():
            key = str(key)
            if key in current:
                if str(current[key]) != str(value):
                    raise ValueError(
                        f"property {key!r} of run {self.id} is already {current[key]!r}; "
                        "properties cannot be changed once added (use tags for values "
                        "that change)"
                    )
                continue
            added[key] = value
        if added:
            self._store_properties(added)

    def get_properties(self) -> dict[str, Any]:
        """The run's properties, read now."""
        return dict(self._load_properties())

    @property
    def properties(self) -> dict[str, Any]:
        """The run's properties (system facts and added ones)."""
        return self.get_properties()


# -- folder files ---------------------------------------------------------------------------
def read_tag_changes(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The tag changes kept in ``folder/tags.json``; {} when there are none."""
    stored = read_json(os.path.join(folder, TAGS_FILE), {})
    return stored if isinstance(stored, dict) else {}


def apply_tag_changes(tags: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``tags`` with ``changes`` applied: those of ``_change_tags`` (``REMOVE`` values) or
    those of a ``tags.json`` file (removed names under ``"__removed__"``)."""
    result = dict(tags)
    for name in changes.get(REMOVED_KEY) or []:
        result.pop(name, None)
    for key, value in changes.items():
        if key == REMOVED_KEY:
            continue
        if value is REMOVE:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def write_tag_changes(folder: str | os.PathLike[str], changes: Mapping[str, Any]) -> None:
    """Add ``changes`` (``REMOVE`` values remove) to ``folder/tags.json``, atomically."""
    stored = read_tag_changes(folder)
    removed = set(stored.get(REMOVED_KEY) or [])
    for key, value in changes.items():
        if value is REMOVE:
            stored.pop(key, None)
            removed.add(key)
        else:
            stored[key] = value
            removed.discard(key)
    stored.pop(REMOVED_KEY, None)
    if removed:
        stored[REMOVED_KEY] = sorted(removed)
    write_json_atomic(os.path.join(folder, TAGS_FILE), stored)


def read_properties(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The properties added to the run kept in ``folder``."""
    stored = read_json(os.path.join(folder, PROPERTIES_FILE), {})
    return stored if isinstance(stored, dict) else {}


def write_properties(folder: str | os.PathLike[str], added: Mapping[str, Any]) -> None:
    """Add properties to ``folder/properties.json``, atomically."""
    stored = read_properties(folder)
    stored.update({str(k): v for k, v in added.items()})
    write_json_atomic(os.path.join(folder, PROPERTIES_FILE), stored)
