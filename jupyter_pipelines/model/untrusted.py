"""Loading untrusted YAML and JSON text (pipeline files, REST bodies) within fixed limits.

Every document is bounded before it becomes Python objects: its size in bytes, its nesting
depth, its number of nodes, and for YAML the nodes its aliases add (a "billion laughs"
document of a few hundred bytes expands to hundreds of millions of nodes). YAML is read
by libyaml's parser (when PyYAML has it) and composed by :class:`_BoundedComposer`, which
counts while it composes, so a bomb is refused after reading a few hundred nodes. What
comes out holds JSON's types only (strings, numbers, booleans, null, lists and mappings
with string keys), with no NUL character, no lone surrogate and no integer beyond 64 bits:
:func:`check_tree` checks that without recursion and names the field that breaks it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from ..errors import PipelineFileError, PipelinesError

#: The most bytes of a pipeline document (a ``.pipeline.yaml`` or Elyra file, or a request's
#: ``text``); a real one of 1,000 steps is about 300 KB.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: The most levels of lists and mappings inside one another; a pipeline document needs
#: about 10. The bound also keeps every recursive reader of a document (the JSON Schema
#: validator, YAML's dumper) far from Python's recursion limit.
MAX_DEPTH = 64
#: The most nodes (scalars, lists, mappings) of one document, counting what aliases repeat.
MAX_NODES = 200_000
#: The most nodes that YAML aliases (``*name``) may add to a document in all.
ALIAS_BUDGET = 100_000
#: The largest integer a document may hold (SQLite's and JSON readers' 64 bits).
MAX_INT = 2**63 - 1
#: The longest file name (path component) and path, in bytes, that file systems accept.
NAME_MAX, PATH_MAX = 255, 4096

ErrorFactory = Callable[[str], PipelinesError]


def _file_error(message: str) -> PipelinesError:
    return PipelineFileError(message)


# -- YAML ---------------------------------------------------------------------------------
class _BoundedComposer(Composer):
    """PyYAML's composer that counts nodes and alias expansion and measures depth as it
    composes, raising before anything is built once a document goes over a limit."""

    source = "document"
    # The parser half of the loader provides these.
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]

    def _init_bounds(self) -> None:
        Composer.__init__(self)
        self.depth = 0
        self.nodes = 0
        self.alias_nodes = 0
        #: Nodes below each finished node and its height, by ``id``: an alias reuses its
        #: anchored node, so both are known when the alias is met.
        self.sizes: dict[int, tuple[int, int]] = {}

    def _fail(self, problem: str, event: Any) -> PipelineFileError:
        mark = event.start_mark
        return PipelineFileError(
            f"{self.source!r} at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        )

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            return self._alias(self.peek_event())
        event = self.peek_event()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(f"lists and mappings are nested deeper than {MAX_DEPTH} levels", event)
        self._count(1, event)
        if isinstance(event, ScalarEvent) and "\x00" in event.value:
            raise self._fail("the value holds a NUL character (\\0)", event)
        node: Any = super().compose_node(parent, index)
        self.depth -= 1
        self.sizes[id(node)] = _measure(node, self.sizes)
        return node

    def _alias(self, event: Any) -> Any:
        node = self.anchors.get(event.anchor)
        if node is not None and id(node) not in self.sizes:
            raise self._fail(
                f"alias *{event.anchor} refers to a node that contains it (a recursive "
                "structure, which a pipeline document cannot hold)",
                event,
            )
        size, height = self.sizes.get(id(node), (0, 0))
        if self.depth + height > MAX_DEPTH:
            raise self._fail(
                f"alias *{event.anchor} nests lists and mappings deeper than {MAX_DEPTH} levels",
                event,
            )
        self.alias_nodes += size
        if self.alias_nodes > ALIAS_BUDGET:
            raise self._fail(
                f"aliases expand to more than {ALIAS_BUDGET:,} nodes (the alias budget) at "
                f"*{event.anchor}; write the repeated part out or share less of it",
                event,
            )
        self._count(size, event)
        return super().compose_node(None, None)  # type: ignore[arg-type]

    def _count(self, nodes: int, event: Any) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            raise self._fail(f"the document has more than {MAX_NODES:,} nodes", event)


def _measure(node: Node, sizes: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The number of nodes in ``node`` (aliases expanded) and its height."""
    if isinstance(node, SequenceNode):
        children = [sizes[id(child)] for child in node.value]
    elif isinstance(node, MappingNode):
        children = [sizes[id(part)] for pair in node.value for part in pair]
    else:
        return 1, 1
    return 1 + sum(s for s, _ in children), 1 + max((h for _, h in children), default=0)


