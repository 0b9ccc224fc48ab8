"""Hypothesis strategies for the hostile-input tests: valid pipeline documents, then the ways
a file or a request can go wrong (mutated fields, cycles, dangling references, odd values,
bombs, deep nesting, other encodings).

The fuzz tests run with ``derandomize=True``: every run tries the same examples, so CI is
deterministic and a failure found there is reproduced by running the same test locally
(Hypothesis prints the falsifying example, which is then pinned with ``@example``).
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections import Counter
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from jupyter_pipelines.model.file_schema import pipeline_schema

#: Files the generated steps name (tests create them).
SCRIPTS = ("prep.py", "train.py")
NOTEBOOKS = ("nb.ipynb",)

#: Settings of every fuzz property: deterministic, no example database (derandomized runs
#: are their own record), no per-example deadline (2 shared cores): a hang is caught by
#: ``Tally.check``'s own limit instead.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: What an error about a document must name: a line, a field, a step or the file.
PLACE = re.compile(
    r"^\s+- [^\s:]+: |line \d+|field|steps?\b|parameters?\b|nodes|pipelines|'version'|"
    r"\(top level\)|does not exist|larger than|nested|not valid (YAML|JSON)|cannot read|"
    r"must hold|format version|pipeline-flow|Elyra|cycle",
    re.IGNORECASE | re.MULTILINE,
)

#: The fields of a step, an input and an output, from the shipped JSON Schema.
_DEFS = pipeline_schema()["$defs"]
STEP_FIELDS = sorted(_DEFS["step"]["properties"])
INPUT_FIELDS = sorted({f for branch in _DEFS["input"]["oneOf"] for f in branch["properties"]})
OUTPUT_FIELDS = sorted(_DEFS["output"]["properties"])

IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)

#: Values that broke or could break a reader: NUL, surrogates, bidi controls, paths that no
#: file system accepts or that leave the project, placeholders of nothing, huge numbers.
ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udcff",
    "\u202e",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "é",
    "../outside",
    "/etc/passwd",
    "x" * 300,
    "d/" * 2100,
    "${{parameters.nope}}",
    "${{inputs.",
    "${{outputs.x}}",
    "*alias",
    "&anchor",
    "!!python/object:os.system",
    "NaN",
    "true",
    "null",
    "1e999",
)
#: Paths that no file system accepts, or that leave the project.
ODD_PATHS = ("x" * 256, "d/" * 2100, "a\x00b", "../outside", "/etc/passwd", "", ".", "a" * 255)
#: Fields that hold paths (the schema says "string"; the file system says more).
PATH_FIELDS = ("script", "notebook", "source_directory", "hash_paths", "executed_notebook")
PATH_FIELDS += ("output_notebook", "path_on_compute", "path", "entry_script", "filename")
ODD_NUMBERS = (0, -1, 2**63, -(2**63) - 1, 10**30, float("nan"), float("inf"), -0.0, 1e308)


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(ODD_STRINGS),
        st.sampled_from(ODD_NUMBERS),
    )


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON-like value, odd ones included."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(IDENT, st.sampled_from(ODD_STRINGS)), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int, leaf: Any = "x") -> Any:
    value: Any = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@st.composite
def parameters(draw: st.DrawFn) -> dict[str, Any]:
    found = {}
    for name in draw(st.lists(IDENT, max_size=3, unique=True)):
        kind = draw(st.sampled_from(["int", "float", "string", "bool"]))
        default = {"int": 3, "float": 0.5, "string": "s", "bool": True}[kind]
        found[name] = {"type": kind, "default": default}
    return found


@st.composite
def pipeline_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document: 1 to 5 steps of each kind, wired in order (outputs to later inputs,
    run_after, placeholders of parameters, inputs and outputs)."""
    params = draw(parameters())
    names = draw(st.lists(IDENT, min_size=1, max_size=5, unique=True))
    steps: dict[str, dict[str, Any]] = {}
    for name in names:
        kind = draw(st.sampled_from(["python_script", "notebook", "command"]))
        step: dict[str, Any] = {"type": kind}
        outputs = draw(st.lists(IDENT, max_size=2, unique=True))
        if outputs:
            step["outputs"] = {o: {} for o in outputs}
        produced = [(s, o) for s, spec in steps.items() for o in spec.get("outputs", {})]
        inputs = (
            draw(st.lists(st.sampled_from(produced), max_size=2, unique=True)) if produced else []
        )
        if inputs:
            step["inputs"] = {f"in_{s}_{o}": {"step": s, "output": o} for s, o in inputs}
        refs = [f"${{{{parameters.{p}}}}}" for p in params]
        refs += [f"${{{{inputs.{i}}}}}" for i in step.get("inputs", {})]
        refs += [f"${{{{outputs.{o}}}}}" for o in outputs]
        words = draw(st.lists(st.sampled_from(refs) if refs else IDENT, max_size=3))
        if kind == "python_script":
            step["script"] = draw(st.sampled_from(SCRIPTS))
            step["arguments"] = ["--x", *words]
        elif kind == "notebook":
            step["notebook"] = draw(st.sampled_from(NOTEBOOKS))
            step["parameters"] = {"alpha": draw(st.floats(0, 1))}
        else:
            step["command"] = " ".join(["echo", *words])
        if steps and draw(st.booleans()):
            step["run_after"] = [draw(st.sampled_from(list(steps)))]
        if draw(st.booleans()):
            step["timeout"] = draw(st.integers(1, 3600))
        if draw(st.booleans()):
            step["environment_variables"] = {"MODE": draw(st.sampled_from(["a", "b"]))}
        if draw(st.booleans()):
            step["source_directory"] = "."
            step["hash_paths"] = [step.get("script") or step.get("notebook") or "prep.py"]
        steps[name] = step
    doc: dict[str, Any] = {"version": 1, "steps": steps}
    if params:
        doc["parameters"] = params
    if draw(st.booleans()):
        doc["name"] = draw(IDENT)
        doc["description"] = draw(st.text(max_size=20))
    return doc


