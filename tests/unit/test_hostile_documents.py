"""Hostile pipeline files: bombs, deep nesting, odd types and impossible paths are refused
quickly, before anything is built, with an error naming the file and the line or field."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from jupyter_pipelines.errors import PipelineFileError
from jupyter_pipelines.model.elyra import load_elyra_text
from jupyter_pipelines.model.fileformat import check_document, load_pipeline, parse_yaml
from jupyter_pipelines.model.untrusted import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_NODES,
    check_tree,
    load_json,
    load_yaml,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "elyra"


def billion_laughs(levels: int = 9, where: str = "layout") -> str:
    """A valid-looking pipeline whose ``where`` holds 9**levels strings in a few hundred
    bytes: each level is a list of nine aliases of the level before."""
    lines = ["version: 1", "steps:", "  s: {type: command, command: 'true'}", f"{where}:"]
    lines.append('  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
    for level in range(1, levels):
        aliases = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"  a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def one_step(**step: Any) -> dict[str, Any]:
    return {"version": 1, "steps": {"s": {"type": "python_script", "script": "x.py", **step}}}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- YAML bombs and depth -------------------------------------------------------------------
def test_billion_laughs_is_refused_at_the_alias_budget_in_milliseconds() -> None:
    text = billion_laughs()
    assert len(text.encode()) < 600  # the bomb: 592 bytes
    before, started = peak_rss_mib(), time.perf_counter()
    with pytest.raises(PipelineFileError) as info:
        parse_yaml(text, "bomb.pipeline.yaml")
    elapsed = time.perf_counter() - started
    message = str(info.value)
    assert "'bomb.pipeline.yaml' at line" in message
    assert f"more than {ALIAS_BUDGET:,} nodes (the alias budget)" in message
    assert elapsed < 0.5, elapsed
    assert peak_rss_mib() - before < 50
    print(f"\nbillion laughs ({len(text)} bytes, 9**9 strings): refused in {elapsed * 1000:.1f} ms")


@pytest.mark.parametrize("where", ["layout", "description"])
def test_a_bomb_anywhere_in_the_document_is_refused(where: str) -> None:
    with pytest.raises(PipelineFileError, match=r"line \d+, column \d+: aliases expand"):
        parse_yaml(billion_laughs(7, where), "bomb.pipeline.yaml")


def test_aliases_within_the_budget_load() -> None:
    env = "{name: env, python: {conda_dependencies: {dependencies: [numpy, pandas]}}}"
    steps = "\n".join(
        f"  s{i}: {{type: command, command: 'true', environment: *env}}" for i in range(50)
    )
    doc = parse_yaml(f"version: 1\nx-env: &env {env}\nsteps:\n{steps}\n", "shared.yaml")
    assert doc["steps"]["s49"]["environment"]["name"] == "env"


def test_merge_keys_still_work() -> None:
    doc = load_yaml("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n", "merge.yaml")
    assert doc["d"] == {"x": 1, "y": 2}


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(PipelineFileError, match=r"line 1, column 8: alias \*a refers to a node"):
        load_yaml("a: &a [*a]", "loop.yaml")


def test_an_alias_that_nests_too_deeply_is_refused() -> None:
    text = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30
    with pytest.raises(PipelineFileError, match=rf"line 2.*deeper than {MAX_DEPTH} levels"):
        load_yaml(text, "deep.yaml")


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1_000, 100_000])
def test_deeply_nested_yaml_is_refused_with_its_line(levels: int) -> None:
    started = time.perf_counter()
    block = "a:\n" + "".join(" " * i + "- \n" for i in range(min(levels, 1_000)))
    for text in ("[" * levels + "]" * levels, block):
        with pytest.raises(PipelineFileError, match=r"deep\.yaml.* line \d+"):
            load_yaml(text, "deep.yaml")
    assert time.perf_counter() - started < 5


def test_nesting_up_to_the_limit_loads() -> None:
    levels = MAX_DEPTH - 1  # the document's mapping is the first level
    data = load_yaml("a: " + "[" * levels + "]" * levels, "ok.yaml")
    assert isinstance(data["a"], list)


def test_too_many_nodes_is_refused() -> None:
    text = "a: [" + ",".join(["1"] * (MAX_NODES + 1)) + "]"
    with pytest.raises(PipelineFileError, match=f"more than {MAX_NODES:,} nodes"):
        load_yaml(text, "many.yaml")


def test_a_document_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.pipeline.yaml"
    path.write_text("description: " + "x" * MAX_DOCUMENT_BYTES + "\n")
    with pytest.raises(PipelineFileError, match=r"big\.pipeline\.yaml' is larger than 4\.0 MiB"):
        load_pipeline(path)
    with pytest.raises(PipelineFileError, match=r"is larger than 4\.0 MiB"):
        parse_yaml(path.read_text(), "text")


# -- JSON's types only ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('d: "a\\0b"', r"line 1, column 4: the value holds a NUL character"),
        ("t: !!timestamp 2020-01-01", "field 't' is a date"),
        ("d: !!binary aGVsbG8=", "field 'd' is a bytes"),
        ("d: !!set {a, b}", "field 'd' is a set"),
        ("d: !!omap [a: 1]", r"field 'd\[0\]' is a tuple"),
        ("d: 99999999999999999999999", "field 'd' is a number larger than 64 bits"),
        ("1: a", r"field \(top level\) has the key 1, which is not a string"),
        ("a: !!python/object:os.system x", "could not determine a constructor"),
        ("a: 1\n---\nb: 2", "line 2, column 1: but found another document"),
    ],
)
def test_values_a_document_cannot_hold(text: str, problem: str) -> None:
    with pytest.raises(PipelineFileError, match=problem):
        load_yaml(text, "odd.yaml")


def test_dates_stay_strings_as_in_json() -> None:
    assert load_yaml("d: 2020-01-01", "dates.yaml") == {"d": "2020-01-01"}


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(PipelineFileError, match="lone surrogate at character 3"):
        load_yaml("a: \ud800", "text")
    with pytest.raises(PipelineFileError, match="field 'a' holds a lone surrogate"):
        load_json('{"a": "\\ud800"}', "body")


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_refused(levels: int) -> None:
    with pytest.raises(PipelineFileError, match=f"deeper than {MAX_DEPTH} levels"):
        load_json("[" * levels + "]" * levels, "deep.json")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(PipelineFileError, match=r"'x.json' is not valid JSON at line 2, column 1"):
        load_json('{"a": 1,\n}', "x.json")
    with pytest.raises(PipelineFileError, match=r"'x\.json' is not valid JSON: 'utf-8' codec"):
        load_json(b'{"a": "\xff"}', "x.json")


def test_check_tree_names_the_field_and_recurses_not() -> None:
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(PipelineFileError, match=r"field '\[0\]\[0\].*' is nested deeper than 64"):
        check_tree(deep, "doc")
    with pytest.raises(PipelineFileError, match=r"field 'steps.a.arguments\[1\]' holds a NUL"):
        check_tree({"steps": {"a": {"arguments": ["ok", "a\0b"]}}}, "doc")


# -- the pipeline schema's own checks -------------------------------------------------------
@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"source_directory": "a\0b"}, "steps.s.source_directory' holds a NUL"),
        ({"source_directory": "a" * 300}, "steps.s.source_directory' holds a name of 300 bytes"),
        ({"script": "d/" + "x" * 256 + ".py"}, "steps.s.script' holds a name of 259 bytes"),
        ({"hash_paths": ["ok", "y" * 256]}, r"steps.s.hash_paths\[1\]' holds a name"),
        ({"source_directory": "a/" * 2100}, "steps.s.source_directory' is a path of 4,200 bytes"),
        (
            {"inputs": {"i": {"datastore": "d", "path": "p" * 256}}},
            "steps.s.inputs.i.path' holds a name",
        ),
        ({"outputs": {"o" * 256: {}}}, "steps.s.outputs' has a name longer than 255 bytes"),
    ],
)
def test_paths_no_file_system_accepts_are_refused(step: dict[str, Any], field: str) -> None:
    with pytest.raises(PipelineFileError, match=field):
        check_document(one_step(**step), "p.pipeline.yaml")


def test_a_step_name_longer_than_a_file_name_is_refused() -> None:
    doc = {"version": 1, "steps": {"s" * 256: {"type": "command", "command": "true"}}}
    with pytest.raises(PipelineFileError, match="field 'steps' has a name longer than 255"):
        check_document(doc, "p.pipeline.yaml")


def test_long_values_that_are_not_paths_are_fine() -> None:
    check_document(one_step(arguments=["a" * 1000], params={"P": "b" * 1000}), "p")
    check_document({**one_step(), "description": "c" * 1000}, "p")


def test_schema_messages_are_short_even_for_a_huge_value() -> None:
    doc = one_step(arguments=[["x"] * 100_000])
    with pytest.raises(PipelineFileError) as info:
        check_document(doc, "p.pipeline.yaml")
    assert "steps.s.arguments.0" in str(info.value)
    assert len(str(info.value)) < 1000


# -- Elyra files ----------------------------------------------------------------------------
@pytest.fixture
def elyra_doc() -> dict[str, Any]:
    return json.loads((FIXTURES / "three_nodes.pipeline").read_text())


@pytest.mark.parametrize("op", [["execute-notebook-node"], {"a": 1}, 5, None])
def test_an_elyra_node_whose_op_is_not_a_string_is_refused(
    elyra_doc: dict[str, Any], op: Any
) -> None:
    elyra_doc["pipelines"][0]["nodes"][0]["op"] = op
    with pytest.raises(PipelineFileError, match=r"nodes\[0\]\) has op .* which cannot run locally"):
        load_elyra_text(json.dumps(elyra_doc), Path("x.pipeline"))


def test_an_elyra_filename_no_file_system_accepts_is_refused(elyra_doc: dict[str, Any]) -> None:
    node = elyra_doc["pipelines"][0]["nodes"][1]
    node["app_data"]["component_parameters"]["filename"] = "n" * 300 + ".ipynb"
    with pytest.raises(PipelineFileError, match=r"filename' holds a name of 306 bytes"):
        load_elyra_text(json.dumps(elyra_doc), Path("x.pipeline"))


def test_deep_elyra_json_is_refused() -> None:
    with pytest.raises(PipelineFileError, match=r"'x\.pipeline' nests lists and objects deeper"):
        load_elyra_text("[" * 100_000 + "]" * 100_000, Path("x.pipeline"))


def test_yaml_dump_and_schema_survive_the_deepest_document_allowed() -> None:
    """Every recursive reader of a document stays within Python's recursion limit at the
    deepest nesting the loader lets through."""
    deep: Any = "leaf"
    for level in range(MAX_DEPTH - 6):  # under steps.s.environment.python.x: 5 levels
        deep = {"k": deep} if level % 2 else [deep]
    doc = one_step(parameters={"p": deep}, environment={"python": {"x": deep}})
    doc["steps"]["s"] = {**doc["steps"]["s"], "type": "notebook", "notebook": "n.ipynb"}
    del doc["steps"]["s"]["script"]
    check_document(doc, "p")
    text = yaml.safe_dump(doc)
    assert load_yaml(text, "p") == doc