class _JsonTypesResolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types less timestamps: ``2024-01-01`` stays a string, as in JSON."""


_JsonTypesResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}

try:  # libyaml's parser: several times faster than PyYAML's own
    from yaml import cyaml

    _CParser: Any = getattr(cyaml, "CParser", None)
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

if _CParser is not None:

    class _BoundedLoader(
        _BoundedComposer,
        _CParser,  # type: ignore[misc]
        yaml.constructor.SafeConstructor,
        _JsonTypesResolver,
    ):
        """Safe loading: libyaml's events composed by :class:`_BoundedComposer`."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            self._init_bounds()
            yaml.constructor.SafeConstructor.__init__(self)
            _JsonTypesResolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _BoundedLoader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        _BoundedComposer,
        yaml.constructor.SafeConstructor,
        _JsonTypesResolver,
    ):
        """Safe loading: PyYAML's events composed by :class:`_BoundedComposer`."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            self._init_bounds()
            yaml.constructor.SafeConstructor.__init__(self)
            _JsonTypesResolver.__init__(self)


def load_yaml(text: str, source: str) -> Any:
    """The data of one YAML document, within the limits; a PipelineFileError names the file,
    the line and the limit otherwise."""
    _check_size(text, source, _file_error)
    loader = _BoundedLoader(text)
    loader.source = source
    try:
        data = loader.get_single_data()
    except (yaml.YAMLError, ComposerError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineFileError(f"{source!r} is not valid YAML{where}: {problem}") from exc
    finally:
        loader.dispose()
    check_tree(data, source)
    return data


def read_document_text(path: Path) -> str:
    """The UTF-8 text of a document file, refused unread when it is over the size limit
    (OSError and UnicodeDecodeError are the caller's to report)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise PipelineFileError(
            f"{str(path)!r} is larger than {_size(MAX_DOCUMENT_BYTES)}, the most a pipeline "
            "file may hold"
        )
    return data.decode("utf-8")


# -- JSON ---------------------------------------------------------------------------------
def load_json(
    text: str | bytes | bytearray,
    source: str,
    error: ErrorFactory = _file_error,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Any:
    """The data of a JSON text within the limits; ``error(message)`` is raised otherwise
    (a PipelineFileError unless the caller wants another kind)."""
    _check_size(text, source, error, max_bytes)
    try:
        data = json.loads(text)
    except RecursionError:
        raise error(f"{source!r} nests lists and objects deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise error(
            f"{source!r} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # UnicodeDecodeError of bytes
        raise error(f"{source!r} is not valid JSON: {exc}") from None
    check_tree(data, source, error)
    return data


def _check_size(
    text: str | bytes | bytearray,
    source: str,
    error: ErrorFactory,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> None:
    if isinstance(text, str):
        if len(text) > max_bytes:  # a character is at least one byte: no need to encode
            raise error(f"{source!r} is larger than {_size(max_bytes)}")
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise error(
                f"{source!r} holds a lone surrogate at character {exc.start} (not valid Unicode)"
            ) from None
    else:
        size = len(text)
    if size > max_bytes:
        raise error(f"{source!r} is larger than {_size(max_bytes)} ({_size(size)})")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


# -- the tree -----------------------------------------------------------------------------
def check_tree(data: Any, source: str, error: ErrorFactory = _file_error) -> None:
    """Check, without recursion, that ``data`` holds JSON's types only, is nested at most
    ``MAX_DEPTH`` levels, has at most ``MAX_NODES`` nodes, and that its strings hold no NUL
    character or lone surrogate and its integers fit in 64 bits. ``error`` names the field."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise error(f"{source!r} has more than {MAX_NODES:,} values")
        if len(path) >= MAX_DEPTH:  # the top-level value is the first level
            raise error(
                f"{source!r}: field {field_name(path)} is nested deeper than {MAX_DEPTH} levels"
            )
        problem = _scalar_problem(value)
        if problem:
            raise error(f"{source!r}: field {field_name(path)} {problem}")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise error(
                        f"{source!r}: field {field_name(path)} has the key {key!r}, which is not "
                        "a string (write it in quotes)"
                    )
                key_problem = _scalar_problem(key)
                if key_problem:
                    raise error(f"{source!r}: a key of field {field_name(path)} {key_problem}")
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))


def _scalar_problem(value: Any) -> str:
    """What is wrong with one value of a document ('' when nothing)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "holds a NUL character (\\0)"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"holds a lone surrogate at character {exc.start} (not valid Unicode)"
        return ""
    if isinstance(value, bool) or value is None or isinstance(value, float | dict | list):
        return ""
    if isinstance(value, int):
        return "" if -MAX_INT <= value <= MAX_INT else "is a number larger than 64 bits"
    return (
        f"is a {type(value).__name__}; a document holds only strings, numbers, booleans, "
        "null, lists and mappings"
    )


def path_problem(value: str) -> str:
    """What makes ``value`` a path that no file system accepts ('' when nothing): a NUL
    character, a name over ``NAME_MAX`` bytes or a path over ``PATH_MAX`` bytes."""
    if "\x00" in value:
        return "holds a NUL character (\\0), which no path can hold"
    encoded = value.encode("utf-8", "surrogatepass")
    longest = max(encoded.replace(b"\\", b"/").split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return (
            f"holds a name of {len(longest):,} bytes ({longest[:24].decode(errors='replace')}"
            f"...); file systems accept at most {NAME_MAX}"
        )
    if len(encoded) > PATH_MAX:
        return f"is a path of {len(encoded):,} bytes; file systems accept at most {PATH_MAX}"
    return ""


def field_name(path: tuple[Any, ...]) -> str:
    """``('steps', 'a', 'arguments', 0)`` as ``steps.a.arguments[0]`` (``(top level)``)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if len(text) > 120:  # a field nested too deeply
        text = f"{text[:60]}...{text[-40:]}"
    return repr(text) if text else "(top level)"


__all__ = [
    "ALIAS_BUDGET",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_INT",
    "MAX_NODES",
    "NAME_MAX",
    "PATH_MAX",
    "check_tree",
    "field_name",
    "load_json",
    "load_yaml",
    "path_problem",
    "read_document_text",
]