# -- mutations of a document ------------------------------------------------------------------
def paths_of(doc: Any) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``doc`` (without recursion)."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:
        value, path = stack.pop()
        found.append(path)
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return sorted(found, key=repr)


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


#: The changes made to documents, and to their text. The tests try each kind in turn (with
#: others after it): Hypothesis favours the first choices of a strategy, so drawing the kind
#: would leave some kinds almost untried.
DOC_MUTATIONS = ("drop", "rename", "retype", "cycle", "dangling", "deep", "huge", "odd_key")
DOC_MUTATIONS += ("field", "path")
TEXT_MUTATIONS = ("bomb", "deep", "truncate", "tabs", "crlf", "anchor", "bom", "utf16")
TEXT_MUTATIONS += ("latin1", "bytes", "flip")


def mutated_documents(first: str | None = None) -> st.SearchStrategy[tuple[Any, list[str]]]:
    """A valid document changed up to 3 times (``first`` first); the changes' names."""
    return pipeline_documents().flatmap(lambda doc: mutated(doc, first))


@st.composite
def mutated(draw: st.DrawFn, original: Any, first: str | None = None) -> tuple[Any, list[str]]:
    """``original`` changed up to 3 times (a copy), ``first`` first when given; the names of
    the changes made."""
    doc: Any = copy.deepcopy(original)
    done: list[str] = []
    count = draw(st.integers(0 if first is None else 1, 3))
    for i in range(count):
        kind = first if (i == 0 and first) else draw(st.sampled_from(DOC_MUTATIONS))
        paths = [p for p in paths_of(doc) if p]
        if kind == "cycle" and isinstance(doc, dict) and len(doc.get("steps") or {}) >= 2:
            a, b = list(doc["steps"])[:2]
            doc["steps"][a]["run_after"] = [b]
            doc["steps"][b]["run_after"] = [a]
        elif kind == "dangling" and isinstance(doc, dict) and doc.get("steps"):
            step = doc["steps"][draw(st.sampled_from(sorted(doc["steps"])))]
            if isinstance(step, dict):
                target = draw(st.sampled_from(["inputs", "run_after", "arguments"]))
                if target == "inputs":
                    step["inputs"] = {"i": {"step": "nope", "output": "o"}}
                elif target == "run_after":
                    step["run_after"] = ["nope"]
                else:
                    step["arguments"] = ["${{parameters.nope}}", "${{inputs.nope}}"]
        elif (
            kind in ("field", "path")
            and isinstance(doc, dict)
            and isinstance(doc.get("steps"), dict)
        ):
            _set_field(draw, doc["steps"], path_only=kind == "path")
        elif not paths:
            doc = draw(json_values())
        else:
            path = draw(st.sampled_from(paths))
            parent = _parent(doc, path)
            if kind == "drop":
                del parent[path[-1]]
            elif kind == "rename" and isinstance(parent, dict):
                parent[draw(st.one_of(IDENT, st.sampled_from(ODD_STRINGS)))] = parent.pop(path[-1])
            elif kind == "deep":
                parent[path[-1]] = nested(draw(st.sampled_from([10, 60, 63, 64, 65, 200])))
            elif kind == "huge":
                # built here: a constant list would be shared by documents and changed
                parent[path[-1]] = "y" * 20_000 if draw(st.booleans()) else ["z"] * 5_000
            elif kind == "odd_key" and isinstance(parent, dict):
                parent[draw(st.sampled_from([1, True, None, 2.5]))] = "v"
            else:
                parent[path[-1]] = draw(json_values())
        done.append(kind)
    return doc, done


def _set_field(draw: st.DrawFn, steps: dict[str, Any], path_only: bool = False) -> None:
    """Give a step (or one of its inputs or outputs) a field of the schema, with any value."""
    if not steps:
        return
    step = steps[draw(st.sampled_from(sorted(steps, key=repr)))]
    if not isinstance(step, dict):
        return
    where = "path" if path_only else draw(st.sampled_from(["step", "input", "output"]))
    value = draw(st.one_of(st.sampled_from(ODD_STRINGS), json_values(4)))
    if where == "path":
        field = draw(st.sampled_from(["script", "notebook", "source_directory", "hash_paths"]))
        path = draw(st.sampled_from(ODD_PATHS))
        step[field] = [path] if field == "hash_paths" else path
    elif where == "step":
        step[draw(st.sampled_from(STEP_FIELDS))] = value
    else:
        fields = INPUT_FIELDS if where == "input" else OUTPUT_FIELDS
        group = step.setdefault(f"{where}s", {})
        if isinstance(group, dict):
            group.setdefault("x", {})
            if isinstance(group["x"], dict):
                group["x"][draw(st.sampled_from(fields))] = value


# -- from documents to the bytes of a file ------------------------------------------------------
def bomb_text(levels: int, fan_out: int) -> str:
    lines = ["layout:", f"  b0: &b0 [{', '.join(['lol'] * fan_out)}]"]
    for level in range(1, levels):
        lines.append(f"  b{level}: &b{level} [{', '.join([f'*b{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


def dump(doc: Any) -> str:
    """YAML text of ``doc``; what PyYAML cannot write becomes its JSON (YAML too), or repr."""
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, RecursionError, ValueError):
        try:
            return json.dumps(doc, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return repr(doc)


@st.composite
def pipeline_files(draw: st.DrawFn, first: str | None = None) -> tuple[bytes, list[str]]:
    """The bytes of a pipeline file: a mutated document's YAML, then changed as text;
    ``first`` is a kind of DOC_MUTATIONS, or ``text_`` and one of TEXT_MUTATIONS, to make
    surely."""
    doc, done = draw(mutated_documents(first if first in DOC_MUTATIONS else None))
    text = dump(doc)
    if first and first.startswith("text_"):
        kind = first.removeprefix("text_")
    else:
        kind = draw(st.sampled_from(("none", *TEXT_MUTATIONS)))
    done.append(f"text:{kind}")
    if kind == "bomb":
        text += bomb_text(draw(st.integers(3, 9)), draw(st.integers(2, 10)))
    elif kind == "deep":
        n = draw(st.sampled_from([64, 65, 1_000, 100_000]))
        text += f"layout: {'[' * n}{']' * n}\n"
    elif kind == "truncate" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == "tabs":
        text = text.replace("  ", "\t")
    elif kind == "crlf":
        text = text.replace("\n", "\r\n")
    elif kind == "anchor":
        text = "x-anchor: &a {type: command, command: 'true'}\n" + text.replace(
            "type: command", "<<: *a\n    type: command", 1
        )
    data = text.encode("utf-8", "surrogatepass")
    if kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "utf16":
        data = text.encode("utf-16", "surrogatepass")
    elif kind == "latin1":
        data = text.encode("latin-1", "replace") + "é".encode("latin-1")
    elif kind == "bytes":
        data += draw(st.binary(min_size=1, max_size=8))
    elif kind == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data, done


# -- request bodies -------------------------------------------------------------------------
BODY_SHAPES = ("document", "path", "text", "base_dir", "target", "experiment", "fields")
BODY_SHAPES += ("value", "deep", "bytes", "bomb_text")
BODY_FIELDS = (
    "path",
    "document",
    "base_dir",
    "text",
    "source",
    "target",
    "overwrite",
    "experiment",
    "tags",
    "parameters",
    "steps",
    "from_steps",
    "to_steps",
    "regenerate_outputs",
    "continue_on_step_failure",
    "description",
    "name",
    "version",
    "status",
    "endpoint",
)


@st.composite
def request_bodies(draw: st.DrawFn, files: tuple[str, ...], shape: str = "fields") -> bytes:
    """The bytes of a request body of one of BODY_SHAPES: a JSON object holding a valid or
    mutated ``document``, a ``path`` (a file or an odd one), a pipeline file's ``text``, or
    any of the API's fields; else any JSON value, deep nesting, bytes, a bomb's text."""
    if shape == "value":
        return json.dumps(draw(json_values())).encode()
    if shape == "deep":
        n = draw(st.sampled_from([63, 64, 65, 100_000]))
        return ("[" * n + "]" * n).encode()
    if shape == "bytes":
        return draw(st.binary(max_size=64))
    body: dict[str, Any] = {}
    if shape == "bomb_text":
        body["text"] = "version: 1\nsteps: {}\n" + bomb_text(9, 9)
    chosen = draw(st.lists(st.sampled_from(BODY_FIELDS), max_size=5, unique=True))
    if shape in BODY_FIELDS:
        chosen = [shape, *(f for f in chosen if f != shape)]
    for field in chosen:
        if field == "document":
            body[field] = draw(
                st.one_of(pipeline_documents(), mutated_documents().map(lambda d: d[0]))
            )
        elif field in ("path", "target", "base_dir"):
            body[field] = draw(
                st.one_of(st.sampled_from(files), st.sampled_from(ODD_STRINGS), scalars())
            )
        elif field == "text":
            body[field] = draw(pipeline_files())[0].decode("utf-8", "replace")
        else:
            body[field] = draw(json_values(4))
    return json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")


# -- figures --------------------------------------------------------------------------------------
class Tally:
    """Counts the outcomes of a property and checks each example's time."""

    def __init__(self, name: str, limit_s: float = 10.0) -> None:
        self.name, self.limit_s = name, limit_s
        self.outcomes: Counter[str] = Counter()
        self.slowest = 0.0
        self.started = time.perf_counter()

    def check(self, started: float, outcome: str) -> None:
        elapsed = time.perf_counter() - started
        self.slowest = max(self.slowest, elapsed)
        self.outcomes[outcome] += 1
        assert elapsed < self.limit_s, f"one example took {elapsed:.1f} s (a hang?)"

    def report(self) -> str:
        total = sum(self.outcomes.values())
        parts = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        return (
            f"\n{self.name}: {total} examples in {time.perf_counter() - self.started:.1f} s "
            f"(slowest {self.slowest * 1000:.0f} ms): {parts}; other exceptions: 0"
        )
